package leaktest_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/core"
	"liaison/leaktest"
	"liaison/sqlite"
)

// TestSQLiteAuditInvariant runs the leak test on the audit page and "Who
// received this", over a store audited as serve wires it.
func TestSQLiteAuditInvariant(t *testing.T) {
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 4, OtherPartners: 1, Objects: 300}}, openSQLite, leaktest.AuditPaths()...)
}

// TestAuditMutantIsCaught proves that the audit checks can fail: the
// audit's queries run over transactions that drop the organisation from
// every condition on it, so an officer reads the entries of other
// organisations' principals. The leak test, run on it in a child
// process, must fail and say LEAK web/audit.
func TestAuditMutantIsCaught(t *testing.T) {
	mutantProofs(t)
	out := mutantChild{test: "TestAuditMutant", env: "LEAKTEST_AUDIT_MUTANT", mode: "org-ignored"}.caught(t)
	if !strings.Contains(out, "LEAK web/audit: entry ") || !strings.Contains(out, "is shown to an officer of") {
		t.Fatalf("the leak test failed on the leaking audit but without its LEAK:\n%s", tail(out))
	}
}

// TestAuditMutant runs a small audit leak test over the mutant.
func TestAuditMutant(t *testing.T) {
	if os.Getenv("LEAKTEST_AUDIT_MUTANT") == "" {
		t.Skip("run by TestAuditMutantIsCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		return orgIgnored{openSQLite(t, now).(*sqlite.Store)}
	}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, leaktest.AuditPaths()...)
}

// orgIgnored is the SQLite store whose transactions, as handed to the
// audit, answer a condition on an entry's organisation as true.
type orgIgnored struct{ *sqlite.Store }

func (s orgIgnored) DB() core.DB { return orgIgnoredDB{s.Store.DB()} }

type orgIgnoredDB struct{ core.DB }

func (d orgIgnoredDB) Begin(ctx context.Context, write bool) (core.Txn, error) {
	t, err := d.DB.Begin(ctx, write)
	if err != nil {
		return nil, err
	}
	return orgIgnoredTx{t}, nil
}

type orgIgnoredTx struct{ core.Txn }

func (t orgIgnoredTx) Query(q string, args ...any) (core.Rows, error) {
	return t.Txn.Query(strings.ReplaceAll(q, "e.org = ?", "(e.org = ? OR 1 = 1)"), args...)
}
