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

// TestSearchMutantIsCaught proves that the search checks can fail: the
// store answers JPN's searches as if JPN were USA, as a search without
// the reader's filter would. The leak test, run on it in a child process,
// must fail and say LEAK on the store's path and on the pages' and API's.
func TestSearchMutantIsCaught(t *testing.T) {
	mutantProofs(t)
	out := mutantChild{test: "TestSearchMutant", env: "LEAKTEST_SEARCH_MUTANT", mode: "search-swap"}.caught(t)
	for _, p := range leaktest.SearchPaths() {
		if !strings.Contains(out, " "+p.Name()+" jpn.") {
			t.Errorf("path %s did not report the leak:\n%s", p.Name(), tail(out))
		}
	}
}

// TestSearchMutant runs a small leak test of the search paths over the
// mutant.
func TestSearchMutant(t *testing.T) {
	if os.Getenv("LEAKTEST_SEARCH_MUTANT") == "" {
		t.Skip("run by TestSearchMutantIsCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		if os.Getenv("LEAKTEST_SEARCH_MUTANT") == "filtered" {
			return filteredSearchSwap{Store: openSQLite(t, now)}
		}
		return searchSwap{Store: openSQLite(t, now)}
	}
	// The mutant leaks to JPN: check JPN only, in the first phase, to keep
	// the child cheap under the race detector.
	var paths []leaktest.ReadPath
	for _, p := range leaktest.SearchPaths() {
		paths = append(paths, onlyJPN{p})
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 1, OtherPartners: 1, Objects: 40}, StopAtLeak: true}, open, paths...)
}

// onlyJPN checks a path for JPN's user in the first phase alone.
type onlyJPN struct{ leaktest.ReadPath }

func (p onlyJPN) Check(e *leaktest.Env, r *leaktest.User) {
	if r.Org == "JPN" && e.Phase == "initial" {
		p.ReadPath.Check(e, r)
	}
}

// searchSwap answers JPN's searches as USA's.
type searchSwap struct{ liaison.Store }

func (m searchSwap) Search(ctx context.Context, p liaison.Principal, q liaison.SearchQuery) (liaison.SearchPage, error) {
	if p.Org == "JPN" {
		p.Org = "USA"
	}
	return m.Store.Search(ctx, p, q)
}

// TestFilteredSearchMutantIsCaught proves that the filtered searches are
// checked on their own: the store drops the reader's filter only when a
// search has an originator or modified filter, as a filter written
// outside the reader's query would.
func TestFilteredSearchMutantIsCaught(t *testing.T) {
	mutantProofs(t)
	out := mutantChild{test: "TestSearchMutant", env: "LEAKTEST_SEARCH_MUTANT", mode: "filtered"}.caught(t)
	// The paths that send filtered searches; the EDT page searches a
	// label without filters, and the swap of every search covers it.
	for _, name := range []string{"store/search", "web/search"} {
		if !strings.Contains(out, " "+name+" jpn.") {
			t.Errorf("path %s did not report the leak:\n%s", name, tail(out))
		}
	}
}

// filteredSearchSwap answers JPN's filtered searches as USA's.
type filteredSearchSwap struct{ liaison.Store }

func (m filteredSearchSwap) Search(ctx context.Context, p liaison.Principal, q liaison.SearchQuery) (liaison.SearchPage, error) {
	if p.Org == "JPN" && (q.Originator != "" || !q.ModifiedAfter.IsZero()) {
		p.Org = "USA"
	}
	return m.Store.Search(ctx, p, q)
}
