package taxii_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/auth"
	"liaison/sqlite"
	"liaison/taxii"
)

// clock is a test clock: each reading is a millisecond after the last.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// user is a fixture principal with its password and an API token.
type user struct {
	Name, Password, Token string
	Principal             liaison.Principal
}

// world is a store with organisations, users and collections behind a
// real HTTP TAXII server.
type world struct {
	t       testing.TB
	store   *sqlite.Store
	clock   *clock
	authClk *clock
	srv     *httptest.Server
	taxii   *taxii.Server
	root    string // API root URL
	users   map[string]user
	// collections by short name: shared (NATO+IP4 read, NATO+JPN write),
	// natoOnly (NATO read and write), dropbox (NATO read; JPN may only
	// write).
	coll map[string]string
	log  *bytes.Buffer
}

type worldOptions struct {
	cfg         taxii.Config
	maxFailures int
	// wrap, when set, makes the store the TAXII server is given from the
	// world's own.
	wrap func(*sqlite.Store) liaison.Store
}

func newWorld(t testing.TB, o worldOptions) *world {
	t.Helper()
	ctx := context.Background()
	clk := newClock()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{
		Now:      clk.Now,
		Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, store: st, clock: clk, authClk: newClock(), users: map[string]user{}, coll: map[string]string{}, log: &bytes.Buffer{}}

	for _, org := range []liaison.Organisation{
		{Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner},
		{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody},
	} {
		if err := st.CreateOrganisation(ctx, org); err != nil {
			t.Fatalf("create organisation %s: %v", org.Code, err)
		}
	}
	for _, u := range []struct {
		name, org string
		role      liaison.Role
	}{
		{"fra-analyst", "FRA", liaison.RoleAnalyst},
		{"fra-reader", "FRA", liaison.RoleReader},
		{"usa-analyst", "USA", liaison.RoleAnalyst},
		{"jpn-analyst", "JPN", liaison.RoleAnalyst},
	} {
		p := liaison.Principal{Name: u.name, Org: u.org, Roles: []liaison.Role{u.role}}
		pw := "pw-" + u.name
		if err := st.CreateUser(ctx, &p, pw); err != nil {
			t.Fatalf("create user %s: %v", u.name, err)
		}
		_, tok, err := st.CreateToken(ctx, u.name)
		if err != nil {
			t.Fatalf("create token %s: %v", u.name, err)
		}
		w.users[u.name] = user{Name: u.name, Password: pw, Token: tok, Principal: p}
	}
	for _, c := range []struct {
		short       string
		read, write []string
	}{
		{"shared", []string{"NATO", "IP4"}, []string{"NATO", "JPN"}},
		{"natoOnly", []string{"NATO"}, []string{"NATO"}},
		{"dropbox", []string{"NATO"}, []string{"JPN"}},
	} {
		col := liaison.Collection{Title: c.short, Description: "the " + c.short + " collection", Topic: liaison.TopicCyber, Read: c.read, Write: c.write}
		if err := st.CreateCollection(ctx, &col); err != nil {
			t.Fatalf("create collection %s: %v", c.short, err)
		}
		w.coll[c.short] = col.ID
	}

	maxFail := o.maxFailures
	if maxFail == 0 {
		maxFail = 1000
	}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: w.log}, nil))
	a := auth.New(st, auth.Options{Now: w.authClk.Now, MaxFailures: maxFail, Refill: time.Minute, Logger: logger})
	cfg := o.cfg
	cfg.Logger = logger
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	if cfg.Title == "" {
		cfg.Title = "Liaison Office Tokyo"
	}
	var served liaison.Store = st
	if o.wrap != nil {
		served = o.wrap(st)
	}
	w.taxii = taxii.NewServer(served, a, cfg)
	mux := http.NewServeMux()
	mux.Handle(taxii.Prefix, w.taxii)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	apiRoot := cfg.APIRoot
	if apiRoot == "" {
		apiRoot = taxii.DefaultAPIRoot
	}
	w.root = w.srv.URL + taxii.Prefix + apiRoot + "/"
	return w
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// client returns a TAXII client for the named user, with Basic auth.
func (w *world) client(name string) *taxii.Client {
	u := w.users[name]
	return taxii.NewClient(taxii.ClientOptions{User: u.Name, Password: u.Password, HTTP: w.srv.Client()})
}

// response is a raw HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errorMessage decodes a TAXII error message body.
func (r response) errorMessage(t testing.TB) taxii.ErrorMessage {
	t.Helper()
	var e taxii.ErrorMessage
	r.json(t, &e)
	return e
}

// request makes a raw HTTP request; as is a user name (Basic with the
// password), or "" for none. Headers are "Name: value" strings.
func (w *world) request(method, path, as string, body []byte, headers ...string) response {
	w.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = w.srv.URL + path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	if body != nil {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	if as != "" {
		req.SetBasicAuth(as, w.users[as].Password)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		v = strings.TrimSpace(v)
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// objectsURL is the objects endpoint of a collection (short name).
func (w *world) objectsURL(short string) string {
	return w.root + "collections/" + w.coll[short] + "/objects/"
}

// add posts objects as user to a collection and checks for 202.
func (w *world) add(as, short string, objs ...string) taxii.Status {
	w.t.Helper()
	resp := w.request("POST", w.objectsURL(short), as, envelope(objs...))
	if resp.Status != http.StatusAccepted {
		w.t.Fatalf("add objects: %d %s", resp.Status, resp.Body)
	}
	var st taxii.Status
	resp.json(w.t, &st)
	return st
}

func envelope(objs ...string) []byte {
	return []byte(`{"objects":[` + strings.Join(objs, ",") + `]}`)
}

// sdo returns an attack-pattern with the given uuid suffix number and
// modified time (minutes after a base), plus extra members.
func sdo(n int, minute int, extra ...string) string {
	return obj("attack-pattern", n, minute, extra...)
}

func obj(typ string, n, minute int, extra ...string) string {
	ts := time.Date(2023, 3, 1, 0, minute, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
	created := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
	s := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":"%s","created":%q,"modified":%q,"name":"object %d"`, typ, id(typ, n), created, ts, n)
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func id(typ string, n int) string {
	return fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n)
}

// version is the version string of sdo(_, minute).
func version(minute int) string {
	return time.Date(2023, 3, 1, 0, minute, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
}

// ids returns the ids and modified values of an envelope's objects, in order.
func ids(t testing.TB, body []byte) []string {
	t.Helper()
	var env taxii.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("decode envelope %s: %v", body, err)
	}
	var out []string
	for _, o := range env.Objects {
		var v struct{ ID, Modified string }
		if err := json.Unmarshal(o, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v.ID+"@"+v.Modified)
	}
	return out
}
