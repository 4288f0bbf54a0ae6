package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"liaison"
	"liaison/sqlite"
	"liaison/stix"
)

const fedColl = "f00d0000-0000-4000-8000-000000000001"

// fedOffice is an office made by the CLI, whose objects are written by a
// USA analyst.
func fedOffice(t *testing.T) *cli {
	c, _ := initialised(t)
	c.must("", "collection", "add", "--id", fedColl, "--title", "Cyber", "--topic", "cyber", "--read", "ALL", "--write", "ALL")
	c.must("s3cret-passphrase\n", "user", "add", "usa1", "--org", "USA", "--role", "analyst")
	c.must("s3cret-passphrase\n", "user", "add", "jpn1", "--org", "JPN", "--role", "analyst")
	return c
}

func openData(t *testing.T, c *cli) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), c.data, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeObjects writes n indicators as usa1.
func writeObjects(t *testing.T, c *cli, n int) {
	s := openData(t, c)
	defer s.Close()
	ctx := context.Background()
	p, err := s.User(ctx, "usa1")
	if err != nil {
		t.Fatal(err)
	}
	var cs []liaison.Candidate
	for i := range n {
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, i)
		cand, err := stix.Decode(i, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, cand)
	}
	if res, err := s.AddObjects(ctx, p, fedColl, cs); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("write: %v %+v", err, res.Rejected)
	}
}

