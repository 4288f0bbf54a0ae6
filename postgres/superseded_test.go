package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
	"liaison/postgres"
)

// TestSupersededFlag: the flag of migration 2200 is set on exactly the
// versions that have a later one in their collection, however the later
// one arrives (after, before, in the same write, hidden from the earlier
// one's readers); each reader still gets the latest version they may
// read; and a page of latest versions looks for later versions only for
// the superseded ones.
func TestSupersededFlag(t *testing.T) {
	s := open(t, time.Now)
	ctx := context.Background()
	for _, o := range []liaison.Organisation{
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "KOR", Name: "Korea", Kind: liaison.Partner},
	} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	usa := liaison.Principal{Name: "usa-analyst", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &usa, ""); err != nil {
		t.Fatal(err)
	}
	kor := liaison.Principal{Name: "kor-reader", Org: "KOR", Roles: []liaison.Role{liaison.RoleReader}}
	if err := s.CreateUser(ctx, &kor, ""); err != nil {
		t.Fatal(err)
	}
	c := liaison.Collection{Title: "shared", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2025, 1, 1+d, 0, 0, 0, 0, time.UTC) }
	id := func(n int) string { return fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", n) }
	cand := func(n, d int, marks ...string) liaison.Candidate {
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q}`, id(n), day(0).Format(time.RFC3339), day(d).Format(time.RFC3339))
		return liaison.Candidate{ID: id(n), Type: "indicator", SpecVersion: "2.1", Created: day(0), Modified: day(d), Raw: []byte(raw), MarkingRefs: marks}
	}
	add := func(cs ...liaison.Candidate) {
		t.Helper()
		for i := range cs {
			cs[i].Index = i
		}
		if res, err := s.AddObjects(ctx, usa, c.ID, cs); err != nil || len(res.Rejected) > 0 {
			t.Fatalf("add: %v %+v", err, res.Rejected)
		}
	}
	// 100 objects of one version, the page's usual case.
	var single []liaison.Candidate
	for n := range 100 {
		single = append(single, cand(100+n, 0))
	}
	add(single...)
	// 1: a later version for everyone arrives after.
	add(cand(1, 0))
	add(cand(1, 1))
	// 2: the later version arrives first.
	add(cand(2, 2))
	add(cand(2, 1))
	// 3: both in one write, and a third version in the next.
	add(cand(3, 1), cand(3, 0))
	add(cand(3, 2))
	// 4: the later version is RED, USA's alone: KOR's latest is day 0.
	add(cand(4, 0))
	add(cand(4, 1, liaison.TLPRedID))

	us := func(d int) int64 { return day(d).UnixMicro() }
	want := []string{
		fmt.Sprintf("%s@%d", id(1), us(0)),
		fmt.Sprintf("%s@%d", id(2), us(1)),
		fmt.Sprintf("%s@%d", id(3), us(0)),
		fmt.Sprintf("%s@%d", id(3), us(1)),
		fmt.Sprintf("%s@%d", id(4), us(0)),
	}
	slices.Sort(want)
	if got := postgres.SupersededVersions(t, s, c.ID); !slices.Equal(got, want) {
		t.Errorf("superseded versions\n%v\nwant\n%v", got, want)
	}

	latest := func(p liaison.Principal) map[string]time.Time {
		out := map[string]time.Time{}
		q := liaison.ObjectQuery{Limit: 1000}
		page, err := s.Objects(ctx, p, c.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			if _, dup := out[v.ID]; dup {
				t.Errorf("%s: two latest versions of %s", p.Org, v.ID)
			}
			out[v.ID] = v.Modified
		}
		return out
	}
	for _, tt := range []struct {
		p    liaison.Principal
		want map[int]int // object: day of its latest version for p
	}{
		{usa, map[int]int{1: 1, 2: 2, 3: 2, 4: 1, 100: 0}},
		{kor, map[int]int{1: 1, 2: 2, 3: 2, 4: 0, 100: 0}},
	} {
		got := latest(tt.p)
		if len(got) != 104 {
			t.Errorf("%s reads %d objects, want 104", tt.p.Org, len(got))
		}
		for n, d := range tt.want {
			if !got[id(n)].Equal(day(d)) {
				t.Errorf("%s: latest of object %d is %v, want %v", tt.p.Org, n, got[id(n)], day(d))
			}
		}
	}

	// A page of latest versions looks for later ones only for the five
	// superseded versions; without the flag it looked for each of the 109.
	postgres.Analyze(s)
	for _, org := range []string{"USA", "KOR"} {
		probes, plan := postgres.PageProbes(t, s, org, c.ID, liaison.ObjectQuery{Limit: 1000})
		if probes != len(want) {
			t.Errorf("%s: the page looked for later versions %d times, want %d (the superseded versions); the plan:\n%s", org, probes, len(want), plan)
		}
	}
}

// TestSupersededMutantsAreCaught: the leak test catches a superseded
// flag used wrongly, in a child process each: pages that drop superseded
// versions (a reader from whom the later version is hidden misses the
// one they should see), and a store whose flags are never set (pages
// serve earlier versions as the latest).
func TestSupersededMutantsAreCaught(t *testing.T) {
	serverURL(t)
	if os.Getenv("LIAISON_SUPERSEDED_MUTANT") != "" {
		t.Skip("inside a mutant run")
	}
	for _, m := range []struct{ name, want string }{
		{"skip", "version=last: missing"},
		{"unmarked", "version=last: received"}, // a LEAK line
	} {
		t.Run(m.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSupersededMutant$", "-test.v", "-leak.seed=7")
			cmd.Env = append(os.Environ(), "LIAISON_SUPERSEDED_MUTANT="+m.name)
			out, err := cmd.CombinedOutput()
			tail := out[max(0, len(out)-3000):]
			if err == nil {
				t.Fatalf("the leak test passed on mutant %s; it must fail:\n%s", m.name, tail)
			}
			if !strings.Contains(string(out), m.want) {
				t.Fatalf("the leak test failed on mutant %s but without %q:\n%s", m.name, m.want, tail)
			}
		})
	}
}

// TestSupersededMutant runs a small leak test of the store's object
// pages on the mutant LIAISON_SUPERSEDED_MUTANT names.
func TestSupersededMutant(t *testing.T) {
	mode := os.Getenv("LIAISON_SUPERSEDED_MUTANT")
	if mode == "" {
		t.Skip("run by TestSupersededMutantsAreCaught")
	}
	if mode == "skip" {
		defer postgres.SkipSuperseded()()
	}
	var paths []leaktest.ReadPath
	for _, p := range leaktest.StorePaths() {
		if p.Name() == "store/objects" {
			paths = append(paths, p)
		}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 4, OtherPartners: 2, Objects: 400}}, func(t *testing.T, now func() time.Time) liaison.Store {
		s := open(t, now)
		if mode == "unmarked" {
			postgres.DropSupersededTrigger(t, s)
		}
		return s
	}, paths...)
}
