package sqlite_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"
	"liaison/storetest"
)

// testCost keeps argon2id cheap in tests; production uses the default.
var testCost = sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

func open(t *testing.T, dir string, now func() time.Time) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir, sqlite.Options{Now: now, Password: testCost, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testLogger logs warnings and errors through t; the store's routine
// information stays out of the test output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) liaison.Store {
		return open(t, t.TempDir(), now)
	})
}

// TestSharedDatabase runs the tests of two stores over one folder, as
// liaison import and liaison serve would be.
func TestSharedDatabase(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T, now func() time.Time) (liaison.Store, liaison.Store) {
		dir := t.TempDir()
		return open(t, dir, now), open(t, dir, now)
	})
}

func TestOpenCreatesAndExists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if sqlite.Exists(dir) {
		t.Fatal("Exists before Open")
	}
	s := open(t, dir, time.Now)
	if !sqlite.Exists(dir) {
		t.Fatal("no store after Open")
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if sqlite.Exists(t.TempDir()) {
		t.Error("an empty directory is a store")
	}
}

func TestMigrationsRecordedOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := open(t, dir, time.Now)
	if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "US", Kind: liaison.Ally}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopening applies nothing again and keeps the data.
	s = open(t, dir, time.Now)
	if _, err := s.Organisation(ctx, "USA"); err != nil {
		t.Fatal(err)
	}
	names, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || names[0] != "0001_init.sql" || !slices.IsSorted(names) {
		t.Fatalf("migrations %v", names)
	}
	got := sqlite.AppliedMigrations(t, s)
	if !slices.Equal(got, names) {
		t.Errorf("recorded %v, want %v", got, names)
	}
}

func TestPragmas(t *testing.T) {
	s := open(t, t.TempDir(), time.Now)
	p := sqlite.Pragmas(t, s)
	for k, want := range map[string]string{
		"writer journal_mode": "wal", "writer foreign_keys": "1", "writer busy_timeout": "10000",
		"reader journal_mode": "wal", "reader foreign_keys": "1", "reader query_only": "1",
		// A new store gets 4 KiB pages; the writer checkpoints only as a
		// backstop to the background checkpointer; its cache is 64 MiB.
		"writer page_size": "4096", "writer wal_autocheckpoint": "65536", "writer journal_size_limit": "67108864",
		"writer cache_size": "-65536",
	} {
		if got := p[k]; !strings.EqualFold(got, want) {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// TestObjectsPlan checks the two plans of a page. A reader who may read
// many audiences walks the (collection, date_added) index once; one who
// may read few walks (collection, audience, date_added) once per audience
// and merges the walks. Neither sorts, so neither cost grows with the
// collection, and "first"/"last" probe the (id, collection, version)
// index.
func TestObjectsPlan(t *testing.T) {
	s, p, coll := readWorld(t)
	ctx := context.Background()
	batch := benchBatch(0)[:12] // unmarked, green, amber and red versions
	if _, err := s.AddObjects(ctx, p, coll, batch); err != nil {
		t.Fatal(err)
	}
	addAsFRA(t, s, coll, benchBatch(1000)[:12]) // audiences USA may not read
	for _, arms := range []int{0, 32} {
		sqlite.SetAudienceArms(s, arms)
		for _, q := range []liaison.ObjectQuery{
			{},
			{Versions: []string{"all"}},
			{Versions: []string{"first", "last"}, Types: []string{"indicator"}},
			{Next: "ZGExOjE3OTU0MDE4NTQwODY5MjE"},
		} {
			plan := strings.Join(sqlite.ObjectsPlan(t, s, "USA", coll, q), "\n")
			t.Log(plan)
			index := "versions_added"
			if arms > 0 {
				index = "versions_audience_added"
				if !strings.Contains(plan, "MERGE (UNION ALL)") {
					t.Errorf("arms %d, query %+v does not merge the audiences' walks:\n%s", arms, q, plan)
				}
			}
			if !strings.Contains(plan, "USING INDEX "+index+" ") || strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") {
				t.Errorf("arms %d, query %+v does not page along %s:\n%s", arms, q, index, plan)
			}
			if len(q.Versions) != 1 || q.Versions[0] != "all" {
				if !strings.Contains(plan, "versions_key") {
					t.Errorf("arms %d, query %+v does not probe versions_key for first/last:\n%s", arms, q, plan)
				}
			}
		}
	}
}
