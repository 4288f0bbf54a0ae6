package postgres

import (
	"context"
	"fmt"
	"liaison/core"
	"liaison/internal/objquery"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"liaison"
)

// SetAudienceArms sets the most audiences a page walks one by one; 0
// forces the walk along the collection.
func SetAudienceArms(s *Store, n int) { s.arms = n }

// PagePlan returns PostgreSQL's plan of the page query Objects would run
// for org (it must read at least one audience), and how many audiences
// org may read of how many there are.
func PagePlan(t *testing.T, s *Store, org, collection string, q liaison.ObjectQuery) (plan string, readable, all int) {
	t.Helper()
	ctx := context.Background()
	f, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, rewrite(core.ReadableAudiencesQuery), org, s.arms+1)
	if err != nil {
		t.Fatal(err)
	}
	auds, all, err := core.ScanAudiences(pgRows{rows})
	if err != nil {
		t.Fatal(err)
	}
	query, args := f.pageQuery(`v.id`, collection, org, auds, all, s.arms)
	// A test's table is small enough that a sequential scan and a sort
	// win; the plan of a large one is what is asked for.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err = tx.Query(ctx, `EXPLAIN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String(), len(auds), all
}

// Analyze refreshes the planner's statistics now, as bulk writes do in
// the background.
func Analyze(s *Store) { s.analyze(context.Background()) }

// Setting returns a run-time setting of the store's connections.
func Setting(t *testing.T, s *Store, name string) string {
	t.Helper()
	var v string
	if err := s.pool.QueryRow(context.Background(), `SELECT current_setting($1)`, name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// StartAnalyze starts the background VACUUM ANALYZE as enough writes would.
func StartAnalyze(s *Store) { s.stats.since.Store(1 << 40); s.wrote(1) }

// AnalyzeRunning reports whether a background ANALYZE is running.
func AnalyzeRunning(s *Store) bool { return s.stats.running.Load() }

// parseQuery parses q into the store's filter, as the page read does.
func parseQuery(q liaison.ObjectQuery) (filter, error) {
	p, err := objquery.Parse(q)
	return filter{p}, err
}

// IgnoreNarrowingMark makes every store trust a replica that has not
// applied the primary's last narrowing, until the returned function runs:
// the mutant that the replica tests must catch.
func IgnoreNarrowingMark() (restore func()) {
	ignoreMark = true
	return func() { ignoreMark = false }
}

// SupersededVersions returns "id@version_us" of the versions in the
// collection whose superseded flag is set (migration 2200), sorted.
func SupersededVersions(t *testing.T, s *Store, collection string) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT id || '@' || version_us FROM versions WHERE collection = $1 AND superseded = 1 ORDER BY 1`, collection)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// PageProbes runs the page query Objects would run for org under
// EXPLAIN ANALYZE and returns how many times it looked up later versions
// (versions n, the latest-version test), and the plan.
func PageProbes(t *testing.T, s *Store, org, collection string, q liaison.ObjectQuery) (int, string) {
	t.Helper()
	ctx := context.Background()
	f, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	query, args := f.pageQuery(`v.id`, collection, org, nil, 0, 0)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// As PagePlan: the plan of a large table, index walks, and lookups by
	// id rather than a hash of the whole collection.
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	probes := 0
	for _, l := range lines {
		if !strings.Contains(l, " on versions n ") {
			continue
		}
		if strings.Contains(l, "(never executed)") {
			continue
		}
		i := strings.Index(l, "loops=")
		if i < 0 {
			t.Fatalf("no loops in %q", l)
		}
		var n int
		if _, err := fmt.Sscanf(l[i:], "loops=%d", &n); err != nil {
			t.Fatalf("loops in %q: %v", l, err)
		}
		probes += n
	}
	return probes, strings.Join(lines, "\n")
}

// SkipSuperseded makes every store's pages of latest versions drop the
// superseded versions whoever reads them, until the returned function
// runs: a mutant that the leak test must catch.
func SkipSuperseded() (restore func()) {
	skipSuperseded = true
	return func() { skipSuperseded = false }
}

// DropSupersededTrigger removes the trigger that marks superseded
// versions from s's schema: a mutant whose pages take an earlier version
// for the latest.
func DropSupersededTrigger(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.pool.Exec(context.Background(), `DROP TRIGGER versions_mark_superseded ON versions`); err != nil {
		t.Fatal(err)
	}
}

// BackendPIDs returns the server process ids of every connection of s's
// pool, opening up to n first so that a benchmark's writes and reads
// use connections it knows.
func BackendPIDs(t testing.TB, s *Store, n int) []uint32 {
	t.Helper()
	ctx := context.Background()
	var held []*pgxpool.Conn
	for range n {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Release()
	}
	var pids []uint32
	for _, c := range s.pool.AcquireAllIdle(ctx) {
		pids = append(pids, c.Conn().PgConn().PID())
		c.Release()
	}
	return pids
}
