package decide

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func dir() *liaison.Directory {
	return liaison.NewDirectory([]liaison.Organisation{
		{Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "DEU", Name: "Germany", Kind: liaison.Ally},
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner},
		{Code: "KOR", Name: "Korea", Kind: liaison.Partner},
	}, nil, nil, t0)
}

func officer(org string) liaison.Principal {
	return liaison.Principal{ID: int64(len(org)), Name: strings.ToLower(org) + "-officer", Org: org, Roles: []liaison.Role{liaison.RoleOfficer}}
}

func analyst(org string) liaison.Principal {
	return liaison.Principal{ID: 100, Name: strings.ToLower(org) + "-analyst", Org: org, Roles: []liaison.Role{liaison.RoleAnalyst}}
}

// step is one action in a scenario.
type step struct {
	by     liaison.Principal
	act    liaison.ProposalAct
	at     time.Duration // after t0
	code   string        // expected error code, "" for success
	msg    string        // substring of the error message
	status liaison.ProposalStatus
}

func newProposal(t *testing.T, proc liaison.Procedure, m liaison.MarkingSpec) liaison.Proposal {
	t.Helper()
	p := liaison.Proposal{ID: 7, Title: "Open a NATO liaison office in Tokyo", Text: "The Council agrees to open a liaison office in Tokyo.", Procedure: proc, Marking: m}
	if err := ValidateNew(&p, officer("NATO-IS"), dir(), t0); err != nil {
		t.Fatal(err)
	}
	return p
}

func circ(h time.Duration) liaison.ProposalAct {
	return liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: t0.Add(h)}
}

func act(k liaison.DecisionActionKind, reason string) liaison.ProposalAct {
	return liaison.ProposalAct{Kind: k, Reason: reason}
}

func run(t *testing.T, p liaison.Proposal, steps []step) liaison.Proposal {
	t.Helper()
	d := dir()
	for i, s := range steps {
		now := t0.Add(s.at)
		e, err := Decide(p, s.by, d, s.act, now)
		if got := liaison.ErrorCode(err); got != s.code {
			t.Fatalf("step %d (%s by %s): code %q (%v), want %q", i, s.act.Kind, s.by.Org, got, err, s.code)
		}
		if err != nil {
			if !strings.Contains(err.Error(), s.msg) {
				t.Fatalf("step %d: error %q does not mention %q", i, err, s.msg)
			}
		} else {
			if e.Seq != len(p.Record)+1 || e.At != now || e.Org != s.by.Org || e.User != s.by.Name {
				t.Fatalf("step %d: bad entry %+v", i, e)
			}
			p.Record = append(p.Record, e)
		}
		if s.status != "" {
			if got := Settle(p, now).Status; got != s.status {
				t.Fatalf("step %d: status %s, want %s", i, got, s.status)
			}
		}
	}
	return p
}

const h = time.Hour

