package leaktest_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
)

// TestSQLiteWebInvariant runs the randomised leak test on the pages and
// the import page, over
// real HTTP with a signed-in session, on the SQLite store.
func TestSQLiteWebInvariant(t *testing.T) {
	// The import paths go last: the upload writes over hidden versions
	// in the last phase.
	paths := append(append(append(leaktest.WebPaths(), leaktest.CountPaths()...), leaktest.MatrixPaths()...), leaktest.WebCollectionPaths()...)
	leaktest.Run(t, openSQLite, append(paths, leaktest.WebImportPaths()...)...)
}

// TestWebMutantIsCaught proves that the pages' checks can fail: the
// pages run over a store that hands JPN one version it may not read on
// the first page of each list. The leak test, run on it in a child
// process, must fail and say LEAK.
func TestWebMutantIsCaught(t *testing.T) {
	mutantProofs(t)
	out := mutantChild{test: "TestWebMutant", env: "LEAKTEST_WEB_MUTANT", mode: "show-one"}.caught(t)
	n := strings.Count(out, "LEAK")
	// Each page path must catch it on its own.
	for _, p := range leaktest.WebPaths() {
		if !strings.Contains(out, " "+p.Name()+" jpn.") {
			t.Errorf("path %s did not report the leak:\n%s", p.Name(), tail(out))
		}
	}
	t.Logf("the leaking pages gave %d LEAK reports", n)
}

// TestWebMutant runs a small leak test of the pages over the mutant.
func TestWebMutant(t *testing.T) {
	if os.Getenv("LEAKTEST_WEB_MUTANT") == "" {
		t.Skip("run by TestWebMutantIsCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		return showOne{Store: openSQLite(t, now)}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, leaktest.WebPaths()...)
}

// showOne is a store that, on the first page of each of JPN's reads,
// adds one version of the collection that JPN may not read: what a page
// that read around the store's filter would show.
type showOne struct{ liaison.Store }

func (m showOne) Objects(ctx context.Context, p liaison.Principal, coll string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	pg, err := m.Store.Objects(ctx, p, coll, q)
	if err != nil || p.Org != "JPN" || q.Next != "" {
		return pg, err
	}
	seen := map[string]bool{}
	for _, v := range pg.Versions {
		seen[v.ID] = true
	}
	for _, org := range []string{"USA", "FRA", "NATO-IS"} {
		other, err := m.Store.Objects(ctx, liaison.Principal{ID: p.ID, Name: p.Name, Org: org, Roles: p.Roles}, coll, q)
		if err != nil {
			continue
		}
		for _, v := range other.Versions {
			if !seen[v.ID] {
				pg.Versions = append(pg.Versions, v)
				return pg, nil
			}
		}
	}
	return pg, nil
}
