package leaktest_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
)

// The leak test must be able to fail. Each mutant below is the SQLite
// store with one deliberate fault of the kind the invariant forbids; the
// leak test, run on it in a child process, must fail and say why.
func TestMutantsAreCaught(t *testing.T) {
	mutantProofs(t)
	mutantChild{test: "TestMutant", env: "LEAKTEST_MUTANT"}.caughtEach(t, []mutantCase{
		// JPN's reads are answered as if JPN were USA.
		{"reader-swap", nil},
		// The store's clock never moves: the expired agreement stays in force.
		{"frozen-clock", []string{"[agreement-expired"}},
		// A hidden collection answers with its own message.
		{"telling-404", []string{"hidden and missing differ"}},
		// more=true on the last page.
		{"more-leak", []string{"more=true"}},
		// Related answers JPN as if it were USA.
		{"related-swap", []string{"Related("}},
		// RelatedAfter (the graph's paged read) answers JPN as if it were USA.
		{"related-after-swap", []string{"RelatedAfter("}},
		// ExplainAudience answers JPN as if it were USA.
		{"explain-swap", []string{"ExplainAudience"}},
		// Match tries JPN's observations against every indicator anyone reads.
		{"match-all", []string{"LEAK store/match"}},
		// ACS permits are read without their permitted_nationalities.
		{"acs-ignore-nationalities", nil},
	})
}

// TestMutant runs a small leak test on the mutant LEAKTEST_MUTANT names.
func TestMutant(t *testing.T) {
	mode := os.Getenv("LEAKTEST_MUTANT")
	if mode == "" {
		t.Skip("run by TestMutantsAreCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		if mode == "frozen-clock" {
			start := now()
			now = func() time.Time { return start }
		}
		return mutant{Store: openSQLite(t, now), mode: mode}
	}
	// Only the path each mutant needs: the run is a child process and
	// should cost little, even under the race detector.
	need := map[string]string{"reader-swap": "store/objects", "frozen-clock": "store/objects", "telling-404": "store/collections", "more-leak": "store/paging", "related-swap": "store/related", "related-after-swap": "store/related", "explain-swap": "store/explain", "match-all": "store/match", "acs-ignore-nationalities": "store/objects"}[mode]
	var paths []leaktest.ReadPath
	for _, p := range append(leaktest.StorePaths(), leaktest.MatchPaths()...) {
		if p.Name() == need {
			paths = append(paths, p)
		}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, paths...)
}

type mutant struct {
	liaison.Store
	mode string
}

func (m mutant) Objects(ctx context.Context, p liaison.Principal, coll string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	if m.mode == "reader-swap" && p.Org == "JPN" {
		p.Org = "USA"
	}
	pg, err := m.Store.Objects(ctx, p, coll, q)
	if m.mode == "more-leak" && err == nil && !pg.More && q.Limit > 0 && q.Limit < 20 {
		pg.More, pg.Next = true, "past-the-end"
	}
	if m.mode == "more-leak" && q.Next == "past-the-end" {
		return liaison.ObjectPage{}, nil
	}
	return pg, err
}

func (m mutant) Related(ctx context.Context, p liaison.Principal, id string, limit int) ([]liaison.Version, bool, error) {
	if m.mode == "related-swap" && p.Org == "JPN" {
		p.Org = "USA"
	}
	return m.Store.Related(ctx, p, id, limit)
}

func (m mutant) RelatedAfter(ctx context.Context, p liaison.Principal, id, after string, limit int) ([]liaison.Version, string, error) {
	if m.mode == "related-after-swap" && p.Org == "JPN" {
		p.Org = "USA"
	}
	return m.Store.RelatedAfter(ctx, p, id, after, limit)
}

func (m mutant) ExplainAudience(ctx context.Context, p liaison.Principal, coll, id string, v time.Time) (liaison.Explanation, error) {
	if m.mode == "explain-swap" && p.Org == "JPN" {
		p.Org = "USA"
	}
	return m.Store.ExplainAudience(ctx, p, coll, id, v)
}

func (m mutant) Match(ctx context.Context, p liaison.Principal, req liaison.MatchRequest) (liaison.MatchResult, error) {
	if m.mode != "match-all" || p.Org != "JPN" {
		return m.Store.Match(ctx, p, req)
	}
	orgs, err := m.Store.Organisations(ctx)
	if err != nil {
		return liaison.MatchResult{}, err
	}
	var all liaison.MatchResult
	seen := map[string]bool{}
	for _, o := range orgs {
		q := p
		q.Org = o.Code
		res, err := m.Store.Match(ctx, q, req)
		if err != nil {
			continue
		}
		all.Observations = res.Observations
		for _, h := range res.Matches {
			if k := h.Collection + "/" + h.Indicator + "@" + h.Version.String(); !seen[k] {
				seen[k] = true
				all.Matches = append(all.Matches, h)
			}
		}
	}
	return all, nil
}

func (m mutant) Collection(ctx context.Context, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	a, err := m.Store.Collection(ctx, p, id)
	if m.mode == "telling-404" && liaison.ErrorCode(err) == liaison.ENOTFOUND {
		all, _ := m.Store.AllCollections(ctx)
		for _, c := range all {
			if c.ID == id {
				return a, liaison.Errorf(liaison.ENOTFOUND, "collection %q is not for you", id)
			}
		}
	}
	return a, err
}

func (m mutant) AddObjects(ctx context.Context, writer liaison.Principal, coll string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	if m.mode == "acs-ignore-nationalities" {
		objs = slices.Clone(objs)
		for i, c := range objs {
			if c.Marking == nil || c.Marking.ACS == nil {
				continue
			}
			mk := *c.Marking
			a := &liaison.ACS{FurtherSharing: mk.ACS.FurtherSharing}
			for _, p := range mk.ACS.Access {
				if p.Permit {
					p.Nationalities = nil
				}
				a.Access = append(a.Access, p)
			}
			mk.ACS = a
			objs[i].Marking = &mk
		}
	}
	return m.Store.AddObjects(ctx, writer, coll, objs)
}

// AddObjectsWithStatus is the mutant's AddObjects, then the status saved
// as the TAXII server asks, so that TAXII adds meet the mutation too.
func (m mutant) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, coll string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	res, err := m.AddObjects(ctx, writer, coll, objs)
	if err != nil {
		return res, err
	}
	return res, m.Store.SaveStatus(ctx, status(res))
}
