// Package decide holds the rules by which the North Atlantic Council takes
// a decision: the silence procedure and consensus by concurrence. The
// rules are pure: a proposal's state is a fold of its record, settled at
// an instant that the caller supplies, so the clock is always injected.
//
// Settle derives the state; Decide checks one action and returns the
// record entry to append; Readers says who may see a proposal. Stores
// persist the record and call these inside their write transactions.
package decide

import (
	"slices"
	"strings"
	"time"

	"liaison"
)

// stamp formats an instant for messages.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Settle folds p.Record into p's state as it stands at now: the current
// title and text, the rounds, the status and the deadline. A circulating
// round whose deadline is not after now is settled at its deadline: a
// silence procedure is adopted, a concurrence procedure with a missing
// concurrence lapses. The record itself is left unchanged.
func Settle(p liaison.Proposal, now time.Time) liaison.Proposal {
	p.Rounds = nil
	p.Status = liaison.ProposalDraft
	p.Deadline = time.Time{}
	p.Allies = nil
	p.AsOf = now
	var cur *liaison.Round
	settleDeadline := func(t time.Time) {
		if cur == nil || cur.Result != liaison.ProposalCirculating || t.Before(cur.Deadline) {
			return
		}
		cur.Settled = cur.Deadline
		if p.Procedure == liaison.SilenceProcedure {
			cur.Result = liaison.ProposalAdopted
		} else {
			cur.Result = liaison.ProposalLapsed
		}
		p.Status = cur.Result
	}
	for _, a := range p.Record {
		settleDeadline(a.At)
		switch a.Kind {
		case liaison.ActCreate:
			p.Title, p.Text = a.Title, a.Text
			p.Status = liaison.ProposalDraft
		case liaison.ActRevise:
			if a.Title != "" {
				p.Title = a.Title
			}
			if a.Text != "" {
				p.Text = a.Text
			}
			p.Status = liaison.ProposalDraft
		case liaison.ActCirculate:
			p.Rounds = append(p.Rounds, liaison.Round{
				Number:     len(p.Rounds) + 1,
				Title:      p.Title,
				Text:       p.Text,
				Circulated: a.At,
				Deadline:   a.Deadline,
				Allies:     slices.Clone(a.Allies),
				Result:     liaison.ProposalCirculating,
			})
			cur = &p.Rounds[len(p.Rounds)-1]
			p.Status = liaison.ProposalCirculating
		case liaison.ActBreakSilence, liaison.ActObject:
			if cur != nil && cur.Result == liaison.ProposalCirculating {
				cur.Result = liaison.ProposalBlocked
				cur.Settled = a.At
				cur.Blocker = a.Org
				cur.BlockReason = a.Reason
				p.Status = liaison.ProposalBlocked
			}
		case liaison.ActConcur:
			if cur != nil && cur.Result == liaison.ProposalCirculating && !slices.Contains(cur.Concurred, a.Org) {
				cur.Concurred = append(cur.Concurred, a.Org)
				if len(missing(cur)) == 0 {
					cur.Result = liaison.ProposalAdopted
					cur.Settled = a.At
					p.Status = liaison.ProposalAdopted
				}
			}
		case liaison.ActWithdraw:
			if cur != nil && cur.Result == liaison.ProposalCirculating {
				cur.Result = liaison.ProposalWithdrawn
				cur.Settled = a.At
			}
			p.Status = liaison.ProposalWithdrawn
		}
	}
	settleDeadline(now)
	for i := range p.Rounds {
		r := &p.Rounds[i]
		if p.Procedure == liaison.ConcurrenceProcedure {
			r.NotConcurred = missing(r)
		}
	}
	if cur != nil {
		p.Deadline = cur.Deadline
		p.Allies = slices.Clone(cur.Allies)
	}
	return p
}

// missing returns the allies of r that have not concurred.
func missing(r *liaison.Round) []string {
	var out []string
	for _, a := range r.Allies {
		if !slices.Contains(r.Concurred, a) {
			out = append(out, a)
		}
	}
	return out
}

// Circulated reports whether p was ever circulated.
func Circulated(p liaison.Proposal) bool {
	for _, a := range p.Record {
		if a.Kind == liaison.ActCirculate {
			return true
		}
	}
	return false
}

// Readers returns the organisations that may see p under d: the
// proposer's organisation alone until p is first circulated, then the
// audience of its marking with the proposer as originator. EINVALID if
// the marking is malformed.
func Readers(p liaison.Proposal, d *liaison.Directory) (liaison.Audience, error) {
	if !Circulated(p) {
		return liaison.NewAudience(p.Proposer), nil
	}
	m, err := p.Marking.Marking()
	if err != nil {
		return nil, err
	}
	return d.AudienceOf(p.Proposer, []liaison.Marking{m}), nil
}

// ValidateNew checks a proposal that by wants to table, and fills in its
// proposer and first record entry at now. EFORBIDDEN unless by is an
// officer of an ally or a NATO body; EINVALID for a missing title or text,
// an unknown procedure or a bad marking.
func ValidateNew(p *liaison.Proposal, by liaison.Principal, d *liaison.Directory, now time.Time) error {
	org, ok := d.Organisation(by.Org)
	if !ok {
		return liaison.Errorf(liaison.EFORBIDDEN, "organisation %s is not on the hub", by.Org)
	}
	if org.Kind == liaison.Partner {
		return liaison.Errorf(liaison.EFORBIDDEN, "%s is a partner: only an ally or a NATO body tables a draft decision", by.Org)
	}
	if !by.HasRole(liaison.RoleOfficer) {
		return liaison.Errorf(liaison.EFORBIDDEN, "tabling a draft decision needs the officer role; %s does not hold it", by.Name)
	}
	p.Title = strings.TrimSpace(p.Title)
	p.Text = strings.TrimSpace(p.Text)
	if p.Title == "" {
		return liaison.Errorf(liaison.EINVALID, "proposal needs a title")
	}
	if p.Text == "" {
		return liaison.Errorf(liaison.EINVALID, "proposal %q needs a text", p.Title)
	}
	if p.Procedure == "" {
		p.Procedure = liaison.SilenceProcedure
	}
	if !p.Procedure.Valid() {
		return liaison.Errorf(liaison.EINVALID, "procedure %q is unknown: want silence or concurrence", p.Procedure)
	}
	if err := ValidateMarking(p.Marking, d); err != nil {
		return err
	}
	p.Proposer = by.Org
	p.Created = now
	p.Record = []liaison.DecisionAction{{
		Seq: 1, Kind: liaison.ActCreate, User: by.Name, UserID: by.ID, Org: by.Org, At: now,
		Title: p.Title, Text: p.Text,
	}}
	*p = Settle(*p, now)
	return nil
}

// ValidateMarking checks that a marking spec parses and that every name on
// its releasability list is an organisation or community on the hub.
// EINVALID naming the fault otherwise.
func ValidateMarking(m liaison.MarkingSpec, d *liaison.Directory) error {
	if _, err := m.Marking(); err != nil {
		return err
	}
	for i, n := range m.ReleasableTo {
		if _, ok := d.Organisation(n); !ok && !d.HasCommunity(n) {
			return liaison.Errorf(liaison.EINVALID, "marking releasable_to[%d]: %q is neither an organisation nor a community on the hub", i, n)
		}
	}
	return nil
}
