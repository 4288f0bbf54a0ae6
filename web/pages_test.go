package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"liaison/auth"
)

// get sends a GET with Basic credentials (none if user is "") and returns
// the status, headers and body.
func (o *office) get(t *testing.T, path, user, password string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", o.srv.URL+path, nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestRateLimitedPages checks that a page asked for by an address that has
// used up its failed-login allowance answers 429 with Retry-After, as the
// API does, and never 401 with a challenge, which would make the browser
// prompt for the password again.
func TestRateLimitedPages(t *testing.T) {
	o := newOfficeWith(t, auth.Options{MaxFailures: 2, Refill: 30 * time.Second})
	paths := []string{"/", "/signin", "/api/v1/whoami"}
	// Before the limit: a wrong password is a 401 with a challenge.
	for _, p := range paths[:2] {
		if status, h, _ := o.get(t, p, "jpn", "wrong"); status != 401 || h.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s with a wrong password: %d, WWW-Authenticate %q", p, status, h.Get("WWW-Authenticate"))
		}
	}
	tests := []struct {
		path, user, password string
	}{
		{"/", "jpn", "wrong"},
		{"/", "jpn", "jpn-password"},
		{"/signin", "jpn", "wrong"},
		{"/signin", "jpn", "jpn-password"},
		{"/api/v1/whoami", "jpn", "wrong"},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.password, func(t *testing.T) {
			status, h, body := o.get(t, tc.path, tc.user, tc.password)
			if status != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429: %s", status, body)
			}
			if ra := h.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("Retry-After %q", ra)
			}
			if c := h.Values("WWW-Authenticate"); len(c) != 0 {
				t.Errorf("WWW-Authenticate %q on a 429", c)
			}
			if !strings.Contains(body, "too many failed logins") {
				t.Errorf("body %q", body)
			}
		})
	}
	// A page without credentials still asks for them.
	if status, h, _ := o.get(t, "/signin", "", ""); status != 401 || h.Get("WWW-Authenticate") != `Basic realm="liaison"` {
		t.Errorf("/signin without credentials: %d %q", status, h.Get("WWW-Authenticate"))
	}
}
