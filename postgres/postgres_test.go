package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"liaison/core"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/leaktest"
	"liaison/postgres"
	"liaison/storetest"
)

// testCost keeps argon2id cheap in tests; production uses the default.
var testCost = core.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

// serverURL returns the test server's URL, or skips the test.
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LIAISON_TEST_POSTGRES")
	if u == "" {
		t.Skip("no PostgreSQL to test against: set LIAISON_TEST_POSTGRES=postgres://user@host:5432/db?sslmode=disable to run the PostgreSQL store's tests")
	}
	return u
}

// schema makes a fresh schema name for one test and drops the schema when
// the test ends, so tests run in parallel and leave nothing behind.
func schema(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "liaison_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// quiet is a logger for tests: store logs go nowhere unless -v.
func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// open opens a store in a fresh schema that is dropped when t ends.
func open(t testing.TB, now func() time.Time) *postgres.Store {
	t.Helper()
	url := serverURL(t)
	return openIn(t, url, schema(t, url), now)
}

func openIn(t testing.TB, url, schema string, now func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{Now: now, Password: testCost, Schema: schema, Logger: quiet(), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) liaison.Store {
		return open(t, now)
	})
}

// TestSharedDatabase runs the tests of two stores over one schema, as
// liaison import and liaison serve would be.
func TestSharedDatabase(t *testing.T) {
	url := serverURL(t)
	storetest.RunShared(t, func(t *testing.T, now func() time.Time) (liaison.Store, liaison.Store) {
		sch := schema(t, url)
		return openIn(t, url, sch, now), openIn(t, url, sch, now)
	})
}

// TestInvariant runs the randomised leak test on the PostgreSQL store
// through the store's own read paths and over TAXII.
func TestInvariant(t *testing.T) {
	serverURL(t)
	paths := append(leaktest.StorePaths(), leaktest.TAXIIPaths()...)
	leaktest.Run(t, func(t *testing.T, now func() time.Time) liaison.Store { return open(t, now) }, paths...)
}

func TestMigrationsRecordedOnce(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	s := openIn(t, url, sch, time.Now)
	if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "US", Kind: liaison.Ally}); err != nil {
		t.Fatal(err)
	}
	names, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || names[0] != "0001_init.sql" || !slices.IsSorted(names) {
		t.Fatalf("migrations %v", names)
	}
	st, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Applied, names) || !slices.Equal(st.Ran, names) || st.Latest != names[len(names)-1] {
		t.Errorf("first open: %+v, want all of %v applied by it", st, names)
	}
	s.Close()
	// Reopening applies nothing again and keeps the data.
	s = openIn(t, url, sch, time.Now)
	if _, err := s.Organisation(ctx, "USA"); err != nil {
		t.Fatal(err)
	}
	st, err = s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Applied, names) || len(st.Ran) != 0 {
		t.Errorf("reopen: %+v, want %v recorded and nothing run", st, names)
	}
}
