package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"
	"sync"
)

// The consultation and decision tests of the office (web/api_*_test.go)
// run on SQLite. This test walks the same kind of story through the
// store's ConsultationService and DecisionService on PostgreSQL and on
// SQLite with the same clock, checks the rules that matter on the way,
// and requires both stores to tell the same story step by step.

// clock is a settable clock for a store under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

// Now returns the clock's time.
func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock by d.
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type consultStore interface {
	liaison.Store
	liaison.ConsultationService
	liaison.DecisionService
}

var randomID = regexp.MustCompile(`--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

// story runs the scenario on s and returns its transcript.
func story(t *testing.T, s consultStore, clock *clock) []string {
	ctx := context.Background()
	var log []string
	note := func(step string, v any, err error) {
		t.Helper()
		if err != nil {
			log = append(log, fmt.Sprintf("%s: %s %s", step, liaison.ErrorCode(err), liaison.ErrorMessage(err)))
			return
		}
		b, _ := json.Marshal(v)
		// Published outcomes get random STIX ids in each store.
		log = append(log, step+": "+randomID.ReplaceAllString(string(b), "--RANDOM"))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wantCode := func(step string, err error, code string) {
		t.Helper()
		if liaison.ErrorCode(err) != code {
			t.Errorf("%s: error %v, want code %q", step, err, code)
		}
	}
	for _, o := range []liaison.Organisation{
		{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody, TimeZone: "Europe/Brussels"},
		{Code: "FRA", Name: "France", Kind: liaison.Ally}, {Code: "DEU", Name: "Germany", Kind: liaison.Ally},
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner}, {Code: "KOR", Name: "Korea", Kind: liaison.Partner},
		{Code: "NZL", Name: "New Zealand", Kind: liaison.Partner},
	} {
		must(s.CreateOrganisation(ctx, o))
	}
	u := map[string]liaison.Principal{}
	for _, x := range []struct {
		name, org string
		role      liaison.Role
	}{{"nis", "NATO-IS", liaison.RoleOfficer}, {"fra", "FRA", liaison.RoleOfficer}, {"deu", "DEU", liaison.RoleOfficer},
		{"usa", "USA", liaison.RoleOfficer}, {"jpn", "JPN", liaison.RoleOfficer}, {"kor", "KOR", liaison.RoleAnalyst}, {"nzl", "NZL", liaison.RoleAnalyst}} {
		p := liaison.Principal{Name: x.name, Org: x.org, Roles: []liaison.Role{x.role}}
		must(s.CreateUser(ctx, &p, ""))
		u[x.name] = p
	}
	t0 := clock.Now()
	coll := liaison.Collection{ID: "0b6c3f4e-5a1d-4c2e-9f00-000000000001", Title: "Cyber", Topic: "cyber", Read: []string{"NATO", "IP4"}, Write: []string{"NATO", "IP4"}}
	must(s.CreateCollection(ctx, &coll))
	const (
		open    = "indicator--11111111-1111-4111-8111-111111111111"
		usaOnly = "indicator--22222222-2222-4222-8222-222222222222"
		relUSA  = "marking-definition--33333333-3333-4333-8333-333333333333"
	)
	res, err := s.AddObjects(ctx, u["usa"], coll.ID, []liaison.Candidate{
		{Index: 0, ID: relUSA, Type: "marking-definition", SpecVersion: "2.1", Created: t0, Raw: []byte(`{"type":"marking-definition","id":"` + relUSA + `"}`), Marking: &liaison.Marking{ReleasableTo: []string{"USA"}}},
		{Index: 1, ID: open, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(`{"type":"indicator","id":"` + open + `"}`)},
		{Index: 2, ID: usaOnly, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(`{"type":"indicator","id":"` + usaOnly + `"}`), MarkingRefs: []string{relUSA}},
	})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("seed: %v %+v", err, res.Rejected)
	}

	// A draft is the convenor's alone; hidden looks like missing.
	c := liaison.Consultation{Title: "NATO–IP4 consultation on cyber threats", Topics: []string{"cyber"},
		Participants: []string{"IP4", "USA"}, Format: liaison.FormatMeeting, Start: t0.Add(48 * time.Hour), Duration: 90 * time.Minute,
		Place: "https://meet.example/nato-ip4", Agenda: []liaison.AgendaItem{{Title: "Threat picture"}, {Title: "Information exchange"}},
		Marking: liaison.MarkingSpec{ReleasableTo: []string{"NATO", "JPN", "KOR"}, TLP: "amber"}}
	err = s.CreateConsultation(ctx, u["nis"], &c)
	note("create", c, err)
	must(err)
	byPartner := c
	byPartner.ID = 0
	wantCode("create as a partner", s.CreateConsultation(ctx, u["jpn"], &byPartner), liaison.EFORBIDDEN)
	_, hidden := s.Consultation(ctx, u["jpn"], c.ID)
	_, missing := s.Consultation(ctx, u["jpn"], c.ID+1000)
	wantCode("draft as a participant", hidden, liaison.ENOTFOUND)
	if strings.Replace(liaison.ErrorMessage(hidden), fmt.Sprint(c.ID), "X", 1) != strings.Replace(liaison.ErrorMessage(missing), fmt.Sprint(c.ID+1000), "X", 1) {
		t.Errorf("hidden %q and missing %q differ", liaison.ErrorMessage(hidden), liaison.ErrorMessage(missing))
	}
	_, err = s.SetConsultationStatus(ctx, u["jpn"], c.ID, liaison.ConsultationOpen, "")
	wantCode("open as a participant of a draft", err, liaison.ENOTFOUND)
	got, err := s.SetConsultationStatus(ctx, u["nis"], c.ID, liaison.ConsultationOpen, "")
	note("open", got, err)
	_, err = s.SetConsultationStatus(ctx, u["nis"], c.ID, liaison.ConsultationOpen, "")
	wantCode("open twice", err, liaison.ECONFLICT)

	// Who sees it: JPN and KOR (released to), not NZL (IP4 but not
	// released to) nor FRA (not taking part).
	for _, who := range []string{"jpn", "kor", "nzl", "fra", "usa"} {
		cs, err := s.Consultations(ctx, u[who], liaison.ConsultationFilter{Topic: "cyber", Status: liaison.ConsultationOpen})
		note("list as "+who, len(cs), err)
	}
	if cs, _ := s.Consultations(ctx, u["nzl"], liaison.ConsultationFilter{}); len(cs) != 0 {
		t.Errorf("NZL lists %d consultations", len(cs))
	}
	if cs, _ := s.Consultations(ctx, u["kor"], liaison.ConsultationFilter{Topic: "edt"}); len(cs) != 0 {
		t.Errorf("KOR lists %d consultations on edt", len(cs))
	}

	// Contributions keep history; refs are filtered per reader.
	clock.Advance(time.Minute)
	k := liaison.Contribution{Consultation: c.ID, AgendaItem: 1, Text: "Two indicators of LanternLoader.", Refs: []string{open, usaOnly}}
	err = s.Contribute(ctx, u["usa"], &k)
	note("contribute", k, err)
	must(err)
	wantCode("contribute as an outsider", s.Contribute(ctx, u["nzl"], &liaison.Contribution{Consultation: c.ID, AgendaItem: 1, Text: "x"}), liaison.ENOTFOUND)
	clock.Advance(time.Minute)
	ek, err := s.EditContribution(ctx, u["usa"], k.ID, "Two indicators of LanternLoader, revised.", []string{open, usaOnly})
	note("edit", ek, err)
	_, err = s.EditContribution(ctx, u["kor"], k.ID, "mine now", nil)
	wantCode("edit someone else's", err, liaison.EFORBIDDEN)
	k2 := liaison.Contribution{Consultation: c.ID, AgendaItem: 2, Text: "Korea proposes a weekly exchange."}
	must(s.Contribute(ctx, u["kor"], &k2))
	clock.Advance(time.Minute)
	wk, err := s.WithdrawContribution(ctx, u["kor"], k2.ID, "superseded")
	note("withdraw", wk, err)
	for _, who := range []string{"usa", "jpn", "kor"} {
		ks, err := s.Contributions(ctx, u[who], c.ID)
		note("contributions as "+who, ks, err)
		for _, x := range ks {
			for _, r := range append(append([]string{}, x.Refs...), func() []string {
				var all []string
				for _, h := range x.History {
					all = append(all, h.Refs...)
				}
				return all
			}()...) {
				if r == usaOnly && who != "usa" {
					t.Errorf("%s receives a ref to %s, released to USA only", who, usaOnly)
				}
			}
		}
	}

	// Conclude, publish, and the report reaches readers of the collection.
	clock.Advance(time.Hour)
	out := liaison.Outcome{Summary: "Agreed to exchange indicators weekly.", Actions: []liaison.AgreedAction{{Text: "Set up the feed", Owner: "KOR", Due: t0.AddDate(0, 1, 0), Status: liaison.ActionOpen}}}
	got, err = s.ConcludeConsultation(ctx, u["nis"], c.ID, out)
	note("conclude", got, err)
	got, err = s.SetActionStatus(ctx, u["jpn"], c.ID, 0, liaison.ActionDone)
	note("action by a non-owner", got, err)
	got, err = s.PublishOutcome(ctx, u["nis"], c.ID, liaison.PublishRequest{Collection: coll.ID, Kind: "report"})
	note("publish", got, err)
	_, err = s.PublishOutcome(ctx, u["nis"], c.ID, liaison.PublishRequest{Collection: coll.ID})
	wantCode("publish twice", err, liaison.ECONFLICT)
	for _, who := range []string{"jpn", "nzl", "usa"} {
		page, err := s.Objects(ctx, u[who], coll.ID, liaison.ObjectQuery{Types: []string{"report"}})
		n := 0
		if err == nil {
			n = len(page.Versions)
		}
		note("report as "+who, n, err)
	}

	// The silence procedure: table, circulate, France breaks silence.
	p := liaison.Proposal{Title: "Open a NATO liaison office in Tokyo", Text: "The Council agrees to open an office in Tokyo.",
		Procedure: liaison.SilenceProcedure, Marking: liaison.MarkingSpec{Classification: "NATO UNCLASSIFIED", ReleasableTo: []string{"NATO", "IP4"}}}
	err = s.CreateProposal(ctx, u["nis"], &p)
	note("table", p, err)
	must(err)
	_, err = s.Proposal(ctx, u["fra"], p.ID)
	wantCode("draft proposal as another ally", err, liaison.ENOTFOUND)
	deadline := clock.Now().Add(72 * time.Hour)
	pp, err := s.Act(ctx, u["nis"], p.ID, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: deadline})
	note("circulate", pp, err)
	_, err = s.Act(ctx, u["jpn"], p.ID, liaison.ProposalAct{Kind: liaison.ActBreakSilence, Reason: "no"})
	wantCode("a partner breaks silence", err, liaison.EFORBIDDEN)
	clock.Advance(time.Hour)
	pp, err = s.Act(ctx, u["fra"], p.ID, liaison.ProposalAct{Kind: liaison.ActBreakSilence, Reason: "NATO's scope is the North Atlantic."})
	note("break silence", pp, err)
	if err == nil && pp.Status != liaison.ProposalBlocked {
		t.Errorf("after France broke silence the proposal is %s", pp.Status)
	}

	// Concurrence: every ally must concur by the deadline.
	q := liaison.Proposal{Title: "Adopt the exchange", Text: "Adopt the weekly exchange.", Procedure: liaison.ConcurrenceProcedure,
		Marking: liaison.MarkingSpec{ReleasableTo: []string{"NATO"}}}
	must(s.CreateProposal(ctx, u["usa"], &q))
	_, err = s.Act(ctx, u["usa"], q.ID, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: clock.Now().Add(24 * time.Hour)})
	must(err)
	for _, who := range []string{"fra", "deu", "usa"} {
		pp, err := s.Act(ctx, u[who], q.ID, liaison.ProposalAct{Kind: liaison.ActConcur})
		note("concur "+who, pp.Status, err)
	}
	clock.Advance(25 * time.Hour)
	for _, who := range []string{"usa", "jpn", "fra"} {
		ps, err := s.Proposals(ctx, u[who])
		note("proposals as "+who, ps, err)
	}
	_, err = s.Proposal(ctx, u["jpn"], q.ID)
	wantCode("NATO-only proposal as a partner", err, liaison.ENOTFOUND)

	// A directory change reaches consultation audiences: KOR leaves the
	// released-to set through a community.
	must(s.CreateCommunity(ctx, liaison.Community{Name: "CORE", Members: []string{"JPN"}}))
	c2 := liaison.Consultation{Title: "Core partners", Topics: []string{"edt"}, Participants: []string{"CORE", "USA"},
		Format: liaison.FormatWritten, Deadline: clock.Now().Add(7 * 24 * time.Hour), Agenda: []liaison.AgendaItem{{Title: "Quantum"}},
		Marking: liaison.MarkingSpec{ReleasableTo: []string{"NATO", "CORE"}}}
	must(s.CreateConsultation(ctx, u["nis"], &c2))
	_, err = s.SetConsultationStatus(ctx, u["nis"], c2.ID, liaison.ConsultationOpen, "")
	must(err)
	_, err = s.Consultation(ctx, u["kor"], c2.ID)
	note("core as kor before", nil, err)
	must(s.SetCommunityMembers(ctx, "CORE", []string{"JPN", "KOR"}))
	_, err = s.Consultation(ctx, u["kor"], c2.ID)
	note("core as kor after", nil, err)
	if err != nil {
		t.Errorf("KOR joined CORE but cannot see its consultation: %v", err)
	}
	must(s.SetCommunityMembers(ctx, "CORE", []string{"JPN"}))
	_, err = s.Consultation(ctx, u["kor"], c2.ID)
	wantCode("core as kor after leaving", err, liaison.ENOTFOUND)
	return log
}

func TestConsultationsAndDecisions(t *testing.T) {
	url := serverURL(t)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	pgClock := newClock(start)
	pg := openIn(t, url, schema(t, url), pgClock.Now)
	sqClock := newClock(start)
	sq, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: sqClock.Now, Logger: quiet(), Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	var got, want []string
	t.Run("postgres", func(t *testing.T) { got = story(t, pg, pgClock) })
	t.Run("sqlite", func(t *testing.T) { want = story(t, sq, sqClock) })
	if len(got) != len(want) {
		t.Fatalf("PostgreSQL told %d steps, SQLite %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("step %d differs:\npostgres %.600s\nsqlite   %.600s", i, got[i], want[i])
		}
	}
}
