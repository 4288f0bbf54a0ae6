package leaktest_test

import (
	"context"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
	"liaison/sqlite"
)

func openSQLite(t *testing.T, now func() time.Time) liaison.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: now})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSQLiteInvariant runs the randomised leak test on the SQLite store
// through the store's own read paths and over TAXII.
func TestSQLiteInvariant(t *testing.T) {
	paths := append(append(leaktest.StorePaths(), leaktest.TAXIIPaths()...), leaktest.SearchPaths()...)
	// Last: in the final phase the match path records sightings.
	paths = append(paths, leaktest.MatchPaths()...)
	leaktest.Run(t, openSQLite, paths...)
}
