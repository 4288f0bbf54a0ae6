package web

import (
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is an HTTP client that keeps cookies and does not follow
// redirects, as the tests need to see each answer.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (o *office) browser(t *testing.T) *browser {
	return newBrowser(t, o.srv)
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := *srv.Client() // a client of its own: each browser keeps its own cookies
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: srv.URL, c: &c}
}

func (b *browser) do(req *http.Request) (int, http.Header, string) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(body)
}

func (b *browser) get(path string) (int, http.Header, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends a form as a page of the server would: same origin.
func (b *browser) post(path string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

var formRE = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"`)

// formCSRF returns the CSRF token of the page's form that posts to action.
func formCSRF(body, action string) string {
	for _, m := range formRE.FindAllStringSubmatch(body, -1) {
		if m[1] == action {
			return m[2]
		}
	}
	return ""
}

// signIn fills the sign-in form as a person would.
func (b *browser) signIn(user, password string) (int, http.Header, string) {
	b.t.Helper()
	_, _, form := b.get("/signin")
	return b.post("/signin", url.Values{"csrf": {formCSRF(form, "/signin")}, "user": {user}, "password": {password}})
}

// mustSignIn signs in or fails the test.
func (b *browser) mustSignIn(user, password string) {
	b.t.Helper()
	if status, _, body := b.signIn(user, password); status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: %d\n%s", user, status, body)
	}
}

var meRE = regexp.MustCompile(`<span class="me">Signed in as <strong>([^<]+)</strong>`)

// whoIs returns the user the browser's pages say is signed in, or "".
func (b *browser) whoIs() string {
	b.t.Helper()
	status, _, body := b.get("/")
	if status != http.StatusOK {
		b.t.Fatalf("home: %d", status)
	}
	if m := meRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestSignIn checks the form: each kind of good and bad try, the answer's
// status, what it says, and the session cookie only on success.
func TestSignIn(t *testing.T) {
	o := newOffice(t)
	tests := []struct {
		name       string
		form       func(csrf string) url.Values
		status     int
		say        string // in the page
		location   string // on a redirect
		setSession bool
	}{
		{"password", func(c string) url.Values {
			return url.Values{"csrf": {c}, "user": {"jpn"}, "password": {"jpn-password"}}
		}, 303, "", "/", true},
		{"token as password", func(c string) url.Values {
			return url.Values{"csrf": {c}, "user": {"anyone"}, "password": {o.tokens["kor"]}}
		}, 303, "", "/", true},
		{"back to where it was asked", func(c string) url.Values {
			return url.Values{"csrf": {c}, "user": {"jpn"}, "password": {"jpn-password"}, "next": {"/objects?type=indicator"}}
		}, 303, "", "/objects?type=indicator", true},
		{"never to another site", func(c string) url.Values {
			return url.Values{"csrf": {c}, "user": {"jpn"}, "password": {"jpn-password"}, "next": {"//evil.example/x"}}
		}, 303, "", "/", true},
		{"wrong password", func(c string) url.Values { return url.Values{"csrf": {c}, "user": {"jpn"}, "password": {"nope"}} }, 401, "The user name or the password is wrong", "", false},
		{"unknown user", func(c string) url.Values {
			return url.Values{"csrf": {c}, "user": {"who"}, "password": {"jpn-password"}}
		}, 401, "The user name or the password is wrong", "", false},
		{"no user", func(c string) url.Values { return url.Values{"csrf": {c}, "password": {"jpn-password"}} }, 400, "Field user is empty", "", false},
		{"no password", func(c string) url.Values { return url.Values{"csrf": {c}, "user": {"jpn"}} }, 400, "Field password is empty", "", false},
		{"no form token", func(string) url.Values { return url.Values{"user": {"jpn"}, "password": {"jpn-password"}} }, 403, "sign-in form had expired", "", false},
		{"another form token", func(string) url.Values {
			return url.Values{"csrf": {strings.Repeat("A", 43)}, "user": {"jpn"}, "password": {"jpn-password"}}
		}, 403, "sign-in form had expired", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := o.browser(t)
			_, h, page := b.get("/signin")
			if c := cookieNamed(h, signinCookie); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("the form's cookie: %+v", c)
			}
			status, h, body := b.post("/signin", tc.form(formCSRF(page, "/signin")))
			if status != tc.status {
				t.Fatalf("status %d, want %d\n%s", status, tc.status, body)
			}
			if tc.say != "" && !strings.Contains(body, tc.say) {
				t.Errorf("the page does not say %q:\n%s", tc.say, body)
			}
			if tc.location != "" && h.Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", h.Get("Location"), tc.location)
			}
			c := cookieNamed(h, sessionCookie)
			if (c != nil) != tc.setSession {
				t.Fatalf("session cookie %+v, want one: %v", c, tc.setSession)
			}
			if c != nil {
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
					t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", c)
				}
				if len(c.Value) != 43 {
					t.Errorf("session id %q: want 32 random bytes, base64url", c.Value)
				}
			}
		})
	}
}

