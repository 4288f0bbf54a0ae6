package leaktest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
)

// TestSQLiteDirectoryInvariant runs the leak test on the effect preview,
// in the store and on its pages.
func TestSQLiteDirectoryInvariant(t *testing.T) {
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 5, OtherPartners: 2, Objects: 400}}, openSQLite, leaktest.DirectoryPaths()...)
}

// TestPreviewMutantsAreCaught proves the preview's checks can fail: one
// mutant answers the preview to anyone, one counts for each organisation
// versions it may not read, and one tells the pages that JPN's users are
// admins (so the pages offer them the preview, as they would if they
// forgot the role).
func TestPreviewMutantsAreCaught(t *testing.T) {
	mutantProofs(t)
	mutantChild{test: "TestPreviewMutant", env: "LEAKTEST_PREVIEW_MUTANT"}.caughtEach(t, []mutantCase{
		{"preview-open", []string{"LEAK store/preview: a non-admin"}},
		{"preview-count", []string{"LEAK store/preview: counts"}},
		{"roles-inflated", []string{"LEAK web/effect-preview"}},
	})
}

// TestPreviewMutant runs a small leak test of the preview over the
// mutant LEAKTEST_PREVIEW_MUTANT names.
func TestPreviewMutant(t *testing.T) {
	mode := os.Getenv("LEAKTEST_PREVIEW_MUTANT")
	if mode == "" {
		t.Skip("run by TestPreviewMutantsAreCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		return previewMutant{Store: openSQLite(t, now), mode: mode}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, leaktest.DirectoryPaths()...)
}

type previewMutant struct {
	liaison.Store
	mode string
}

func (m previewMutant) PreviewDirectory(ctx context.Context, p liaison.Principal, c liaison.DirectoryChange) (liaison.DirectoryEffect, error) {
	switch m.mode {
	case "preview-open":
		p.Roles = []liaison.Role{liaison.RoleAdmin}
		if p.Org == "" || p.Org == "XKX" {
			p.Org = "USA"
		}
	}
	eff, err := m.Store.PreviewDirectory(ctx, p, c)
	if m.mode == "preview-count" {
		// Counted as if every organisation read every collection's
		// versions of its own kind: one more each.
		for i := range eff.Orgs {
			eff.Orgs[i].Before++
			eff.Orgs[i].After++
		}
	}
	return eff, err
}

func (m previewMutant) User(ctx context.Context, name string) (liaison.Principal, error) {
	p, err := m.Store.User(ctx, name)
	if m.mode == "roles-inflated" && p.Org == "JPN" {
		p.Roles = []liaison.Role{liaison.RoleAdmin}
	}
	return p, err
}