// serveOffice serves the office at c over HTTP as serve wires it; pages
// of the peer endpoint are cut to 5 objects, and hook, if set, runs before
// each page of objects.
func serveOffice(t *testing.T, c *cli, hook func(n int64)) *httptest.Server {
	s := openData(t, c)
	t.Cleanup(func() { s.Close() })
	office, err := officeOf(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(s, s, office, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/objects/") {
			q := r.URL.Query()
			q.Set("limit", "5")
			r.URL.RawQuery = q.Encode()
			if hook != nil {
				hook(pages.Add(1))
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// countAt returns how many versions, and distinct ids, the JPN analyst
// reads in the collection.
func countAt(t *testing.T, c *cli) (int, int) {
	s := openData(t, c)
	defer s.Close()
	ctx := context.Background()
	p, err := s.User(ctx, "jpn1")
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Objects(ctx, p, fedColl, liaison.ObjectQuery{Versions: []string{liaison.VersionAll}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, v := range page.Versions {
		ids[v.ID] = true
	}
	return len(page.Versions), len(ids)
}

// TestPeerCommands sets up two offices with the commands as the README
// gives them, and checks what an operator sees.
func TestPeerCommands(t *testing.T) {
	bru, tok := fedOffice(t), fedOffice(t)
	writeObjects(t, bru, 12)
	token := strings.TrimSpace(bru.must("", "peer", "allow", "tokyo", "--serves", "JPN").stdout)
	if !strings.HasPrefix(token, "liapeer_") || strings.Contains(token, "\n") {
		t.Fatalf("peer allow must print the token alone, got %q", token)
	}
	if r := bru.run("", "peer", "allow", "tokyo", "--serves", "JPN"); r.code == 0 || !strings.Contains(r.stderr, "has a grant already") {
		t.Errorf("a second grant: exit %d, %s", r.code, r.stderr)
	}
	if r := bru.run("", "peer", "allow", "vienna", "--serves", "XXX"); r.code == 0 || !strings.Contains(r.stderr, `"XXX" in --serves`) {
		t.Errorf("an unknown code: exit %d, %s", r.code, r.stderr)
	}
	srv := serveOffice(t, bru, nil)
	file := filepath.Join(t.TempDir(), "brussels.token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + taxiiAPIRoot
	tok.must("", "peer", "pull", "brussels", "--url", url, "--token-file", file, "--collection", fedColl+"="+fedColl)
	out := tok.must("", "peer", "sync", "brussels").stdout
	if !strings.Contains(out, "12 written") {
		t.Errorf("first sync: %s", out)
	}
	if out := tok.must("", "peer", "sync", "brussels").stdout; !strings.Contains(out, "0 page(s), 0 written") {
		t.Errorf("a sync with nothing new: %s", out)
	}
	if n, ids := countAt(t, tok); n != 12 || ids != 12 {
		t.Errorf("tokyo holds %d versions of %d ids, want 12 of 12", n, ids)
	}
	st := tok.must("", "peer", "status", "brussels").stdout
	for _, w := range []string{"peer brussels at " + url, "last error:   none", "12 received"} {
		if !strings.Contains(st, w) {
			t.Errorf("status lacks %q:\n%s", w, st)
		}
	}
	if l := bru.must("", "peer", "list").stdout; !strings.Contains(l, "tokyo") || !strings.Contains(l, "serves JPN") {
		t.Errorf("list at brussels:\n%s", l)
	}
	// The grant ends: a clear error in the status.
	bru.must("", "peer", "remove", "tokyo")
	if r := tok.run("", "peer", "sync", "brussels"); r.code == 0 || !strings.Contains(r.stderr, "refused the token") {
		t.Errorf("sync after the grant was removed: exit %d, %s", r.code, r.stderr)
	}
	if st := tok.must("", "peer", "status", "brussels").stdout; !strings.Contains(st, "refused the token") || !strings.Contains(st, "1 failure(s)") {
		t.Errorf("status after a refusal:\n%s", st)
	}
	tok.must("", "peer", "remove", "brussels")
	if r := tok.run("", "peer", "status", "brussels"); r.code == 0 {
		t.Errorf("status of a removed peer: exit 0")
	}
}

// TestPeerSyncChild is the pulling office's process in
// TestPeerSyncSurvivesKill; it runs only there.
func TestPeerSyncChild(t *testing.T) {
	args := os.Getenv("LIAISON_PEER_CHILD")
	if args == "" {
		t.Skip("runs only as the child process of TestPeerSyncSurvivesKill")
	}
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(context.Background(), e, strings.Split(args, "\n")))
}

// TestPeerSyncSurvivesKill kills the pulling process with SIGKILL in the
// middle of a pull and checks that the next sync loses and duplicates
// nothing.
func TestPeerSyncSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	bru, tok := fedOffice(t), fedOffice(t)
	writeObjects(t, bru, 40)
	token := strings.TrimSpace(bru.must("", "peer", "allow", "tokyo", "--serves", "JPN").stdout)
	stuck := make(chan struct{})
	release := make(chan struct{})
	var block atomic.Bool
	block.Store(true)
	srv := serveOffice(t, bru, func(n int64) {
		if n == 4 && block.Load() {
			close(stuck)
			<-release
		}
	})
	defer close(release)
	file := filepath.Join(t.TempDir(), "brussels.token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	tok.must("", "peer", "pull", "brussels", "--url", srv.URL+taxiiAPIRoot, "--token-file", file, "--collection", fedColl)

	cmd := exec.Command(os.Args[0], "-test.run=^TestPeerSyncChild$")
	cmd.Env = append(os.Environ(), "LIAISON_PEER_CHILD="+strings.Join([]string{"peer", "sync", "brussels", "--data", tok.data}, "\n"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-stuck // three pages of five are written; the fourth is on its way
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n, ids := countAt(t, tok); n != 15 || ids != 15 {
		t.Errorf("after the kill tokyo holds %d versions of %d ids, want the 15 of three pages", n, ids)
	}
	block.Store(false)
	if out := tok.must("", "peer", "sync", "brussels").stdout; !strings.Contains(out, "25 written, 0 present") {
		t.Errorf("the sync after the kill: %s", out)
	}
	if n, ids := countAt(t, tok); n != 40 || ids != 40 {
		t.Errorf("tokyo holds %d versions of %d ids, want 40 of 40: 0 lost, 0 duplicated", n, ids)
	}
}
