package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/auth"
	"liaison/sqlite"
)

// clock is a settable clock for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// office is a real store behind the real handler, with tokens per user.
type office struct {
	t      testing.TB
	srv    *httptest.Server
	web    *Server
	store  *sqlite.Store
	clk    *clock
	tokens map[string]string
	users  map[string]liaison.Principal
}

func newOffice(t testing.TB) *office {
	t.Helper()
	return newOfficeWith(t, auth.Options{MaxFailures: 1 << 20})
}

// newOfficeWith is newOffice with these authentication options; users get
// the password "<name>-password" besides their token.
func newOfficeWith(t testing.TB, opts auth.Options) *office {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Now: clk.Now, Logger: logger, Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, o := range []liaison.Organisation{
		{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody, TimeZone: "Europe/Brussels"},
		{Code: "FRA", Name: "France", Kind: liaison.Ally, TimeZone: "Europe/Paris"},
		{Code: "DEU", Name: "Germany", Kind: liaison.Ally, TimeZone: "Europe/Berlin"},
		{Code: "USA", Name: "United States", Kind: liaison.Ally, TimeZone: "America/New_York"},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner, TimeZone: "Asia/Tokyo"},
		{Code: "KOR", Name: "Korea", Kind: liaison.Partner, TimeZone: "Asia/Seoul"},
		{Code: "AUS", Name: "Australia", Kind: liaison.Partner, TimeZone: "Australia/Sydney"},
		{Code: "NZL", Name: "New Zealand", Kind: liaison.Partner, TimeZone: "Pacific/Auckland"},
	} {
		if err := st.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	o := &office{t: t, store: st, clk: clk, tokens: map[string]string{}, users: map[string]liaison.Principal{}}
	for _, u := range []struct {
		name, org string
		role      liaison.Role
	}{
		{"nis", "NATO-IS", liaison.RoleOfficer}, {"fra", "FRA", liaison.RoleOfficer}, {"deu", "DEU", liaison.RoleOfficer},
		{"usa", "USA", liaison.RoleOfficer}, {"usa-reader", "USA", liaison.RoleReader}, {"jpn", "JPN", liaison.RoleOfficer},
		{"kor", "KOR", liaison.RoleAnalyst}, {"nzl", "NZL", liaison.RoleAnalyst},
	} {
		p := liaison.Principal{Name: u.name, Org: u.org, Roles: []liaison.Role{u.role}}
		if err := st.CreateUser(ctx, &p, u.name+"-password"); err != nil {
			t.Fatal(err)
		}
		_, secret, err := st.CreateToken(ctx, u.name)
		if err != nil {
			t.Fatal(err)
		}
		o.tokens[u.name], o.users[u.name] = secret, p
	}
	opts.Logger = logger
	a := auth.New(st, opts)
	srv, err := NewServer(Services{Store: st, Consultations: st, Decisions: st}, a, Config{Logger: logger, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	o.web = srv
	o.srv = httptest.NewServer(srv)
	t.Cleanup(o.srv.Close)
	return o
}

// call sends body (nil: none) as user and decodes the reply into a map.
func (o *office) call(user, method, path string, body any, wantStatus int) map[string]any {
	o.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, o.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+o.tokens[user])
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != wantStatus {
		o.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, user, res.StatusCode, wantStatus, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		o.t.Fatalf("%s %s: reply is not a JSON object: %s", method, path, raw)
	}
	return out
}

func errMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// TestSilenceProcedureOverHTTP walks through a full silence procedure:
// table, circulate, break silence, revise, circulate again, adopt at the
// deadline, with every refusal along the way.
func TestSilenceProcedureOverHTTP(t *testing.T) {
	o := newOffice(t)
	t0 := o.clk.Now()
	p := o.call("nis", "POST", "/api/v1/proposals", map[string]any{
		"title":     "Open a NATO liaison office in Tokyo",
		"text":      "The Council agrees to open a NATO liaison office in Tokyo.",
		"procedure": "silence",
		"marking":   map[string]any{"classification": "NATO UNCLASSIFIED", "releasable_to": []string{"NATO", "IP4"}},
	}, http.StatusCreated)
	path := "/api/v1/proposals/" + jsonNum(p["id"])
	if p["status"] != "draft" {
		t.Fatalf("new proposal %v", p)
	}
	// A draft is the proposer's alone: FRA sees 404, same as a missing one.
	hidden := o.call("fra", "GET", path, nil, http.StatusNotFound)
	missing := o.call("fra", "GET", "/api/v1/proposals/999", nil, http.StatusNotFound)
	if strings.Replace(errMessage(hidden), jsonNum(p["id"]), "999", 1) != errMessage(missing) {
		t.Fatalf("hidden %q and missing %q differ", errMessage(hidden), errMessage(missing))
	}
	o.call("fra", "POST", path+"/break-silence", map[string]any{"reason": "x"}, http.StatusNotFound)

	// Round 1.
	o.call("fra", "POST", path+"/circulate", map[string]any{"deadline": t0.Add(48 * time.Hour)}, http.StatusNotFound)
	o.call("nis", "POST", path+"/circulate", map[string]any{"deadline": t0.Add(-time.Hour)}, http.StatusBadRequest)
	r := o.call("nis", "POST", path+"/circulate", map[string]any{"deadline": t0.Add(48 * time.Hour)}, http.StatusOK)
	if r["status"] != "circulating" || len(r["allies"].([]any)) != 3 {
		t.Fatalf("circulated %v", r)
	}
	// Partners see it now and may comment, but never break silence.
	o.call("jpn", "POST", path+"/comment", map[string]any{"text": "Japan welcomes the proposal."}, http.StatusOK)
	e := o.call("jpn", "POST", path+"/break-silence", map[string]any{"reason": "no"}, http.StatusForbidden)
	if !strings.Contains(errMessage(e), "partner") {
		t.Fatalf("partner refusal %q", errMessage(e))
	}
	o.call("usa-reader", "POST", path+"/break-silence", map[string]any{"reason": "no"}, http.StatusForbidden)
	o.call("fra", "POST", path+"/break-silence", map[string]any{}, http.StatusBadRequest)
	o.clk.Set(t0.Add(5 * time.Hour))
	r = o.call("fra", "POST", path+"/break-silence", map[string]any{"reason": "NATO's scope is the North Atlantic area (Articles 5 and 6)"}, http.StatusOK)
	if r["status"] != "blocked" {
		t.Fatalf("after the break %v", r)
	}
	o.call("deu", "POST", path+"/break-silence", map[string]any{"reason": "too"}, http.StatusConflict)
	o.call("nis", "POST", path+"/circulate", map[string]any{"deadline": t0.Add(96 * time.Hour)}, http.StatusConflict)

	// Revise and round 2.
	o.call("fra", "POST", path+"/revise", map[string]any{"text": "x"}, http.StatusForbidden)
	o.clk.Set(t0.Add(6 * time.Hour))
	o.call("nis", "POST", path+"/revise", map[string]any{"text": "The Council agrees to open a liaison office in Tokyo for consultations with the IP4, within the North Atlantic Treaty's scope."}, http.StatusOK)
	o.clk.Set(t0.Add(7 * time.Hour))
	deadline := t0.Add(7*time.Hour + 72*time.Hour)
	o.call("nis", "POST", path+"/actions", map[string]any{"kind": "circulate", "deadline": deadline}, http.StatusOK)

	// Just before the deadline it still circulates; at it, it is adopted.
	o.clk.Set(deadline.Add(-time.Second))
	if r = o.call("usa", "GET", path, nil, http.StatusOK); r["status"] != "circulating" {
		t.Fatalf("before the deadline %v", r["status"])
	}
	o.clk.Set(deadline)
	r = o.call("jpn", "GET", path, nil, http.StatusOK)
	if r["status"] != "adopted" {
		t.Fatalf("at the deadline %v", r["status"])
	}
	e = o.call("fra", "POST", path+"/break-silence", map[string]any{"reason": "late"}, http.StatusConflict)
	if !strings.Contains(errMessage(e), "too late") {
		t.Fatalf("late refusal %q", errMessage(e))
	}
	o.call("nis", "POST", path+"/withdraw", nil, http.StatusConflict)

	// The record keeps every action with who, when and why.
	rec := r["record"].([]any)
	var kinds []string
	for _, a := range rec {
		kinds = append(kinds, a.(map[string]any)["kind"].(string))
	}
	if strings.Join(kinds, ",") != "create,circulate,comment,break-silence,revise,circulate" {
		t.Fatalf("record kinds %v", kinds)
	}
	brk := rec[3].(map[string]any)
	if brk["org"] != "FRA" || brk["user"] != "fra" || !strings.Contains(brk["reason"].(string), "Articles 5 and 6") {
		t.Fatalf("break entry %v", brk)
	}
	rounds := r["rounds"].([]any)
	if len(rounds) != 2 || rounds[0].(map[string]any)["result"] != "blocked" || rounds[1].(map[string]any)["result"] != "adopted" {
		t.Fatalf("rounds %v", rounds)
	}
	// KOR and JPN are IP4 and see it; the list agrees.
	l := o.call("kor", "GET", "/api/v1/proposals", nil, http.StatusOK)
	if len(l["proposals"].([]any)) != 1 {
		t.Fatalf("kor list %v", l)
	}
}

func TestConcurrenceOverHTTP(t *testing.T) {
	o := newOffice(t)
	t0 := o.clk.Now()
	p := o.call("fra", "POST", "/api/v1/proposals", map[string]any{"title": "Exercise", "text": "Hold a joint exercise.", "procedure": "concurrence", "marking": map[string]any{"releasable_to": []string{"NATO"}}}, http.StatusCreated)
	path := "/api/v1/proposals/" + jsonNum(p["id"])
	o.call("fra", "POST", path+"/circulate", map[string]any{"deadline": t0.Add(24 * time.Hour)}, http.StatusOK)
	// REL TO NATO: partners cannot see it at all.
	o.call("jpn", "POST", path+"/concur", nil, http.StatusNotFound)
	o.call("nis", "POST", path+"/concur", nil, http.StatusForbidden) // a NATO body does not decide
	o.call("fra", "POST", path+"/concur", nil, http.StatusOK)
	o.call("fra", "POST", path+"/concur", nil, http.StatusConflict)
	o.call("deu", "POST", path+"/concur", nil, http.StatusOK)
	o.clk.Set(t0.Add(24 * time.Hour))
	r := o.call("usa", "GET", path, nil, http.StatusOK)
	if r["status"] != "lapsed" {
		t.Fatalf("status %v", r["status"])
	}
	o.call("usa", "POST", path+"/concur", nil, http.StatusConflict)
	o.call("fra", "POST", path+"/bogus", nil, http.StatusBadRequest)
	o.call("fra", "GET", "/api/v1/proposals/abc", nil, http.StatusNotFound)
}

func jsonNum(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}
