package leaktest_test

import (
	"context"
	"fmt"
	"io"
	"liaison/core"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/leaktest"
	"liaison/postgres"
)

const noPostgres = "no PostgreSQL to test against: set LIAISON_TEST_POSTGRES=postgres://user@host:5432/db?sslmode=disable"

// openPostgres opens a PostgreSQL store in a schema of its own, dropped
// when t ends; it skips t when LIAISON_TEST_POSTGRES is unset.
func openPostgres(t *testing.T, now func() time.Time) liaison.Store {
	t.Helper()
	url := os.Getenv("LIAISON_TEST_POSTGRES")
	if url == "" {
		t.Skip(noPostgres)
	}
	schema := fmt.Sprintf("leaktest_%d_%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	s, err := postgres.Open(context.Background(), url, postgres.Options{
		Now: now, Schema: schema, MaxConns: 4,
		Password: core.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPostgresConsultInvariant is TestSQLiteConsultInvariant on the
// PostgreSQL store.
func TestPostgresConsultInvariant(t *testing.T) {
	if os.Getenv("LIAISON_TEST_POSTGRES") == "" {
		t.Skip(noPostgres)
	}
	p := &consultPath{}
	leaktest.Run(t, openPostgres, p)
	p.mustHaveRun(t)
}

// TestPostgresFederationInvariant is TestFederationInvariant with every
// office on PostgreSQL, for one world: the peer query with its ACS
// further-sharing groups is the same SQL on both engines.
func TestPostgresFederationInvariant(t *testing.T) {
	if os.Getenv("LIAISON_TEST_POSTGRES") == "" {
		t.Skip(noPostgres)
	}
	findings, st, err := leaktest.RunFederation(context.Background(), leaktest.FedOptions{Seed: 1, Open: func(now func() time.Time) leaktest.FedStore {
		return openPostgres(t, now).(leaktest.FedStore)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if st.ACSCarried == 0 || st.ACSHeld == 0 {
		t.Errorf("ACS markings were exercised too little: %+v", st)
	}
	for _, f := range findings {
		t.Error(f)
	}
}
