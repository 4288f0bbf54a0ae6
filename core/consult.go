package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"liaison"
	"liaison/consult"
	"liaison/decide"
)

// Consultations and proposals keep their readers as an audience in the
// same tables as objects, so every read filters by audience inside the
// query. consult_state records the directory version (and the instant an
// agreement next enters or leaves force) that they were computed
// against; any read or write that finds it stale recomputes them all
// first, in one write transaction.

// readableBy is the audience filter of a row aliased as alias, for the
// organisation bound to its ?.
func readableBy(alias string) string {
	return alias + `.audience_id IN (SELECT audience_id FROM audience_members WHERE org = ?)`
}

// consultStale reports whether consultation and proposal audiences need
// recomputing at the store's clock.
func (o *Office) consultStale(tx Tx) (bool, error) {
	st, err := ReadState(tx)
	if err != nil {
		return false, err
	}
	var ver, until int64
	if err := tx.QueryRow(`SELECT directory_version, valid_until_us FROM consult_state WHERE id = 1`).Scan(&ver, &until); err != nil {
		return false, fmt.Errorf("read consult state: %w", err)
	}
	return ver != st.DirVersion || (until != 0 && o.Clock().UnixMicro() >= until), nil
}

// readConsult runs fn in a read transaction once consultation and proposal
// audiences are fresh.
func (o *Office) readConsult(ctx context.Context, name string, fn func(tx Tx) error) error {
	stale := false
	err := o.inRead(ctx, name, func(tx Tx) error {
		var err error
		if stale, err = o.consultStale(tx); err != nil || stale {
			return err
		}
		return fn(tx)
	})
	if err != nil || !stale {
		return err
	}
	if err := o.writeConsult(ctx, name, func(*Write) error { return nil }); err != nil {
		return err
	}
	return o.inRead(ctx, name, fn)
}

// writeConsult runs fn in a write transaction whose directory is at the
// store's clock and whose consultation and proposal audiences are fresh.
func (o *Office) writeConsult(ctx context.Context, name string, fn func(w *Write) error) error {
	return o.write(ctx, name, func(w *Write) error {
		stale, err := o.consultStale(w.tx)
		if err != nil {
			return err
		}
		if stale {
			if err := w.recomputeConsult(); err != nil {
				return err
			}
		}
		return fn(w)
	})
}

// recomputeConsult recomputes the audience of every consultation and
// proposal against w.dir and records the directory it used.
func (w *Write) recomputeConsult() error {
	type row struct {
		id   int64
		body string
		aud  int64
	}
	load := func(q string) ([]row, error) {
		var out []row
		err := eachRow(w.tx, func(rows Rows) error {
			var r row
			err := rows.Scan(&r.id, &r.body, &r.aud)
			out = append(out, r)
			return err
		}, q)
		return out, err
	}
	cs, err := load(`SELECT id, body, audience_id FROM consultations`)
	if err != nil {
		return fmt.Errorf("recompute consultations: %w", err)
	}
	for _, r := range cs {
		c, err := decodeConsultation(r.id, r.body)
		if err != nil {
			return err
		}
		aid, err := w.consultationAudience(c)
		if err != nil {
			return err
		}
		if aid != r.aud {
			if _, err := w.tx.Exec(`UPDATE consultations SET audience_id = ? WHERE id = ?`, aid, r.id); err != nil {
				return fmt.Errorf("recompute consultation %d: %w", r.id, err)
			}
		}
	}
	ps, err := load(`SELECT id, marking, audience_id FROM proposals`)
	if err != nil {
		return fmt.Errorf("recompute proposals: %w", err)
	}
	for _, r := range ps {
		p, err := loadProposal(w.tx, r.id, `SELECT `+proposalCols+` FROM proposals p WHERE p.id = ?`, r.id)
		if err != nil {
			return err
		}
		aid, err := w.proposalAudience(p)
		if err != nil {
			return err
		}
		if aid != r.aud {
			if _, err := w.tx.Exec(`UPDATE proposals SET audience_id = ? WHERE id = ?`, aid, r.id); err != nil {
				return fmt.Errorf("recompute proposal %d: %w", r.id, err)
			}
		}
	}
	st, err := ReadState(w.tx)
	if err != nil {
		return err
	}
	if _, err := w.tx.Exec(`UPDATE consult_state SET directory_version = ?, valid_until_us = ? WHERE id = 1`, st.DirVersion, Micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("record consult state: %w", err)
	}
	return nil
}

