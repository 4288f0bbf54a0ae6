package sqlite

import (
	"context"
	"liaison"
	"testing"
)

// AppliedMigrations returns the names schema_migrations records, in order.
func AppliedMigrations(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.reader.QueryContext(context.Background(), `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// Pragmas returns the pragmas of the writer and a reader connection.
func Pragmas(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	ctx := context.Background()
	for _, c := range []struct {
		role string
		q    querier
	}{{"writer", s.writer}, {"reader", s.reader}} {
		for _, p := range []string{"journal_mode", "foreign_keys", "busy_timeout", "query_only"} {
			var v string
			if err := c.q.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
				t.Fatal(err)
			}
			out[c.role+" "+p] = v
		}
	}
	return out
}

// ObjectsPlan returns SQLite's query plan for the page query of q, one
// line per step.
func ObjectsPlan(t *testing.T, s *Store, org, collection string, q liaison.ObjectQuery) []string {
	t.Helper()
	f, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	from, args := f.source(collection, org)
	rows, err := s.reader.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT v.id, v.raw `+from+` ORDER BY v.date_added_us LIMIT ?`, append(args, f.limit+1)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}
