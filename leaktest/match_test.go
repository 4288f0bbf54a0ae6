package leaktest_test

import (
	"os"
	"testing"

	"liaison/leaktest"
)

// TestPostgresMatchInvariant runs the matching paths on the PostgreSQL
// store (the SQLite store runs them in TestSQLiteInvariant).
func TestPostgresMatchInvariant(t *testing.T) {
	if os.Getenv("LIAISON_TEST_POSTGRES") == "" {
		t.Skip(noPostgres)
	}
	leaktest.Run(t, openPostgres, leaktest.MatchPaths()...)
}
