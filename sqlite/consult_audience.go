package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"liaison"
	"liaison/consult"
	"liaison/decide"
)

// Consultations and proposals keep their readers as an audience in the
// same tables as objects, so every read filters with readableBy inside
// the query. consult_state records the directory version (and the instant
// an agreement next enters or leaves force) that they were computed
// against; any read or write that finds it stale recomputes them all
// first, in one writer transaction.

// consultStale reports whether consultation and proposal audiences need
// recomputing at the store's clock.
func (s *Store) consultStale(ctx context.Context, q querier) (bool, error) {
	st, err := readState(ctx, q)
	if err != nil {
		return false, err
	}
	var ver, until int64
	if err := q.QueryRowContext(ctx, `SELECT directory_version, valid_until_us FROM consult_state WHERE id = 1`).Scan(&ver, &until); err != nil {
		return false, fmt.Errorf("read consult state: %w", err)
	}
	return ver != st.dirVersion || (until != 0 && s.clock().UnixMicro() >= until), nil
}

// freshenConsult recomputes consultation and proposal audiences when the
// directory changed since they were computed, before a read.
func (s *Store) freshenConsult(ctx context.Context) error {
	const op = "sqlite.freshenConsult"
	stale, err := s.consultStale(ctx, s.reader)
	if err != nil {
		return s.internal(op, err)
	}
	if !stale {
		return nil
	}
	return s.inConsultWrite(ctx, op, func(*wtx) error { return nil })
}

// inConsultWrite runs fn in a writer transaction whose directory is at the
// store's clock and whose consultation and proposal audiences are fresh.
func (s *Store) inConsultWrite(ctx context.Context, op string, fn func(w *wtx) error) error {
	var w *wtx
	err := s.inWrite(ctx, op, func(tx *sql.Tx) error {
		var err error
		if w, err = s.beginWrite(ctx, tx); err != nil {
			return err
		}
		defer w.close()
		stale, err := s.consultStale(ctx, tx)
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
	if err != nil {
		return err
	}
	w.commit()
	return nil
}

// recomputeConsult recomputes the audience of every consultation and
// proposal against w.dir and records the directory it used.
func (w *wtx) recomputeConsult() error {
	ctx := w.ctx
	type row struct {
		id   int64
		body string
		aud  int64
	}
	load := func(q string) ([]row, error) {
		rows, err := w.tx.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.body, &r.aud); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
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
			if _, err := w.tx.ExecContext(ctx, `UPDATE consultations SET audience_id = ? WHERE id = ?`, aid, r.id); err != nil {
				return fmt.Errorf("recompute consultation %d: %w", r.id, err)
			}
		}
	}
	ps, err := load(`SELECT id, marking, audience_id FROM proposals`)
	if err != nil {
		return fmt.Errorf("recompute proposals: %w", err)
	}
	for _, r := range ps {
		p, err := w.loadProposal(r.id)
		if err != nil {
			return err
		}
		aid, err := w.proposalAudience(p)
		if err != nil {
			return err
		}
		if aid != r.aud {
			if _, err := w.tx.ExecContext(ctx, `UPDATE proposals SET audience_id = ? WHERE id = ?`, aid, r.id); err != nil {
				return fmt.Errorf("recompute proposal %d: %w", r.id, err)
			}
		}
	}
	st, err := readState(ctx, w.tx)
	if err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(ctx, `UPDATE consult_state SET directory_version = ?, valid_until_us = ? WHERE id = 1`, st.dirVersion, micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("record consult state: %w", err)
	}
	return nil
}

func (w *wtx) consultationAudience(c liaison.Consultation) (int64, error) {
	aud, err := consult.Readers(c, w.dir)
	if err != nil {
		return 0, err
	}
	return w.audienceID(aud)
}

func (w *wtx) proposalAudience(p liaison.Proposal) (int64, error) {
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
