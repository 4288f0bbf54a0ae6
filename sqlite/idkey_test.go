package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/sqlite"
	"liaison/stix"
	"liaison/storetest"
)

// TestIDKeyMigration: a store made before migration 2600 (its schema put
// back here: versions_key on the id, ends by end id) gets every version's
// key and every end's key from the migration's SQL, the same keys
// stix.IDKey gives, and still finds each object by id and each object's
// links.
func TestIDKeyMigration(t *testing.T) {
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
	tools, cs, err := storetest.IDKeyObjects()
	must(err)
	if res, err := s.AddObjects(ctx, p, c.ID, cs); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	must(s.Close())

	path := filepath.Join(dir, sqlite.FileName)
	db, err := sql.Open("sqlite", path)
	must(err)
	_, err = db.Exec(`DROP INDEX versions_key;
		DROP TRIGGER versions_idk_set;
		ALTER TABLE versions DROP COLUMN idk;
		CREATE INDEX versions_key ON versions (id, version_us, date_added_us);
		CREATE TABLE ends_by_id (end_id TEXT NOT NULL, rel_vid INTEGER NOT NULL, PRIMARY KEY (end_id, rel_vid)) WITHOUT ROWID;
		INSERT OR IGNORE INTO ends_by_id SELECT j.value, v.vid FROM versions v, json_each('["' || replace(v.ends, ',', '","') || '"]') j WHERE v.ends != '';
		DROP TABLE ends;
		ALTER TABLE ends_by_id RENAME TO ends;
		DELETE FROM schema_migrations WHERE name LIKE '2600%'`)
	must(err)
	var oldEnds int
	must(db.QueryRow(`SELECT count(*) FROM ends`).Scan(&oldEnds))
	must(db.Close())
	if oldEnds != 5 {
		t.Fatalf("the old ends table holds %d rows, want 5 (the third link names one end twice)", oldEnds)
	}

	s, err = sqlite.Open(ctx, dir, sqlite.Options{Password: testCost, Logger: testLogger(t)})
	must(err)
	defer s.Close()
	db, err = sql.Open("sqlite", path)
	must(err)
	defer db.Close()
	rows, err := db.Query(`SELECT id, idk, ends FROM versions`)
	must(err)
	var ends []string
	for rows.Next() {
		var id, e string
		var k int64
		must(rows.Scan(&id, &k, &e))
		ends = append(ends, e)
		if k != stix.IDKey(id) || k == 0 {
			t.Errorf("%s: the migration's key %d, stix.IDKey %d", id, k, stix.IDKey(id))
		}
	}
	must(rows.Err())
	rows.Close()
	if len(ends) != len(cs) {
		t.Fatalf("%d versions, want %d", len(ends), len(cs))
	}
	var got []int64
	rows, err = db.Query(`SELECT DISTINCT end_k FROM ends ORDER BY end_k`)
	must(err)
	for rows.Next() {
		var k int64
		must(rows.Scan(&k))
		got = append(got, k)
	}
	must(rows.Err())
	rows.Close()
	if want := storetest.EndKeys(ends); !slices.Equal(got, want) {
		t.Errorf("end keys after the migration %v, want %v", got, want)
	}

	// A writer that does not set the key (one from before the migration)
	// is refused.
	if _, err := db.Exec(`INSERT INTO versions (collection, id, version_us, date_added_us, type, spec_version, originator, label_id, audience_id, raw) SELECT collection, 'tool--11111111-2222-4333-8444-555555555555', version_us, date_added_us + 1, type, spec_version, originator, label_id, audience_id, raw FROM versions ORDER BY vid LIMIT 1`); err == nil || !strings.Contains(err.Error(), "idk is not set") {
		t.Errorf("a version written without its key: %v, want it refused", err)
	}

	for _, id := range tools {
		page, err := s.Objects(ctx, p, c.ID, liaison.ObjectQuery{IDs: []string{id}})
		must(err)
		if len(page.Versions) != 1 || page.Versions[0].ID != id {
			t.Errorf("%s: by id after the migration: %+v", id, page.Versions)
		}
	}
	links, _, err := s.Related(ctx, p, tools[3], 10)
	must(err)
	if len(links) != 1 || links[0].ID != storetest.IDKeyLink {
		t.Errorf("the links of %s after the migration: %+v", tools[3], links)
	}
}
