package storetest

import (
	"slices"
	"testing"
	"time"

	"liaison"
)

// SharedOpener opens two stores over one database, as two processes
// would (liaison import while liaison serve runs).
type SharedOpener func(t *testing.T, now func() time.Time) (first, second liaison.Store)

// RunShared runs the tests that need two stores over one database.
func RunShared(t *testing.T, open SharedOpener) {
	t.Run("MatchAcrossStores", func(t *testing.T) { testMatchAcrossStores(t, open) })
}

// testMatchAcrossStores checks that the first store's index, once
// filled, follows indicators the second writes: new ones, new versions,
// and still only for those who may read them.
func testMatchAcrossStores(t *testing.T, open SharedOpener) {
	var other liaison.Store
	w := newWorld(t, func(t *testing.T, now func() time.Time) liaison.Store {
		first, second := open(t, now)
		other = second
		return first
	})
	relNATO := hubMarking(oid("marking-definition", 31), liaison.NoClassification, "NATO")
	a, b, c := oid("indicator", 11), oid("indicator", 12), oid("indicator", 13)
	w.add("FRA", w.shared, relNATO, indicator(t, a, day(0), "10.0.1.1", ""))
	v := func(id string, d int) string { return id + "@" + day(d).Format(time.RFC3339) }
	if got, want := w.matched("USA", "", "10.0.1.1"), []string{v(a, 0)}; !slices.Equal(got, want) {
		t.Fatalf("before: got %v, want %v", got, want)
	}
	// The other store writes: a new indicator everyone reads, one only
	// the alliance reads, and a new version of a on another address.
	res, err := other.AddObjects(w.ctx, w.user["FRA"], w.shared, []liaison.Candidate{
		indicator(t, b, day(0), "10.0.1.2", ""),
		indicator(t, c, day(0), "10.0.1.3", "", relNATO.ID),
		indicator(t, a, day(1), "10.0.1.4", ""),
	})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("write through the other store: %v %+v", err, res.Rejected)
	}
	for _, tc := range []struct {
		org  string
		ips  []string
		want []string
	}{
		{"USA", []string{"10.0.1.2"}, []string{v(b, 0)}},
		{"JPN", []string{"10.0.1.2"}, []string{v(b, 0)}},
		{"USA", []string{"10.0.1.3"}, []string{v(c, 0)}},
		{"JPN", []string{"10.0.1.3"}, nil},
		{"USA", []string{"10.0.1.4"}, []string{v(a, 1)}},
		{"USA", []string{"10.0.1.1"}, nil}, // the latest version of a is on another address
	} {
		if got := w.matched(tc.org, "", tc.ips...); !slices.Equal(got, tc.want) {
			t.Errorf("%s matching %v after the other store's write: got %v, want %v", tc.org, tc.ips, got, tc.want)
		}
	}
}