func (w *Write) consultationAudience(c liaison.Consultation) (int64, error) {
	aud, err := consult.Readers(c, w.dir)
	if err != nil {
		return 0, err
	}
	return w.audienceID(aud)
}

func (w *Write) proposalAudience(p liaison.Proposal) (int64, error) {
	aud, err := decide.Readers(p, w.dir)
	if err != nil {
		return 0, err
	}
	return w.audienceID(aud)
}

// consultationJSON is how a consultation is kept in consultations.body.
type consultationJSON struct {
	liaison.Consultation
	DurationNS int64 `json:"duration_ns,omitempty"`
}

func encodeConsultation(c liaison.Consultation) (string, error) {
	b, err := json.Marshal(consultationJSON{Consultation: c, DurationNS: int64(c.Duration)})
	return string(b), err
}

func decodeConsultation(id int64, body string) (liaison.Consultation, error) {
	var cj consultationJSON
	if err := json.Unmarshal([]byte(body), &cj); err != nil {
		return liaison.Consultation{}, fmt.Errorf("decode consultation %d: %w", id, err)
	}
	c := cj.Consultation
	c.ID = id
	c.Duration = time.Duration(cj.DurationNS)
	return c, nil
}

// CreateConsultation adds a draft consultation convened by by.Org.
// EFORBIDDEN unless by is an officer of the convenor; EINVALID for a
// malformed consultation.
func (o *Office) CreateConsultation(ctx context.Context, by liaison.Principal, c *liaison.Consultation) error {
	nc := *c
	err := o.writeConsult(ctx, "CreateConsultation", func(w *Write) error {
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
		return w.tx.QueryRow(`INSERT INTO consultations (convenor, status, body, audience_id, created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			nc.Convenor, nc.Status, body, aid, Micros(nc.Created), Micros(nc.Updated)).Scan(&nc.ID)
	})
	if err == nil {
		*c = nc
	}
	return err
}

// visibleConsultation loads consultation id if org may see it; ENOTFOUND
// otherwise, the same whether it is missing or hidden.
func visibleConsultation(tx Tx, org string, id int64) (liaison.Consultation, error) {
	var body string
	err := tx.QueryRow(`SELECT c.body FROM consultations c WHERE c.id = ? AND `+readableBy("c"), id, org).Scan(&body)
	if errors.Is(err, ErrNoRows) {
		return liaison.Consultation{}, liaison.NotFound("consultation", fmt.Sprint(id))
	}
	if err != nil {
		return liaison.Consultation{}, fmt.Errorf("read consultation: %w", err)
	}
	return decodeConsultation(id, body)
}

// Consultation returns one consultation as reader sees it. ENOTFOUND if
// it does not exist or reader may not see it.
func (o *Office) Consultation(ctx context.Context, reader liaison.Principal, id int64) (liaison.Consultation, error) {
	var c liaison.Consultation
	err := o.readConsult(ctx, "Consultation", func(tx Tx) error {
		var err error
		c, err = visibleConsultation(tx, reader.Org, id)
		return err
	})
	return c, err
}

// Consultations returns the consultations reader may see, newest first,
// narrowed by f.
func (o *Office) Consultations(ctx context.Context, reader liaison.Principal, f liaison.ConsultationFilter) ([]liaison.Consultation, error) {
	out := []liaison.Consultation{}
	err := o.readConsult(ctx, "Consultations", func(tx Tx) error {
		out = out[:0]
		q := `SELECT c.id, c.body FROM consultations c WHERE ` + readableBy("c")
		args := []any{reader.Org}
		if f.Status != "" {
			q += ` AND c.status = ?`
			args = append(args, f.Status)
		}
		return eachRow(tx, func(rows Rows) error {
			var id int64
			var body string
			if err := rows.Scan(&id, &body); err != nil {
				return err
			}
			c, err := decodeConsultation(id, body)
			if err != nil {
				return err
			}
			if f.Topic == "" || slices.Contains(c.Topics, f.Topic) {
				out = append(out, c)
			}
			return nil
		}, q+` ORDER BY c.id DESC`, args...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeConsultation loads consultation id as by sees it, applies change,
// and stores the result with its recomputed audience.
func (o *Office) changeConsultation(ctx context.Context, name string, by liaison.Principal, id int64, change func(w *Write, c *liaison.Consultation) error) (liaison.Consultation, error) {
	var c liaison.Consultation
	err := o.writeConsult(ctx, name, func(w *Write) error {
		var err error
		if c, err = visibleConsultation(w.tx, by.Org, id); err != nil {
			return err
		}
		if err := change(w, &c); err != nil {
			return err
		}
		return w.saveConsultation(c)
	})
	return c, err
}

func (w *Write) saveConsultation(c liaison.Consultation) error {
	aid, err := w.consultationAudience(c)
	if err != nil {
		return err
	}
	body, err := encodeConsultation(c)
	if err != nil {
		return err
	}
	if _, err := w.tx.Exec(`UPDATE consultations SET status = ?, body = ?, audience_id = ?, updated_us = ? WHERE id = ?`,
		c.Status, body, aid, Micros(c.Updated), c.ID); err != nil {
		return fmt.Errorf("update consultation %d: %w", c.ID, err)
	}
	return nil
}

// SetConsultationStatus opens or cancels a consultation. ENOTFOUND if by
// cannot see it; EFORBIDDEN unless by is an officer of the convenor;
// ECONFLICT if its status does not allow the move.
func (o *Office) SetConsultationStatus(ctx context.Context, by liaison.Principal, id int64, to liaison.ConsultationStatus, reason string) (liaison.Consultation, error) {
	return o.changeConsultation(ctx, "SetConsultationStatus", by, id, func(w *Write, c *liaison.Consultation) error {
		return consult.Transition(c, by, to, reason, w.now)
	})
}

// RecordOutcome records or replaces the outcome of an open or concluded
// consultation.
func (o *Office) RecordOutcome(ctx context.Context, by liaison.Principal, id int64, out liaison.Outcome) (liaison.Consultation, error) {
	return o.changeConsultation(ctx, "RecordOutcome", by, id, func(w *Write, c *liaison.Consultation) error {
		return consult.RecordOutcome(c, by, w.dir, out, false, w.now)
	})
}

// ConcludeConsultation records the outcome and concludes an open
// consultation.
func (o *Office) ConcludeConsultation(ctx context.Context, by liaison.Principal, id int64, out liaison.Outcome) (liaison.Consultation, error) {
	return o.changeConsultation(ctx, "ConcludeConsultation", by, id, func(w *Write, c *liaison.Consultation) error {
		return consult.RecordOutcome(c, by, w.dir, out, true, w.now)
	})
}

// SetActionStatus changes the status of agreed action i.
func (o *Office) SetActionStatus(ctx context.Context, by liaison.Principal, id int64, i int, st liaison.ActionStatus) (liaison.Consultation, error) {
	return o.changeConsultation(ctx, "SetActionStatus", by, id, func(w *Write, c *liaison.Consultation) error {
		return consult.SetActionStatus(c, by, i, st, w.now)
	})
}

// checkPublish returns why c's outcome cannot be published by by, or nil.
func checkPublish(c liaison.Consultation, by liaison.Principal) error {
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

// PublishOutcome publishes a concluded consultation's outcome into a
// collection as a STIX report or note, written as by, so TAXII clients
// receive it under its marking. The report references the objects that
// the consultation's contributions reference and that by may read. The
// report and the consultation's record of it commit in one transaction,
// so two publications at once give exactly one report. ECONFLICT unless
// concluded and not yet published; EFORBIDDEN unless by is an officer of
// the convenor; EINVALID when the store rejects the objects.
func (o *Office) PublishOutcome(ctx context.Context, by liaison.Principal, id int64, r liaison.PublishRequest) (liaison.Consultation, error) {
	c, err := o.Consultation(ctx, by, id)
	if err != nil {
		return c, err
	}
	if err := checkPublish(c, by); err != nil {
		return c, err
	}
	if r.Collection == "" {
		return c, liaison.Errorf(liaison.EINVALID, "publishing needs a collection")
	}
	ks, err := o.Contributions(ctx, by, id)
	if err != nil {
		return c, err
	}
	var live []liaison.Contribution
	for _, k := range ks {
		if !k.Withdrawn {
			live = append(live, k)
		}
	}
	refs := consult.AllRefs(live)
	return o.changeConsultation(ctx, "PublishOutcome", by, id, func(w *Write, c *liaison.Consultation) error {
		if err := checkPublish(*c, by); err != nil {
			return err
		}
		cands, err := consult.Outcome(*c, r.Kind, refs, w.now, nil)
		if err != nil {
			return err
		}
		res, err := w.AddObjects(by, r.Collection, cands)
		if err != nil {
			return err
		}
		if len(res.Rejected) > 0 {
			return liaison.Errorf(liaison.EINVALID, "the store refused the published outcome: %s", res.Rejected[0].Message)
		}
		c.Published = &liaison.Publication{Collection: r.Collection, ObjectID: cands[1].ID, MarkingID: cands[0].ID, At: w.now}
		c.Updated = w.now
		return nil
	})
}

// Contribute adds a contribution to an open consultation.
func (o *Office) Contribute(ctx context.Context, by liaison.Principal, k *liaison.Contribution) error {
	nk := *k
	err := o.writeConsult(ctx, "Contribute", func(w *Write) error {
		c, err := visibleConsultation(w.tx, by.Org, nk.Consultation)
		if err != nil {
			return err
		}
		if err := consult.Contribute(c, &nk, by, w.dir, w.now); err != nil {
			return err
		}
		return w.tx.QueryRow(`INSERT INTO contributions (consultation_id, agenda_item, author_id, author, org, text, refs, created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.ID, nk.AgendaItem, nk.AuthorID, nk.Author, nk.Org, nk.Text, Strings(nonNil(nk.Refs)), Micros(nk.Created), Micros(nk.Updated)).Scan(&nk.ID)
	})
	if err == nil {
		*k = nk
	}
	return err
}

const contributionCols = `k.id, k.consultation_id, k.agenda_item, k.author_id, k.author, k.org, k.text, k.refs, k.withdrawn, k.created_us, k.updated_us`

func scanContribution(row Row) (liaison.Contribution, error) {
	var k liaison.Contribution
	var refs Strings
	var created, updated int64
	if err := row.Scan(&k.ID, &k.Consultation, &k.AgendaItem, &k.AuthorID, &k.Author, &k.Org, &k.Text, &refs, &k.Withdrawn, &created, &updated); err != nil {
		return k, err
	}
	k.Refs = nonNil(refs)
	k.Created, k.Updated = FromMicros(created), FromMicros(updated)
	k.History = []liaison.ContributionRevision{}
	return k, nil
}

// loadHistory fills in the history of ks.
func loadHistory(tx Tx, ks []liaison.Contribution) error {
	at := map[int64]int{}
	ids := make([]int64, 0, len(ks))
	for i, k := range ks {
		at[k.ID] = i
		ids = append(ids, k.ID)
	}
	return forChunks(ids, func(part []int64) error {
		return eachRow(tx, func(rows Rows) error {
			var id, us int64
			var h liaison.ContributionRevision
			var refs Strings
			if err := rows.Scan(&id, &h.Text, &refs, &us, &h.Change, &h.Reason); err != nil {
				return err
			}
			h.Refs = nonNil(refs)
			h.At = FromMicros(us)
			ks[at[id]].History = append(ks[at[id]].History, h)
			return nil
		}, `SELECT contribution_id, text, refs, at_us, change, reason FROM contribution_history WHERE contribution_id IN (SELECT value FROM json_each(?)) ORDER BY contribution_id, seq`, Int64s(part))
	})
}

// changeContribution loads contribution id as by sees it (its
// consultation must be visible to by), applies change and stores the new
// state and the history entry change appended.
func (o *Office) changeContribution(ctx context.Context, name string, by liaison.Principal, id int64, change func(c liaison.Consultation, k *liaison.Contribution, now time.Time) error) (liaison.Contribution, error) {
	var k liaison.Contribution
	err := o.writeConsult(ctx, name, func(w *Write) error {
		var err error
		k, err = scanContribution(w.tx.QueryRow(`SELECT `+contributionCols+` FROM contributions k JOIN consultations c ON c.id = k.consultation_id WHERE k.id = ? AND `+readableBy("c"), id, by.Org))
		if errors.Is(err, ErrNoRows) {
			return liaison.NotFound("contribution", fmt.Sprint(id))
		}
		if err != nil {
			return fmt.Errorf("read contribution: %w", err)
		}
		ks := []liaison.Contribution{k}
		if err := loadHistory(w.tx, ks); err != nil {
			return err
		}
		k = ks[0]
		c, err := visibleConsultation(w.tx, by.Org, k.Consultation)
		if err != nil {
			return err
		}
		n := len(k.History)
		if err := change(c, &k, w.now); err != nil {
			return err
		}
		for i, h := range k.History[n:] {
			if _, err := w.tx.Exec(`INSERT INTO contribution_history (contribution_id, seq, text, refs, at_us, change, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				k.ID, n+i+1, h.Text, Strings(nonNil(h.Refs)), Micros(h.At), h.Change, h.Reason); err != nil {
				return fmt.Errorf("append contribution history: %w", err)
			}
		}
		if _, err := w.tx.Exec(`UPDATE contributions SET text = ?, refs = ?, withdrawn = ?, updated_us = ? WHERE id = ?`, k.Text, Strings(nonNil(k.Refs)), k.Withdrawn, Micros(k.Updated), k.ID); err != nil {
			return fmt.Errorf("update contribution: %w", err)
		}
		return nil
	})
	if err != nil {
		return liaison.Contribution{}, err
	}
	ks := []liaison.Contribution{k}
	if err := o.filterRefs(ctx, by, ks); err != nil {
		return liaison.Contribution{}, err
	}
	return ks[0], nil
}

// filterRefs removes from ks every ref that by may not read.
func (o *Office) filterRefs(ctx context.Context, by liaison.Principal, ks []liaison.Contribution) error {
	readable, err := consult.ReadableRefs(ctx, o.objects, by, consult.AllRefs(ks))
	if err != nil {
		return o.Internal(o.op("filterRefs"), err)
	}
	consult.FilterRefs(ks, readable)
	return nil
}

// EditContribution replaces a contribution's text and refs, keeping
// history. ENOTFOUND if by cannot see it; EFORBIDDEN unless by wrote it;
// ECONFLICT if withdrawn or its consultation is no longer open.
func (o *Office) EditContribution(ctx context.Context, by liaison.Principal, id int64, text string, refs []string) (liaison.Contribution, error) {
	return o.changeContribution(ctx, "EditContribution", by, id, func(c liaison.Consultation, k *liaison.Contribution, now time.Time) error {
		return consult.Edit(c, k, by, text, refs, now)
	})
}

// WithdrawContribution withdraws a contribution, keeping its history.
func (o *Office) WithdrawContribution(ctx context.Context, by liaison.Principal, id int64, reason string) (liaison.Contribution, error) {
	return o.changeContribution(ctx, "WithdrawContribution", by, id, func(c liaison.Consultation, k *liaison.Contribution, now time.Time) error {
		return consult.Withdraw(c, k, by, reason, now)
	})
}

// Contributions returns a consultation's contributions, oldest first,
// with every ref to an object reader may not read removed. ENOTFOUND if
// reader cannot see the consultation.
func (o *Office) Contributions(ctx context.Context, reader liaison.Principal, consultation int64) ([]liaison.Contribution, error) {
	ks := []liaison.Contribution{}
	err := o.readConsult(ctx, "Contributions", func(tx Tx) error {
		ks = ks[:0]
		if _, err := visibleConsultation(tx, reader.Org, consultation); err != nil {
			return err
		}
		err := eachRow(tx, func(rows Rows) error {
			k, err := scanContribution(rows)
			ks = append(ks, k)
			return err
		}, `SELECT `+contributionCols+` FROM contributions k JOIN consultations c ON c.id = k.consultation_id
			WHERE k.consultation_id = ? AND `+readableBy("c")+` ORDER BY k.id`, consultation, reader.Org)
		if err != nil {
			return fmt.Errorf("read contributions: %w", err)
		}
		return loadHistory(tx, ks)
	})
	if err != nil {
		return nil, err
	}
	if err := o.filterRefs(ctx, reader, ks); err != nil {
		return nil, err
	}
	return ks, nil
}
