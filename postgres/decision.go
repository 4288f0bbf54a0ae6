package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/decide"
)

// CreateProposal tables a draft proposal for by.Org. EFORBIDDEN unless by
// is an officer of an ally or a NATO body; EINVALID for a malformed one.
func (s *Store) CreateProposal(ctx context.Context, by liaison.Principal, p *liaison.Proposal) error {
	if p == nil {
		return liaison.Errorf(liaison.EINVALID, "proposal is missing")
	}
	np := *p
	err := s.inConsultWrite(ctx, "postgres.CreateProposal", func(w *wtx) error {
		if err := decide.ValidateNew(&np, by, w.dir, w.now); err != nil {
			return err
		}
		aid, err := w.proposalAudience(np)
		if err != nil {
			return err
		}
		mk, err := json.Marshal(np.Marking)
		if err != nil {
			return err
		}
		if err := w.tx.QueryRow(w.ctx, `INSERT INTO proposals (proposer, procedure, marking, audience_id, created_us) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			np.Proposer, np.Procedure, string(mk), aid, micros(np.Created)).Scan(&np.ID); err != nil {
			return fmt.Errorf("insert proposal: %w", err)
		}
		return w.appendAction(np.ID, np.Record[0])
	})
	if err != nil {
		return err
	}
	*p = np
	return nil
}

func (w *wtx) appendAction(id int64, a liaison.DecisionAction) error {
	_, err := w.tx.Exec(w.ctx, `INSERT INTO decision_actions (proposal_id, seq, kind, round, user_id, user_name, org, at_us, reason, deadline_us, allies, title, text)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		id, a.Seq, a.Kind, a.Round, a.UserID, a.User, a.Org, micros(a.At), a.Reason, micros(a.Deadline), nonNil(a.Allies), a.Title, a.Text)
	if err != nil {
		return fmt.Errorf("append to the record of proposal %d: %w", id, err)
	}
	return nil
}

// proposalRow is a proposal, unsettled, with its stored audience.
type proposalRow struct {
	liaison.Proposal
	audience int64
}

// readProposals loads proposals with their records, unsettled, newest
// first: those org may see, or every one when org is empty; only proposal
// id when id is non-zero.
func readProposals(ctx context.Context, q querier, org string, id ...int64) ([]proposalRow, error) {
	var a args
	query := `SELECT p.id, p.proposer, p.procedure, p.marking, p.created_us, p.audience_id FROM proposals p WHERE true`
	if org != "" {
		query += ` AND ` + readableBy("p", a.add(org))
	}
	if len(id) > 0 {
		query += ` AND p.id = ` + a.add(id[0])
	}
	rows, err := q.Query(ctx, query+` ORDER BY p.id DESC`, a...)
	if err != nil {
		return nil, fmt.Errorf("read proposals: %w", err)
	}
	var out []proposalRow
	var ids []int64
	for rows.Next() {
		var p proposalRow
		var mk string
		var created int64
		if err := rows.Scan(&p.ID, &p.Proposer, &p.Procedure, &mk, &created, &p.audience); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(mk), &p.Marking); err != nil {
			rows.Close()
			return nil, fmt.Errorf("decode proposal %d marking: %w", p.ID, err)
		}
		p.Created = fromMicros(created)
		out = append(out, p)
		ids = append(ids, p.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read proposals: %w", err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	recs, err := readRecords(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Record = recs[out[i].ID]
	}
	return out, nil
}

// readRecords loads the records of the given proposals.
func readRecords(ctx context.Context, q querier, ids []int64) (map[int64][]liaison.DecisionAction, error) {
	out := map[int64][]liaison.DecisionAction{}
	rows, err := q.Query(ctx, `SELECT proposal_id, seq, kind, round, user_id, user_name, org, at_us, reason, deadline_us, allies, title, text
		FROM decision_actions WHERE proposal_id = ANY($1) ORDER BY proposal_id, seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("read decision records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at, deadline int64
		var a liaison.DecisionAction
		if err := rows.Scan(&id, &a.Seq, &a.Kind, &a.Round, &a.UserID, &a.User, &a.Org, &at, &a.Reason, &deadline, &a.Allies, &a.Title, &a.Text); err != nil {
			return nil, err
		}
		a.At, a.Deadline = fromMicros(at), fromMicros(deadline)
		if len(a.Allies) == 0 {
			a.Allies = nil
		}
		out[id] = append(out[id], a)
	}
	return out, rows.Err()
}

// readProposal loads proposal id, unsettled, if org may see it.
// ENOTFOUND otherwise, the same whether it is missing or hidden.
func readProposal(ctx context.Context, q querier, org string, id int64) (liaison.Proposal, error) {
	ps, err := readProposals(ctx, q, org, id)
	if err != nil {
		return liaison.Proposal{}, err
	}
	if len(ps) == 0 {
		return liaison.Proposal{}, liaison.NotFound("proposal", fmt.Sprint(id))
	}
	return ps[0].Proposal, nil
}

// Proposal returns one proposal settled at the store's clock. ENOTFOUND
// if it does not exist or reader may not see it.
func (s *Store) Proposal(ctx context.Context, reader liaison.Principal, id int64) (liaison.Proposal, error) {
	if err := s.freshenConsult(ctx); err != nil {
		return liaison.Proposal{}, err
	}
	if reader.Org == "" {
		return liaison.Proposal{}, liaison.NotFound("proposal", fmt.Sprint(id))
	}
	var p liaison.Proposal
	err := s.inRead(ctx, "postgres.Proposal", func(tx pgx.Tx) error {
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
	if reader.Org == "" {
		return out, nil
	}
	err := s.inRead(ctx, "postgres.Proposals", func(tx pgx.Tx) error {
		ps, err := readProposals(ctx, tx, reader.Org)
		if err != nil {
			return err
		}
		now := s.clock()
		for _, p := range ps {
			out = append(out, decide.Settle(p.Proposal, now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Act performs one action on a proposal as by, at the store's clock,
// inside one write transaction under the store's write lock: the deadline
// check and the append see the same instant, and two actions on a
// proposal never interleave. Errors as liaison.DecisionService.Act.
func (s *Store) Act(ctx context.Context, by liaison.Principal, id int64, a liaison.ProposalAct) (liaison.Proposal, error) {
	if by.Org == "" {
		return liaison.Proposal{}, liaison.NotFound("proposal", fmt.Sprint(id))
	}
	var p liaison.Proposal
	err := s.inConsultWrite(ctx, "postgres.Act", func(w *wtx) error {
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
			if _, err := w.tx.Exec(w.ctx, `UPDATE proposals SET audience_id = $1 WHERE id = $2`, aid, id); err != nil {
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
