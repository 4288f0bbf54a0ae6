package leaktest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
)

// TestGraphAndActivityMutantsAreCaught proves that the graph's, the
// timeline's and the collections pages' checks can fail: each mutant is the SQLite store with one
// fault that would leak through that page, and the leak test, run on it
// in a child process, must fail and say LEAK on that page's path.
func TestGraphAndActivityMutantsAreCaught(t *testing.T) {
	mutantProofs(t)
	// Each must say LEAK on its page (for JPN, where it leaks to JPN).
	mutantChild{test: "TestPageMutant", env: "LEAKTEST_PAGE_MUTANT"}.caughtEach(t, []mutantCase{
		// The graph's reads for JPN (the links naming an object, the
		// collections and the objects at the links' ends) also return what
		// USA, FRA and NATO-IS read: the graph draws ends and links JPN
		// may not read.
		{"graph-ends", []string{" web/graph jpn"}},
		// The timeline counts for JPN as for USA: unfiltered for JPN.
		{"activity-unfiltered", []string{" web/activity jpn"}},
		// The collections pages for JPN list, and open, the collections
		// USA may read or write as well as JPN's own.
		{"collections-unfiltered", []string{" web/collections jpn"}},
		// The score on the lists counts, for every reader, the sightings
		// USA, FRA and NATO-IS read too.
		{"score-sightings", []string{" web/score-list "}},
	})
}

// TestPageMutant runs a small leak test of one page over the mutant
// LEAKTEST_PAGE_MUTANT names.
func TestPageMutant(t *testing.T) {
	mode := os.Getenv("LEAKTEST_PAGE_MUTANT")
	if mode == "" {
		t.Skip("run by TestGraphAndActivityMutantsAreCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		return pageMutant{Store: openSQLite(t, now), mode: mode}
	}
	need := map[string]string{"graph-ends": "web/graph", "activity-unfiltered": "web/activity", "collections-unfiltered": "web/collections", "score-sightings": "web/score-list"}[mode]
	var paths []leaktest.ReadPath
	for _, p := range append(append(leaktest.WebPaths(), leaktest.CountPaths()...), leaktest.WebCollectionPaths()...) {
		if p.Name() == need {
			paths = append(paths, p)
		}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, paths...)
}

type pageMutant struct {
	liaison.Store
	mode string
}

func asUSA(p liaison.Principal) liaison.Principal {
	if p.Org == "JPN" {
		p.Org = "USA"
	}
	return p
}

// withUSA adds to what JPN receives the versions that USA, FRA or
// NATO-IS receive and JPN does not.
func withUSA(p liaison.Principal, mine []liaison.Version, read func(liaison.Principal) ([]liaison.Version, error)) []liaison.Version {
	if p.Org != "JPN" {
		return mine
	}
	seen := map[string]bool{}
	for _, v := range mine {
		seen[v.Collection+" "+v.ID] = true
	}
	for _, org := range []string{"USA", "FRA", "NATO-IS"} {
		u := p
		u.Org = org
		theirs, err := read(u)
		if err != nil {
			continue
		}
		for _, v := range theirs {
			if !seen[v.Collection+" "+v.ID] {
				seen[v.Collection+" "+v.ID] = true
				mine = append(mine, v)
			}
		}
	}
	return mine
}

// appendNew appends to vs the versions of theirs it lacks.
func appendNew(vs, theirs []liaison.Version) []liaison.Version {
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.Collection+" "+v.ID] = true
	}
	for _, v := range theirs {
		if !seen[v.Collection+" "+v.ID] {
			seen[v.Collection+" "+v.ID] = true
			vs = append(vs, v)
		}
	}
	return vs
}

func (m pageMutant) Related(ctx context.Context, p liaison.Principal, id string, limit int) ([]liaison.Version, bool, error) {
	vs, more, err := m.Store.Related(ctx, p, id, limit)
	if m.mode == "score-sightings" && err == nil {
		for _, org := range []string{"USA", "FRA", "NATO-IS"} {
			q := p
			q.Org = org
			theirs, _, err := m.Store.Related(ctx, q, id, limit)
			if err == nil {
				vs = appendNew(vs, theirs)
			}
		}
	}
	if m.mode == "graph-ends" && err == nil {
		vs = withUSA(p, vs, func(u liaison.Principal) ([]liaison.Version, error) {
			vs, _, err := m.Store.Related(ctx, u, id, limit)
			return vs, err
		})
	}
	return vs, more, err
}

func (m pageMutant) RelatedAfter(ctx context.Context, p liaison.Principal, id, after string, limit int) ([]liaison.Version, string, error) {
	vs, next, err := m.Store.RelatedAfter(ctx, p, id, after, limit)
	if m.mode == "graph-ends" && err == nil && after == "" {
		vs = withUSA(p, vs, func(u liaison.Principal) ([]liaison.Version, error) {
			vs, _, err := m.Store.RelatedAfter(ctx, u, id, "", limit)
			return vs, err
		})
	}
	return vs, next, err
}

func (m pageMutant) Objects(ctx context.Context, p liaison.Principal, coll string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	pg, err := m.Store.Objects(ctx, p, coll, q)
	if m.mode == "graph-ends" && p.Org == "JPN" && liaison.ErrorCode(err) == liaison.ENOTFOUND {
		pg, err = liaison.ObjectPage{}, nil
	}
	if m.mode == "graph-ends" && err == nil && len(q.IDs) > 0 && q.Next == "" {
		pg.Versions = withUSA(p, pg.Versions, func(u liaison.Principal) ([]liaison.Version, error) {
			other, err := m.Store.Objects(ctx, u, coll, q)
			return other.Versions, err
		})
	}
	return pg, err
}

// Collections lists for JPN, after its own, the collections USA, FRA
// and NATO-IS may read: where the graph looks for the ends it draws.
func (m pageMutant) Collections(ctx context.Context, p liaison.Principal) ([]liaison.CollectionAccess, error) {
	cs, err := m.Store.Collections(ctx, p)
	if m.mode != "graph-ends" && m.mode != "collections-unfiltered" || err != nil || p.Org != "JPN" {
		return cs, err
	}
	seen := map[string]bool{}
	for _, c := range cs {
		seen[c.ID] = true
	}
	for _, org := range []string{"USA", "FRA", "NATO-IS"} {
		u := p
		u.Org = org
		more, err := m.Store.Collections(ctx, u)
		if err != nil {
			continue
		}
		for _, c := range more {
			if !seen[c.ID] {
				seen[c.ID] = true
				cs = append(cs, c)
			}
		}
	}
	return cs, nil
}

func (m pageMutant) Activity(ctx context.Context, p liaison.Principal, q liaison.ActivityQuery) ([]liaison.ActivityCount, error) {
	if m.mode == "activity-unfiltered" {
		p = asUSA(p)
	}
	return m.Store.Activity(ctx, p, q)
}

// Collection opens for JPN a collection USA may see, as if JPN may.
func (m pageMutant) Collection(ctx context.Context, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	c, err := m.Store.Collection(ctx, p, id)
	if m.mode == "collections-unfiltered" && p.Org == "JPN" && liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return m.Store.Collection(ctx, asUSA(p), id)
	}
	return c, err
}
