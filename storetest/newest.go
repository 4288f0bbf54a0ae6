package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"liaison"
)

// testObjectsNewest: reading newest first pages through exactly what the
// reader may read, latest added first, never missing or repeating a
// version; AddedBefore and AddedAfter bound it; a cursor of one order is
// refused in the other.
func testObjectsNewest(t *testing.T, open Opener) {
	w := newWorld(t, open)
	var want []string // what KOR may read, in the order added
	for b := range 6 {
		var cs []liaison.Candidate
		for i := range 5 {
			n := b*5 + i
			var refs []string
			if n%4 == 0 {
				refs = []string{liaison.TLPRedID} // USA's alone
			}
			cs = append(cs, sdo(oid("indicator", 9000+n), day(0), refs...))
			if n%4 != 0 {
				want = append(want, oid("indicator", 9000+n))
			}
		}
		if _, err := w.s.AddObjects(w.ctx, w.user["USA"], w.shared, cs); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Second)
	}
	read := func(q liaison.ObjectQuery) ([]liaison.Version, error) {
		var out []liaison.Version
		for range 100 {
			pg, err := w.s.Objects(w.ctx, w.user["KOR"], w.shared, q)
			if err != nil {
				return nil, err
			}
			out = append(out, pg.Versions...)
			if !pg.More {
				return out, nil
			}
			q.Next = pg.Next
		}
		t.Fatal("more than 100 pages")
		return nil, nil
	}
	asc, err := read(liaison.ObjectQuery{Limit: 4, Types: []string{"indicator"}, IDs: nil})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := read(liaison.ObjectQuery{Limit: 4, Types: []string{"indicator"}, Newest: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(vs []liaison.Version) []string {
		var out []string
		for _, v := range vs {
			if slices.Contains(want, v.ID) {
				out = append(out, v.ID)
			}
		}
		return out
	}
	rev := slices.Clone(want)
	slices.Reverse(rev)
	if got := ids(desc); !slices.Equal(got, rev) {
		t.Errorf("newest first: %v, want %v", got, rev)
	}
	if len(asc) != len(desc) {
		t.Errorf("newest first reads %d versions, oldest first %d", len(desc), len(asc))
	}
	for i := 1; i < len(desc); i++ {
		if !desc[i].DateAdded.Before(desc[i-1].DateAdded) {
			t.Errorf("newest first: %s added at or after %s", desc[i].ID, desc[i-1].ID)
		}
	}
	// Bounded on both sides: the middle two batches.
	mid, err := read(liaison.ObjectQuery{Limit: 3, Newest: true, AddedAfter: desc[len(desc)-1].DateAdded, AddedBefore: desc[0].DateAdded})
	if err != nil {
		t.Fatal(err)
	}
	if len(mid) != len(desc)-2 {
		t.Errorf("between the first and the last: %d versions, want %d", len(mid), len(desc)-2)
	}
	pg, err := w.s.Objects(w.ctx, w.user["KOR"], w.shared, liaison.ObjectQuery{Limit: 2, Newest: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Objects(w.ctx, w.user["KOR"], w.shared, liaison.ObjectQuery{Limit: 2, Next: pg.Next}); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("a newest-first cursor read oldest first: %v, want EINVALID", err)
	}
}

// testActivity: the per-day counts are exactly what each reader may read,
// split by type and originator, and bad queries are EINVALID.
func testActivity(t *testing.T, open Opener) {
	w := newWorld(t, open)
	from := w.clock.Now().UTC().Truncate(24 * time.Hour)
	count := func(org, split string) map[string]int {
		cs, err := w.s.Activity(w.ctx, w.user[org], liaison.ActivityQuery{From: from.AddDate(0, 0, 1-liaison.MaxActivityDays), Days: liaison.MaxActivityDays, Split: split})
		if err != nil {
			t.Fatalf("Activity as %s by %s: %v", org, split, err)
		}
		out := map[string]int{}
		for _, c := range cs {
			out[c.Collection+" "+c.Key] += c.N
		}
		return out
	}
	before := count("KOR", liaison.SplitType)
	var cs []liaison.Candidate
	for i := range 6 {
		var refs []string
		if i%3 == 0 {
			refs = []string{liaison.TLPRedID}
		}
		cs = append(cs, sdo(oid("malware", 8000+i), day(0), refs...))
	}
	if _, err := w.s.AddObjects(w.ctx, w.user["USA"], w.shared, cs); err != nil {
		t.Fatal(err)
	}
	cs2, err := w.s.Activity(w.ctx, w.user["KOR"], liaison.ActivityQuery{From: from, Days: 2, Split: liaison.SplitType})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, c := range cs2 {
		if c.Key == "malware" && c.Collection == w.shared {
			got += c.N
			if !c.Day.Equal(from) {
				t.Errorf("counted on %s, added on %s", c.Day, from)
			}
		}
	}
	if want := before[w.shared+" malware"] + 4; got != want {
		t.Errorf("KOR counts %d malware added today, want %d", got, want)
	}
	usa := count("USA", liaison.SplitOriginator)
	if usa[w.shared+" USA"] < 6 {
		t.Errorf("USA counts %d of its own versions, want at least 6", usa[w.shared+" USA"])
	}
	if n := count("JPN", liaison.SplitCollection)[w.nato+" "]; n != 0 {
		t.Errorf("JPN counts %d versions in a collection it may not read", n)
	}
	for _, q := range []liaison.ActivityQuery{
		{From: from, Days: 0}, {From: from, Days: liaison.MaxActivityDays + 1}, {From: from.Add(time.Hour), Days: 1}, {From: from, Days: 1, Split: "colour"},
	} {
		if _, err := w.s.Activity(w.ctx, w.user["KOR"], q); liaison.ErrorCode(err) != liaison.EINVALID {
			t.Errorf("Activity(%+v): %v, want EINVALID", q, err)
		}
	}
}

// testActivityZone: days are the reader's zone's, also across a change
// of its clocks (Paris, 29 March 2026: that day is 23 hours long).
func testActivityZone(t *testing.T, open Opener) {
	w := newWorld(t, open)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	at := func(s string, n int) {
		ts, _ := time.Parse(time.RFC3339, s)
		w.clock.Advance(ts.Sub(w.clock.Now()))
		w.add("USA", w.shared, sdo(oid("tool", 7000+n), day(0)))
	}
	at("2026-03-28T22:30:00Z", 1) // 23:30 on the 28th in Paris
	at("2026-03-28T23:30:00Z", 2) // 00:30 on the 29th
	at("2026-03-29T21:30:00Z", 3) // 23:30 on the 29th (summer time)
	at("2026-03-29T22:30:00Z", 4) // 00:30 on the 30th
	byDay := func(zone *time.Location, from time.Time) map[string]int {
		cs, err := w.s.Activity(w.ctx, w.user["USA"], liaison.ActivityQuery{From: from, Days: 3, Split: liaison.SplitType, Zone: zone})
		if err != nil {
			t.Fatalf("Activity in %s: %v", zone, err)
		}
		out := map[string]int{}
		for _, c := range cs {
			if c.Key == "tool" {
				out[c.Day.In(zone).Format("2006-01-02T15:04")] += c.N
			}
		}
		return out
	}
	got := byDay(paris, time.Date(2026, 3, 28, 0, 0, 0, 0, paris))
	want := map[string]int{"2026-03-28T00:00": 1, "2026-03-29T00:00": 2, "2026-03-30T00:00": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Paris days: %v, want %v", got, want)
	}
	got = byDay(time.UTC, time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC))
	want = map[string]int{"2026-03-28T00:00": 2, "2026-03-29T00:00": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("UTC days: %v, want %v", got, want)
	}
	if _, err := w.s.Activity(w.ctx, w.user["USA"], liaison.ActivityQuery{From: time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), Days: 3, Zone: paris}); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("a UTC midnight in Paris's zone: %v, want EINVALID", err)
	}
}
