package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/postgres"
	"liaison/storetest"
)

// TestSearchBackfill: a store whose versions were stored before the
// search index (the state migration 1100 leaves) gets them indexed when
// it opens, with progress reported, and finds them.
func TestSearchBackfill(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := postgresOpen(ctx, url, sch)
	must(err)
	must(s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
	p := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	must(s.CreateUser(ctx, &p, ""))
	c := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
	must(s.CreateCollection(ctx, &c))
	const n = 2100 // more than one batch
	cs := make([]liaison.Candidate, n)
	mod := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range cs {
		id := fmt.Sprintf("tool--%08x-0000-4000-8000-000000000000", i)
		raw := fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"Backfilled %d"}`, id, i)
		cs[i] = liaison.Candidate{Index: i, ID: id, Type: "tool", SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw)}
	}
	if res, err := s.AddObjects(ctx, p, c.ID, cs); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	must(s.Close())

	// Forget the index, as a store from before migration 1100 has none.
	conn, err := pgx.Connect(ctx, url)
	must(err)
	_, err = conn.Exec(ctx, `DELETE FROM `+sch+`.search_docs; INSERT INTO `+sch+`.search_backfill (id, after_vid) VALUES (1, 0)`)
	must(err)
	conn.Close(ctx)

	var done, total int64
	pctx := liaison.WithProgress(ctx, func(d, tot int64) { done, total = d, tot })
	s2, err := postgresOpen(pctx, url, sch)
	must(err)
	defer s2.Close()
	if done != n || total != n {
		t.Errorf("progress %d of %d, want %d of %d", done, total, n, n)
	}
	found := 0
	q := liaison.SearchQuery{Text: "backfilled", Limit: liaison.MaxSearchLimit}
	for {
		pg, err := s2.Search(ctx, p, q)
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

func postgresOpen(ctx context.Context, url, schema string) (*postgres.Store, error) {
	return postgres.Open(ctx, url, postgres.Options{Password: testCost, Schema: schema, Logger: quiet(), MaxConns: 4})
}

// docMismatches counts the search documents whose vector is not the one
// the generated column of migration 1100 made of their text.
func docMismatches(t *testing.T, url, sch string) (mismatched, total int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE doc IS DISTINCT FROM setweight(to_tsvector('simple'::regconfig, name), 'A') ||
		setweight(to_tsvector('simple'::regconfig, tags), 'B') || setweight(to_tsvector('simple'::regconfig, body), 'C')), count(*) FROM `+sch+`.search_docs`).Scan(&mismatched, &total)
	if err != nil {
		t.Fatal(err)
	}
	return mismatched, total
}

// searchWorld is a store in a fresh schema with one organisation, its
// analyst and a collection everyone reads.
func searchWorld(t *testing.T, url, sch string) (*postgres.Store, liaison.Principal, string) {
	t.Helper()
	ctx := context.Background()
	s, err := postgresOpen(ctx, url, sch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, c := storetest.SmallOffice(t, s)
	return s, p, c.ID
}

// vectorCandidates are tools whose names the writer can make vectors of
// (ASCII words) and ones it leaves to PostgreSQL (other letters, and a
// hash PostgreSQL's parser splits), from n on.
func vectorCandidates(n, count int) []liaison.Candidate {
	names := []string{"Plain tool %d", "Outil spécial %d", "Werkzeug über %d", "hash 9e9b83e77f93 %d", "Ключ %d"}
	mod := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cs := make([]liaison.Candidate, count)
	for i := range cs {
		id := fmt.Sprintf("tool--%08x-0000-4000-8000-000000000000", n+i)
		name := fmt.Sprintf(names[i%len(names)], n+i)
		raw := fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":%q,"description":"A tool for the tests, number %d."}`, id, name, n+i)
		cs[i] = liaison.Candidate{Index: i, ID: id, Type: "tool", SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw)}
	}
	return cs
}

