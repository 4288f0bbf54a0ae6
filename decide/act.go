package decide

import (
	"slices"
	"strings"
	"time"

	"liaison"
)

// Decide checks whether by may take action act on proposal p at now, and
// returns the record entry to append. p carries its record; it is settled
// at now first, so an action at or after a deadline meets the settled
// result and is refused: there is no race at the deadline. The caller has
// already established that by may see p (else ENOTFOUND).
//
// Errors: EFORBIDDEN when by may not take the action at all (a partner or
// NATO body breaking silence, concurring or objecting; an ally that was
// not an ally when the round was circulated; someone other than an officer
// of the proposer circulating, revising or withdrawing; a missing officer
// role); ECONFLICT when the state forbids it (not circulating, after the
// deadline, blocked already, a second concurrence, a final proposal);
// EINVALID for a missing reason, a deadline not in the future or an
// unknown kind.
func Decide(p liaison.Proposal, by liaison.Principal, d *liaison.Directory, act liaison.ProposalAct, now time.Time) (liaison.DecisionAction, error) {
	s := Settle(p, now)
	entry := liaison.DecisionAction{
		Seq:    len(p.Record) + 1,
		Kind:   act.Kind,
		Round:  len(s.Rounds),
		User:   by.Name,
		UserID: by.ID,
		Org:    by.Org,
		At:     now,
		Reason: strings.TrimSpace(act.Reason),
	}
	if last := len(p.Record); last > 0 && now.Before(p.Record[last-1].At) {
		return entry, liaison.Errorf(liaison.ECONFLICT, "proposal %d: the clock (%s) is behind the last record entry (%s)", p.ID, stamp(now), stamp(p.Record[last-1].At))
	}
	switch act.Kind {
	case liaison.ActCirculate:
		if err := proposerOfficer(s, by, "circulate"); err != nil {
			return entry, err
		}
		if err := notFinal(s); err != nil {
			return entry, err
		}
		switch s.Status {
		case liaison.ProposalCirculating:
			return entry, liaison.Errorf(liaison.ECONFLICT, "proposal %d is circulating until %s already", s.ID, stamp(s.Deadline))
		case liaison.ProposalBlocked, liaison.ProposalLapsed:
			return entry, liaison.Errorf(liaison.ECONFLICT, "proposal %d was %s in round %d: revise it before circulating it again", s.ID, s.Status, len(s.Rounds))
		}
		if act.Deadline.IsZero() {
			return entry, liaison.Errorf(liaison.EINVALID, "circulating proposal %d needs a deadline", s.ID)
		}
		if !act.Deadline.After(now) {
			return entry, liaison.Errorf(liaison.EINVALID, "deadline %s is not in the future (now %s)", stamp(act.Deadline), stamp(now))
		}
		allies := Allies(d)
		if len(allies) == 0 {
			return entry, liaison.Errorf(liaison.ECONFLICT, "proposal %d cannot circulate: there are no allies on the hub to decide it", s.ID)
		}
		m, err := s.Marking.Marking()
		if err != nil {
			return entry, err
		}
		aud := d.AudienceOf(s.Proposer, []liaison.Marking{m})
		for _, a := range allies {
			if !aud.Contains(a) {
				return entry, liaison.Errorf(liaison.EINVALID, "proposal %d is marked %s, which does not release it to %s: every ally must be able to read a draft decision", s.ID, s.Marking.Name(), a)
			}
		}
		entry.Round = len(s.Rounds) + 1
		entry.Deadline = act.Deadline.UTC()
		entry.Allies = allies
		return entry, nil

	case liaison.ActBreakSilence, liaison.ActConcur, liaison.ActObject:
		if err := deciding(s, by, d, act.Kind); err != nil {
			return entry, err
		}
		if act.Kind == liaison.ActBreakSilence && s.Procedure != liaison.SilenceProcedure {
			return entry, liaison.Errorf(liaison.EINVALID, "proposal %d follows the concurrence procedure: concur or object instead of breaking silence", s.ID)
		}
		if act.Kind != liaison.ActBreakSilence && s.Procedure != liaison.ConcurrenceProcedure {
			return entry, liaison.Errorf(liaison.EINVALID, "proposal %d follows the silence procedure: break silence to object; silence itself is concurrence", s.ID)
		}
		if err := open(s, now); err != nil {
			return entry, err
		}
		r := s.Rounds[len(s.Rounds)-1]
		if !slices.Contains(r.Allies, by.Org) {
			return entry, liaison.Errorf(liaison.EFORBIDDEN, "%s was not among the allies when round %d of proposal %d was circulated; the set of allies is fixed then", by.Org, r.Number, s.ID)
		}
		if act.Kind == liaison.ActConcur || act.Kind == liaison.ActObject {
			if slices.Contains(r.Concurred, by.Org) {
				at := time.Time{}
				for _, e := range p.Record {
					if e.Kind == liaison.ActConcur && e.Org == by.Org && e.Round == r.Number {
						at = e.At
					}
				}
				return entry, liaison.Errorf(liaison.ECONFLICT, "%s concurred with round %d of proposal %d already, at %s", by.Org, r.Number, s.ID, stamp(at))
			}
		}
		if act.Kind != liaison.ActConcur && entry.Reason == "" {
			verb := "breaking silence"
			if act.Kind == liaison.ActObject {
				verb = "objecting"
			}
			return entry, liaison.Errorf(liaison.EINVALID, "%s on proposal %d needs a reason", verb, s.ID)
		}
		return entry, nil

	case liaison.ActRevise:
		if err := proposerOfficer(s, by, "revise"); err != nil {
			return entry, err
		}
		if err := notFinal(s); err != nil {
			return entry, err
		}
		if s.Status == liaison.ProposalCirculating {
			return entry, liaison.Errorf(liaison.ECONFLICT, "proposal %d is circulating until %s: it can be revised once blocked or lapsed, or withdrawn", s.ID, stamp(s.Deadline))
		}
		entry.Title = strings.TrimSpace(act.Title)
		entry.Text = strings.TrimSpace(act.Text)
		if entry.Title == "" && entry.Text == "" {
			return entry, liaison.Errorf(liaison.EINVALID, "revising proposal %d needs a new title or text", s.ID)
		}
		return entry, nil

	case liaison.ActWithdraw:
		if err := proposerOfficer(s, by, "withdraw"); err != nil {
			return entry, err
		}
		if err := notFinal(s); err != nil {
			return entry, err
		}
		return entry, nil

	case liaison.ActComment:
		if err := notFinal(s); err != nil {
			return entry, err
		}
		entry.Text = strings.TrimSpace(act.Text)
		if entry.Text == "" {
			entry.Text = entry.Reason
			entry.Reason = ""
		}
		if entry.Text == "" {
			return entry, liaison.Errorf(liaison.EINVALID, "a comment on proposal %d needs a text", s.ID)
		}
		return entry, nil
	case liaison.ActCreate:
		return entry, liaison.Errorf(liaison.EINVALID, "a proposal is created once; %q is not an action on an existing proposal", act.Kind)
	}
	return entry, liaison.Errorf(liaison.EINVALID, "action %q is unknown: want circulate, break-silence, concur, object, revise, withdraw or comment", act.Kind)
}