func TestSilenceProcedure(t *testing.T) {
	fra, deu, usa, jpn, nis := officer("FRA"), officer("DEU"), officer("USA"), officer("JPN"), officer("NATO-IS")
	tests := []struct {
		name  string
		steps []step
		final liaison.ProposalStatus
	}{
		{"adopted at the deadline", []step{
			{by: nis, act: circ(48 * h), status: liaison.ProposalCirculating},
			{by: nis, act: act(liaison.ActComment, "reminder"), at: 47 * h, status: liaison.ProposalCirculating},
		}, liaison.ProposalAdopted},
		{"broken, revised, circulated, adopted", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "NATO's scope is the North Atlantic area (Articles 5 and 6)"), at: 10 * h, status: liaison.ProposalBlocked},
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActRevise, Text: "The Council agrees to open a liaison office in Tokyo, limited to consultations."}, at: 11 * h, status: liaison.ProposalDraft},
			{by: nis, act: circ(96 * h), at: 12 * h, status: liaison.ProposalCirculating},
		}, liaison.ProposalAdopted},
		{"withdrawn while circulating", []step{
			{by: nis, act: circ(48 * h)},
			{by: nis, act: act(liaison.ActWithdraw, "overtaken by events"), at: 1 * h, status: liaison.ProposalWithdrawn},
		}, liaison.ProposalWithdrawn},
		{"withdrawn as a draft", []step{
			{by: nis, act: act(liaison.ActWithdraw, "")},
		}, liaison.ProposalWithdrawn},
		{"withdrawn after a block", []step{
			{by: nis, act: circ(48 * h)},
			{by: deu, act: act(liaison.ActBreakSilence, "not now"), at: h},
			{by: nis, act: act(liaison.ActWithdraw, ""), at: 2 * h, status: liaison.ProposalWithdrawn},
		}, liaison.ProposalWithdrawn},
		// Refusals.
		{"partner may not break silence", []step{
			{by: nis, act: circ(48 * h)},
			{by: jpn, act: act(liaison.ActBreakSilence, "we disagree"), at: h, code: liaison.EFORBIDDEN, msg: "partner"},
		}, liaison.ProposalAdopted},
		{"NATO body may not break silence", []step{
			{by: nis, act: circ(48 * h)},
			{by: officer("NATO-IS"), act: act(liaison.ActBreakSilence, "x"), at: h, code: liaison.EFORBIDDEN, msg: "only allies decide"},
		}, liaison.ProposalAdopted},
		{"analyst of an ally may not break silence", []step{
			{by: nis, act: circ(48 * h)},
			{by: analyst("FRA"), act: act(liaison.ActBreakSilence, "x"), at: h, code: liaison.EFORBIDDEN, msg: "officer role"},
		}, liaison.ProposalAdopted},
		{"breaking silence needs a reason", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "  "), at: h, code: liaison.EINVALID, msg: "needs a reason"},
		}, liaison.ProposalAdopted},
		{"late break is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "too late"), at: 48 * h, code: liaison.ECONFLICT, msg: "too late"},
		}, liaison.ProposalAdopted},
		{"second break is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "no"), at: h},
			{by: fra, act: act(liaison.ActBreakSilence, "still no"), at: 2 * h, code: liaison.ECONFLICT, msg: "blocked already"},
			{by: deu, act: act(liaison.ActBreakSilence, "no too"), at: 2 * h, code: liaison.ECONFLICT, msg: "FRA broke silence"},
		}, liaison.ProposalBlocked},
		{"break before circulation is refused", []step{
			{by: fra, act: act(liaison.ActBreakSilence, "no"), code: liaison.ECONFLICT, msg: "not been circulated"},
		}, liaison.ProposalDraft},
		{"concurring under silence is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: usa, act: act(liaison.ActConcur, ""), at: h, code: liaison.EINVALID, msg: "silence procedure"},
		}, liaison.ProposalAdopted},
		{"only the proposer circulates", []step{
			{by: fra, act: circ(48 * h), code: liaison.EFORBIDDEN, msg: "only the proposer"},
		}, liaison.ProposalDraft},
		{"circulating needs an officer", []step{
			{by: analyst("NATO-IS"), act: circ(48 * h), code: liaison.EFORBIDDEN, msg: "officer role"},
		}, liaison.ProposalDraft},
		{"deadline must be in the future", []step{
			{by: nis, act: circ(0), code: liaison.EINVALID, msg: "not in the future"},
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActCirculate}, code: liaison.EINVALID, msg: "needs a deadline"},
		}, liaison.ProposalDraft},
		{"circulating twice is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: nis, act: circ(72 * h), at: h, code: liaison.ECONFLICT, msg: "circulating until"},
		}, liaison.ProposalAdopted},
		{"a blocked proposal must be revised before circulating again", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "no"), at: h},
			{by: nis, act: circ(72 * h), at: 2 * h, code: liaison.ECONFLICT, msg: "revise it"},
		}, liaison.ProposalBlocked},
		{"revising while circulating is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActRevise, Text: "x"}, at: h, code: liaison.ECONFLICT, msg: "circulating until"},
		}, liaison.ProposalAdopted},
		{"only the proposer revises", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "no"), at: h},
			{by: fra, act: liaison.ProposalAct{Kind: liaison.ActRevise, Text: "better"}, at: 2 * h, code: liaison.EFORBIDDEN, msg: "only the proposer"},
		}, liaison.ProposalBlocked},
		{"revision needs a change", []step{
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActRevise}, code: liaison.EINVALID, msg: "new title or text"},
		}, liaison.ProposalDraft},
		{"nothing after adoption", []step{
			{by: nis, act: circ(48 * h)},
			{by: nis, act: act(liaison.ActWithdraw, ""), at: 49 * h, code: liaison.ECONFLICT, msg: "adopted at its deadline"},
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActRevise, Text: "x"}, at: 49 * h, code: liaison.ECONFLICT, msg: "record is closed"},
			{by: jpn, act: liaison.ProposalAct{Kind: liaison.ActComment, Text: "congratulations"}, at: 49 * h, code: liaison.ECONFLICT, msg: "record is closed"},
		}, liaison.ProposalAdopted},
		{"nothing after withdrawal", []step{
			{by: nis, act: act(liaison.ActWithdraw, "")},
			{by: nis, act: circ(48 * h), code: liaison.ECONFLICT, msg: "withdrawn"},
			{by: nis, act: act(liaison.ActWithdraw, ""), code: liaison.ECONFLICT, msg: "withdrawn"},
		}, liaison.ProposalWithdrawn},
		{"unknown action", []step{
			{by: nis, act: act("veto", ""), code: liaison.EINVALID, msg: "unknown"},
			{by: nis, act: act(liaison.ActCreate, ""), code: liaison.EINVALID, msg: "created once"},
		}, liaison.ProposalDraft},
		{"partners may comment but need a text", []step{
			{by: nis, act: circ(48 * h)},
			{by: jpn, act: liaison.ProposalAct{Kind: liaison.ActComment, Text: "Japan welcomes the office."}, at: h, status: liaison.ProposalCirculating},
			{by: jpn, act: liaison.ProposalAct{Kind: liaison.ActComment}, at: h, code: liaison.EINVALID, msg: "needs a text"},
		}, liaison.ProposalAdopted},
		{"the clock may not run backwards", []step{
			{by: nis, act: circ(48 * h), at: 5 * h},
			{by: fra, act: act(liaison.ActBreakSilence, "no"), at: 4 * h, code: liaison.ECONFLICT, msg: "behind"},
		}, liaison.ProposalAdopted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := run(t, newProposal(t, liaison.SilenceProcedure, liaison.MarkingSpec{}), tt.steps)
			if got := Settle(p, t0.Add(1000*h)).Status; got != tt.final {
				t.Fatalf("final status %s, want %s", got, tt.final)
			}
		})
	}
}

