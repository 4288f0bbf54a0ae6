package leaktest_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
)

// The import paths run with the other pages' paths, last, in
// TestSQLiteWebInvariant (web_test.go), on the same world.

// TestWebImportMutantIsCaught proves that each import path can fail, in
// one small run over a store with two faults: it tells JPN, over HTTP,
// that a version hidden from it is present; and its directory makes JPN
// an ally when the pages ask. The hidden versions are written over in
// the last phase only, where -leak.full makes sure JPN is among the
// writers checked.
func TestWebImportMutantIsCaught(t *testing.T) {
	mutantProofs(t)
	out := mutantChild{test: "TestWebImportMutant", env: "LEAKTEST_IMPORT_MUTANT", mode: "1", args: []string{"-leak.full"}}.caught(t)
	for _, want := range []string{"LEAK web import into", "LEAK web import preview"} {
		if !strings.Contains(out, want) {
			t.Errorf("the leak test failed on the leaking import paths but without %q:\n%s", want, tail(out))
		}
	}
}

// TestWebImportMutant runs a small leak test of the import paths over
// the mutant.
func TestWebImportMutant(t *testing.T) {
	if os.Getenv("LEAKTEST_IMPORT_MUTANT") == "" {
		t.Skip("run by TestWebImportMutantIsCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		return importMutant{Store: openSQLite(t, now)}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, leaktest.WebImportPaths()...)
}

type importMutant struct{ liaison.Store }

// overHTTP reports whether a call comes from a request the pages serve,
// so that the mutants leave the world's loading alone.
func overHTTP(ctx context.Context) bool { return ctx.Value(http.ServerContextKey) != nil }

// AddObjects answers JPN "present" for every version
// it writes over HTTP that the collection holds hidden from it.
func (m importMutant) AddObjects(ctx context.Context, p liaison.Principal, coll string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	if p.Org != "JPN" || !overHTTP(ctx) {
		return m.Store.AddObjects(ctx, p, coll, objs)
	}
	hidden := map[string]bool{}
	for _, c := range objs {
		q := liaison.ObjectQuery{IDs: []string{c.ID}, Versions: []string{c.Version().Format(time.RFC3339Nano)}, Manifest: true}
		mine, err := m.Store.Objects(ctx, p, coll, q)
		if err != nil || len(mine.Versions) > 0 {
			continue
		}
		for _, org := range []string{"USA", "FRA", "NATO-IS"} {
			other, err := m.Store.Objects(ctx, liaison.Principal{ID: p.ID, Name: p.Name, Org: org, Roles: p.Roles}, coll, q)
			if err == nil && len(other.Versions) > 0 {
				hidden[c.ID] = true
				break
			}
		}
	}
	res, err := m.Store.AddObjects(ctx, p, coll, objs)
	for i, a := range res.Accepted {
		if hidden[a.ID] {
			res.Accepted[i].Present = true
		}
	}
	return res, err
}

// AddObjectsWithStatus is the mutant's AddObjects, then the status saved
// as the TAXII server asks, so that TAXII adds meet the mutation too.
func (m importMutant) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, coll string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	res, err := m.AddObjects(ctx, writer, coll, objs)
	if err != nil {
		return res, err
	}
	return res, m.Store.SaveStatus(ctx, status(res))
}

// Directory makes JPN an ally when the pages ask.
func (m importMutant) Directory(ctx context.Context) (*liaison.Directory, error) {
	d, err := m.Store.Directory(ctx)
	if err != nil || !overHTTP(ctx) {
		return d, err
	}
	orgs := d.Organisations()
	for i := range orgs {
		if orgs[i].Code == "JPN" {
			orgs[i].Kind = liaison.Ally
		}
	}
	comms, err := m.Store.Communities(ctx)
	if err != nil {
		return nil, err
	}
	ags, err := m.Store.Agreements(ctx)
	if err != nil {
		return nil, err
	}
	return liaison.NewDirectory(orgs, comms, ags, d.Now), nil
}
