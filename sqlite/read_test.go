package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"
)

// readWorld is a store with USA, FRA and KOR, a USA analyst and a
// collection everyone may read and write.
func readWorld(t *testing.T) (*sqlite.Store, liaison.Principal, string) {
	t.Helper()
	ctx := context.Background()
	s := open(t, t.TempDir(), time.Now)
	for _, o := range []liaison.Organisation{
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "KOR", Name: "Korea", Kind: liaison.Partner},
	} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	p := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &p, ""); err != nil {
		t.Fatal(err)
	}
	c := liaison.Collection{Title: "read", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return s, p, c.ID
}

// addAsFRA writes batch to the collection as a FRA analyst, so the
// collection holds audiences (FRA's own) that USA may not read.
func addAsFRA(t *testing.T, s *sqlite.Store, coll string, batch []liaison.Candidate) {
	t.Helper()
	ctx := context.Background()
	fra, err := s.User(ctx, "fra")
	if err != nil {
		fra = liaison.Principal{Name: "fra", Org: "FRA", Roles: []liaison.Role{liaison.RoleAnalyst}}
		if err := s.CreateUser(ctx, &fra, ""); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := s.AddObjects(ctx, fra, coll, batch); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add as FRA: %v %+v", err, res.Rejected)
	}
}

