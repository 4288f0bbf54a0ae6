package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison/postgres"
)

// TestCloseStopsBackgroundWork: Close returns within a second while a
// background VACUUM is blocked behind another session's lock, and writes
// racing Close never start work that Close does not wait for.
func TestCloseStopsBackgroundWork(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	s := openIn(t, url, sch, time.Now)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = sch
	blocker, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close(ctx)
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// VACUUM needs SHARE UPDATE EXCLUSIVE on versions: this session holds
	// it, so the background VACUUM waits.
	if _, err := tx.Exec(ctx, `LOCK TABLE versions IN SHARE UPDATE EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	postgres.StartAnalyze(s)
	if !postgres.AnalyzeRunning(s) {
		t.Fatal("the background ANALYZE did not start")
	}
	time.Sleep(200 * time.Millisecond) // let it reach the lock
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { // writes racing Close ask for more background work
			defer wg.Done()
			for range 50 {
				postgres.StartAnalyze(s)
			}
		}()
	}
	began := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > time.Second {
		t.Fatalf("Close took %v while a VACUUM waited; want under a second", took)
	}
	wg.Wait()
}
