package auth_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"liaison"
	"liaison/auth"
)

// TestSignIn checks the sign-in form's path: a password or an API token
// passes, anything else is the same 401 whatever was wrong, and failed
// tries share one bucket with HTTP Basic, so that a form cannot be used
// to guess past the API's limit or the other way round.
func TestSignIn(t *testing.T) {
	f := newFixture(t, auth.Options{})
	a := auth.New(f.users, auth.Options{MaxFailures: 3, Refill: time.Minute, Now: f.clk.Now,
		ClientAddr: func(r *http.Request) string { return r.Header.Get("X-Test-Addr") },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil))})
	req := func(addr string) *http.Request {
		r := httptest.NewRequest("POST", "/signin", nil)
		r.Header.Set("X-Test-Addr", addr)
		return r
	}
	tests := []struct {
		name, user, password string
		ok                   bool
	}{
		{"password", "tanaka", "correct horse", true},
		{"token as password", "anyone", f.token, true},
		{"wrong password", "tanaka", "wrong", false},
		{"unknown user", "nobody", "correct horse", false},
		{"empty password", "tanaka", "", false},
		{"empty user", "", "correct horse", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.SignIn(req("10.0.0.1"), tc.user, tc.password)
			if tc.ok {
				if err != nil || p.Name != "tanaka" || p.Org != "JPN" {
					t.Fatalf("SignIn = %+v, %v; want tanaka of JPN", p, err)
				}
				return
			}
			if auth.Status(err) != http.StatusUnauthorized || liaison.ErrorMessage(err) != "invalid credentials" {
				t.Fatalf("SignIn error %v (status %d), want 401 invalid credentials", err, auth.Status(err))
			}
		})
	}

	// One address: two failed forms and one failed Basic use up three.
	addr := "10.0.0.2"
	for range 2 {
		if _, err := a.SignIn(req(addr), "tanaka", "wrong"); auth.Status(err) != 401 {
			t.Fatalf("failed sign-in: %v", err)
		}
	}
	b := req(addr)
	b.SetBasicAuth("tanaka", "wrong")
	if _, err := a.Principal(b); auth.Status(err) != 401 {
		t.Fatalf("failed Basic: %v", err)
	}
	_, err := a.SignIn(req(addr), "tanaka", "correct horse")
	var rl *auth.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("sign-in after the allowance is used up: %v, want a RateLimitedError", err)
	}
	// A live token still passes from the limited address.
	if p, err := a.SignIn(req(addr), "x", f.token); err != nil || p.Name != "tanaka" {
		t.Fatalf("token from a limited address: %+v %v", p, err)
	}
	f.clk.Advance(time.Minute)
	if _, err := a.SignIn(req(addr), "tanaka", "correct horse"); err != nil {
		t.Fatalf("after the refill: %v", err)
	}
}
