package match

import (
	"slices"
	"testing"
	"time"
)

// TestCandidatesCoverMatches checks that Candidates proposes every
// indicator MatchBatch returns, leaves out the ones not live, and that a
// Visible built from the confirmed candidates is what narrows the answer.
func TestCandidatesCoverMatches(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	x := NewIndex(c.now)
	for _, ind := range []struct {
		id, src     string
		from, until time.Time
	}{
		{"a", "[ipv4-addr:value = '198.51.100.1']", t0.Add(-time.Hour), time.Time{}},
		{"b", "[ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value != '0.0.0.0']", t0.Add(-time.Hour), time.Time{}},
		{"later", "[ipv4-addr:value = '198.51.100.1']", t0.Add(time.Hour), time.Time{}},
		{"expiring", "[ipv4-addr:value = '198.51.100.1']", t0.Add(-time.Hour), t0.Add(time.Minute)},
		{"other", "[ipv4-addr:value = '198.51.100.2']", t0.Add(-time.Hour), time.Time{}},
		{"residual", "[domain-name:value LIKE '%.example']", t0.Add(-time.Hour), time.Time{}},
	} {
		if err := x.Add(&Indicator{ID: ind.id, Modified: t0, ValidFrom: ind.from, ValidUntil: ind.until, Pattern: mustCompile(t, ind.src)}); err != nil {
			t.Fatal(err)
		}
	}
	batch := []Observation{{ID: "o", First: t0, Last: t0, Count: 1, Objects: []Object{{"type": "ipv4-addr", "value": "198.51.100.1"}}}}
	for _, tc := range []struct {
		name  string
		at    time.Time
		cands []string
	}{
		{"now", t0, []string{"a", "b", "expiring"}},
		{"once expired", t0.Add(2 * time.Minute), []string{"a", "b"}},
		{"once valid", t0.Add(2 * time.Hour), []string{"a", "b", "later"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.set(tc.at)
			got := x.Candidates(batch)
			slices.Sort(got)
			if !slices.Equal(got, tc.cands) {
				t.Errorf("candidates %v, want %v", got, tc.cands)
			}
			for _, h := range x.MatchBatch(batch, all) {
				if !slices.Contains(got, h.IndicatorID) {
					t.Errorf("%s matched but was not a candidate", h.IndicatorID)
				}
			}
			confirmed := map[string]bool{"b": true}
			if ids := hitIDs(x.MatchBatch(batch, func(id string) bool { return confirmed[id] })); !slices.Equal(ids, []string{"b"}) {
				t.Errorf("with only b confirmed: %v", ids)
			}
		})
	}
	if got := x.Candidates(nil); got != nil {
		t.Errorf("an empty batch has candidates %v", got)
	}
}
