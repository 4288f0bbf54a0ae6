package main

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"liaison/internal/httpguard/guardtest"
)

// TestServeOversizedBodies sends the office, as `liaison serve` wires it,
// bodies over its 64 MiB cap from a client that writes the whole body
// before it reads: each must get its error, not a reset connection. The
// bodies are 120 MiB, under the 128 MiB that the server reads at most, so
// that what the cap leaves unread is more than the sockets' buffers hold
// (up to 36 MiB on a Linux loopback).
func TestServeOversizedBodies(t *testing.T) {
	srv := demoServer(t)
	addr := srv.Listener.Addr().String()
	basic := func(user string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+user+"-demo"))
	}
	const size = 120 << 20
	tests := []struct {
		name, path string
		headers    []string
		chunked    bool
		status     int
		want       string
	}{
		{"TAXII add objects", taxiiAPIRoot + "collections/" + demoCyber + "/objects/",
			[]string{basic("usa-analyst"), "Accept: application/taxii+json;version=2.1", "Content-Type: application/taxii+json;version=2.1"}, false, 413, "max_content_length"},
		{"TAXII add objects, chunked", taxiiAPIRoot + "collections/" + demoCyber + "/objects/",
			[]string{basic("usa-analyst"), "Accept: application/taxii+json;version=2.1", "Content-Type: application/taxii+json;version=2.1"}, true, 413, "max_content_length"},
		{"JSON API", "/api/v1/proposals", []string{basic("gbr-officer"), "Content-Type: application/json"}, false, 413, "exceeds"},
		{"JSON API, chunked", "/api/v1/proposals", []string{basic("gbr-officer"), "Content-Type: application/json"}, true, 413, "exceeds"},
		{"a page", "/", []string{basic("gbr-officer")}, false, http.StatusMethodNotAllowed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, werr, err := guardtest.Post(addr, tc.path, tc.headers, size, tc.chunked)
			if err != nil {
				t.Fatalf("%v (writing the body: %v)", err, werr)
			}
			if werr != nil {
				t.Errorf("writing the body failed: %v", werr)
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%d %s, want %d naming %q", resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}
