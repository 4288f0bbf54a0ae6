package sqlite

import (
	"context"
	"database/sql"
	"liaison"
	"liaison/internal/objquery"
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
		q    *sql.DB
	}{{"writer", s.writer}, {"reader", s.reader}} {
		for _, p := range []string{"journal_mode", "foreign_keys", "busy_timeout", "query_only", "page_size", "wal_autocheckpoint", "journal_size_limit", "cache_size"} {
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
	ctx := context.Background()
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	query, args, err := f.pageQuery(ctx, tx, s.arms, `v.id, v.date_added_us, v.raw`, collection, org)
	if err != nil {
		t.Fatal(err)
	}
	if query == "" {
		return nil
	}
	return explain(t, tx, query, args...)
}

// SetAudienceArms sets the most audiences a page query walks one by one;
// 0 makes every page query walk the collection once.
func SetAudienceArms(s *Store, n int) { s.arms = n }

// ReadableAudiences returns how many audiences org may read, and how many
// the store has.
func ReadableAudiences(t testing.TB, s *Store, org string) (int, int) {
	tx, err := s.reader.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	r, all, err := readableAudiences(context.Background(), tx, org, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(r), all
}

// parseQuery parses q into the store's filter, as the page read does.
func parseQuery(q liaison.ObjectQuery) (filter, error) {
	p, err := objquery.Parse(q)
	return filter{p}, err
}
