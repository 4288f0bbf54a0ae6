package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/core"
)

// Reads that a TAXII request makes (a page of objects, a collection, the
// collections) run in one network round trip: BEGIN REPEATABLE READ, the
// store state, the directory tables when the cache lacks the current
// version, the read's own queries and COMMIT go to the server as one
// pipelined batch, so they all see one snapshot.

// phase is a second round trip of a snapshot read: queries that depend on
// the results of the first, and what to do with their results.
type phase struct {
	queue func(b *pgx.Batch)
	use   func(br pgx.BatchResults) error
}

// snapshotRead runs queue's queries in one round trip and one snapshot
// together with the directory, and calls use with the directory at the
// store's clock and the results, in order. It returns core.ErrStale,
// reading nothing, when the audiences' validity has lapsed. With twoPhase
// set, use may return a phase, whose queries run next, in the same
// transaction, before COMMIT (which goes alone if use returns none).
func (s *Store) snapshotRead(ctx context.Context, twoPhase bool, queue func(b *pgx.Batch), use func(d *liaison.Directory, br pgx.BatchResults) (*phase, error)) error {
	stale, err := s.trySnapshotRead(ctx, twoPhase, queue, use)
	if err == nil && stale {
		return core.ErrStale
	}
	return err
}

func (s *Store) trySnapshotRead(ctx context.Context, twoPhase bool, queue func(b *pgx.Batch), use func(d *liaison.Directory, br pgx.BatchResults) (*phase, error)) (stale bool, err error) {
	cached, _ := s.CachedSnapshot(-1)
	have := int64(-1)
	if cached != nil {
		have = cached.Version
	}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(`SELECT directory_version, audiences_valid_until_us FROM store_state WHERE id = 1`)
	// Each directory table comes back only if the cached copy is stale.
	const unlessCached = ` WHERE (SELECT directory_version FROM store_state WHERE id = 1) <> $1`
	b.Queue(`SELECT code, name, kind, time_zone FROM organisations`+unlessCached+` ORDER BY code`, have)
	b.Queue(`SELECT name, members FROM communities`+unlessCached+` ORDER BY name`, have)
	b.Queue(`SELECT id, partner, kind, name, max_classification, from_us, until_us, areas, objectives FROM agreements`+unlessCached+` ORDER BY id`, have)
	queue(b)
	if !twoPhase {
		b.Queue(`COMMIT`)
	}

	// The connection is held for both round trips. One returned to the
	// pool inside a transaction (after an error) is closed, not reused.
	conn, err := s.readConn(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	var st core.State
	if err := br.QueryRow().Scan(&st.DirVersion, &st.ValidUntil); err != nil {
		return false, fmt.Errorf("read store state: %w", err)
	}
	now := s.clock()
	if st.Expired(now) {
		return true, nil
	}
	snap := cached
	fresh := &core.DirSnapshot{Version: st.DirVersion}
	if fresh.Orgs, err = scanBatch(br, core.ScanOrganisations); err != nil {
		return false, err
	}
	if fresh.Communities, err = scanBatch(br, core.ScanCommunities); err != nil {
		return false, err
	}
	if fresh.Agreements, err = scanBatch(br, core.ScanAgreements); err != nil {
		return false, err
	}
	if cached == nil || cached.Version != st.DirVersion {
		snap = fresh
		s.CacheSnapshot(fresh)
	}
	next, err := use(snap.Directory(now), br)
	if err != nil {
		return false, err
	}
	if !twoPhase {
		if _, err := br.Exec(); err != nil {
			return false, fmt.Errorf("commit: %w", err)
		}
		return false, nil
	}
	if err := br.Close(); err != nil {
		return false, err
	}
	b2 := &pgx.Batch{}
	if next != nil {
		next.queue(b2)
	}
	b2.Queue(`COMMIT`)
	br2 := conn.SendBatch(ctx, b2)
	defer br2.Close()
	if next != nil {
		if err := next.use(br2); err != nil {
			return false, err
		}
	}
	if _, err := br2.Exec(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// scanBatch reads the next result of br with scan.
func scanBatch[T any](br pgx.BatchResults, scan func(core.Rows) ([]T, error)) ([]T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return scan(pgRows{rows})
}