func TestConcurrence(t *testing.T) {
	fra, deu, usa, jpn, nis := officer("FRA"), officer("DEU"), officer("USA"), officer("JPN"), officer("NATO-IS")
	concur := act(liaison.ActConcur, "")
	tests := []struct {
		name  string
		steps []step
		final liaison.ProposalStatus
	}{
		{"adopted when the last ally concurs", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: concur, at: h, status: liaison.ProposalCirculating},
			{by: deu, act: concur, at: 2 * h, status: liaison.ProposalCirculating},
			{by: usa, act: concur, at: 3 * h, status: liaison.ProposalAdopted},
			{by: nis, act: act(liaison.ActWithdraw, ""), at: 4 * h, code: liaison.ECONFLICT, msg: "when the last ally concurred"},
		}, liaison.ProposalAdopted},
		{"lapses with a concurrence missing", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: concur, at: h},
			{by: deu, act: concur, at: 2 * h},
			{by: usa, act: concur, at: 48 * h, code: liaison.ECONFLICT, msg: "lapsed"},
		}, liaison.ProposalLapsed},
		{"one objection blocks", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: concur, at: h},
			{by: deu, act: act(liaison.ActObject, "cost"), at: 2 * h, status: liaison.ProposalBlocked},
			{by: usa, act: concur, at: 3 * h, code: liaison.ECONFLICT, msg: "DEU objected"},
		}, liaison.ProposalBlocked},
		{"lapsed, revised and adopted in round two", []step{
			{by: nis, act: circ(48 * h)},
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: t0.Add(96 * h)}, at: 49 * h, code: liaison.ECONFLICT, msg: "lapsed in round 1"},
			{by: nis, act: liaison.ProposalAct{Kind: liaison.ActRevise, Title: "Tokyo office, revised"}, at: 49 * h},
			{by: nis, act: circ(96 * h), at: 50 * h},
			{by: fra, act: concur, at: 51 * h},
			{by: deu, act: concur, at: 51 * h},
			{by: usa, act: concur, at: 52 * h, status: liaison.ProposalAdopted},
		}, liaison.ProposalAdopted},
		{"double concurrence is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: concur, at: h},
			{by: fra, act: concur, at: 2 * h, code: liaison.ECONFLICT, msg: "already"},
			{by: fra, act: act(liaison.ActObject, "changed my mind"), at: 2 * h, code: liaison.ECONFLICT, msg: "already"},
		}, liaison.ProposalLapsed},
		{"partner may not concur or object", []step{
			{by: nis, act: circ(48 * h)},
			{by: jpn, act: concur, at: h, code: liaison.EFORBIDDEN, msg: "partner"},
			{by: jpn, act: act(liaison.ActObject, "x"), at: h, code: liaison.EFORBIDDEN, msg: "partner"},
		}, liaison.ProposalLapsed},
		{"objecting needs a reason", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActObject, ""), at: h, code: liaison.EINVALID, msg: "needs a reason"},
		}, liaison.ProposalLapsed},
		{"breaking silence under concurrence is refused", []step{
			{by: nis, act: circ(48 * h)},
			{by: fra, act: act(liaison.ActBreakSilence, "x"), at: h, code: liaison.EINVALID, msg: "concurrence procedure"},
		}, liaison.ProposalLapsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := run(t, newProposal(t, liaison.ConcurrenceProcedure, liaison.MarkingSpec{}), tt.steps)
			if got := Settle(p, t0.Add(1000*h)).Status; got != tt.final {
				t.Fatalf("final status %s, want %s", got, tt.final)
			}
		})
	}
}

