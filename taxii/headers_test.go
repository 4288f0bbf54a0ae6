package taxii_test

import (
	"testing"

	"liaison/taxii"
)

// TestResponseHeaders checks that every kind of TAXII response forbids
// MIME sniffing, and that none sent to a request with credentials may be
// stored by a cache.
func TestResponseHeaders(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.add("fra-analyst", "shared", sdo(1, 1))
	tests := []struct {
		name, method, path, as string
		headers                []string
		status                 int
	}{
		{"discovery", "GET", taxii.Prefix, "fra-analyst", nil, 200},
		{"collections", "GET", w.root + "collections/", "fra-analyst", nil, 200},
		{"objects", "GET", w.objectsURL("shared"), "fra-analyst", nil, 200},
		{"not found", "GET", w.root + "collections/nowhere/", "fra-analyst", nil, 404},
		{"not acceptable", "GET", w.root, "fra-analyst", []string{"Accept: text/html"}, 406},
		{"method not allowed", "PUT", w.root, "fra-analyst", nil, 405},
		{"unsupported media type", "POST", w.objectsURL("shared"), "fra-analyst", []string{"Content-Type: text/plain"}, 415},
		{"cross-site", "POST", w.objectsURL("shared"), "fra-analyst", []string{"Origin: http://evil.example"}, 403},
		{"no credentials", "GET", w.root, "", nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.method == "POST" {
				body = envelope(sdo(2, 1))
			}
			r := w.request(tc.method, tc.path, tc.as, body, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if cc := r.Header.Get("Cache-Control"); (cc == "no-store") != (tc.as != "") {
				t.Errorf("Cache-Control %q with credentials %v", cc, tc.as != "")
			}
		})
	}
}
