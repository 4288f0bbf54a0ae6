package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// testRelationshipChains: rule 9 runs to its end however long a chain of
// relationships naming relationships is, written in one call or one by
// one, and through cycles; nothing is left wider than its ends allow.
// (STIX over TAXII cannot build such chains, but federation and imports
// write through the store, and a store must never fail open.)
func testRelationshipChains(t *testing.T, open Opener) {
	const links = 200
	everyone := []string{"AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA"}
	chain := func(w *world, base string, first int) []liaison.Candidate {
		var cs []liaison.Candidate
		prev := base
		for i := range links {
			id := oid("relationship", first+i)
			cs = append(cs, relationship(id, prev, oid("identity", 900), day(0)))
			prev = id
		}
		return cs
	}
	t.Run("one call", func(t *testing.T) {
		w := newWorld(t, open)
		red := oid("malware", 1)
		w.add("USA", w.shared, sdo(red, day(0), liaison.TLPRedID))
		cs := chain(w, red, 1000)
		w.add("USA", w.shared, cs...)
		for _, i := range []int{0, 63, 64, 65, 66, 100, links - 1} {
			w.expectSeen(w.shared, cs[i].ID, "USA")
		}
	})
	t.Run("end written last", func(t *testing.T) {
		w := newWorld(t, open)
		red := oid("malware", 1)
		cs := chain(w, red, 1000)
		w.add("USA", w.shared, cs...)
		w.expectSeen(w.shared, cs[links-1].ID, everyone...)
		// The chain's first end arrives, marked for its originator alone:
		// every link narrows in the same write.
		w.add("USA", w.shared, sdo(red, day(0), liaison.TLPRedID))
		for _, i := range []int{0, 64, 65, 66, links - 1} {
			w.expectSeen(w.shared, cs[i].ID, "USA")
		}
		// Deleting it widens them all again.
		if _, err := w.s.DeleteObject(w.ctx, w.user["USA"], w.shared, red, liaison.ObjectQuery{Versions: []string{"all"}}); err != nil {
			t.Fatal(err)
		}
		w.expectSeen(w.shared, cs[links-1].ID, everyone...)
	})
	t.Run("one by one", func(t *testing.T) {
		w := newWorld(t, open)
		red := oid("malware", 1)
		w.add("USA", w.shared, sdo(red, day(0), liaison.TLPRedID))
		cs := chain(w, red, 1000)
		for _, c := range cs {
			w.add("USA", w.shared, c)
		}
		w.expectSeen(w.shared, cs[links-1].ID, "USA")
	})
	t.Run("cycles", func(t *testing.T) {
		w := newWorld(t, open)
		a, b, c := oid("relationship", 1), oid("relationship", 2), oid("relationship", 3)
		x, y := oid("tool", 1), oid("tool", 2)
		w.add("USA", w.shared, sdo(x, day(0)))
		// a → b → c → a, each also naming x, which everyone reads: the
		// cycle holds them up for everyone (the greatest fixpoint).
		w.add("USA", w.shared, relationship(a, b, x, day(0)), relationship(b, c, x, day(0)), relationship(c, a, x, day(0)))
		for _, id := range []string{a, b, c} {
			w.expectSeen(w.shared, id, everyone...)
		}
		// One relationship of the cycle gains an end only USA reads:
		// around the cycle, all three narrow to USA.
		d := oid("relationship", 4)
		w.add("USA", w.shared, sdo(y, day(0), liaison.TLPRedID), relationship(d, y, a, day(0)))
		w.expectSeen(w.shared, d, "USA")
		w.add("USA", w.shared, relationship(b, c, y, day(1)))
		// b's versions: day(0) (ends c, x) and day(1) (ends c, y). Readers
		// of b are those who read either; the cycle still settles.
		for _, id := range []string{a, b, c} {
			w.expectSeen(w.shared, id, everyone...)
		}
		// A cycle of two where one end is hidden from all but USA.
		e, f := oid("relationship", 5), oid("relationship", 6)
		w.add("USA", w.shared, relationship(e, f, y, day(0)), relationship(f, e, x, day(0)))
		w.expectSeen(w.shared, e, "USA")
		w.expectSeen(w.shared, f, "USA")
		// Recomputing from scratch gives the same answers.
		if err := w.s.RecomputeAudiences(w.ctx); err != nil {
			t.Fatal(err)
		}
		w.expectSeen(w.shared, e, "USA")
		w.expectSeen(w.shared, f, "USA")
		w.expectSeen(w.shared, a, everyone...)
	})
}

