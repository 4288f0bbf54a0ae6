package sqlite

import (
	"context"
	"database/sql"
	"testing"

	"liaison/core"
)

// Plan returns SQLite's plan of a core query, its lists bound as the store
// binds them.
func Plan(t testing.TB, s *Store, query string, a ...any) []string {
	t.Helper()
	tx, err := s.reader.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	return explain(t, tx, query, args(a)...)
}

// explain returns the detail column of SQLite's EXPLAIN QUERY PLAN of
// query, step by step.
func explain(t testing.TB, tx *sql.Tx, query string, a ...any) []string {
	t.Helper()
	rows, err := tx.Query(`EXPLAIN QUERY PLAN `+query, a...)
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
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// SearchPlan returns SQLite's plan of the first window of a search of
// text in the collections, as org may read them.
func SearchPlan(t testing.TB, s *Store, org string, collections []string, text string) []string {
	t.Helper()
	query, a, err := core.SearchWindowQuery(pages{s}, org, collections, text)
	if err != nil {
		t.Fatal(err)
	}
	return Plan(t, s, query, a...)
}
