package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaison"
	"liaison/auth"
	"liaison/sqlite"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingUsers is the real store with a count of the password checks
// running at once. It can also stand in for a change that another
// process (the CLI) makes to a user, which the store has no method for
// yet: set replaces a user as User and Authenticate see it, or removes it.
type countingUsers struct {
	liaison.UserService
	cur, max, calls atomic.Int32
	// delay is added to every password check, as argon2 at its real cost
	// would take; set it before the first request.
	delay time.Duration

	mu      sync.Mutex
	changed map[string]*liaison.Principal // nil: removed
}

func (c *countingUsers) Authenticate(ctx context.Context, name, password string) (liaison.Principal, error) {
	n := c.cur.Add(1)
	defer c.cur.Add(-1)
	c.calls.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(c.delay)
	p, err := c.UserService.Authenticate(ctx, name, password)
	if ch, ok := c.change(name); ok && err == nil {
		if ch == nil {
			return liaison.Principal{}, liaison.Errorf(liaison.EUNAUTHORIZED, "user name or password is wrong")
		}
		p = *ch
	}
	return p, err
}

func (c *countingUsers) User(ctx context.Context, name string) (liaison.Principal, error) {
	if ch, ok := c.change(name); ok {
		if ch == nil {
			return liaison.Principal{}, liaison.NotFound("user", name)
		}
		return *ch, nil
	}
	return c.UserService.User(ctx, name)
}

func (c *countingUsers) CredentialStamp(ctx context.Context, name string) (string, error) {
	st, err := c.UserService.CredentialStamp(ctx, name)
	if ch, ok := c.change(name); ok && err == nil {
		if ch == nil {
			return "", liaison.NotFound("user", name)
		}
		st += "|" + ch.Org + fmt.Sprint(ch.Roles)
	}
	return st, err
}

func (c *countingUsers) change(name string) (*liaison.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.changed[name]
	return p, ok
}

// set makes the user name look like p from now on; nil removes it.
func (c *countingUsers) set(name string, p *liaison.Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed == nil {
		c.changed = map[string]*liaison.Principal{}
	}
	c.changed[name] = p
}

type fixture struct {
	store *sqlite.Store
	users *countingUsers
	clk   *clock
	token string
	srv   *httptest.Server
}

func newFixture(t *testing.T, opts auth.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{
		Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 1024, Threads: 1},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateOrganisation(ctx, liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Partner}); err != nil {
		t.Fatal(err)
	}
	p := liaison.Principal{Name: "tanaka", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := st.CreateUser(ctx, &p, "correct horse"); err != nil {
		t.Fatal(err)
	}
	_, tok, err := st.CreateToken(ctx, "tanaka")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, users: &countingUsers{UserService: st}, clk: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, token: tok}
	opts.Now = f.clk.Now
	opts.ClientAddr = func(r *http.Request) string { return r.Header.Get("X-Test-Addr") }
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a := auth.New(f.users, opts)
	f.srv = httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := liaison.PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "no principal", 500)
			return
		}
		io.WriteString(w, p.Name+"@"+p.Org)
	})))
	t.Cleanup(f.srv.Close)
	return f
}

type result struct {
	status int
	body   string
	header http.Header
}

func (f *fixture) get(t *testing.T, addr string, set func(*http.Request)) result {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL, nil)
	req.Header.Set("X-Test-Addr", addr)
	if set != nil {
		set(req)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(b), resp.Header}
}

func basic(u, p string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(u, p) }
}

func header(v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", v) }
}

