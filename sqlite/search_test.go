package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"
	"liaison/storetest"
)

// TestSearchBackfill: a store whose versions were stored before the
// search index (the state migration 1100 leaves) gets them indexed when
// it opens, with progress reported, and finds them.
func TestSearchBackfill(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Password: testCost, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
	p := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	must(s.CreateUser(ctx, &p, ""))
	c := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
	must(s.CreateCollection(ctx, &c))
	const n = 2500 // more than one batch
	cs := make([]liaison.Candidate, n)
	for i := range cs {
		id := fmt.Sprintf("tool--%08x-0000-4000-8000-000000000000", i)
		mod := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		raw := fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"Backfilled %d"}`, id, i)
		cs[i] = liaison.Candidate{Index: i, ID: id, Type: "tool", SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw)}
	}
	if res, err := s.AddObjects(ctx, p, c.ID, cs); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	must(s.Close())

	// Forget the index, as a store from before migration 1100 has none.
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	must(err)
	_, err = db.Exec(`DELETE FROM search_docs; INSERT INTO search_backfill (id, after_vid) VALUES (1, 0)`)
	must(err)
	var left int
	must(db.QueryRow(`SELECT count(*) FROM search_fts WHERE search_fts MATCH 'backfilled'`).Scan(&left))
	must(db.Close())
	if left != 0 {
		t.Fatalf("%d documents left in the index", left)
	}

	var done, total int64
	pctx := liaison.WithProgress(ctx, func(d, tot int64) { done, total = d, tot })
	s, err = sqlite.Open(pctx, dir, sqlite.Options{Password: testCost, Logger: testLogger(t)})
	must(err)
	defer s.Close()
	if done != n || total != n {
		t.Errorf("progress %d of %d, want %d of %d", done, total, n, n)
	}
	found := 0
	q := liaison.SearchQuery{Text: "backfilled", Limit: liaison.MaxSearchLimit}
	for {
		pg, err := s.Search(ctx, p, q)
		must(err)
		found += len(pg.Hits)
		if !pg.More {
			break
		}
		q.Next = pg.Next
	}
	if found != n {
		t.Errorf("found %d after the backfill, want %d", found, n)
	}
}

// TestSearchHashsizeMigration: a store made before migration 2400 (its
// record and its setting removed here) gets FTS5's hashsize when it opens
// again, keeps its automerge, and finds what it found before; a new
// store has both settings.
func TestSearchHashsizeMigration(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Password: testCost, Logger: testLogger(t)})
	must(err)
	p, c := storetest.SmallOffice(t, s)
	mod := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var cs []liaison.Candidate
	for i, name := range []string{"Lateral movement tool", "Movement lateral tool", "Exfiltration kit"} {
		id := fmt.Sprintf("tool--%08x-0000-4000-8000-000000000000", i)
		raw := fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":%q}`, id, name)
		cs = append(cs, liaison.Candidate{Index: i, ID: id, Type: "tool", SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw)})
	}
	if res, err := s.AddObjects(ctx, p, c.ID, cs); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	hits := func(s *sqlite.Store) []string {
		t.Helper()
		var out []string
		for _, q := range []string{`"lateral movement"`, "exfil*", "tool"} {
			res, err := s.Search(ctx, p, liaison.SearchQuery{Text: q, Limit: 10})
			must(err)
			for _, h := range res.Hits {
				out = append(out, q+" "+h.ID)
			}
		}
		return out
	}
	before := hits(s)
	must(s.Close())
	settings := func() map[string]int64 {
		t.Helper()
		db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
		must(err)
		defer db.Close()
		rows, err := db.Query(`SELECT k, v FROM search_fts_config WHERE k IN ('automerge', 'hashsize')`)
		must(err)
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var k string
			var v int64
			must(rows.Scan(&k, &v))
			out[k] = v
		}
		must(rows.Err())
		return out
	}
	want := map[string]int64{"automerge": 16, "hashsize": 32 << 20}
	if got := settings(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("a new store's settings: %v, want %v", got, want)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	must(err)
	_, err = db.Exec(`DELETE FROM search_fts_config WHERE k = 'hashsize'; DELETE FROM schema_migrations WHERE name LIKE '2400%'`)
	must(err)
	must(db.Close())
	if got := settings(); got["hashsize"] != 0 {
		t.Fatalf("the hashsize was not removed: %v", got)
	}

	s, err = sqlite.Open(ctx, dir, sqlite.Options{Password: testCost, Logger: testLogger(t)})
	must(err)
	after := hits(s)
	must(s.Close())
	if got := settings(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after migrating: %v, want %v", got, want)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) || len(before) != 4 {
		t.Errorf("hits before migrating %v, after %v; want the same 4", before, after)
	}
}
