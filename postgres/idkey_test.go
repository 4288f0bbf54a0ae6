package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/stix"
	"liaison/storetest"
)

// TestIDKeyMigration: a store from before migration 2600 (versions
// without keys, ends by end id: put back here) gets every version's key
// and every end's key from the migration's SQL, the same keys stix.IDKey
// gives, still finds each object by id and each object's links, and its
// new ends table has the replicas' fence trigger.
func TestIDKeyMigration(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	s, p, coll := searchWorld(t, url, sch)
	tools, cs, err := storetest.IDKeyObjects()
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.AddObjects(ctx, p, coll, cs); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET search_path = `+sch); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `ALTER TABLE versions DROP COLUMN idk;
		CREATE UNIQUE INDEX versions_key ON versions (id, collection, version_us, originator) INCLUDE (audience_id, spec_version, date_added_us);
		CREATE TABLE ends_by_id (end_id text NOT NULL, rel_vid bigint NOT NULL, PRIMARY KEY (end_id, rel_vid));
		INSERT INTO ends_by_id SELECT DISTINCT e, vid FROM versions, unnest(string_to_array(ends, ',')) e WHERE ends <> '';
		DROP TABLE ends;
		ALTER TABLE ends_by_id RENAME TO ends;
		ALTER INDEX ends_by_id_pkey RENAME TO ends_pkey;
		DELETE FROM schema_migrations WHERE name = '2600_id_keys.sql'`)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := postgresOpen(ctx, url, sch)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()

	rows, err := conn.Query(ctx, `SELECT id, idk, ends FROM versions`)
	if err != nil {
		t.Fatal(err)
	}
	var ends []string
	for rows.Next() {
		var id, e string
		var k int64
		if err := rows.Scan(&id, &k, &e); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, e)
		if k != stix.IDKey(id) || k == 0 {
			t.Errorf("%s: the migration's key %d, stix.IDKey %d", id, k, stix.IDKey(id))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ends) != len(cs) {
		t.Fatalf("%d versions, want %d", len(ends), len(cs))
	}
	rows, err = conn.Query(ctx, `SELECT DISTINCT end_k FROM ends ORDER BY end_k`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if want := storetest.EndKeys(ends); !slices.Equal(got, want) {
		t.Errorf("end keys after the migration %v, want %v", got, want)
	}
	var fenced bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'ends' AND g.tgname = 'liaison_narrowed')`, sch).Scan(&fenced); err != nil {
		t.Fatal(err)
	}
	if !fenced {
		t.Error("the new ends table has no fence trigger for the replicas")
	}

	// A writer that does not set the key (one from before the migration)
	// is refused.
	if _, err := conn.Exec(ctx, `INSERT INTO versions (collection, id, version_us, date_added_us, type, spec_version, originator, label_id, audience_id, raw) SELECT collection, 'tool--11111111-2222-4333-8444-555555555555', version_us, date_added_us + 1, type, spec_version, originator, label_id, audience_id, raw FROM versions ORDER BY vid LIMIT 1`); err == nil {
		t.Error("a version written without its key was stored, want it refused")
	}

	for _, id := range tools {
		page, err := s2.Objects(ctx, p, coll, liaison.ObjectQuery{IDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Versions) != 1 || page.Versions[0].ID != id {
			t.Errorf("%s: by id after the migration: %+v", id, page.Versions)
		}
	}
	links, _, err := s2.Related(ctx, p, tools[3], 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].ID != storetest.IDKeyLink {
		t.Errorf("the links of %s after the migration: %+v", tools[3], links)
	}
}