// testRelated: the relationships and sightings naming an object, as each
// reader may read them, across collections, latest version only.
func testRelated(t *testing.T, open Opener) {
	w := newWorld(t, open)
	a, b, c := oid("malware", 1), oid("campaign", 2), oid("identity", 3)
	w.add("USA", w.shared, sdo(a, day(0)), sdo(b, day(0), liaison.TLPRedID), sdo(c, day(0)))
	r1, r2, r3, s1 := oid("relationship", 1), oid("relationship", 2), oid("relationship", 3), oid("sighting", 4)
	w.add("USA", w.shared, relationship(r1, a, b, day(0)), relationship(r2, c, a, day(0)), relationship(r2, c, a, day(1)))
	w.add("USA", w.nato, relationship(r3, a, c, day(0)))
	w.add("FRA", w.shared, relationship(s1, a, c, day(0), liaison.TLPRedID))
	related := func(org string) []string {
		t.Helper()
		vs, more, err := w.s.Related(w.ctx, w.user[org], a, 0)
		if err != nil {
			t.Fatalf("Related as %s: %v", org, err)
		}
		if more {
			t.Errorf("Related as %s: more", org)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.ID+"@"+v.Modified.Format("01-02")+"/"+map[bool]string{true: "shared", false: "nato"}[v.Collection == w.shared])
			if len(v.Raw) == 0 {
				t.Errorf("Related as %s: %s without bytes", org, v.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		org  string
		want []string
	}{
		// USA reads everything: r1 (its RED end is its own), r2's latest, r3 in the NATO collection.
		{"USA", []string{r1 + "@03-01/shared", r2 + "@03-02/shared", r3 + "@03-01/nato"}},
		// FRA: not r1 (an end it cannot read), its own sighting.
		{"FRA", []string{r2 + "@03-02/shared", r3 + "@03-01/nato", s1 + "@03-01/shared"}},
		// JPN: not the NATO collection, not the RED sighting, not r1.
		{"JPN", []string{r2 + "@03-02/shared"}},
	} {
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if got := related(tc.org); !slices.Equal(got, want) {
			t.Errorf("Related(%s) as %s = %v, want %v", a, tc.org, got, want)
		}
	}
	// A limit pages: one, then more.
	vs, more, err := w.s.Related(w.ctx, w.user["USA"], a, 2)
	if err != nil || len(vs) != 2 || !more {
		t.Errorf("Related with a limit of 2: %d, more=%v, %v", len(vs), more, err)
	}
	// An object nobody names, one that does not exist, and ids no object
	// may have that match a's links loosely (case, LIKE's wildcards): nothing.
	loose := []string{strings.ToUpper(a[:7]) + a[7:], strings.Replace(a, "-", "_", 3), a[:len(a)-4] + "%"}
	for _, id := range append([]string{c, oid("tool", 99)}, loose...) {
		if vs, _, err := w.s.Related(w.ctx, w.user["JPN"], id, 0); err != nil || (id != c && len(vs) != 0) {
			t.Errorf("Related(%s): %v, %v", id, vs, err)
		}
	}
}

// testExplainAudience: who may read a version and why, for those who may
// read it; for anyone else, the same not-found as a missing object.
func testExplainAudience(t *testing.T, open Opener) {
	w := newWorld(t, open)
	rel := hubMarking(oid("marking-definition", 1), liaison.NoClassification, "NATO", "JPN")
	w.add("USA", w.shared, rel)
	a, b, r := oid("malware", 1), oid("campaign", 2), oid("relationship", 3)
	w.add("USA", w.shared, sdo(a, day(0), rel.ID), sdo(b, day(0)), relationship(r, a, b, day(0)))
	w.add("USA", w.nato, sdo(a, day(0)))
	steps := func(ex liaison.Explanation) []int {
		var rules []int
		for _, s := range ex.Steps {
			rules = append(rules, s.Rule)
		}
		return rules
	}
	ex, err := w.s.ExplainAudience(w.ctx, w.user["JPN"], w.shared, a, time.Time{})
	w.must(err)
	if ex.Audience.Key() != "FRA,JPN,NATO-IS,USA" || !slices.Equal(steps(ex), []int{4}) {
		t.Errorf("explain %s as JPN: %v %+v", a, ex.Audience, ex.Steps)
	}
	// The relationship: rule 9 narrows it to the readers of its ends.
	ex, err = w.s.ExplainAudience(w.ctx, w.user["USA"], w.shared, r, day(0))
	w.must(err)
	if ex.Audience.Key() != "FRA,JPN,NATO-IS,USA" || !slices.Contains(steps(ex), 9) {
		t.Errorf("explain %s as USA: %v %+v", r, ex.Audience, ex.Steps)
	}
	// In the NATO collection the read list bounds it (rule 1), and the
	// default-free unmarked object reads for all of NATO.
	ex, err = w.s.ExplainAudience(w.ctx, w.user["FRA"], w.nato, a, time.Time{})
	w.must(err)
	if ex.Audience.Key() != "FRA,NATO-IS,USA" || !slices.Contains(steps(ex), 1) {
		t.Errorf("explain %s in the NATO collection: %v %+v", a, ex.Audience, ex.Steps)
	}
	// KOR may not read a: the answer is that of a missing object.
	_, hidden := w.s.ExplainAudience(w.ctx, w.user["KOR"], w.shared, a, time.Time{})
	_, missing := w.s.ExplainAudience(w.ctx, w.user["KOR"], w.shared, oid("malware", 99), time.Time{})
	if liaison.ErrorCode(hidden) != liaison.ENOTFOUND || liaison.ErrorMessage(hidden) != strings.Replace(liaison.ErrorMessage(missing), oid("malware", 99), a, 1) {
		t.Errorf("hidden %v, missing %v", hidden, missing)
	}
	_, other := w.s.ExplainAudience(w.ctx, w.user["JPN"], w.nato, a, time.Time{})
	if liaison.ErrorCode(other) != liaison.ENOTFOUND {
		t.Errorf("a collection JPN may not read: %v", other)
	}
}