// TestObjectsByIDs checks reads driven by an id list: a repeated id
// yields its versions once, and the other filters still apply.
func TestObjectsByIDs(t *testing.T) {
	s, p, coll := readWorld(t)
	ctx := context.Background()
	id := func(n int) string { return fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", n) }
	var cands []liaison.Candidate
	for n := range 3 {
		for ver := range 3 {
			mod := time.Date(2025, 1, 1+ver, 0, 0, 0, 0, time.UTC)
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"modified":%q}`, id(n), mod.Format(time.RFC3339))
			var refs []string
			if ver == 2 {
				refs = []string{liaison.TLPRedID} // KOR may not read it
			}
			cands = append(cands, liaison.Candidate{Index: len(cands), ID: id(n), Type: "indicator", SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw), MarkingRefs: refs})
		}
	}
	if res, err := s.AddObjects(ctx, p, coll, cands); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	kor := liaison.Principal{Name: "k", Org: "KOR", Roles: []liaison.Role{liaison.RoleReader}}
	all, err := s.Objects(ctx, p, coll, liaison.ObjectQuery{Versions: []string{"all"}})
	if err != nil || len(all.Versions) != 9 {
		t.Fatalf("all: %v, %d versions", err, len(all.Versions))
	}
	mid := all.Versions[4].DateAdded
	for _, tc := range []struct {
		name   string
		reader liaison.Principal
		q      liaison.ObjectQuery
		want   []string // id:day of modified, in date_added order
	}{
		{"repeated id", p, liaison.ObjectQuery{IDs: []string{id(1), id(1) + "," + id(1)}, Versions: []string{"all"}}, []string{"1:1", "1:2", "1:3"}},
		{"two ids last", p, liaison.ObjectQuery{IDs: []string{id(2), id(0)}}, []string{"0:3", "2:3"}},
		{"last the reader may read", kor, liaison.ObjectQuery{IDs: []string{id(0), id(2)}}, []string{"0:2", "2:2"}},
		{"first", kor, liaison.ObjectQuery{IDs: []string{id(0)}, Versions: []string{"first"}}, []string{"0:1"}},
		{"added after", p, liaison.ObjectQuery{IDs: []string{id(0), id(1), id(2)}, Versions: []string{"all"}, AddedAfter: mid}, []string{"1:3", "2:1", "2:2", "2:3"}},
		{"limit", p, liaison.ObjectQuery{IDs: []string{id(2), id(1)}, Versions: []string{"all"}, Limit: 2}, []string{"1:1", "1:2"}},
		{"unknown", p, liaison.ObjectQuery{IDs: []string{id(7)}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.Objects(ctx, tc.reader, coll, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range page.Versions {
				var n int
				fmt.Sscanf(v.ID, "indicator--%08x", &n)
				got = append(got, fmt.Sprintf("%d:%d", n, v.Modified.Day()))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestObjectsByIDsPlan checks that a read by ids starts from the ids and
// looks each up by id, rather than walking the collection, and that its
// probes of the id's other versions seek them by id and version.
func TestObjectsByIDsPlan(t *testing.T) {
	s := open(t, t.TempDir(), time.Now)
	for _, q := range []liaison.ObjectQuery{
		{IDs: []string{"indicator--00000000-0000-4000-8000-000000000000"}},
		{IDs: []string{"indicator--00000000-0000-4000-8000-000000000000", "x"}, Versions: []string{"all"}, Next: "ZGExOjE3OTU0MDE4NTQwODY5MjE"},
	} {
		plan := sqlite.ObjectsPlan(t, s, "JPN", "c", q)
		t.Log(strings.Join(plan, "\n"))
		var v string
		for _, step := range plan {
			if strings.HasPrefix(step, "SEARCH v ") || strings.HasPrefix(step, "SCAN v") {
				v = step
			}
			// The probes for an earlier instance (p) or another version
			// (n) seek the id's versions, never walk the collection.
			if (strings.HasPrefix(step, "SEARCH p ") || strings.HasPrefix(step, "SEARCH n ")) && !strings.Contains(step, "versions_key (idk=? AND version_us") {
				t.Errorf("query %+v probes other versions along %q:\n%s", q, step, strings.Join(plan, "\n"))
			}
		}
		if !strings.Contains(v, "SEARCH v USING INDEX versions_key (idk=?") {
			t.Errorf("query %+v does not look versions up by id:\n%s", q, strings.Join(plan, "\n"))
		}
	}
}

// TestAudienceArmsMatchScan reads every page of many queries, as readers
// who may read more or less, once along the collection and once audience
// by audience, and wants the same pages. Later versions change marking,
// so "last" (and "first") differ between readers: each must get the
// latest (earliest) version that they may read.
func TestAudienceArmsMatchScan(t *testing.T) {
	s, p, coll := readWorld(t)
	ctx := context.Background()
	marks := [][]string{nil, {liaison.TLPGreenID}, {liaison.TLPAmberID}, {liaison.TLPRedID}}
	for round := range 3 {
		batch := benchBatch(0)[:300]
		for i := range batch {
			if round > 0 && i%(round+2) != 0 {
				continue // only some objects get later versions
			}
			mod := time.Date(2025, 1, 1+round, 0, 0, 0, 0, time.UTC)
			batch[i].Modified = mod
			batch[i].Raw = []byte(fmt.Sprintf(`{"id":%q,"modified":%q}`, batch[i].ID, mod.Format(time.RFC3339)))
			batch[i].MarkingRefs = marks[(i+round)%len(marks)]
		}
		if res, err := s.AddObjects(ctx, p, coll, batch); err != nil || len(res.Rejected) > 0 {
			t.Fatalf("add: %v %+v", err, res.Rejected)
		}
		addAsFRA(t, s, coll, benchBatch(1000 * (round + 1))[:100])
	}
	for _, org := range []string{"USA", "FRA", "KOR"} {
		r, all := sqlite.ReadableAudiences(t, s, org)
		t.Logf("%s may read %d of the store's %d audiences", org, r, all)
	}
	readers := []liaison.Principal{p,
		{Name: "f", Org: "FRA", Roles: []liaison.Role{liaison.RoleReader}},
		{Name: "k", Org: "KOR", Roles: []liaison.Role{liaison.RoleReader}}}
	queries := []liaison.ObjectQuery{
		{Limit: 7},
		{Limit: 50, Versions: []string{"all"}},
		{Limit: 13, Versions: []string{"first"}},
		{Limit: 13, Versions: []string{"first", "last"}, Types: []string{"relationship"}},
		{Limit: 1000, Manifest: true, SpecVersions: []string{"2.1"}},
		{Limit: 9, Versions: []string{"2025-01-02T00:00:00Z"}},
	}
	pages := func(arms int, r liaison.Principal, q liaison.ObjectQuery) (out []string) {
		sqlite.SetAudienceArms(s, arms)
		for {
			page, err := s.Objects(ctx, r, coll, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				out = append(out, fmt.Sprintf("%s@%s+%d", v.ID, v.Modified.Format(time.DateOnly), len(v.Raw)))
			}
			out = append(out, fmt.Sprintf("more=%v", page.More))
			if !page.More {
				return out
			}
			q.Next = page.Next
		}
	}
	for _, r := range readers {
		for _, q := range queries {
			scan, merged := pages(0, r, q), pages(32, r, q)
			if len(scan) < 2 {
				t.Errorf("%s %+v: reads nothing; the test proves little", r.Org, q)
			}
			if strings.Join(scan, "\n") != strings.Join(merged, "\n") {
				t.Errorf("%s %+v: audience by audience read %d entries, along the collection %d:\n%v\n%v", r.Org, q, len(merged), len(scan), merged, scan)
			}
		}
	}
}