// An ally that joins after circulation does not decide that round.
func TestAlliesFixedAtCirculation(t *testing.T) {
	p := run(t, newProposal(t, liaison.ConcurrenceProcedure, liaison.MarkingSpec{}), []step{{by: officer("NATO-IS"), act: circ(48 * h)}})
	grown := liaison.NewDirectory(append(dir().Organisations(), liaison.Organisation{Code: "SWE", Name: "Sweden", Kind: liaison.Ally}), nil, nil, t0)
	_, err := Decide(p, officer("SWE"), grown, act(liaison.ActConcur, ""), t0.Add(h))
	if liaison.ErrorCode(err) != liaison.EFORBIDDEN || !strings.Contains(err.Error(), "fixed") {
		t.Fatalf("late ally: %v", err)
	}
	s := Settle(p, t0.Add(h))
	if !slices.Equal(s.Allies, []string{"DEU", "FRA", "USA"}) {
		t.Fatalf("allies %v", s.Allies)
	}
}

// A marking that hides the draft from an ally cannot circulate.
func TestCirculationNeedsEveryAlly(t *testing.T) {
	p := newProposal(t, liaison.SilenceProcedure, liaison.MarkingSpec{ReleasableTo: []string{"FRA", "USA"}})
	_, err := Decide(p, officer("NATO-IS"), dir(), circ(48*h), t0)
	if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), "DEU") {
		t.Fatalf("got %v", err)
	}
}

