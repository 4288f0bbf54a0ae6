package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/consult"
	"liaison/decide"
)

// Consultations and proposals keep their readers as an audience in the
// same tables as objects, so every read filters with readableBy inside
// the query. consult_state records the directory version (and the instant
// an agreement next enters or leaves force) that they were computed
// against; any read or write that finds it stale recomputes them all
// first, in one write transaction.

// consultStale reports whether consultation and proposal audiences need
// recomputing at the store's clock.
func (s *Store) consultStale(ctx context.Context, q querier) (bool, error) {
	var dirVer, ver, until int64
	if err := q.QueryRow(ctx, `SELECT s.directory_version, c.directory_version, c.valid_until_us FROM store_state s, consult_state c WHERE s.id = 1 AND c.id = 1`).Scan(&dirVer, &ver, &until); err != nil {
		return false, fmt.Errorf("read consult state: %w", err)
	}
	return ver != dirVer || (until != 0 && s.clock().UnixMicro() >= until), nil
}

// freshenConsult recomputes consultation and proposal audiences when the
// directory changed since they were computed, before a read.
func (s *Store) freshenConsult(ctx context.Context) error {
	const op = "postgres.freshenConsult"
	stale, err := s.consultStale(ctx, s.pool)
	if err != nil {
		return s.internal(op, err)
	}
	if !stale {
		return nil
	}
	return s.inConsultWrite(ctx, op, func(*wtx) error { return nil })
}

// inConsultWrite runs fn in a write transaction whose directory is at the
// store's clock and whose consultation and proposal audiences are fresh.
func (s *Store) inConsultWrite(ctx context.Context, op string, fn func(w *wtx) error) error {
	return s.inWrite(ctx, op, func(w *wtx) error {
		stale, err := s.consultStale(ctx, w.tx)
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
func (w *wtx) recomputeConsult() error {
	ctx := w.ctx
	rows, err := w.tx.Query(ctx, `SELECT id, body, audience_id FROM consultations`)
	if err != nil {
		return fmt.Errorf("recompute consultations: %w", err)
	}
	type row struct {
		id   int64
		body string
		aud  int64
	}
	var cs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.body, &r.aud); err != nil {
			rows.Close()
			return err
		}
		cs = append(cs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recompute consultations: %w", err)
	}
	var ids, auds []int64
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
			ids, auds = append(ids, r.id), append(auds, aid)
		}
	}
	if len(ids) > 0 {
		if _, err := w.tx.Exec(ctx, `UPDATE consultations c SET audience_id = u.aid FROM unnest($1::bigint[], $2::bigint[]) AS u(id, aid) WHERE c.id = u.id`, ids, auds); err != nil {
			return fmt.Errorf("recompute consultations: %w", err)
		}
	}
	ps, err := readProposals(ctx, w.tx, "")
	if err != nil {
		return fmt.Errorf("recompute proposals: %w", err)
	}
	ids, auds = nil, nil
	for _, p := range ps {
		aid, err := w.proposalAudience(p.Proposal)
		if err != nil {
			return err
		}
		if aid != p.audience {
			ids, auds = append(ids, p.ID), append(auds, aid)
		}
	}
	if len(ids) > 0 {
		if _, err := w.tx.Exec(ctx, `UPDATE proposals p SET audience_id = u.aid FROM unnest($1::bigint[], $2::bigint[]) AS u(id, aid) WHERE p.id = u.id`, ids, auds); err != nil {
			return fmt.Errorf("recompute proposals: %w", err)
		}
	}
	if _, err := w.tx.Exec(ctx, `UPDATE consult_state SET directory_version = (SELECT directory_version FROM store_state WHERE id = 1), valid_until_us = $1 WHERE id = 1`, micros(w.dir.NextChange())); err != nil {
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

// visibleConsultation loads consultation id if org may see it; ENOTFOUND
// otherwise, the same whether it is missing or hidden.
func visibleConsultation(ctx context.Context, q querier, org string, id int64) (liaison.Consultation, error) {
	var body string
	err := q.QueryRow(ctx, `SELECT c.body FROM consultations c WHERE c.id = $1 AND `+readableBy("c", "$2"), id, org).Scan(&body)
	if err == pgx.ErrNoRows {
		return liaison.Consultation{}, liaison.NotFound("consultation", fmt.Sprint(id))
	}
	if err != nil {
		return liaison.Consultation{}, fmt.Errorf("read consultation: %w", err)
	}
	return decodeConsultation(id, body)
}
