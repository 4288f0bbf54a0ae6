package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"liaison"
	"liaison/auth"
)

// TestCredentialCache checks that a name and password that passed are
// admitted again without an argon2 check, and never otherwise: not a
// wrong password, not another user's name, not once the user is removed
// or changed (as the CLI would do from another process), not after the
// entry expires or is evicted, and not when the cache is off.
func TestCredentialCache(t *testing.T) {
	good := basic("tanaka", "correct horse")
	changed := &liaison.Principal{Name: "tanaka", Org: "KOR", Roles: []liaison.Role{liaison.RoleReader}}
	type step struct {
		before func(f *fixture)
		set    func(*http.Request)
		status int
		body   string // the principal, on 200
		checks int32  // argon2 checks so far
	}
	tests := []struct {
		name  string
		opts  auth.Options
		steps []step
	}{
		{"the same credentials again", auth.Options{}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
		}},
		{"a wrong password after a right one", auth.Options{}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{set: basic("tanaka", "correct horsf"), status: 401, checks: 2},
			{set: basic("tanaka", "correct horse "), status: 401, checks: 3},
			{set: basic("tanaka", ""), status: 401, checks: 3}, // malformed: no check at all
		}},
		{"another name with the cached password", auth.Options{}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{set: basic("tanak", "acorrect horse"), status: 401, checks: 2},
			{set: basic("suzuki", "correct horse"), status: 401, checks: 3},
		}},
		{"the user is removed", auth.Options{}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{before: func(f *fixture) { f.users.set("tanaka", nil) }, set: good, status: 401, checks: 2},
			{set: good, status: 401, checks: 3},
		}},
		{"the user changes organisation and role", auth.Options{}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{before: func(f *fixture) { f.users.set("tanaka", changed) }, set: good, status: 200, body: "tanaka@KOR", checks: 2},
			{set: good, status: 200, body: "tanaka@KOR", checks: 2},
		}},
		{"the password changes in another process", auth.Options{}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{before: func(f *fixture) {
				if err := f.store.SetPassword(context.Background(), "tanaka", "battery staple"); err != nil {
					panic(err)
				}
			}, set: good, status: 401, checks: 2},
			{set: basic("tanaka", "battery staple"), status: 200, body: "tanaka@JPN", checks: 3},
			{set: basic("tanaka", "battery staple"), status: 200, body: "tanaka@JPN", checks: 3},
		}},
		{"the entry expires", auth.Options{CacheTTL: time.Minute}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{before: func(f *fixture) { f.clk.Advance(59 * time.Second) }, set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{before: func(f *fixture) { f.clk.Advance(time.Second) }, set: good, status: 200, body: "tanaka@JPN", checks: 2},
			{set: good, status: 200, body: "tanaka@JPN", checks: 2},
		}},
		{"the oldest entry is evicted", auth.Options{CacheSize: 1}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{before: addUser("sato", "JPN"), set: basic("sato", "sato password"), status: 200, body: "sato@JPN", checks: 2},
			{set: good, status: 200, body: "tanaka@JPN", checks: 3},
			{set: basic("sato", "sato password"), status: 200, body: "sato@JPN", checks: 4},
		}},
		{"the cache is off", auth.Options{CacheTTL: -1}, []step{
			{set: good, status: 200, body: "tanaka@JPN", checks: 1},
			{set: good, status: 200, body: "tanaka@JPN", checks: 2},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.MaxFailures = 100
			f := newFixture(t, tc.opts)
			for i, s := range tc.steps {
				if s.before != nil {
					s.before(f)
				}
				r := f.get(t, "192.0.2.30", s.set)
				if r.status != s.status || s.status == 200 && r.body != s.body {
					t.Fatalf("step %d: %d %q, want %d %q", i, r.status, r.body, s.status, s.body)
				}
				if c := f.users.calls.Load(); c != s.checks {
					t.Fatalf("step %d: %d argon2 checks so far, want %d", i, c, s.checks)
				}
			}
		})
	}
}

// TestCachedCredentialRateLimited checks that a cached credential does not
// pass from an address that has used up its failed-login allowance: a
// guess that hit the cache would otherwise be a free, fast password test.
func TestCachedCredentialRateLimited(t *testing.T) {
	f := newFixture(t, auth.Options{MaxFailures: 2, Refill: time.Minute})
	good := basic("tanaka", "correct horse")
	if r := f.get(t, "192.0.2.31", good); r.status != 200 {
		t.Fatalf("login: %d", r.status)
	}
	for range 2 {
		if r := f.get(t, "192.0.2.31", basic("tanaka", "wrong")); r.status != 401 {
			t.Fatalf("failure: %d", r.status)
		}
	}
	if r := f.get(t, "192.0.2.31", good); r.status != 429 {
		t.Errorf("cached credential from a limited address: %d %s", r.status, r.body)
	}
	// Another address uses the cache as before.
	calls := f.users.calls.Load()
	if r := f.get(t, "192.0.2.32", good); r.status != 200 || f.users.calls.Load() != calls {
		t.Errorf("cached credential from another address: %d, %d checks", r.status, f.users.calls.Load()-calls)
	}
}

func addUser(name, org string) func(f *fixture) {
	return func(f *fixture) {
		p := liaison.Principal{Name: name, Org: org, Roles: []liaison.Role{liaison.RoleAnalyst}}
		if err := f.store.CreateUser(context.Background(), &p, name+" password"); err != nil {
			panic(err)
		}
	}
}
