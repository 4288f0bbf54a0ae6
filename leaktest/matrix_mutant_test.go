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

// TestMatrixMutantsAreCaught proves that the matrix pages' checks can
// fail: each mutant is the SQLite store with one fault that would leak
// through one of them, and the leak test, run on it in a child process,
// must fail and say LEAK on that page for JPN.
func TestMatrixMutantsAreCaught(t *testing.T) {
	mutantProofs(t)
	// Each must say LEAK on its page, for JPN.
	mutantChild{test: "TestMatrixMutant", env: "LEAKTEST_MATRIX_MUTANT"}.caughtEach(t, []mutantCase{
		// The matrix counts for JPN as for USA: CountUses unfiltered
		// for JPN.
		{"matrix-counts", []string{" web/matrix jpn.", "LEAK web matrix"}},
		// The links naming a technique, for JPN, also those USA, FRA
		// and NATO-IS read: the technique page lists users through links
		// JPN may not read.
		{"technique-links", []string{" web/matrix jpn.", "LEAK web technique"}},
		// JPN's reads of attack-patterns also return those USA, FRA and
		// NATO-IS read: the form offers techniques JPN may not read.
		{"picker-techniques", []string{" web/fimi-picker jpn.", "LEAK web FIMI form"}},
	})
}

// TestMatrixMutant runs a small leak test of the matrix pages over the
// mutant LEAKTEST_MATRIX_MUTANT names ("none": over the store itself).
func TestMatrixMutant(t *testing.T) {
	mode := os.Getenv("LEAKTEST_MATRIX_MUTANT")
	if mode == "" {
		t.Skip("run by TestMatrixMutantsAreCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		return matrixMutant{Store: openSQLite(t, now), mode: mode}
	}
	var paths []leaktest.ReadPath
	for _, p := range leaktest.MatrixPaths() {
		if mode == "none" || p.Name() == map[string]string{"matrix-counts": "web/matrix", "technique-links": "web/matrix", "picker-techniques": "web/fimi-picker"}[mode] {
			paths = append(paths, p)
		}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, paths...)
}

type matrixMutant struct {
	liaison.Store
	mode string
}

func (m matrixMutant) CountUses(ctx context.Context, p liaison.Principal, q liaison.UseQuery) (map[string]int, error) {
	if m.mode == "matrix-counts" {
		p = asUSA(p)
	}
	return m.Store.CountUses(ctx, p, q)
}

func (m matrixMutant) Related(ctx context.Context, p liaison.Principal, id string, limit int) ([]liaison.Version, bool, error) {
	vs, more, err := m.Store.Related(ctx, p, id, limit)
	if m.mode == "technique-links" && err == nil {
		vs = withUSA(p, vs, func(u liaison.Principal) ([]liaison.Version, error) {
			vs, _, err := m.Store.Related(ctx, u, id, limit)
			return vs, err
		})
	}
	return vs, more, err
}

func (m matrixMutant) Objects(ctx context.Context, p liaison.Principal, coll string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	pg, err := m.Store.Objects(ctx, p, coll, q)
	if m.mode == "picker-techniques" && err == nil && slices.Equal(q.Types, []string{"attack-pattern"}) && q.Next == "" {
		pg.Versions = withUSA(p, pg.Versions, func(u liaison.Principal) ([]liaison.Version, error) {
			other, err := m.Store.Objects(ctx, u, coll, q)
			return other.Versions, err
		})
	}
	return pg, err
}
