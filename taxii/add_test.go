package taxii_test

import (
	"strings"
	"testing"
)

// TestAddFailureNamesFirstID posts objects that each carry a key twice. The
// failure entry must name the object by the same id as its message: the
// first "id" member, which is the one the hub's strict parser reads.
func TestAddFailureNamesFirstID(t *testing.T) {
	w := newWorld(t, worldOptions{})
	first, second := id("attack-pattern", 1), id("attack-pattern", 2)
	tests := []struct {
		name, obj string
		wantVer   string
	}{
		{"id twice", `{"type":"attack-pattern","spec_version":"2.1","id":"` + first + `","created":"2023-03-01T00:00:00.000Z","modified":"2023-03-01T00:05:00.000Z","name":"x","id":"` + second + `"}`, version(5)},
		{"id twice, adjacent", `{"type":"attack-pattern","id":"` + first + `","id":"` + second + `","spec_version":"2.1","name":"x"}`, ""},
		{"modified twice", `{"type":"attack-pattern","spec_version":"2.1","id":"` + first + `","created":"2023-03-01T00:00:00.000Z","modified":"2023-03-01T00:05:00.000Z","modified":"2023-03-01T00:09:00.000Z","name":"x"}`, version(5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := w.add("fra-analyst", "shared", tc.obj)
			if st.FailureCount != 1 || len(st.Failures) != 1 {
				t.Fatalf("status %+v", st)
			}
			f := st.Failures[0]
			if f.ID != first || !strings.Contains(f.Message, first) || strings.Contains(f.Message, second) {
				t.Errorf("failure entry id %q, message %q: want both to name %s", f.ID, f.Message, first)
			}
			if f.Version != tc.wantVer {
				t.Errorf("failure entry version %q, want %q", f.Version, tc.wantVer)
			}
		})
	}
}
