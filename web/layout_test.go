package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"liaison"
	"liaison/auth"
)

var bannerRE = regexp.MustCompile(`<div class="banner ([a-z-]+)" role="note" aria-label="Marking of this page">([^<]*)</div>`)

// banners returns the page's banners, top and bottom.
func banners(body string) []string {
	var out []string
	for _, m := range bannerRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[2])
	}
	return out
}

// checkLayout checks what every page has: a banner at the top and the
// bottom saying the same, one <main>, the navigation, a favicon, and no
// inline code that the pages' policy would block.
func checkLayout(t *testing.T, what, body string) {
	t.Helper()
	b := banners(body)
	switch {
	case len(b) != 2:
		t.Errorf("%s: %d banners, want one at the top and one at the bottom", what, len(b))
	case b[0] != b[1]:
		t.Errorf("%s: the banners differ: %q and %q", what, b[0], b[1])
	case strings.Index(body, `class="banner`) > strings.Index(body, "<header") || strings.LastIndex(body, `class="banner`) < strings.Index(body, "</footer>"):
		t.Errorf("%s: the banners are not first and last", what)
	}
	for _, want := range []string{`<main id="main"`, `<nav aria-label="Main">`, `rel="icon" href="/favicon.svg"`, `<html lang="en">`, `name="viewport"`} {
		if strings.Count(body, want) != 1 {
			t.Errorf("%s: %q appears %d times, want once", what, want, strings.Count(body, want))
		}
	}
	inline := regexp.MustCompile(`(?i)<style|<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+\s*=|\sstyle\s*=|\s(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:`)
	if m := inline.FindString(body); m != "" {
		t.Errorf("%s: inline code %q, which the pages' policy blocks", what, m)
	}
}

// failingStore fails the reads the home page makes, as a broken database
// would.
type failingStore struct{ liaison.Store }

func (failingStore) Organisations(context.Context) ([]liaison.Organisation, error) {
	return nil, errors.New("disk I/O error at /var/lib/liaison/liaison.db")
}

// TestErrorPages checks that errors are pages in the layout, with the
// status, what went wrong in words, and a way back; and that a fault of
// ours shows no detail.
func TestErrorPages(t *testing.T) {
	o := newOffice(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	broken, err := NewServer(Services{Store: failingStore{o.store}, Consultations: o.store, Decisions: o.store}, auth.New(o.store, auth.Options{Logger: logger}), Config{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	bsrv := httptest.NewServer(broken)
	t.Cleanup(bsrv.Close)
	signed := o.browser(t)
	signed.mustSignIn("jpn", "jpn-password")
	tests := []struct {
		name   string
		get    func() (int, http.Header, string)
		status int
		say    []string
		hide   []string
	}{
		{"no such page", func() (int, http.Header, string) { return o.browser(t).get("/no/such/page") }, 404,
			[]string{"Not found", "there is no page at /no/such/page", `href="/"`}, nil},
		{"no such page, signed in", func() (int, http.Header, string) { return signed.get("/nowhere") }, 404,
			[]string{"Not found", `href="/"`}, nil},
		{"cross-site form", func() (int, http.Header, string) {
			req, _ := http.NewRequest("POST", o.srv.URL+"/signout", strings.NewReader("csrf=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "http://evil.example")
			return signed.do(req)
		}, 403, []string{"Not allowed", "cross-site request refused", `href="/"`}, nil},
		{"our fault", func() (int, http.Header, string) { return newBrowser(t, bsrv).get("/") }, 500,
			[]string{"Something went wrong on our side", "internal error", `href="/"`}, []string{"disk", "liaison.db"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := tc.get()
			if status != tc.status {
				t.Fatalf("status %d, want %d\n%s", status, tc.status, body)
			}
			if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			checkLayout(t, tc.name, body)
			if b := banners(body); len(b) > 0 && b[0] != "UNMARKED" {
				t.Errorf("an error page's banner says %q, want UNMARKED", b[0])
			}
			for _, s := range tc.say {
				if !strings.Contains(body, s) {
					t.Errorf("the page does not say %q", s)
				}
			}
			for _, s := range tc.hide {
				if strings.Contains(body, s) {
					t.Errorf("the page shows %q", s)
				}
			}
		})
	}
}

// TestPagesHaveTheLayout checks the layout on the pages anyone reaches.
func TestPagesHaveTheLayout(t *testing.T) {
	o := newOffice(t)
	anon := o.browser(t)
	signed := o.browser(t)
	signed.mustSignIn("jpn", "jpn-password")
	for _, tc := range []struct {
		who  string
		b    *browser
		path string
	}{
		{"anonymous", anon, "/"}, {"anonymous", anon, "/signin"}, {"anonymous", anon, "/markings"},
		{"jpn", signed, "/"}, {"jpn", signed, "/signin"}, {"jpn", signed, "/markings"},
	} {
		status, _, body := tc.b.get(tc.path)
		if status != 200 {
			t.Errorf("%s %s: %d", tc.who, tc.path, status)
			continue
		}
		checkLayout(t, tc.who+" "+tc.path, body)
	}
	if status, h, body := anon.get("/favicon.svg"); status != 200 || h.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
		t.Errorf("favicon: %d %q", status, h.Get("Content-Type"))
	}
}
