package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"liaison"
	"liaison/decide"
)

// CreateProposal tables a draft proposal for by.Org. EFORBIDDEN unless by
// is an officer of an ally or a NATO body; EINVALID for a malformed one.
func (o *Office) CreateProposal(ctx context.Context, by liaison.Principal, p *liaison.Proposal) error {
	np := *p
	err := o.writeConsult(ctx, "CreateProposal", func(w *Write) error {
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
		if err := w.tx.QueryRow(`INSERT INTO proposals (proposer, procedure, marking, audience_id, created_us) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			np.Proposer, np.Procedure, string(mk), aid, Micros(np.Created)).Scan(&np.ID); err != nil {
			return fmt.Errorf("insert proposal: %w", err)
		}
		return w.appendAction(np.ID, np.Record[0])
	})
	if err == nil {
		*p = np
	}
	return err
}

func (w *Write) appendAction(id int64, a liaison.DecisionAction) error {
	_, err := w.tx.Exec(`INSERT INTO decision_actions (proposal_id, seq, kind, round, user_id, user_name, org, at_us, reason, deadline_us, allies, title, text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.Seq, a.Kind, a.Round, a.UserID, a.User, a.Org, Micros(a.At), a.Reason, Micros(a.Deadline), Joined(nonNil(a.Allies)), a.Title, a.Text)
	if err != nil {
		return fmt.Errorf("append to the record of proposal %d: %w", id, err)
	}
	return nil
}

// proposalCols are the columns scanProposal reads.
const proposalCols = `p.id, p.proposer, p.procedure, p.marking, p.created_us`

func scanProposal(row Row) (liaison.Proposal, error) {
	var p liaison.Proposal
	var mk string
	var created int64
	if err := row.Scan(&p.ID, &p.Proposer, &p.Procedure, &mk, &created); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(mk), &p.Marking); err != nil {
		return p, fmt.Errorf("decode proposal %d marking: %w", p.ID, err)
	}
	p.Created = FromMicros(created)
	return p, nil
}

// readProposal loads proposal id with its record, unsettled, if org may
// see it. ENOTFOUND otherwise, the same whether missing or hidden.
func readProposal(tx Tx, org string, id int64) (liaison.Proposal, error) {
	return loadProposal(tx, id, `SELECT `+proposalCols+` FROM proposals p WHERE p.id = ? AND `+readableBy("p"), id, org)
}

// loadProposal runs query (which selects one proposal's row) and loads
// the proposal with its record.
func loadProposal(tx Tx, id int64, query string, args ...any) (liaison.Proposal, error) {
	p, err := scanProposal(tx.QueryRow(query, args...))
	if errors.Is(err, ErrNoRows) {
		return p, liaison.NotFound("proposal", fmt.Sprint(id))
	}
	if err != nil {
		return p, fmt.Errorf("read proposal: %w", err)
	}
	recs, err := readRecords(tx, []int64{id})
	if err != nil {
		return p, err
	}
	p.Record = recs[id]
	return p, nil
}

// readRecords loads the records of the given proposals.
func readRecords(tx Tx, ids []int64) (map[int64][]liaison.DecisionAction, error) {
	out := map[int64][]liaison.DecisionAction{}
	err := forChunks(ids, func(part []int64) error {
		return eachRow(tx, func(rows Rows) error {
			var id, at, deadline int64
			var a liaison.DecisionAction
			var allies Joined
			if err := rows.Scan(&id, &a.Seq, &a.Kind, &a.Round, &a.UserID, &a.User, &a.Org, &at, &a.Reason, &deadline, &allies, &a.Title, &a.Text); err != nil {
				return err
			}
			a.At, a.Deadline = FromMicros(at), FromMicros(deadline)
			if len(allies) > 0 {
				a.Allies = allies
			}
			out[id] = append(out[id], a)
			return nil
		}, `SELECT proposal_id, seq, kind, round, user_id, user_name, org, at_us, reason, deadline_us, allies, title, text
			FROM decision_actions WHERE proposal_id IN (SELECT value FROM json_each(?)) ORDER BY proposal_id, seq`, Int64s(part))
	})
	if err != nil {
		return nil, fmt.Errorf("read decision records: %w", err)
	}
	return out, nil
}

// Proposal returns one proposal settled at the store's clock. ENOTFOUND
// if it does not exist or reader may not see it.
func (o *Office) Proposal(ctx context.Context, reader liaison.Principal, id int64) (liaison.Proposal, error) {
	var p liaison.Proposal
	err := o.readConsult(ctx, "Proposal", func(tx Tx) error {
		var err error
		p, err = readProposal(tx, reader.Org, id)
		return err
	})
	if err != nil {
		return liaison.Proposal{}, err
	}
	return decide.Settle(p, o.Clock()), nil
}

// Proposals returns the proposals reader may see, newest first, settled
// at the store's clock.
func (o *Office) Proposals(ctx context.Context, reader liaison.Principal) ([]liaison.Proposal, error) {
	out := []liaison.Proposal{}
	err := o.readConsult(ctx, "Proposals", func(tx Tx) error {
		out = out[:0]
		var ids []int64
		err := eachRow(tx, func(rows Rows) error {
			p, err := scanProposal(rows)
			out = append(out, p)
			ids = append(ids, p.ID)
			return err
		}, `SELECT `+proposalCols+` FROM proposals p WHERE `+readableBy("p")+` ORDER BY p.id DESC`, reader.Org)
		if err != nil {
			return fmt.Errorf("list proposals: %w", err)
		}
		recs, err := readRecords(tx, ids)
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
	now := o.Clock()
	for i := range out {
		out[i] = decide.Settle(out[i], now)
	}
	return out, nil
}

// Act performs one action on a proposal as by, at the store's clock,
// inside one write transaction: the deadline check and the append see
// the same instant, so there is no race at the deadline. Errors as
// liaison.DecisionService.Act.
func (o *Office) Act(ctx context.Context, by liaison.Principal, id int64, a liaison.ProposalAct) (liaison.Proposal, error) {
	var p liaison.Proposal
	err := o.writeConsult(ctx, "Act", func(w *Write) error {
		var err error
		if p, err = readProposal(w.tx, by.Org, id); err != nil {
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
			if _, err := w.tx.Exec(`UPDATE proposals SET audience_id = ? WHERE id = ?`, aid, id); err != nil {
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
