package storetest

import (
	"encoding/json"
	"slices"
	"testing"

	"liaison"
	"liaison/stix"
)

// candidates decodes raw objects for AddObjects.
func candidates(t *testing.T, raws []json.RawMessage) []liaison.Candidate {
	t.Helper()
	out := make([]liaison.Candidate, len(raws))
	for i, raw := range raws {
		c, err := stix.Decode(i, raw)
		if err != nil {
			t.Fatalf("object %d: %v", i, err)
		}
		out[i] = c
	}
	return out
}

// sightingsIn returns, by indicator, the originators of the sightings
// org reads in coll.
func (w *world) sightingsIn(org, coll string) map[string][]string {
	w.t.Helper()
	out := map[string][]string{}
	for _, v := range w.versions(org, coll, liaison.ObjectQuery{Types: []string{"sighting"}}) {
		var s struct {
			Of string `json:"sighting_of_ref"`
		}
		if err := json.Unmarshal(v.Raw, &s); err != nil {
			w.t.Fatal(err)
		}
		out[s.Of] = append(out[s.Of], v.Originator)
	}
	return out
}

// testMatchOnIngest checks matching on ingest: observed-data written to
// a collection with it turned on is matched as the writer, against only
// the indicators the writer may read, and the day's sighting is recorded
// there as the writer; with it off, or for a version stored before,
// nothing is.
func testMatchOnIngest(t *testing.T, open Opener) {
	w := newWorld(t, open)
	sensors := w.collection(liaison.Collection{Title: "Sensors", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}})
	relNATO := hubMarking(oid("marking-definition", 32), liaison.NoClassification, "NATO")
	a, b := oid("indicator", 21), oid("indicator", 22)
	w.add("FRA", w.shared, relNATO, indicator(t, a, day(0), "10.0.2.1", "", relNATO.ID), indicator(t, b, day(0), "10.0.2.2", ""))

	wantCode(t, w.s.SetMatchOnIngest(w.ctx, "no-such-collection", true), liaison.ENOTFOUND)
	// Off: nothing is matched.
	w.add("JPN", sensors, candidates(t, observed(1, w.clock.Now(), []string{"10.0.2.1", "10.0.2.2"}))...)
	if got := w.sightingsIn("USA", sensors); len(got) != 0 {
		t.Fatalf("with matching off: sightings %v", got)
	}
	w.must(w.s.SetMatchOnIngest(w.ctx, sensors, true))
	w.must(w.s.SetMatchOnIngest(w.ctx, sensors, true)) // twice is once
	if on, err := w.s.MatchOnIngest(w.ctx); err != nil || !slices.Equal(on, []string{sensors}) {
		t.Fatalf("MatchOnIngest = %v, %v; want [%s]", on, err, sensors)
	}
	// The versions stored before are not matched again.
	w.add("JPN", sensors, candidates(t, observed(1, w.clock.Now(), []string{"10.0.2.1", "10.0.2.2"}))...)
	if got := w.sightingsIn("USA", sensors); len(got) != 0 {
		t.Fatalf("a version stored before: sightings %v", got)
	}
	// JPN reads b only: its new observations of both sight b alone.
	w.add("JPN", sensors, candidates(t, observed(2, w.clock.Now(), []string{"10.0.2.1", "10.0.2.2"}))...)
	got := w.sightingsIn("USA", sensors)
	if len(got[b]) != 1 || len(got[a]) != 0 {
		t.Fatalf("after JPN's write: sightings %v, want one of %s and none of %s", got, b, a)
	}
	if got[b][0] != "JPN" {
		t.Errorf("the sighting of b was written by %s, not by JPN, the writer", got[b][0])
	}
	// USA reads a: its observation sights a, and JPN may not read that
	// sighting (the indicator is released to NATO only).
	w.add("USA", sensors, candidates(t, observed(3, w.clock.Now(), []string{"10.0.2.1"}))...)
	if got := w.sightingsIn("USA", sensors); len(got[a]) != 1 {
		t.Fatalf("after USA's write: sightings %v, want one of %s", got, a)
	}
	if got := w.sightingsIn("JPN", sensors); len(got[a]) != 0 || len(got[b]) != 1 {
		t.Errorf("JPN reads sightings %v: want its own of b and none of %s", got, a)
	}
	// Off again: nothing more.
	w.must(w.s.SetMatchOnIngest(w.ctx, sensors, false))
	w.add("USA", sensors, candidates(t, observed(4, w.clock.Now(), []string{"10.0.2.2"}))...)
	if got := w.sightingsIn("USA", sensors); len(got[b]) != 1 {
		t.Errorf("with matching off again: sightings of b %v", got[b])
	}
}