// Allies returns the codes of every ally in d, sorted: the set that
// decides a round circulated under d.
func Allies(d *liaison.Directory) []string {
	var out []string
	for _, o := range d.Organisations() {
		if o.Kind == liaison.Ally {
			out = append(out, o.Code)
		}
	}
	return out
}

func proposerOfficer(s liaison.Proposal, by liaison.Principal, verb string) error {
	if by.Org != s.Proposer {
		return liaison.Errorf(liaison.EFORBIDDEN, "only the proposer, %s, may %s proposal %d", s.Proposer, verb, s.ID)
	}
	if !by.HasRole(liaison.RoleOfficer) {
		return liaison.Errorf(liaison.EFORBIDDEN, "to %s proposal %d, %s needs the officer role", verb, s.ID, by.Name)
	}
	return nil
}

// deciding checks that by may take part in the decision at all.
func deciding(s liaison.Proposal, by liaison.Principal, d *liaison.Directory, kind liaison.DecisionActionKind) error {
	org, _ := d.Organisation(by.Org)
	switch org.Kind {
	case liaison.Ally:
	case liaison.Partner:
		return liaison.Errorf(liaison.EFORBIDDEN, "%s is a partner: partners are consulted but never decide, so %s may not %s on proposal %d", by.Org, by.Name, kind, s.ID)
	default:
		return liaison.Errorf(liaison.EFORBIDDEN, "only allies decide: %s is not an ally, so %s may not %s on proposal %d", by.Org, by.Name, kind, s.ID)
	}
	if !by.HasRole(liaison.RoleOfficer) {
		return liaison.Errorf(liaison.EFORBIDDEN, "to %s on proposal %d, %s needs the officer role", kind, s.ID, by.Name)
	}
	return nil
}

// notFinal refuses any change to an adopted or withdrawn proposal.
func notFinal(s liaison.Proposal) error {
	switch s.Status {
	case liaison.ProposalAdopted:
		r := s.Rounds[len(s.Rounds)-1]
		how := "at its deadline"
		if r.Settled.Before(r.Deadline) {
			how = "when the last ally concurred"
		}
		return liaison.Errorf(liaison.ECONFLICT, "proposal %d was adopted %s (%s); its record is closed", s.ID, how, stamp(r.Settled))
	case liaison.ProposalWithdrawn:
		return liaison.Errorf(liaison.ECONFLICT, "proposal %d was withdrawn; its record is closed", s.ID)
	}
	return nil
}

// open checks that a round is circulating at now, explaining otherwise.
func open(s liaison.Proposal, now time.Time) error {
	if len(s.Rounds) == 0 {
		return liaison.Errorf(liaison.ECONFLICT, "proposal %d has not been circulated yet", s.ID)
	}
	r := s.Rounds[len(s.Rounds)-1]
	if err := notFinal(s); err != nil {
		if !now.Before(r.Deadline) {
			return liaison.Errorf(liaison.ECONFLICT, "too late: the deadline of proposal %d passed at %s; it was %s", s.ID, stamp(r.Deadline), s.Status)
		}
		return err
	}
	switch s.Status {
	case liaison.ProposalCirculating:
		return nil
	case liaison.ProposalLapsed:
		return liaison.Errorf(liaison.ECONFLICT, "too late: the deadline of proposal %d passed at %s without every ally's concurrence; it lapsed", s.ID, stamp(r.Deadline))
	case liaison.ProposalBlocked:
		verb := "broke silence"
		if s.Procedure == liaison.ConcurrenceProcedure {
			verb = "objected"
		}
		return liaison.Errorf(liaison.ECONFLICT, "round %d of proposal %d is blocked already: %s %s at %s", r.Number, s.ID, r.Blocker, verb, stamp(r.Settled))
	case liaison.ProposalDraft:
		return liaison.Errorf(liaison.ECONFLICT, "proposal %d was revised after round %d and is not circulating", s.ID, r.Number)
	}
	return liaison.Errorf(liaison.ECONFLICT, "proposal %d is %s", s.ID, s.Status)
}
