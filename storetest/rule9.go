package storetest

import (
	"testing"

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
