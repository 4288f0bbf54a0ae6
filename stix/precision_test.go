package stix

import (
	"strings"
	"testing"
)

// TestTimestampPrecision: created and modified (and the other ordered
// pairs) compare at the coarser of their two written precisions, so a
// producer writing milliseconds next to microseconds for one instant is
// accepted, while a real inversion is still refused.
func TestTimestampPrecision(t *testing.T) {
	const id = "attack-pattern--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"
	obj := func(created, modified, extra string) string {
		return `{"type":"attack-pattern","spec_version":"2.1","id":"` + id + `","created":"` + created + `","modified":"` + modified + `","name":"x"` + extra + `}`
	}
	cases := []struct {
		name     string
		raw      string
		wantErrs []string // empty: accepted
	}{
		{"ATT&CK ICS 11.0: ms modified, µs created, same instant", obj("2022-04-23T15:48:38.011975Z", "2022-04-23T15:48:38.011Z", ""), nil},
		{"seconds vs fraction, same second", obj("2022-04-23T15:48:38.9Z", "2022-04-23T15:48:38Z", ""), nil},
		{"equal", obj("2022-04-23T15:48:38.011Z", "2022-04-23T15:48:38.011Z", ""), nil},
		{"later", obj("2018-04-30T00:00:00Z", "2018-10-17T00:00:00.000Z", ""), nil},
		{"real inversion (2018-10-17 vs 2018-04-30)", obj("2018-10-17T00:00:00.000Z", "2018-04-30T00:00:00.000Z", ""), []string{`property "modified"`, "before"}},
		{"inversion visible at the coarser precision", obj("2022-04-23T15:48:38.012975Z", "2022-04-23T15:48:38.011Z", ""), []string{`property "modified"`, "before"}},
		{"inversion at same fine precision", obj("2022-04-23T15:48:38.011975Z", "2022-04-23T15:48:38.011974Z", ""), []string{`property "modified"`, "before"}},
		{"inversion by a second", obj("2022-04-23T15:48:39Z", "2022-04-23T15:48:38.999999Z", ""), []string{`property "modified"`, "before"}},
		{"more than nanosecond digits", obj("2022-04-23T15:48:38.0119751234Z", "2022-04-23T15:48:38.011975123Z", ""), nil},
		{"ordered pair: first_seen/last_seen at coarser precision",
			`{"type":"campaign","spec_version":"2.1","id":"campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"x","first_seen":"2020-01-01T00:00:00.5Z","last_seen":"2020-01-01T00:00:00Z"}`, nil},
		{"ordered pair: real inversion",
			`{"type":"campaign","spec_version":"2.1","id":"campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"x","first_seen":"2020-01-02T00:00:00Z","last_seen":"2020-01-01T00:00:00Z"}`, []string{`property "last_seen"`, "before"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(0, []byte(tc.raw))
			if len(tc.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want an error naming %q", tc.wantErrs)
			}
			for _, w := range tc.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
