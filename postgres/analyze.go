package postgres

import (
	"context"
	"time"

	"liaison"
)

// PostgreSQL plans a page read well only when it knows how large the
// collection is: with statistics from when the table was small, it sorts
// the whole collection instead of walking versions_added in order and
// stopping after a page. Autovacuum analyzes only after a minute or so;
// bulk writes therefore ask for an ANALYZE themselves, in the background,
// once they have grown versions by a tenth (and at least analyzeMin rows)
// since the last one.

// analyzeMin is the fewest new versions that trigger an ANALYZE.
const analyzeMin = 500

// wrote records n new versions and starts a background ANALYZE when they
// add up to enough.
func (s *Store) wrote(n int) {
	if n <= 0 {
		return
	}
	since := s.stats.since.Add(int64(n))
	if since < max(analyzeMin, s.stats.rows.Load()/10) || !s.stats.running.CompareAndSwap(false, true) {
		return
	}
	// wg.Add and Close's wg.Wait never race: both hold mu, and no work
	// starts once the store is closing.
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	if s.stats.closed {
		s.stats.running.Store(false)
		return
	}
	s.stats.wg.Add(1)
	go func() {
		defer s.stats.wg.Done()
		defer s.stats.running.Store(false)
		s.analyze(s.bg)
	}()
}

// analyze refreshes the planner's statistics of the tables page reads use
// and their visibility map.
func (s *Store) analyze(ctx context.Context) {
	// Close cancels s.bg, and with it a VACUUM in progress.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	stop := context.AfterFunc(s.bg, cancel)
	defer stop()
	since := s.stats.since.Load()
	// VACUUM also marks the new pages all-visible, so page reads can skip
	// rows from the index alone.
	if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) versions, ends, audience_members`); err != nil {
		if s.bg.Err() != nil {
			return // the store is closing
		}
		s.log.Warn("postgres: analyze after bulk writes failed; autovacuum will catch up", "err", err)
		return
	}
	var rows int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&rows); err == nil {
		s.stats.rows.Store(rows)
	}
	s.stats.since.Add(-since)
}

// Settle waits until the statistics and visibility map are up to date
// with the writes so far: it waits for a background ANALYZE in progress
// and runs one now if enough writes have come since. The benchmark calls
// it after ingest so that reads are timed against the store as it will
// be, not while VACUUM runs beside them.
func (s *Store) Settle(ctx context.Context) error {
	s.stats.wg.Wait()
	if s.stats.since.Load() < analyzeMin || !s.stats.running.CompareAndSwap(false, true) {
		s.stats.wg.Wait()
		return ctx.Err()
	}
	defer s.stats.running.Store(false)
	s.analyze(ctx)
	return ctx.Err()
}

// AddObjects writes candidates into a collection as writer (see
// core.Office.AddObjects); new versions go in with COPY. Enough new
// versions start a background ANALYZE.
func (s *Store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	return s.counted(s.Office.AddObjects(ctx, writer, collection, objs))
}

// AddObjectsWithStatus is AddObjects with its status in the same
// transaction (see liaison.StatusService).
func (s *Store) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	return s.counted(s.Office.AddObjectsWithStatus(ctx, writer, collection, objs, status))
}

// counted counts the new versions of a write towards the next ANALYZE.
func (s *Store) counted(res liaison.WriteResult, err error) (liaison.WriteResult, error) {
	if err != nil {
		return res, err
	}
	added := 0
	for _, a := range res.Accepted {
		if !a.Present {
			added++
		}
	}
	s.wrote(added)
	return res, nil
}
