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
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestRateLimitedPages checks that an address that has used up its
// failed-login allowance gets 429 with Retry-After on every face: the
// sign-in form, a page read with Basic credentials, and the API; and
// that a page never answers with a Basic challenge, which would make the
// browser prompt for a password outside the form and count each answer
// as another refused try.
func TestRateLimitedPages(t *testing.T) {
	o := newOfficeWith(t, auth.Options{MaxFailures: 3, Refill: 30 * time.Second})
	b := o.browser(t)
	// Before the limit: a wrong password is a 401 page and no challenge.
	if status, h, body := o.get(t, "/", "jpn", "wrong"); status != 401 || h.Get("WWW-Authenticate") != "" || !strings.Contains(body, `href="/signin"`) {
		t.Fatalf("/ with a wrong Basic password: %d, WWW-Authenticate %q", status, h.Get("WWW-Authenticate"))
	}
	for range 2 {
		if status, _, body := b.signIn("jpn", "wrong"); status != 401 || !strings.Contains(body, "The user name or the password is wrong") {
			t.Fatalf("sign-in with a wrong password: %d\n%s", status, body)
		}
	}
	tests := []struct {
		name string
		do   func() (int, http.Header, string)
	}{
		{"sign-in form, wrong password", func() (int, http.Header, string) { return b.signIn("jpn", "wrong") }},
		{"sign-in form, right password", func() (int, http.Header, string) { return b.signIn("jpn", "jpn-password") }},
		{"page with Basic", func() (int, http.Header, string) { return o.get(t, "/", "jpn", "jpn-password") }},
		{"API with Basic", func() (int, http.Header, string) { return o.get(t, "/api/v1/whoami", "jpn", "wrong") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := tc.do()
			if status != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429: %s", status, body)
			}
			ra := h.Get("Retry-After")
			if ra == "" || ra == "0" {
				t.Errorf("Retry-After %q", ra)
			}
			if c := h.Values("WWW-Authenticate"); len(c) != 0 {
				t.Errorf("WWW-Authenticate %q on a 429", c)
			}
			if !strings.Contains(body, "too many failed logins") && !strings.Contains(body, "Too many failed sign-ins") {
				t.Errorf("body does not say why: %s", body)
			}
			if strings.Contains(body, "<main") && !strings.Contains(body, "Wait "+ra+" seconds") {
				t.Errorf("the page does not say how long to wait (Retry-After %s)", ra)
			}
		})
	}
	// A valid API token still passes from the limited address.
	if status, _, body := b.signIn("x", o.tokens["jpn"]); status != http.StatusSeeOther {
		t.Errorf("sign-in with a token from a limited address: %d %s", status, body)
	}
}
