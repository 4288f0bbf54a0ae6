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
// looks each up by (id, collection), rather than walking the collection.
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
		}
		if !strings.Contains(v, "SEARCH v USING") || !strings.Contains(v, "(id=? AND collection=?") {
			t.Errorf("query %+v does not look versions up by id:\n%s", q, strings.Join(plan, "\n"))
		}
	}
}
