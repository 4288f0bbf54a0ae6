package web

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityHeaders checks the headers of every kind of response: pages
// and API answers, signed in or not, errors included. Nothing but the
// static assets may be stored by a cache: a page without credentials
// may still carry a session cookie.
func TestSecurityHeaders(t *testing.T) {
	o := newOffice(t)
	tests := []struct {
		name, method, path string
		signedIn           bool
		status             int
		noStore            bool
	}{
		{"home, anonymous", "GET", "/", false, 200, true},
		{"home, signed in", "GET", "/", true, 200, true},
		{"sign-in form", "GET", "/signin", false, 200, true},
		{"sign-in form with credentials", "GET", "/signin", true, 200, true},
		{"page not found", "GET", "/nowhere", true, 404, true},
		{"page not found, anonymous", "GET", "/nowhere", false, 404, true},
		{"list, anonymous", "GET", "/objects", false, 303, true},
		{"health", "GET", "/healthz", false, 200, true},
		{"API", "GET", "/api/v1/whoami", true, 200, true},
		{"API without credentials", "GET", "/api/v1/whoami", false, 401, true},
		{"API not found", "GET", "/api/v1/nowhere", true, 404, true},
		{"API write refused", "POST", "/api/v1/proposals", true, 415, true},
		{"stylesheet", "GET", "/assets/liaison.css", true, 200, false},
		{"script", "GET", "/assets/liaison.js", false, 200, false},
		{"icon", "GET", "/favicon.svg", false, 200, false},
		{"no such asset", "GET", "/assets/x.js", false, 404, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, o.srv.URL+tc.path, nil)
			if tc.signedIn {
				req.SetBasicAuth("jpn", o.tokens["jpn"])
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h := res.Header
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("Content-Security-Policy %q allows inline code", csp)
			}
			if rp := h.Get("Referrer-Policy"); rp != "same-origin" && rp != "no-referrer" {
				t.Errorf("Referrer-Policy %q", rp)
			}
			if cc := h.Get("Cache-Control"); (cc == "no-store") != tc.noStore {
				t.Errorf("Cache-Control %q, want no-store %v", cc, tc.noStore)
			}
		})
	}
}

// TestPagesNeedNoInlineCode checks that the pages work under their policy:
// no inline script or style, no handler attributes, and the stylesheet
// they link is served as CSS.
func TestPagesNeedNoInlineCode(t *testing.T) {
	o := newOffice(t)
	inline := regexp.MustCompile(`(?i)<style|<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+\s*=|\sstyle\s*=|javascript:`)
	for _, signedIn := range []bool{false, true} {
		req, _ := http.NewRequest("GET", o.srv.URL+"/", nil)
		if signedIn {
			req.SetBasicAuth("jpn", o.tokens["jpn"])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if m := inline.Find(b); m != nil {
			t.Errorf("signed in %v: the home page has inline code %q, which its policy blocks", signedIn, m)
		}
		links := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`).FindAllSubmatch(b, -1)
		if len(links) == 0 {
			t.Errorf("signed in %v: the home page links no stylesheet", signedIn)
		}
		for _, link := range links {
			res, err := http.Get(o.srv.URL + string(link[1]))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
				t.Errorf("stylesheet %s: %d %q", link[1], res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
	}
}