func TestReaders(t *testing.T) {
	d := dir()
	p := newProposal(t, liaison.SilenceProcedure, liaison.MarkingSpec{Classification: "NATO RESTRICTED", ReleasableTo: []string{"NATO", "JPN"}})
	aud, _ := Readers(p, d)
	if aud.Key() != "NATO-IS" {
		t.Fatalf("draft readers %v", aud)
	}
	p = run(t, p, []step{{by: officer("NATO-IS"), act: circ(48 * h)}})
	aud, _ = Readers(p, d)
	// JPN has no security agreement covering NATO RESTRICTED here.
	if aud.Key() != "DEU,FRA,NATO-IS,USA" {
		t.Fatalf("circulated readers %v", aud)
	}
	withAgreement := liaison.NewDirectory(d.Organisations(), nil, []liaison.Agreement{{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret}}, t0)
	aud, _ = Readers(p, withAgreement)
	if aud.Key() != "DEU,FRA,JPN,NATO-IS,USA" {
		t.Fatalf("readers with agreement %v", aud)
	}
}

func TestValidateNew(t *testing.T) {
	d := dir()
	tests := []struct {
		name string
		by   liaison.Principal
		p    liaison.Proposal
		code string
	}{
		{"ok", officer("FRA"), liaison.Proposal{Title: "t", Text: "x"}, ""},
		{"partner", officer("JPN"), liaison.Proposal{Title: "t", Text: "x"}, liaison.EFORBIDDEN},
		{"analyst", analyst("FRA"), liaison.Proposal{Title: "t", Text: "x"}, liaison.EFORBIDDEN},
		{"unknown org", officer("XYZ"), liaison.Proposal{Title: "t", Text: "x"}, liaison.EFORBIDDEN},
		{"no title", officer("FRA"), liaison.Proposal{Text: "x"}, liaison.EINVALID},
		{"no text", officer("FRA"), liaison.Proposal{Title: "t"}, liaison.EINVALID},
		{"bad procedure", officer("FRA"), liaison.Proposal{Title: "t", Text: "x", Procedure: "vote"}, liaison.EINVALID},
		{"bad classification", officer("FRA"), liaison.Proposal{Title: "t", Text: "x", Marking: liaison.MarkingSpec{Classification: "TOP"}}, liaison.EINVALID},
		{"bad tlp", officer("FRA"), liaison.Proposal{Title: "t", Text: "x", Marking: liaison.MarkingSpec{TLP: "purple"}}, liaison.EINVALID},
		{"unknown releasee", officer("FRA"), liaison.Proposal{Title: "t", Text: "x", Marking: liaison.MarkingSpec{ReleasableTo: []string{"NATO", "ATLANTIS"}}}, liaison.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			err := ValidateNew(&p, tt.by, d, t0)
			if got := liaison.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			if err == nil && (p.Proposer != tt.by.Org || len(p.Record) != 1 || p.Procedure != liaison.SilenceProcedure || p.Status != liaison.ProposalDraft) {
				t.Fatalf("bad proposal %+v", p)
			}
		})
	}
}

// The record of rounds: every round is kept with its result.
func TestRoundsHistory(t *testing.T) {
	nis, fra := officer("NATO-IS"), officer("FRA")
	p := run(t, newProposal(t, liaison.SilenceProcedure, liaison.MarkingSpec{}), []step{
		{by: nis, act: circ(48 * h)},
		{by: fra, act: act(liaison.ActBreakSilence, "Articles 5 and 6"), at: h},
		{by: nis, act: liaison.ProposalAct{Kind: liaison.ActRevise, Text: "revised"}, at: 2 * h},
		{by: nis, act: circ(72 * h), at: 3 * h},
	})
	before := Settle(p, t0.Add(71*h))
	after := Settle(p, t0.Add(72*h))
	if before.Status != liaison.ProposalCirculating || after.Status != liaison.ProposalAdopted {
		t.Fatalf("status before %s, after %s", before.Status, after.Status)
	}
	r := after.Rounds
	if len(r) != 2 || r[0].Result != liaison.ProposalBlocked || r[0].Blocker != "FRA" || r[0].BlockReason != "Articles 5 and 6" ||
		r[0].Text == "revised" || r[1].Text != "revised" || r[1].Result != liaison.ProposalAdopted || !r[1].Settled.Equal(t0.Add(72*h)) {
		t.Fatalf("rounds %+v", r)
	}
	if len(after.Record) != 5 || after.Record[4].Round != 2 || after.Record[1].Round != 1 {
		t.Fatalf("record %+v", after.Record)
	}
}
