package leaktest_test

import (
	"os"
	"testing"

	"liaison/leaktest"
)

// TestPostgresMatchInvariant runs the matching paths on the PostgreSQL
// store (the SQLite store runs them in TestSQLiteInvariant), in a world
// of its own kept small: the matcher's logic is the core's, shared with
// SQLite, and only the engine's reads differ.
func TestPostgresMatchInvariant(t *testing.T) {
	if os.Getenv("LIAISON_TEST_POSTGRES") == "" {
		t.Skip(noPostgres)
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 6, OtherPartners: 2, Objects: 1000}}, openPostgres, leaktest.MatchPaths()...)
}
