package sqlite

import (
	"context"
	"sync"
	"testing"
	"time"

	"liaison"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *testClock) add(d time.Duration) { c.set(c.now().Add(d)) }

func consultStore(t *testing.T) (*Store, *testClock, map[string]liaison.Principal) {
	t.Helper()
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s, err := Open(ctx, t.TempDir(), Options{Now: clk.now, Password: PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	users := map[string]liaison.Principal{}
	for _, o := range []liaison.Organisation{
		{Code: "NATO-IS", Name: "IS", Kind: liaison.NATOBody}, {Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner}, {Code: "KOR", Name: "Korea", Kind: liaison.Partner},
	} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
		p := liaison.Principal{Name: o.Code + "-officer", Org: o.Code, Roles: []liaison.Role{liaison.RoleOfficer}}
		if err := s.CreateUser(ctx, &p, ""); err != nil {
			t.Fatal(err)
		}
		users[o.Code] = p
	}
	return s, clk, users
}

// Consultation and proposal audiences follow the directory: a community
// that grows, and a security agreement that enters force with time.
func TestConsultAudiencesFollowDirectory(t *testing.T) {
	ctx := context.Background()
	s, clk, u := consultStore(t)
	if err := s.CreateCommunity(ctx, liaison.Community{Name: "FRIENDS", Members: []string{"JPN"}}); err != nil {
		t.Fatal(err)
	}
	c := liaison.Consultation{Title: "t", Topics: []string{"cyber"}, Participants: []string{"IP4"}, Format: liaison.FormatWritten,
		Deadline: clk.now().Add(48 * time.Hour), Marking: liaison.MarkingSpec{ReleasableTo: []string{"NATO", "FRIENDS"}}}
	if err := s.CreateConsultation(ctx, u["NATO-IS"], &c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetConsultationStatus(ctx, u["NATO-IS"], c.ID, liaison.ConsultationOpen, ""); err != nil {
		t.Fatal(err)
	}
	sees := func(org string) bool {
		_, err := s.Consultation(ctx, u[org], c.ID)
		if err != nil && liaison.ErrorCode(err) != liaison.ENOTFOUND {
			t.Fatal(err)
		}
		list, lerr := s.Consultations(ctx, u[org], liaison.ConsultationFilter{})
		if lerr != nil {
			t.Fatal(lerr)
		}
		if (err == nil) != (len(list) == 1) {
			t.Fatalf("%s: get says %v, list has %d", org, err, len(list))
		}
		return err == nil
	}
	if !sees("JPN") || sees("KOR") {
		t.Fatal("before the community grows: JPN should see it, KOR not")
	}
	if err := s.SetCommunityMembers(ctx, "FRIENDS", []string{"JPN", "KOR"}); err != nil {
		t.Fatal(err)
	}
	if !sees("KOR") {
		t.Fatal("KOR should see it once FRIENDS includes KOR")
	}

	// A classified proposal reaches JPN only while an agreement is in force.
	p := liaison.Proposal{Title: "p", Text: "x", Marking: liaison.MarkingSpec{Classification: "NATO RESTRICTED", ReleasableTo: []string{"NATO", "JPN"}}}
	if err := s.CreateProposal(ctx, u["NATO-IS"], &p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, u["NATO-IS"], p.ID, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: clk.now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	a := liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, From: clk.now().Add(time.Hour)}
	if err := s.CreateAgreement(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Proposal(ctx, u["JPN"], p.ID); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Fatalf("before the agreement: %v", err)
	}
	clk.add(2 * time.Hour)
	if _, err := s.Proposal(ctx, u["JPN"], p.ID); err != nil {
		t.Fatalf("after the agreement entered force: %v", err)
	}
	if _, err := s.Proposal(ctx, u["KOR"], p.ID); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Fatalf("KOR: %v", err)
	}
}

// The decision record and contribution history cannot be changed, even by
// SQL that goes around the service.
func TestRecordsAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	s, _, u := consultStore(t)
	p := liaison.Proposal{Title: "p", Text: "x"}
	if err := s.CreateProposal(ctx, u["FRA"], &p); err != nil {
		t.Fatal(err)
	}
	c := liaison.Consultation{Title: "t", Topics: []string{"cyber"}, Participants: []string{"JPN"}, Format: liaison.FormatWritten, Deadline: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.CreateConsultation(ctx, u["FRA"], &c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetConsultationStatus(ctx, u["FRA"], c.ID, liaison.ConsultationOpen, ""); err != nil {
		t.Fatal(err)
	}
	k := liaison.Contribution{Consultation: c.ID, Text: "first"}
	if err := s.Contribute(ctx, u["JPN"], &k); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditContribution(ctx, u["JPN"], k.ID, "second", nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE decision_actions SET reason = 'rewritten'`,
		`DELETE FROM decision_actions`,
		`UPDATE contribution_history SET text = 'rewritten'`,
		`DELETE FROM contribution_history`,
	} {
		if _, err := s.writer.ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
	ks, err := s.Contributions(ctx, u["JPN"], c.ID)
	if err != nil || len(ks) != 1 || len(ks[0].History) != 1 || ks[0].History[0].Text != "first" {
		t.Fatalf("contributions %+v %v", ks, err)
	}
	got, err := s.Proposal(ctx, u["FRA"], p.ID)
	if err != nil || len(got.Record) != 1 {
		t.Fatalf("record %v %v", got.Record, err)
	}
}
