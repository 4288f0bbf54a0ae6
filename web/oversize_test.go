package web

import (
	"encoding/json"
	"strings"
	"testing"

	"liaison/internal/httpguard/guardtest"
)

// TestOversizedJSONBodyGetsTheError sends the JSON API bodies far over its
// limit from a client that does not read while it sends: the client must
// receive the error, not a reset connection.
func TestOversizedJSONBodyGetsTheError(t *testing.T) {
	o := newOffice(t)
	addr := o.srv.Listener.Addr().String()
	jsonCT := "Content-Type: application/json"
	tests := []struct {
		name    string
		headers []string
		status  int
		want    string
	}{
		{"over the JSON limit", []string{"Authorization: Bearer " + o.tokens["nis"], jsonCT}, 413, "exceeds"},
		{"no credentials", []string{jsonCT}, 401, "authentication required"},
		{"not JSON", []string{"Authorization: Bearer " + o.tokens["nis"], "Content-Type: text/plain"}, 415, "Content-Type"},
		{"cross-site", []string{"Authorization: Bearer " + o.tokens["nis"], jsonCT, "Origin: http://evil.example"}, 403, "cross-site"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, werr, err := guardtest.Post(addr, "/api/v1/proposals", tc.headers, 65<<20, false)
			if err != nil {
				t.Fatalf("%v (writing the body: %v)", err, werr)
			}
			if werr != nil {
				t.Errorf("writing the body failed: %v", werr)
			}
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tc.status || !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("%d %s (%v), want %d naming %q", resp.StatusCode, body, err, tc.status, tc.want)
			}
		})
	}
}
