package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison/sqlite"
)

// demoServer builds the demo world on a real SQLite store and serves it.
func demoServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := buildDemo(ctx, s); err != nil {
		t.Fatalf("build demo: %v", err)
	}
	office, err := officeOf(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(s, nil, office, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// taxiiIDs lists the object ids a demo user reads from a collection over
// TAXII, following every page.
func taxiiIDs(t *testing.T, srv *httptest.Server, user, coll string) []string {
	t.Helper()
	var ids []string
	next := ""
	for {
		url := srv.URL + taxiiAPIRoot + "collections/" + coll + "/objects/?limit=2"
		if next != "" {
			url += "&next=" + next
		}
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth(user, user+"-demo")
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s GET %s: %d %s", user, url, resp.StatusCode, body)
		}
		var env struct {
			More    bool   `json:"more"`
			Next    string `json:"next"`
			Objects []struct {
				ID string `json:"id"`
			} `json:"objects"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s: %v in %s", user, err, body)
		}
		for _, o := range env.Objects {
			ids = append(ids, o.ID)
		}
		if !env.More {
			break
		}
		next = env.Next
	}
	sort.Strings(ids)
	return ids
}

// TestDemoViews checks that the demo shows each organisation exactly what
// its markings release to it, through TAXII over real HTTP.
func TestDemoViews(t *testing.T) {
	srv := demoServer(t)
	const (
		bombers   = "report--8c6b92ef-d487-4ac7-a818-62edb1dfe986"
		asw       = "report--2e9d5934-7fc9-4e73-b6b3-62530d3b0d48"
		patrol    = "report--a76071f6-86d3-4b41-82f8-e49342bb3cac"
		radar     = "report--be67d050-de93-475b-8851-e84d9ab96da2"
		ind2      = "indicator--3b79f543-bc16-4a44-b63f-1e5e66585dc1"
		rel2      = "relationship--90f35ed1-59fb-48d6-8a2c-240f1281a213"
		sighting  = "sighting--757ade5e-36fe-46c6-89be-40c65891ca6a"
		quantum   = "report--67aa896a-863d-4005-b302-c69ef35bbba3"
		aiReport  = "report--4fe16a65-8e10-464c-9018-87ce6fd92e67"
		disinfo   = "report--234c3c9b-7066-4335-aa8a-43fd8230bcdf"
		edtNote   = "note--64f1ed9b-4bbd-4ec7-839d-bbd0d262854f"
		lantern   = "indicator--58e3435f-9579-441c-8f0c-464f4337de84"
		usaIdent  = "identity--a57dc64b-d6e3-4929-8c6d-6ac38d35857f"
		sojLocale = "location--28dbc796-a3ba-4833-aba4-c2527b6b5e0c"
	)
	type view struct {
		user, coll string
		sees       []string
		hidden     []string
	}
	tests := []view{
		{"jpn-analyst", demoGeopolitical, []string{bombers, asw, patrol, radar, sojLocale}, nil},
		{"kor-analyst", demoGeopolitical, []string{bombers, patrol}, []string{asw, radar}},
		{"fra-officer", demoGeopolitical, []string{bombers, asw, patrol}, []string{radar}},
		{"nzl-reader", demoGeopolitical, []string{bombers, patrol}, []string{asw, radar}},
		{"usa-analyst", demoCyber, []string{ind2, rel2, lantern, sighting}, nil},
		{"jpn-analyst", demoCyber, []string{lantern, sighting}, []string{ind2, rel2}},
		{"fra-officer", demoCyber, []string{ind2, rel2, lantern}, []string{sighting}},
		{"aus-analyst", demoCyber, []string{lantern}, []string{ind2, rel2, sighting}},
		{"aus-analyst", demoEDT, []string{quantum, edtNote}, []string{aiReport}},
		{"jpn-analyst", demoEDT, []string{edtNote}, []string{quantum, aiReport}},
		{"usa-analyst", demoEDT, []string{quantum, aiReport, edtNote}, nil},
		{"kor-analyst", demoDisinformation, []string{disinfo}, nil},
		{"kor-analyst", demoEDT, []string{edtNote}, []string{quantum, aiReport, usaIdent}},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.coll[:8], func(t *testing.T) {
			got := taxiiIDs(t, srv, tt.user, tt.coll)
			has := map[string]bool{}
			for _, id := range got {
				has[id] = true
			}
			for _, id := range tt.sees {
				if !has[id] {
					t.Errorf("%s does not see %s; sees %v", tt.user, id, got)
				}
			}
			for _, id := range tt.hidden {
				if has[id] {
					t.Errorf("LEAK: %s sees %s", tt.user, id)
				}
			}
		})
	}
}

// TestDemoHome checks the home page and health over HTTP.
func TestDemoHome(t *testing.T) {
	srv := demoServer(t)
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	get := func(user string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		if user != "" {
			req.SetBasicAuth(user, user+"-demo")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("home as %q: %d %s", user, resp.StatusCode, b)
		}
		return string(b)
	}
	anon := get("")
	for _, want := range []string{"NATO Liaison Office Tokyo", "Allies (32)", "Japan", "security agreement up to NATO CONFIDENTIAL", "ITPP 2023-2026", "/taxii2/tokyo/", "Sign in"} {
		if !strings.Contains(anon, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(anon, "Cyber threats") {
		t.Error("the anonymous home page lists collections")
	}
	jpn := get("jpn-analyst")
	if !strings.Contains(jpn, "Signed in as <strong>jpn-analyst</strong>") || !strings.Contains(jpn, "Cyber threats") {
		t.Errorf("signed-in home page lacks the principal or collections")
	}
}

// TestDemoCommandServes runs `liaison demo` as a user would, waits for the
// printed logins, checks the office answers, and shuts it down with the
// context as SIGINT would.
func TestDemoCommandServes(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: &lockedWriter{w: &errb}, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- run(ctx, e, []string{"demo", "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	re := regexp.MustCompile(`open at (http://127\.0\.0\.1:\d+/)`)
	var base string
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if strings.Contains(sc.Text(), "Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("demo printed no address:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	t.Logf("demo ready in %s", time.Since(start).Round(time.Millisecond))
	for _, want := range []string{"jpn-analyst", "jpn-analyst-demo", "fra-officer", "natois-officer", "kor-analyst", "aus-analyst", "nzl-reader", "usa-analyst", "lia_"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo logins lack %q", want)
		}
	}
	resp, err := http.Get(base + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exited %d after shutdown:\n%s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not shut down")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