// TestSessionsStoreOnlyAHash checks that the server keeps no session id
// itself, only its hash.
func TestSessionsStoreOnlyAHash(t *testing.T) {
	o := newOffice(t)
	b := o.browser(t)
	_, h, _ := b.signIn("jpn", "jpn-password")
	id := cookieNamed(h, sessionCookie).Value
	ss := o.web.sessions
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byHash) != 1 {
		t.Fatalf("%d sessions", len(ss.byHash))
	}
	for k, s := range ss.byHash {
		if k != sha256.Sum256([]byte(id)) {
			t.Errorf("the session is not kept under the hash of its id")
		}
		if s.csrf == id || strings.Contains(string(k[:]), id) {
			t.Errorf("the session id is kept in the clear")
		}
	}
}

// TestSessionLifecycle follows one browser: signed in, it reads pages
// with its cookie; signing out needs the session's token; after it, and
// after the idle and absolute timeouts, the cookie opens nothing.
func TestSessionLifecycle(t *testing.T) {
	o := newOffice(t)
	t0 := o.clk.Now()
	b := o.browser(t)
	b.mustSignIn("jpn", "jpn-password")
	status, _, home := b.get("/")
	if status != 200 || !strings.Contains(home, "Signed in as <strong>jpn</strong>") || !strings.Contains(home, `action="/signout"`) {
		t.Fatalf("home after sign-in: %d\n%s", status, home)
	}
	// Sign-out needs the token.
	for _, bad := range []url.Values{{}, {"csrf": {"x"}}, {"csrf": {strings.Repeat("A", 43)}}} {
		if status, _, body := b.post("/signout", bad); status != http.StatusForbidden || !strings.Contains(body, "csrf") {
			t.Errorf("sign-out with %v: %d, want 403 naming csrf", bad, status)
		}
	}
	if who := b.whoIs(); who != "jpn" {
		t.Fatalf("a refused sign-out ended the session: signed in as %q", who)
	}
	status, h, _ := b.post("/signout", url.Values{"csrf": {formCSRF(home, "/signout")}})
	if status != http.StatusSeeOther || h.Get("Location") != "/signin?out" {
		t.Fatalf("sign-out: %d %q", status, h.Get("Location"))
	}
	if c := cookieNamed(h, sessionCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("sign-out does not delete the cookie: %+v", c)
	}
	if who := b.whoIs(); who != "" {
		t.Errorf("after sign-out the pages say %q is signed in", who)
	}

	// Idle: 29 minutes between requests keep it; 30 end it.
	b.mustSignIn("jpn", "jpn-password")
	o.clk.Set(t0.Add(29 * time.Minute))
	if who := b.whoIs(); who != "jpn" {
		t.Fatalf("after 29 idle minutes: signed in as %q", who)
	}
	o.clk.Set(t0.Add(59 * time.Minute))
	if who := b.whoIs(); who != "" {
		t.Fatalf("after 30 idle minutes: still signed in as %q", who)
	}

	// Absolute: busy all day, it still ends 12 hours after sign-in.
	start := t0.Add(time.Hour)
	o.clk.Set(start)
	b.mustSignIn("jpn", "jpn-password")
	for at := start.Add(20 * time.Minute); at.Before(start.Add(12 * time.Hour)); at = at.Add(20 * time.Minute) {
		o.clk.Set(at)
		if who := b.whoIs(); who != "jpn" {
			t.Fatalf("%s after sign-in, in use: signed in as %q", at.Sub(start), who)
		}
	}
	o.clk.Set(start.Add(12 * time.Hour))
	if who := b.whoIs(); who != "" {
		t.Fatalf("12 hours after sign-in: still signed in as %q", who)
	}
}

// TestSessionCookieUnderTLS checks the cookie that goes out over HTTPS:
// Secure and __Host- prefixed, and the only one the server then reads.
func TestSessionCookieUnderTLS(t *testing.T) {
	o := newOffice(t)
	srv := httptest.NewTLSServer(o.web)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	status, h, body := b.signIn("jpn", "jpn-password")
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in over TLS: %d\n%s", status, body)
	}
	c := cookieNamed(h, secureSessionCookie)
	if c == nil || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
		t.Fatalf("session cookie over TLS: %+v, want __Host- prefixed, Secure, HttpOnly, Path=/, no Domain", c)
	}
	if cookieNamed(h, sessionCookie) != nil {
		t.Errorf("a plain session cookie went out over TLS")
	}
	if who := b.whoIs(); who != "jpn" {
		t.Errorf("over TLS with the session: signed in as %q", who)
	}
	// The same id in a cookie without the prefix opens nothing.
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.Value})
	res, err := (&http.Client{Transport: srv.Client().Transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if meRE.Match(raw) {
		t.Errorf("the id under the unprefixed name signs the browser in")
	}
}

// TestSessionPrincipalFollowsTheUser checks that a session speaks for the
// user as the store knows them now: a new session is a new id, and the
// old one ends when the same browser signs in again.
func TestSessionPrincipalFollowsTheUser(t *testing.T) {
	o := newOffice(t)
	b := o.browser(t)
	_, h1, _ := b.signIn("jpn", "jpn-password")
	first := cookieNamed(h1, sessionCookie).Value
	_, h2, _ := b.signIn("kor", "kor-password")
	second := cookieNamed(h2, sessionCookie).Value
	if first == second {
		t.Fatal("signing in again kept the session id")
	}
	if _, ok := o.web.sessions.get(first); ok {
		t.Error("the first session outlived a new sign-in in the same browser")
	}
	if who := b.whoIs(); who != "kor" {
		t.Errorf("after the second sign-in the pages name %q, want kor", who)
	}
}
