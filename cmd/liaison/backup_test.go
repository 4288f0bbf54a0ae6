package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"
)

// TestBackupWhileWriting takes a backup with `liaison backup` while four
// writers add objects to the same store, then checks the backup file
// (PRAGMA integrity_check) and, once restored, that every object whose
// write was acknowledged before the backup began is there, byte for byte.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "office")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Logger: quiet, Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}); err != nil {
		t.Fatal(err)
	}
	// USA originates every object, unmarked, in a collection it alone
	// reads: it may read everything written.
	usa := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &usa, ""); err != nil {
		t.Fatal(err)
	}
	coll := liaison.Collection{Title: "Cyber", Topic: liaison.TopicCyber, Read: []string{"USA"}, Write: []string{"USA"}}
	if err := s.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := func(w, n int) []liaison.Candidate {
		out := make([]liaison.Candidate, 0, 25)
		for i := range 25 {
			id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", w, n*25+i)
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","writer":%d,"batch":%d,"pad":"%s"}`, id, w, n, strings.Repeat("x", 200+i))
			out = append(out, liaison.Candidate{Index: i, ID: id, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(raw)})
		}
		return out
	}

	var (
		mu      sync.Mutex
		acked   = map[string][]byte{} // every object whose write returned
		started = make(chan struct{}, 4)
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				objs := batch(w, n)
				res, err := s.AddObjects(ctx, usa, coll.ID, objs)
				if err != nil || len(res.Rejected) > 0 {
					t.Errorf("writer %d: %v %+v", w, err, res.Rejected)
					return
				}
				mu.Lock()
				for _, o := range objs {
					acked[o.ID] = o.Raw
				}
				mu.Unlock()
				if n == 3 {
					started <- struct{}{}
				}
			}
		}()
	}
	for range 4 {
		<-started // every writer is writing
	}
	mu.Lock()
	before := make(map[string][]byte, len(acked))
	for id, raw := range acked {
		before[id] = raw
	}
	mu.Unlock()

	file := filepath.Join(t.TempDir(), "office-backup.db")
	r := runCLIOn(dir, "backup", "--to", file)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	close(stop)
	wg.Wait()
	if r.code != 0 || !strings.Contains(r.stderr, "backed up") {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("%d objects acknowledged before the backup began, %d while it ran", len(before), during)

	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the backup: %q %v", check, err)
	}
	db.Close()

	restored := filepath.Join(t.TempDir(), "restored")
	if r := runCLIOn(restored, "restore", "--from", file); r.code != 0 {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	rs, err := sqlite.Open(ctx, restored, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string][]byte{}
	q := liaison.ObjectQuery{Limit: 1000}
	for {
		page, err := rs.Objects(ctx, usa, coll.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			got[v.ID] = v.Raw
		}
		if !page.More {
			break
		}
		q.Next = page.Next
	}
	missing, differ := 0, 0
	for id, raw := range before {
		switch b, ok := got[id]; {
		case !ok:
			missing++
		case !bytes.Equal(b, raw):
			differ++
		}
	}
	if missing > 0 || differ > 0 {
		t.Fatalf("of %d objects acknowledged before the backup, %d are missing from it and %d differ", len(before), missing, differ)
	}
	t.Logf("the backup holds %d objects", len(got))
}

// runCLIOn runs one command line in-process on the store in dir.
func runCLIOn(dir string, args ...string) result {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, append(args, "--data", dir))
	return result{code, out.String(), errb.String()}
}

// TestBackupRestoreRefusals checks the mistakes backup and restore refuse
// with one line and exit 2, changing nothing.
func TestBackupRestoreRefusals(t *testing.T) {
	c, _ := initialised(t)
	tmp := t.TempDir()
	backup := filepath.Join(tmp, "b.db")
	c.must("", "backup", "--to", backup)
	notDB := filepath.Join(tmp, "notes.txt")
	if err := os.WriteFile(notDB, []byte("not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nonEmpty := filepath.Join(tmp, "used")
	if err := os.MkdirAll(nonEmpty, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nonEmpty, "liaison.db-wal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pg := "postgres://liaison@db.invalid:5432/office"
	tests := []struct {
		name string
		dir  string // --data; "" for c's store
		args []string
		want string
	}{
		{"backup over a file", "", []string{"backup", "--to", backup}, "exists already"},
		{"backup into a folder", "", []string{"backup", "--to", tmp}, "is a folder"},
		{"backup without --to", "", []string{"backup"}, "needs --to"},
		{"backup of no store", filepath.Join(tmp, "none"), []string{"backup", "--to", filepath.Join(tmp, "x.db")}, "no store at"},
		{"backup of PostgreSQL", "", []string{"backup", "--to", filepath.Join(tmp, "y.db"), "--db", pg}, "pg_dump"},
		{"restore over a store", "", []string{"restore", "--from", backup}, "is not empty"},
		{"restore beside stray files", nonEmpty, []string{"restore", "--from", backup}, "is not empty"},
		{"restore of a non-database", filepath.Join(tmp, "new1"), []string{"restore", "--from", notDB}, "is not a liaison backup"},
		{"restore of nothing", filepath.Join(tmp, "new2"), []string{"restore", "--from", filepath.Join(tmp, "absent.db")}, "is not a backup file"},
		{"restore without --from", filepath.Join(tmp, "new3"), []string{"restore"}, "needs --from"},
		{"restore into PostgreSQL", "", []string{"restore", "--from", backup, "--db", pg}, "pg_restore"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if dir == "" {
				dir = c.data
			}
			r := runCLIOn(dir, tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line naming %q", r.code, r.stderr, tc.want)
			}
		})
	}
	for _, d := range []string{"new1", "new2", "new3"} {
		if _, err := os.Stat(filepath.Join(tmp, d)); err == nil {
			t.Errorf("a refused restore left %s behind", d)
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 3 {
		t.Errorf("refusals left files behind: %v", ents)
	}
	// The backup restores into a new folder, and the office is all there.
	restored := filepath.Join(tmp, "restored")
	if r := runCLIOn(restored, "restore", "--from", backup); r.code != 0 || !strings.Contains(r.stderr, "restored") {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLIOn(restored, "org", "list"); r.code != 0 || !strings.Contains(r.stdout, "NATO-LO-TOKYO") || strings.Count(r.stdout, " ally ") != 32 {
		t.Fatalf("org list of the restored store: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestReadOnlyDSNIsReadOnly: the backup's connection cannot change the
// store it copies.
func TestReadOnlyDSNIsReadOnly(t *testing.T) {
	c, _ := initialised(t)
	db, err := sql.Open("sqlite", readOnlyDSN(filepath.Join(c.data, sqlite.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE sneaky (x)`); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("a write through the backup's connection: %v, want a read-only error", err)
	}
}
