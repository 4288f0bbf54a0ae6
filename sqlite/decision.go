package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"liaison"
	"liaison/decide"
)

var _ liaison.DecisionService = (*Store)(nil)

// CreateProposal tables a draft proposal for by.Org. EFORBIDDEN unless by
// is an officer of an ally or a NATO body; EINVALID for a malformed one.
func (s *Store) CreateProposal(ctx context.Context, by liaison.Principal, p *liaison.Proposal) error {
	return s.inConsultWrite(ctx, "sqlite.CreateProposal", func(w *wtx) error {
		if err := decide.ValidateNew(p, by, w.dir, w.now); err != nil {
			return err
		}
		aid, err := w.proposalAudience(*p)
		if err != nil {
			return err
		}
		mk, err := json.Marshal(p.Marking)
		if err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.ctx, `INSERT INTO proposals (proposer, procedure, marking, audience_id, created_us) VALUES (?, ?, ?, ?, ?)`,
			p.Proposer, p.Procedure, string(mk), aid, micros(p.Created))
		if err != nil {
			return fmt.Errorf("insert proposal: %w", err)
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return w.appendAction(p.ID, p.Record[0])
	})
}

func (w *wtx) appendAction(id int64, a liaison.DecisionAction) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO decision_actions (proposal_id, seq, kind, round, user_id, user_name, org, at_us, reason, deadline_us, allies, title, text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.Seq, a.Kind, a.Round, a.UserID, a.User, a.Org, micros(a.At), a.Reason, micros(a.Deadline), strings.Join(a.Allies, ","), a.Title, a.Text)
	if err != nil {
		return fmt.Errorf("append to the record of proposal %d: %w", id, err)
	}
	return nil
}

// readProposal loads proposal id with its record, unsettled, if org may
// see it. ENOTFOUND otherwise, the same whether missing or hidden.
func readProposal(ctx context.Context, q querier, org string, id int64) (liaison.Proposal, error) {
	return loadProposal(ctx, q, id, `SELECT p.proposer, p.procedure, p.marking, p.created_us FROM proposals p WHERE p.id = ? AND `+readableBy("p"), id, org)
}

// loadProposal runs query (which selects one proposal's row) and loads
// the proposal with its record.
func loadProposal(ctx context.Context, q querier, id int64, query string, args ...any) (liaison.Proposal, error) {
	p := liaison.Proposal{ID: id}
	var mk string
	var created int64
	err := q.QueryRowContext(ctx, query, args...).Scan(&p.Proposer, &p.Procedure, &mk, &created)
	if err == sql.ErrNoRows {
		return p, liaison.NotFound("proposal", fmt.Sprint(id))
	}
	if err != nil {
		return p, fmt.Errorf("read proposal: %w", err)
	}
	if err := json.Unmarshal([]byte(mk), &p.Marking); err != nil {
		return p, fmt.Errorf("decode proposal %d marking: %w", id, err)
	}
	p.Created = fromMicros(created)
	recs, err := readRecords(ctx, q, []int64{id})
	if err != nil {
		return p, err
	}
	p.Record = recs[id]
	return p, nil
}