// searchCount counts the hits of a search, all pages.
func searchCount(t *testing.T, s *postgres.Store, p liaison.Principal, text string) int {
	t.Helper()
	found := 0
	q := liaison.SearchQuery{Text: text, Limit: liaison.MaxSearchLimit}
	for {
		pg, err := s.Search(context.Background(), p, q)
		if err != nil {
			t.Fatal(err)
		}
		found += len(pg.Hits)
		if !pg.More {
			return found
		}
		q.Next = pg.Next
	}
}

// TestSearchDocVectors: whether the writer makes a document's vector or
// leaves it to PostgreSQL (migration 2500), every stored vector is the one
// the generated column made of the text, and the documents are found.
func TestSearchDocVectors(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	s, p, coll := searchWorld(t, url, sch)
	if res, err := s.AddObjects(context.Background(), p, coll, vectorCandidates(0, 500)); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	if bad, total := docMismatches(t, url, sch); bad != 0 || total != 500 {
		t.Errorf("%d of %d documents have another vector than their text's", bad, total)
	}
	for text, want := range map[string]int{"tool": 500, "plain": 100, "spécial": 100, "über": 100, "ключ": 100, "9e9b83e77f93": 100, "\"number 7\"": 1} {
		if got := searchCount(t, s, p, text); got != want {
			t.Errorf("search %s: %d hits, want %d", text, got, want)
		}
	}
}

// TestSearchDocVectorsMigration: a store from before migration 2500 (doc
// a generated column) keeps its vectors through the migration, and the
// documents written after it are found with the ones written before.
func TestSearchDocVectorsMigration(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	s, p, coll := searchWorld(t, url, sch)
	if res, err := s.AddObjects(ctx, p, coll, vectorCandidates(0, 100)); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	s.Close()
	// Put the schema back as migration 1100 left it: doc generated from
	// the text, and 2500 not applied.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `SET search_path = `+sch+`;
		DROP TRIGGER search_docs_doc ON search_docs; DROP TRIGGER search_docs_doc_text ON search_docs; DROP FUNCTION search_docs_doc();
		ALTER TABLE search_docs DROP COLUMN doc;
		ALTER TABLE search_docs ADD COLUMN doc tsvector GENERATED ALWAYS AS (
			setweight(to_tsvector('simple'::regconfig, name), 'A') ||
			setweight(to_tsvector('simple'::regconfig, tags), 'B') ||
			setweight(to_tsvector('simple'::regconfig, body), 'C')) STORED;
		CREATE INDEX search_docs_doc ON search_docs USING gin (doc);
		DELETE FROM schema_migrations WHERE name = '2500_search_docs_doc_from_writer.sql'`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := postgresOpen(ctx, url, sch)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	st, err := s2.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Ran, []string{"2500_search_docs_doc_from_writer.sql"}) {
		t.Fatalf("reopening ran %v, want migration 2500 alone", st.Ran)
	}
	if res, err := s2.AddObjects(ctx, p, coll, vectorCandidates(100, 100)); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("add: %v %+v", err, res.Rejected)
	}
	if bad, total := docMismatches(t, url, sch); bad != 0 || total != 200 {
		t.Errorf("%d of %d documents have another vector than their text's", bad, total)
	}
	for text, want := range map[string]int{"tool": 200, "plain": 40, "ключ": 40, "\"number 7\"": 1, "\"number 107\"": 1} {
		if got := searchCount(t, s2, p, text); got != want {
			t.Errorf("search %s: %d hits, want %d", text, got, want)
		}
	}
	// A document written without a vector, as an older writer or a plain
	// INSERT writes it, and a change of a document's text, get the
	// vector of their text.
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SET search_path = `+sch+`;
		DELETE FROM search_docs WHERE vid = (SELECT min(vid) FROM search_docs);
		INSERT INTO search_docs (vid, name, tags, body) SELECT min(vid), 'written plainly', '', 'by hand' FROM versions;
		UPDATE search_docs SET body = 'changed by hand' WHERE vid = (SELECT max(vid) FROM search_docs)`)
	if err != nil {
		t.Fatal(err)
	}
	if bad, total := docMismatches(t, url, sch); bad != 0 || total != 200 {
		t.Errorf("after plain writes, %d of %d documents have another vector than their text's", bad, total)
	}
}
