package stix

import (
	"strings"
	"testing"
	"time"
)

// TestDecodeRejectedIdentity checks that a rejected object's candidate
// names it as the error message does, so a failure entry and its message
// agree: by the first "id" member, even when a second one follows.
func TestDecodeRejectedIdentity(t *testing.T) {
	const (
		first  = "tool--11111111-1111-4111-8111-111111111111"
		second = "tool--22222222-2222-4222-8222-222222222222"
	)
	created := time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC)
	modified := time.Date(2016, 5, 6, 20, 3, 48, 0, time.UTC)
	stamps := `"created":"2016-04-06T20:03:48.000Z","modified":"2016-05-06T20:03:48.000Z"`
	long := "tool--" + strings.Repeat("a", 400)
	tests := []struct {
		name, raw string
		id        string
		version   time.Time
	}{
		{"duplicate id", `{"type":"tool","spec_version":"2.1","id":"` + first + `",` + stamps + `,"name":"x","id":"` + second + `"}`, first, modified},
		{"duplicate id before the stamps", `{"type":"tool","id":"` + first + `","id":"` + second + `",` + stamps + `}`, first, time.Time{}},
		{"duplicate modified", `{"type":"tool","spec_version":"2.1","id":"` + first + `",` + stamps + `,"modified":"2020-01-01T00:00:00.000Z","name":"x"}`, first, modified},
		{"id of another type", `{"type":"malware","spec_version":"2.1","id":"` + first + `",` + stamps + `}`, first, modified},
		{"malformed id", `{"type":"tool","spec_version":"2.1","id":"tool--123",` + stamps + `}`, "tool--123", modified},
		{"long malformed id", `{"type":"tool","id":"` + long + `"}`, long[:maxRejectedID], time.Time{}},
		{"missing name", `{"type":"tool","spec_version":"2.1","id":"` + first + `","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"}`, first, created},
		{"no id", `{"type":"tool","name":"x"}`, "", time.Time{}},
		{"not an object", `["` + first + `"]`, "", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Decode(3, []byte(tc.raw))
			if err == nil {
				t.Fatal("accepted")
			}
			if c.ID != tc.id {
				t.Errorf("candidate id %q, want %q (message: %v)", c.ID, tc.id, err)
			}
			if !c.Version().Equal(tc.version) {
				t.Errorf("candidate version %v, want %v", c.Version(), tc.version)
			}
			if c.Index != 3 || string(c.Raw) != tc.raw {
				t.Errorf("candidate index %d, raw %q", c.Index, c.Raw)
			}
			if tc.id == first && !strings.Contains(err.Error(), first) {
				t.Errorf("message %q does not name %s", err, first)
			}
			if strings.Contains(err.Error(), second) {
				t.Errorf("message %q names the second id", err)
			}
		})
	}
}