// readRecords loads the records of the given proposals.
func readRecords(ctx context.Context, q querier, ids []int64) (map[int64][]liaison.DecisionAction, error) {
	out := map[int64][]liaison.DecisionAction{}
	err := forChunks(anySlice(ids), func(part []any) error {
		rows, err := q.QueryContext(ctx, `SELECT proposal_id, seq, kind, round, user_id, user_name, org, at_us, reason, deadline_us, allies, title, text
			FROM decision_actions WHERE proposal_id IN (`+placeholders(len(part))+`) ORDER BY proposal_id, seq`, part...)
		if err != nil {
			return fmt.Errorf("read decision records: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, at, deadline int64
			var a liaison.DecisionAction
			var allies string
			if err := rows.Scan(&id, &a.Seq, &a.Kind, &a.Round, &a.UserID, &a.User, &a.Org, &at, &a.Reason, &deadline, &allies, &a.Title, &a.Text); err != nil {
				return err
			}
			a.At, a.Deadline = fromMicros(at), fromMicros(deadline)
			if allies != "" {
				a.Allies = strings.Split(allies, ",")
			}
			out[id] = append(out[id], a)
		}
		return rows.Err()
	})
	return out, err
}

// loadProposal loads a proposal whoever may see it, for recomputing its
// audience; it never serves a reader.
func (w *wtx) loadProposal(id int64) (liaison.Proposal, error) {
	return loadProposal(w.ctx, w.tx, id, `SELECT p.proposer, p.procedure, p.marking, p.created_us FROM proposals p WHERE p.id = ?`, id)
}

// Proposal returns one proposal settled at the store's clock. ENOTFOUND
// if it does not exist or reader may not see it.
func (s *Store) Proposal(ctx context.Context, reader liaison.Principal, id int64) (liaison.Proposal, error) {
	if err := s.freshenConsult(ctx); err != nil {
		return liaison.Proposal{}, err
	}
	var p liaison.Proposal
	err := s.inRead(ctx, "sqlite.Proposal", func(tx *sql.Tx) error {
		var err error
		p, err = readProposal(ctx, tx, reader.Org, id)
		return err
	})
	if err != nil {
		return liaison.Proposal{}, err
	}
	return decide.Settle(p, s.clock()), nil
}

// Proposals returns the proposals reader may see, newest first, settled
// at the store's clock.
func (s *Store) Proposals(ctx context.Context, reader liaison.Principal) ([]liaison.Proposal, error) {
	if err := s.freshenConsult(ctx); err != nil {
		return nil, err
	}
	out := []liaison.Proposal{}
	err := s.inRead(ctx, "sqlite.Proposals", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.proposer, p.procedure, p.marking, p.created_us FROM proposals p WHERE `+readableBy("p")+` ORDER BY p.id DESC`, reader.Org)
		if err != nil {
			return fmt.Errorf("list proposals: %w", err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var p liaison.Proposal
			var mk string
			var created int64
			if err := rows.Scan(&p.ID, &p.Proposer, &p.Procedure, &mk, &created); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(mk), &p.Marking); err != nil {
				return fmt.Errorf("decode proposal %d marking: %w", p.ID, err)
			}
			p.Created = fromMicros(created)
			out = append(out, p)
			ids = append(ids, p.ID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		recs, err := readRecords(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Record = recs[out[i].ID]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now := s.clock()
	for i := range out {
		out[i] = decide.Settle(out[i], now)
	}
	return out, nil
}

// Act performs one action on a proposal as by, at the store's clock,
// inside the single writer transaction: the deadline check and the append
// see the same instant, so there is no race at the deadline. Errors as
// liaison.DecisionService.Act.
func (s *Store) Act(ctx context.Context, by liaison.Principal, id int64, a liaison.ProposalAct) (liaison.Proposal, error) {
	var p liaison.Proposal
	err := s.inConsultWrite(ctx, "sqlite.Act", func(w *wtx) error {
		var err error
		if p, err = readProposal(w.ctx, w.tx, by.Org, id); err != nil {
			return err
		}
		entry, err := decide.Decide(p, by, w.dir, a, w.now)
		if err != nil {
			return err
		}
		if err := w.appendAction(id, entry); err != nil {
			return err
		}
		p.Record = append(p.Record, entry)
		if entry.Kind == liaison.ActCirculate {
			aid, err := w.proposalAudience(p)
			if err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(w.ctx, `UPDATE proposals SET audience_id = ? WHERE id = ?`, aid, id); err != nil {
				return fmt.Errorf("update proposal audience: %w", err)
			}
		}
		p = decide.Settle(p, w.now)
		return nil
	})
	if err != nil {
		return liaison.Proposal{}, err
	}
	return p, nil
}
