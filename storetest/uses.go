package storetest

import (
	"maps"
	"strings"
	"testing"

	"liaison"
)

// testCountUses: a matrix's counts are each reader's own. A user counts
// once per technique however many links join them; only through the
// latest version of a link the reader may read, of the relationship type
// asked; only when the reader may read the user somewhere (a user held
// in a collection the reader may not read, or nowhere, does not count);
// never a revoked link, never a user of another type.
func testCountUses(t *testing.T, open Opener) {
	w := newWorld(t, open)
	t1, t2, t3 := oid("attack-pattern", 1), oid("attack-pattern", 2), oid("attack-pattern", 3)
	camp1, camp2, camp3 := oid("campaign", 1), oid("campaign", 2), oid("campaign", 3)
	ia1, ta1, m1 := oid("intrusion-set", 1), oid("threat-actor", 1), oid("malware", 1)
	w.add("USA", w.shared, sdo(t1, day(0)), sdo(t2, day(0)), sdo(camp1, day(0)), sdo(camp2, day(0), liaison.TLPRedID), sdo(ta1, day(0)), sdo(m1, day(0)))
	w.add("USA", w.nato, sdo(ia1, day(0)))
	revoked := relationship(oid("relationship", 9), ta1, t2, day(1))
	revoked.Raw = []byte(strings.Replace(string(revoked.Raw), `"relationship_type"`, `"revoked":true,"relationship_type"`, 1))
	revoked.Revoked = true
	related := relationship(oid("relationship", 6), camp1, t2, day(0))
	related.Raw = []byte(strings.Replace(string(related.Raw), `"uses"`, `"related-to"`, 1))
	w.add("USA", w.shared,
		relationship(oid("relationship", 1), camp1, t1, day(0)),
		relationship(oid("relationship", 2), camp2, t1, day(0)), // hidden by rule 9 from all but USA
		relationship(oid("relationship", 4), ia1, t2, day(0)),   // its user is only in the NATO collection
		relationship(oid("relationship", 5), m1, t1, day(0)),    // malware: not a counted type
		related,
		relationship(oid("relationship", 8), camp3, t3, day(0)), // its user is stored nowhere
		relationship(oid("relationship", 9), ta1, t2, day(0)), revoked,
	)
	w.add("USA", w.nato,
		relationship(oid("relationship", 3), ia1, t1, day(0)),
		relationship(oid("relationship", 7), camp1, t1, day(0)), // camp1 again: still one user
	)
	targets := []string{t1, t2, t3, oid("attack-pattern", 99)}
	for _, tc := range []struct {
		org  string
		q    liaison.UseQuery
		want map[string]int
	}{
		{"USA", liaison.UseQuery{Targets: targets, SourceTypes: liaison.UserTypes}, map[string]int{t1: 3, t2: 1}},
		{"FRA", liaison.UseQuery{Targets: targets, SourceTypes: liaison.UserTypes}, map[string]int{t1: 2, t2: 1}},
		{"JPN", liaison.UseQuery{Targets: targets, SourceTypes: liaison.UserTypes}, map[string]int{t1: 1}},
		{"JPN", liaison.UseQuery{Targets: targets, SourceTypes: []string{"campaign"}, Relationship: "related-to"}, map[string]int{t2: 1}},
		{"USA", liaison.UseQuery{Targets: targets, SourceTypes: []string{"malware"}}, map[string]int{t1: 1}},
		{"USA", liaison.UseQuery{Targets: []string{t2}, SourceTypes: liaison.UserTypes}, map[string]int{t2: 1}},
		{"USA", liaison.UseQuery{SourceTypes: liaison.UserTypes}, map[string]int{}},
	} {
		got, err := w.s.CountUses(w.ctx, w.user[tc.org], tc.q)
		if err != nil {
			t.Fatalf("CountUses as %s, %+v: %v", tc.org, tc.q, err)
		}
		if !maps.Equal(got, tc.want) {
			t.Errorf("CountUses as %s, %+v = %v, want %v", tc.org, tc.q, got, tc.want)
		}
	}
	// A reader with no collection counts nothing.
	nobody := w.user["AUS"]
	nobody.Org = "XXX"
	if got, err := w.s.CountUses(w.ctx, nobody, liaison.UseQuery{Targets: targets, SourceTypes: liaison.UserTypes}); err != nil || len(got) != 0 {
		t.Errorf("CountUses for an unknown organisation = %v, %v", got, err)
	}
	many := make([]string, liaison.MaxUseTargets+1)
	for i := range many {
		many[i] = oid("attack-pattern", i)
	}
	for _, tc := range []struct {
		q    liaison.UseQuery
		word string
	}{
		{liaison.UseQuery{Targets: targets}, "source types"},
		{liaison.UseQuery{Targets: many, SourceTypes: liaison.UserTypes}, "targets"},
		{liaison.UseQuery{Targets: []string{"nonsense"}, SourceTypes: liaison.UserTypes}, "targets"},
		{liaison.UseQuery{Targets: targets, SourceTypes: []string{"Campaign!"}}, "source types"},
		{liaison.UseQuery{Targets: targets, SourceTypes: liaison.UserTypes, Relationship: "USES"}, "relationship"},
	} {
		_, err := w.s.CountUses(w.ctx, w.user["USA"], tc.q)
		wantCode(t, err, liaison.EINVALID)
		if !strings.Contains(liaison.ErrorMessage(err), "field "+tc.word) {
			t.Errorf("CountUses(%v): %q does not name field %s", tc.q.SourceTypes, liaison.ErrorMessage(err), tc.word)
		}
	}
}