func TestCredentials(t *testing.T) {
	f := newFixture(t, auth.Options{MaxFailures: 1000})
	revokedTok := func() string {
		tk, secret, err := f.store.CreateToken(context.Background(), "tanaka")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.RevokeToken(context.Background(), tk.ID); err != nil {
			t.Fatal(err)
		}
		return secret
	}()
	cases := []struct {
		name   string
		set    func(*http.Request)
		status int
	}{
		{"basic password", basic("tanaka", "correct horse"), 200},
		{"basic token, its user", basic("tanaka", f.token), 200},
		{"basic token, any user", basic("anything", f.token), 200},
		{"basic token, empty user", basic("", f.token), 200},
		{"bearer token", header("Bearer " + f.token), 200},
		{"bearer lower-case scheme", header("bearer " + f.token), 200},
		{"token scheme (taxii2-client's TokenAuth)", header("Token " + f.token), 200},
		{"wrong token, token scheme", header("Token lia_nonsense"), 401},
		{"wrong password", basic("tanaka", "wrong"), 401},
		{"unknown user", basic("nobody", "correct horse"), 401},
		{"password as bearer", header("Bearer correct horse"), 401},
		{"wrong token", header("Bearer lia_nonsense"), 401},
		{"revoked token", header("Bearer " + revokedTok), 401},
		{"revoked token in basic", basic("tanaka", revokedTok), 401},
		{"empty bearer", header("Bearer "), 401},
		{"malformed basic", header("Basic !!!"), 401},
		{"no credentials", nil, 401},
		{"other scheme", header("Negotiate abc"), 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.get(t, "10.0.0.1", c.set)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.status == 200 && r.body != "tanaka@JPN" {
				t.Errorf("principal %q", r.body)
			}
			if c.status == 401 {
				if got := r.header.Values("WWW-Authenticate"); len(got) != 2 || got[0] != `Basic realm="liaison"` || got[1] != `Bearer realm="liaison"` {
					t.Errorf("challenges %q", got)
				}
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error.Code != liaison.EUNAUTHORIZED || e.Error.Message == "" {
					t.Errorf("body %s", r.body)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, auth.Options{MaxFailures: 3, Refill: time.Minute})
	bad, good := basic("tanaka", "wrong"), basic("tanaka", "correct horse")

	// Successes do not use up the allowance.
	for range 5 {
		if r := f.get(t, "192.0.2.1", good); r.status != 200 {
			t.Fatalf("good login: %d", r.status)
		}
	}
	for i := range 3 {
		if r := f.get(t, "192.0.2.1", bad); r.status != 401 {
			t.Fatalf("failure %d: %d", i, r.status)
		}
	}
	calls := f.users.calls.Load()
	for _, set := range []func(*http.Request){bad, good} {
		r := f.get(t, "192.0.2.1", set)
		if r.status != 429 || r.header.Get("Retry-After") != "60" {
			t.Errorf("after 3 failures: %d, Retry-After %q, %s", r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if f.users.calls.Load() != calls {
		t.Errorf("a rate-limited request still checked a password")
	}
	// A live API token is a cheap lookup of an unguessable secret: it
	// passes from a limited address, so one brute-forcer behind a shared
	// address cannot lock out everyone else's tokens.
	if r := f.get(t, "192.0.2.1", header("Bearer "+f.token)); r.status != 200 {
		t.Errorf("a valid token from a limited address: %d %s", r.status, r.body)
	}
	// A wrong token is a failure like a wrong password, and is limited.
	if r := f.get(t, "192.0.2.1", header("Bearer lia_0000_nottoken")); r.status != 429 {
		t.Errorf("a wrong token from a limited address: %d", r.status)
	}
	// Another address is not affected.
	if r := f.get(t, "192.0.2.2", good); r.status != 200 {
		t.Errorf("other address: %d", r.status)
	}
	// Half the refill is not enough; a full one gives one more try.
	f.clk.Advance(30 * time.Second)
	if r := f.get(t, "192.0.2.1", good); r.status != 429 || r.header.Get("Retry-After") != "30" {
		t.Errorf("after 30 s: %d %q", r.status, r.header.Get("Retry-After"))
	}
	f.clk.Advance(30 * time.Second)
	if r := f.get(t, "192.0.2.1", good); r.status != 200 {
		t.Errorf("after a minute: %d %s", r.status, r.body)
	}
	// The refill gave one failure back: one failure is allowed, then 429.
	if r := f.get(t, "192.0.2.1", bad); r.status != 401 {
		t.Errorf("one failure after refill: %d", r.status)
	}
	if r := f.get(t, "192.0.2.1", bad); r.status != 429 {
		t.Errorf("second failure after refill: %d", r.status)
	}
}

// TestConcurrentValidLoginsPass sends many valid requests at once from one
// address: successes never use the failed-login allowance, however many
// are in flight.
func TestConcurrentValidLoginsPass(t *testing.T) {
	f := newFixture(t, auth.Options{MaxFailures: 3, Refill: time.Minute})
	var wg sync.WaitGroup
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", f.srv.URL, nil)
			req.Header.Set("X-Test-Addr", "192.0.2.9")
			req.Header.Set("Authorization", "Bearer "+f.token)
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("concurrent valid request: %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
}

// TestPasswordChecksBounded floods the server with bad passwords from many
// addresses at once and checks that no more password checks run together
// than the bound allows.
func TestPasswordChecksBounded(t *testing.T) {
	f := newFixture(t, auth.Options{MaxFailures: 5, MaxConcurrentChecks: 2})
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := "198.51.100." + string(rune('a'+i))
			req, _ := http.NewRequest("GET", f.srv.URL, nil)
			req.Header.Set("X-Test-Addr", addr)
			req.SetBasicAuth("tanaka", "wrong")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if m := f.users.max.Load(); m < 1 || m > 2 {
		t.Errorf("%d password checks ran at once, bound is 2", m)
	}
	if c := f.users.calls.Load(); c != 24 {
		t.Errorf("%d checks, want 24", c)
	}
}

func TestStatus(t *testing.T) {
	if s := auth.Status(&auth.RateLimitedError{RetryAfter: time.Second}); s != 429 {
		t.Errorf("rate limited: %d", s)
	}
	if s := auth.Status(liaison.Errorf(liaison.EUNAUTHORIZED, "x")); s != 401 {
		t.Errorf("unauthorized: %d", s)
	}
	if msg := liaison.ErrorMessage(&auth.RateLimitedError{RetryAfter: 1500 * time.Millisecond}); msg != "too many failed logins from this address: retry after 2 s" {
		t.Errorf("message %q", msg)
	}
}
