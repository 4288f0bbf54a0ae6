package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/consult"
)

// CreateConsultation adds a draft consultation convened by by.Org.
// EFORBIDDEN unless by is an officer of the convenor; EINVALID for a
// malformed consultation.
func (s *Store) CreateConsultation(ctx context.Context, by liaison.Principal, c *liaison.Consultation) error {
	if c == nil {
		return liaison.Errorf(liaison.EINVALID, "consultation is missing")
	}
	nc := *c
	err := s.inConsultWrite(ctx, "postgres.CreateConsultation", func(w *wtx) error {
		if err := consult.Create(&nc, by, w.dir, w.now); err != nil {
			return err
		}
		aid, err := w.consultationAudience(nc)
		if err != nil {
			return err
		}
		body, err := encodeConsultation(nc)
		if err != nil {
			return err
		}
		return w.tx.QueryRow(w.ctx, `INSERT INTO consultations (convenor, status, body, audience_id, created_us, updated_us) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			nc.Convenor, nc.Status, body, aid, micros(nc.Created), micros(nc.Updated)).Scan(&nc.ID)
	})
	if err != nil {
		return err
	}
	*c = nc
	return nil
}

// Consultation returns one consultation as reader sees it. ENOTFOUND if
// it does not exist or reader may not see it.
func (s *Store) Consultation(ctx context.Context, reader liaison.Principal, id int64) (liaison.Consultation, error) {
	if err := s.freshenConsult(ctx); err != nil {
		return liaison.Consultation{}, err
	}
	var c liaison.Consultation
	err := s.inRead(ctx, "postgres.Consultation", func(tx pgx.Tx) error {
		var err error
		c, err = visibleConsultation(ctx, tx, reader.Org, id)
		return err
	})
	return c, err
}

// Consultations returns the consultations reader may see, newest first,
// narrowed by f.
func (s *Store) Consultations(ctx context.Context, reader liaison.Principal, f liaison.ConsultationFilter) ([]liaison.Consultation, error) {
	if err := s.freshenConsult(ctx); err != nil {
		return nil, err
	}
	out := []liaison.Consultation{}
	err := s.inRead(ctx, "postgres.Consultations", func(tx pgx.Tx) error {
		var a args
		q := `SELECT c.id, c.body FROM consultations c WHERE ` + readableBy("c", a.add(reader.Org))
		if f.Status != "" {
			q += ` AND c.status = ` + a.add(string(f.Status))
		}
		if f.Topic != "" {
			q += ` AND c.body->'topics' ? ` + a.add(f.Topic)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY c.id DESC`, a...)
		if err != nil {
			return fmt.Errorf("list consultations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var body string
			if err := rows.Scan(&id, &body); err != nil {
				return err
			}
			c, err := decodeConsultation(id, body)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeConsultation loads consultation id as by sees it, applies change,
// and stores the result with its recomputed audience.
func (s *Store) changeConsultation(ctx context.Context, op string, by liaison.Principal, id int64, change func(w *wtx, c *liaison.Consultation) error) (liaison.Consultation, error) {
	var c liaison.Consultation
	err := s.inConsultWrite(ctx, op, func(w *wtx) error {
		var err error
		if c, err = visibleConsultation(w.ctx, w.tx, by.Org, id); err != nil {
			return err
		}
		if err := change(w, &c); err != nil {
			return err
		}
		return w.saveConsultation(c)
	})
	return c, err
}

func (w *wtx) saveConsultation(c liaison.Consultation) error {
	aid, err := w.consultationAudience(c)
	if err != nil {
		return err
	}
	body, err := encodeConsultation(c)
	if err != nil {
		return err
	}
	if _, err := w.tx.Exec(w.ctx, `UPDATE consultations SET status = $1, body = $2, audience_id = $3, updated_us = $4 WHERE id = $5`,
		c.Status, body, aid, micros(c.Updated), c.ID); err != nil {
		return fmt.Errorf("update consultation %d: %w", c.ID, err)
	}
	return nil
}

// SetConsultationStatus opens or cancels a consultation. ENOTFOUND if by
// cannot see it; EFORBIDDEN unless by is an officer of the convenor;
// ECONFLICT if its status does not allow the move.
func (s *Store) SetConsultationStatus(ctx context.Context, by liaison.Principal, id int64, to liaison.ConsultationStatus, reason string) (liaison.Consultation, error) {
	return s.changeConsultation(ctx, "postgres.SetConsultationStatus", by, id, func(w *wtx, c *liaison.Consultation) error {
		return consult.Transition(c, by, to, reason, w.now)
	})
}

// RecordOutcome records or replaces the outcome of an open or concluded
// consultation.
func (s *Store) RecordOutcome(ctx context.Context, by liaison.Principal, id int64, o liaison.Outcome) (liaison.Consultation, error) {
	return s.changeConsultation(ctx, "postgres.RecordOutcome", by, id, func(w *wtx, c *liaison.Consultation) error {
		return consult.RecordOutcome(c, by, w.dir, o, false, w.now)
	})
}

// ConcludeConsultation records the outcome and concludes an open
// consultation.
func (s *Store) ConcludeConsultation(ctx context.Context, by liaison.Principal, id int64, o liaison.Outcome) (liaison.Consultation, error) {
	return s.changeConsultation(ctx, "postgres.ConcludeConsultation", by, id, func(w *wtx, c *liaison.Consultation) error {
		return consult.RecordOutcome(c, by, w.dir, o, true, w.now)
	})
}

// SetActionStatus changes the status of agreed action i.
func (s *Store) SetActionStatus(ctx context.Context, by liaison.Principal, id int64, i int, st liaison.ActionStatus) (liaison.Consultation, error) {
	return s.changeConsultation(ctx, "postgres.SetActionStatus", by, id, func(w *wtx, c *liaison.Consultation) error {
		return consult.SetActionStatus(c, by, i, st, w.now)
	})
}

// PublishOutcome publishes a concluded consultation's outcome into a
// collection as a STIX report or note, written through AddObjects as by,
// so TAXII clients receive it under its marking. The report references
// the objects that the consultation's contributions reference and that by
// may read. ECONFLICT unless concluded and not yet published; EFORBIDDEN
// unless by is an officer of the convenor; EINVALID when the store
// rejects the objects.
func (s *Store) PublishOutcome(ctx context.Context, by liaison.Principal, id int64, r liaison.PublishRequest) (liaison.Consultation, error) {
	c, err := s.Consultation(ctx, by, id)
	if err != nil {
		return c, err
	}
	check := func(c liaison.Consultation) error {
		if by.Org != c.Convenor || !by.HasRole(liaison.RoleOfficer) {
			return liaison.Errorf(liaison.EFORBIDDEN, "only an officer of the convenor, %s, may publish the outcome of consultation %d", c.Convenor, c.ID)
		}
		if c.Status != liaison.ConsultationConcluded {
			return liaison.Errorf(liaison.ECONFLICT, "consultation %d is %s: only a concluded consultation's outcome is published", c.ID, c.Status)
		}
		if c.Published != nil {
			return liaison.Errorf(liaison.ECONFLICT, "the outcome of consultation %d was published already as %s", c.ID, c.Published.ObjectID)
		}
		return nil
	}
	if err := check(c); err != nil {
		return c, err
	}
	if r.Collection == "" {
		return c, liaison.Errorf(liaison.EINVALID, "publishing needs a collection")
	}
	ks, err := s.Contributions(ctx, by, id)
	if err != nil {
		return c, err
	}
	var live []liaison.Contribution
	for _, k := range ks {
		if !k.Withdrawn {
			live = append(live, k)
		}
	}
	cands, err := consult.Outcome(c, r.Kind, consult.AllRefs(live), s.clock(), nil)
	if err != nil {
		return c, err
	}
	res, err := s.AddObjects(ctx, by, r.Collection, cands)
	if err != nil {
		return c, err
	}
	if len(res.Rejected) > 0 {
		return c, liaison.Errorf(liaison.EINVALID, "the store refused the published outcome: %s", res.Rejected[0].Message)
	}
	pub := liaison.Publication{Collection: r.Collection, ObjectID: cands[1].ID, MarkingID: cands[0].ID}
	return s.changeConsultation(ctx, "postgres.PublishOutcome", by, id, func(w *wtx, c *liaison.Consultation) error {
		if err := check(*c); err != nil {
			return err
		}
		pub.At = w.now
		c.Published = &pub
		c.Updated = w.now
		return nil
	})
}

// Contribute adds a contribution to an open consultation.
func (s *Store) Contribute(ctx context.Context, by liaison.Principal, k *liaison.Contribution) error {
	if k == nil {
		return liaison.Errorf(liaison.EINVALID, "contribution is missing")
	}
	nk := *k
	err := s.inConsultWrite(ctx, "postgres.Contribute", func(w *wtx) error {
		c, err := visibleConsultation(w.ctx, w.tx, by.Org, nk.Consultation)
		if err != nil {
			return err
		}
		if err := consult.Contribute(c, &nk, by, w.dir, w.now); err != nil {
			return err
		}
		return w.tx.QueryRow(w.ctx, `INSERT INTO contributions (consultation_id, agenda_item, author_id, author, org, text, refs, created_us, updated_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			c.ID, nk.AgendaItem, nk.AuthorID, nk.Author, nk.Org, nk.Text, nonNil(nk.Refs), micros(nk.Created), micros(nk.Updated)).Scan(&nk.ID)
	})
	if err != nil {
		return err
	}
	*k = nk
	return nil
}

const contributionCols = `k.id, k.consultation_id, k.agenda_item, k.author_id, k.author, k.org, k.text, k.refs, k.withdrawn, k.created_us, k.updated_us`

func scanContribution(row pgx.Row) (liaison.Contribution, error) {
	var k liaison.Contribution
	var created, updated int64
	if err := row.Scan(&k.ID, &k.Consultation, &k.AgendaItem, &k.AuthorID, &k.Author, &k.Org, &k.Text, &k.Refs, &k.Withdrawn, &created, &updated); err != nil {
		return k, err
	}
	k.Created, k.Updated = fromMicros(created), fromMicros(updated)
	k.History = []liaison.ContributionRevision{}
	return k, nil
}

// loadHistory fills in the history of ks.
func loadHistory(ctx context.Context, q querier, ks []liaison.Contribution) error {
	if len(ks) == 0 {
		return nil
	}
	at := map[int64]int{}
	ids := make([]int64, 0, len(ks))
	for i, k := range ks {
		at[k.ID] = i
		ids = append(ids, k.ID)
	}
	rows, err := q.Query(ctx, `SELECT contribution_id, text, refs, at_us, change, reason FROM contribution_history WHERE contribution_id = ANY($1) ORDER BY contribution_id, seq`, ids)
	if err != nil {
		return fmt.Errorf("read contribution history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, us int64
		var h liaison.ContributionRevision
		if err := rows.Scan(&id, &h.Text, &h.Refs, &us, &h.Change, &h.Reason); err != nil {
			return err
		}
		h.At = fromMicros(us)
		ks[at[id]].History = append(ks[at[id]].History, h)
	}
	return rows.Err()
}

// changeContribution loads contribution id as by sees it (its
// consultation must be visible to by), applies change and stores the new
// state and the history entry change appended.
func (s *Store) changeContribution(ctx context.Context, op string, by liaison.Principal, id int64, change func(c liaison.Consultation, k *liaison.Contribution, now time.Time) error) (liaison.Contribution, error) {
	var k liaison.Contribution
	err := s.inConsultWrite(ctx, op, func(w *wtx) error {
		var err error
		k, err = scanContribution(w.tx.QueryRow(w.ctx, `SELECT `+contributionCols+` FROM contributions k JOIN consultations c ON c.id = k.consultation_id WHERE k.id = $1 AND `+readableBy("c", "$2"), id, by.Org))
		if errors.Is(err, pgx.ErrNoRows) {
			return liaison.NotFound("contribution", fmt.Sprint(id))
		}
		if err != nil {
			return fmt.Errorf("read contribution: %w", err)
		}
		ks := []liaison.Contribution{k}
		if err := loadHistory(w.ctx, w.tx, ks); err != nil {
			return err
		}
		k = ks[0]
		c, err := visibleConsultation(w.ctx, w.tx, by.Org, k.Consultation)
		if err != nil {
			return err
		}
		n := len(k.History)
		if err := change(c, &k, w.now); err != nil {
			return err
		}
		for i, h := range k.History[n:] {
			if _, err := w.tx.Exec(w.ctx, `INSERT INTO contribution_history (contribution_id, seq, text, refs, at_us, change, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				k.ID, n+i+1, h.Text, nonNil(h.Refs), micros(h.At), h.Change, h.Reason); err != nil {
				return fmt.Errorf("append contribution history: %w", err)
			}
		}
		if _, err := w.tx.Exec(w.ctx, `UPDATE contributions SET text = $1, refs = $2, withdrawn = $3, updated_us = $4 WHERE id = $5`, k.Text, nonNil(k.Refs), k.Withdrawn, micros(k.Updated), k.ID); err != nil {
			return fmt.Errorf("update contribution: %w", err)
		}
		return nil
	})
	if err != nil {
		return liaison.Contribution{}, err
	}
	return s.filterContribution(ctx, by, k)
}

// filterContribution removes from k the refs by may not read.
func (s *Store) filterContribution(ctx context.Context, by liaison.Principal, k liaison.Contribution) (liaison.Contribution, error) {
	ks := []liaison.Contribution{k}
	readable, err := consult.ReadableRefs(ctx, s, by, consult.AllRefs(ks))
	if err != nil {
		return liaison.Contribution{}, err
	}
	consult.FilterRefs(ks, readable)
	return ks[0], nil
}

// EditContribution replaces a contribution's text and refs, keeping
// history. ENOTFOUND if by cannot see it; EFORBIDDEN unless by wrote it;
// ECONFLICT if withdrawn or its consultation is no longer open.
func (s *Store) EditContribution(ctx context.Context, by liaison.Principal, id int64, text string, refs []string) (liaison.Contribution, error) {
	return s.changeContribution(ctx, "postgres.EditContribution", by, id, func(c liaison.Consultation, k *liaison.Contribution, now time.Time) error {
		return consult.Edit(c, k, by, text, refs, now)
	})
}

// WithdrawContribution withdraws a contribution, keeping its history.
func (s *Store) WithdrawContribution(ctx context.Context, by liaison.Principal, id int64, reason string) (liaison.Contribution, error) {
	return s.changeContribution(ctx, "postgres.WithdrawContribution", by, id, func(c liaison.Consultation, k *liaison.Contribution, now time.Time) error {
		return consult.Withdraw(c, k, by, reason, now)
	})
}

// Contributions returns a consultation's contributions, oldest first,
// with every ref to an object reader may not read removed. ENOTFOUND if
// reader cannot see the consultation.
func (s *Store) Contributions(ctx context.Context, reader liaison.Principal, consultation int64) ([]liaison.Contribution, error) {
	if err := s.freshenConsult(ctx); err != nil {
		return nil, err
	}
	ks := []liaison.Contribution{}
	err := s.inRead(ctx, "postgres.Contributions", func(tx pgx.Tx) error {
		if _, err := visibleConsultation(ctx, tx, reader.Org, consultation); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+contributionCols+` FROM contributions k JOIN consultations c ON c.id = k.consultation_id
			WHERE k.consultation_id = $1 AND `+readableBy("c", "$2")+` ORDER BY k.id`, consultation, reader.Org)
		if err != nil {
			return fmt.Errorf("read contributions: %w", err)
		}
		for rows.Next() {
			k, err := scanContribution(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ks = append(ks, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return loadHistory(ctx, tx, ks)
	})
	if err != nil {
		return nil, err
	}
	readable, err := consult.ReadableRefs(ctx, s, reader, consult.AllRefs(ks))
	if err != nil {
		return nil, s.internal("postgres.Contributions", err)
	}
	consult.FilterRefs(ks, readable)
	return ks, nil
}
