package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/stix"
)

// testIDKeyCollisions: the stores seek ids by their keys (stix.IDKey), the
// first 16 digits of the UUID, which two ids may share; everything read
// by id is still exactly that id's. Here red and open share a key (and
// the links naming them, another), red is TLP:RED to USA and open is for
// everyone: reads by id, the links of each, and rule 9's narrowing of a
// link by its ends' readers tell them apart, after a write, a deletion
// and a recompute.
func testIDKeyCollisions(t *testing.T, open Opener) {
	const (
		red     = "malware--0123abcd-ef45-4678-8000-000000000001"
		openID  = "malware--0123abcd-ef45-4678-9fff-ffffffffffff"
		toRed   = "relationship--fedcba98-7654-4321-8000-000000000001"
		toOpen  = "relationship--fedcba98-7654-4321-9000-000000000002"
		through = "tool--fedcba98-7654-4321-a000-000000000003"
	)
	if stix.IDKey(red) != stix.IDKey(openID) || stix.IDKey(toRed) != stix.IDKey(toOpen) || stix.IDKey(toRed) != stix.IDKey(through) {
		t.Fatal("the ids of this test no longer share their keys")
	}
	everyone := []string{"AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA"}
	w := newWorld(t, open)
	w.add("USA", w.shared, sdo(red, day(0), liaison.TLPRedID), sdo(openID, day(0)), sdo(through, day(0)))
	w.add("USA", w.shared, relationship(toRed, red, through, day(0)), relationship(toOpen, openID, through, day(0)))
	w.expectSeen(w.shared, red, "USA")
	w.expectSeen(w.shared, openID, everyone...)
	w.expectSeen(w.shared, toRed, "USA")
	w.expectSeen(w.shared, toOpen, everyone...)
	byID := func(org, id string) []string {
		t.Helper()
		page, err := w.s.Objects(w.ctx, w.user[org], w.shared, liaison.ObjectQuery{IDs: []string{id}, Versions: []string{"all"}})
		if err != nil {
			t.Fatalf("Objects(%s) as %s: %v", id, org, err)
		}
		var out []string
		for _, v := range page.Versions {
			out = append(out, v.ID)
		}
		return out
	}
	related := func(org, id string) []string {
		t.Helper()
		vs, _, err := w.s.Related(w.ctx, w.user[org], id, 0)
		if err != nil {
			t.Fatalf("Related(%s) as %s: %v", id, org, err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		slices.Sort(out)
		return out
	}
	check := func(when string) {
		t.Helper()
		for _, tc := range []struct {
			org, id string
			want    []string
		}{
			{"USA", red, []string{red}},
			{"USA", openID, []string{openID}},
			{"JPN", red, nil},
			{"JPN", openID, []string{openID}},
			{"USA", toRed, []string{toRed}},
			{"JPN", toOpen, []string{toOpen}},
		} {
			if got := byID(tc.org, tc.id); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %s reads %s by id as %v, want %v", when, tc.org, tc.id, got, tc.want)
			}
		}
		for _, tc := range []struct {
			org, id string
			want    []string
		}{
			{"USA", red, []string{toRed}},
			{"USA", openID, []string{toOpen}},
			{"JPN", openID, []string{toOpen}},
			{"JPN", through, []string{toOpen}},
			{"USA", through, []string{toRed, toOpen}},
		} {
			if got := related(tc.org, tc.id); !slices.Equal(got, tc.want) {
				t.Errorf("%s: the links of %s as %s are %v, want %v", when, tc.id, tc.org, got, tc.want)
			}
		}
	}
	check("after writing")
	if err := w.s.RecomputeAudiences(w.ctx); err != nil {
		t.Fatal(err)
	}
	check("after a recompute")
	w.expectSeen(w.shared, toRed, "USA")
	w.expectSeen(w.shared, toOpen, everyone...)
	// Deleting the open object leaves the red one and its link as they
	// were; the link to the deleted object is now for everyone (rule 9
	// narrows by the ends there are).
	if _, err := w.s.DeleteObject(w.ctx, w.user["USA"], w.shared, openID, liaison.ObjectQuery{Versions: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	w.expectSeen(w.shared, red, "USA")
	w.expectSeen(w.shared, toRed, "USA")
	w.expectSeen(w.shared, toOpen, everyone...)
	if got := byID("USA", red); !slices.Equal(got, []string{red}) {
		t.Errorf("after deleting %s, USA reads %s by id as %v", openID, red, got)
	}
}

// IDKeyObjects are objects for the stores' tests of the migration that
// gave versions and ends their keys: five tools whose ids have every
// hexadecimal digit and keys with the top bit set (negative integers), and
// three links between them, the last naming one tool twice (five ends in
// all). A link's ends are tools[0] and tools[1], tools[2] and tools[3],
// tools[4] twice.
func IDKeyObjects() (tools []string, cands []liaison.Candidate, err error) {
	var raws []string
	for i, u := range []string{
		"0123abcd-ef45-4678-9abc-def012345678",
		"fedcba98-7654-4321-8fed-cba987654321",
		"80000000-0000-4000-8000-000000000000",
		"ffffffff-ffff-4fff-bfff-ffffffffffff",
		"00000000-0000-4000-8000-000000000001",
	} {
		id := "tool--" + u
		tools = append(tools, id)
		raws = append(raws, fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"tool %d"}`, id, i))
	}
	rel := func(u, src, dst string) string {
		return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","relationship_type":"related-to","source_ref":%q,"target_ref":%q}`, u, src, dst)
	}
	raws = append(raws,
		rel("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", tools[0], tools[1]),
		rel("f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9", tools[2], tools[3]),
		rel("9a9a9a9a-9a9a-4a9a-9a9a-9a9a9a9a9a9a", tools[4], tools[4]))
	for i, raw := range raws {
		c, err := stix.Decode(i, []byte(raw))
		if err != nil {
			return nil, nil, fmt.Errorf("storetest: id key objects: %w", err)
		}
		cands = append(cands, c)
	}
	return tools, cands, nil
}

// IDKeyLink is the link IDKeyObjects makes between tools[2] and tools[3].
const IDKeyLink = "relationship--f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9"

// SmallOffice gives s three organisations (USA and FRA, allies, and JPN, a
// partner), an analyst of USA and a collection everyone reads and writes,
// for the stores' own tests.
func SmallOffice(t testing.TB, s liaison.Store) (liaison.Principal, liaison.Collection) {
	t.Helper()
	ctx := context.Background()
	for _, o := range []liaison.Organisation{
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner},
	} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	p := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &p, ""); err != nil {
		t.Fatal(err)
	}
	c := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return p, c
}

// EndKeys returns the distinct keys of the ends named in ends (each a
// version's comma-separated ends, "" for none), sorted.
func EndKeys(ends []string) []int64 {
	var out []int64
	for _, e := range ends {
		if e == "" {
			continue
		}
		for _, id := range strings.Split(e, ",") {
			out = append(out, stix.IDKey(id))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
