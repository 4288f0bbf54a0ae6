package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reads may go to streaming replicas (Options.Replicas). A replica is a
// copy of the primary as it was a moment ago: it replays the primary's
// transactions whole and in commit order, and writes commit in date_added
// order (under the store_state lock), so a replica's snapshot is always
// one the primary had. Pages read there are exact (a client paging with
// added_after may see fewer objects, never one missed or one twice), and a
// directory change and its recompute, one transaction, are never
// half-visible.
//
// What a replica must never serve is the time before a narrowing that has
// committed: an object deleted, an audience narrowed by a directory change
// or an agreement's end, a token revoked, a collection's read list
// shortened. Every UPDATE, DELETE or TRUNCATE on a table of the store,
// from whichever process, marks the one row of the narrowing table with
// its transaction's id (a statement trigger; see fenceTriggers). A read
// first reads that mark on the primary, then, on a replica, the replica's
// mark and how far it has replayed the log, before its own snapshot
// begins. The replica serves the read only if its mark is the primary's
// (it has applied the last narrowing, and so every earlier one) and it has
// replayed the fence: the primary's log position after the last write this
// process committed (so this process always reads its own writes, a TAXII
// status included). Otherwise the read goes to the primary. A replica that
// fails is left alone for replicaRest.

// ignoreMark is a mutant for tests only: a store that trusts a replica
// which has not applied the last narrowing (export_test.go).
var ignoreMark bool

// replicaRest is how long a replica that failed is left alone.
const replicaRest = 5 * time.Second

// replica is one streaming replica's pool.
type replica struct {
	name      string // host:port, for logs
	pool      *pgxpool.Pool
	downUntil atomic.Int64 // unix nanoseconds
}

// replicas routes reads.
type replicas struct {
	list  []*replica
	next  atomic.Uint64
	fence atomic.Uint64 // log position a replica must have replayed

	onReplica, onPrimary atomic.Int64
}

// ReadsServed reports how many reads this store sent to a replica and how
// many to the primary since it opened (writes not counted). A store
// without replicas counts none.
func (s *Store) ReadsServed() (replica, primary int64) {
	if s.rep == nil {
		return 0, 0
	}
	return s.rep.onReplica.Load(), s.rep.onPrimary.Load()
}

// parseLSN reads a PostgreSQL log position, "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("log position %q: want HI/LO", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("log position %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("log position %q: %w", s, err)
	}
	return h<<32 | l, nil
}

// raise moves the fence up to lsn; it never moves down.
func (r *replicas) raise(lsn uint64) {
	for {
		cur := r.fence.Load()
		if lsn <= cur || r.fence.CompareAndSwap(cur, lsn) {
			return
		}
	}
}

// primaryLSN is the primary's log insert position now: every transaction
// committed before the call ends at or before it.
func primaryLSN(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (uint64, error) {
	var text string
	if err := q.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&text); err != nil {
		return 0, err
	}
	return parseLSN(text)
}

// afterWrite moves the fence past a write this process just committed. If
// the primary's position cannot be read, the fence goes to the end of
// time: reads stay on the primary until a later write reads it.
func (s *Store) afterWrite(ctx context.Context) {
	if s.rep == nil {
		return
	}
	lsn, err := primaryLSN(context.WithoutCancel(ctx), s.pool)
	if err != nil {
		s.log.Warn("replicas: cannot read the primary's log position after a write; reading on the primary", "err", err)
		lsn = math.MaxUint64
		s.rep.fence.Store(lsn)
		return
	}
	if s.rep.fence.Load() == math.MaxUint64 {
		s.rep.fence.Store(lsn)
	}
	s.rep.raise(lsn)
}

// readConn gives a connection for a read: a replica's when one is up, has
// applied the primary's last narrowing and has replayed the fence, else
// the primary's. The checks run before the caller's snapshot begins, so
// the snapshot holds all they saw.
func (s *Store) readConn(ctx context.Context) (*pgxpool.Conn, error) {
	if r := s.rep; r != nil {
		fence := r.fence.Load()
		var mark int64
		if err := s.pool.QueryRow(ctx, `SELECT xid FROM narrowing WHERE id = 1`).Scan(&mark); err != nil {
			return nil, fmt.Errorf("read the narrowing mark: %w", err)
		}
		n := len(r.list)
		start := int(r.next.Add(1) % uint64(n))
		for i := range n {
			rp := r.list[(start+i)%n]
			if rp.downUntil.Load() > time.Now().UnixNano() {
				continue
			}
			if conn, ok := s.replicaConn(ctx, rp, fence, mark); ok {
				r.onReplica.Add(1)
				return conn, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		r.onPrimary.Add(1)
	}
	return s.pool.Acquire(ctx)
}

// replicaConn acquires a connection of rp and checks that rp has applied
// the narrowing marked mark and replayed the log up to fence.
func (s *Store) replicaConn(ctx context.Context, rp *replica, fence uint64, mark int64) (*pgxpool.Conn, bool) {
	conn, err := rp.pool.Acquire(ctx)
	if err != nil {
		s.replicaDown(ctx, rp, err)
		return nil, false
	}
	var text *string
	var theirs int64
	if err := conn.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text, (SELECT xid FROM narrowing WHERE id = 1)`).Scan(&text, &theirs); err != nil {
		conn.Release()
		if !isCode(err, "42P01") { // a replica yet to replay the mark's table is only behind
			s.replicaDown(ctx, rp, err)
		}
		return nil, false
	}
	if text == nil {
		// Not in recovery: a server that is no replica (promoted, or
		// misconfigured) is not trusted to follow the primary.
		conn.Release()
		s.replicaDown(ctx, rp, errors.New("the server is not a replica (pg_last_wal_replay_lsn is null)"))
		return nil, false
	}
	lsn, err := parseLSN(*text)
	if err != nil || lsn < fence || (theirs != mark && !ignoreMark) {
		conn.Release()
		return nil, false
	}
	return conn, true
}

func (s *Store) replicaDown(ctx context.Context, rp *replica, err error) {
	if ctx.Err() != nil {
		return // the caller gave up; the replica may be fine
	}
	rp.downUntil.Store(time.Now().Add(replicaRest).UnixNano())
	s.log.Warn("replica unavailable: reading on the primary", "replica", rp.name, "for", replicaRest, "err", err)
}

// openReplicas connects to each replica URL with the primary's session
// settings (schema, jit).
func (s *Store) openReplicas(ctx context.Context, urls []string, params map[string]string, maxConns int32) error {
	if len(urls) == 0 {
		return nil
	}
	r := &replicas{}
	for _, u := range urls {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			r.close()
			return fmt.Errorf("replica url is malformed: %v", err)
		}
		for k, v := range params {
			if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
				cfg.ConnConfig.RuntimeParams[k] = v
			}
		}
		if maxConns > 0 {
			cfg.MaxConns = maxConns
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			r.close()
			return fmt.Errorf("replica %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
		}
		rp := &replica{name: fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port), pool: pool}
		r.list = append(r.list, rp)
		var inRecovery bool
		if err := pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&inRecovery); err != nil {
			s.log.Warn("replica unavailable at start: reading on the primary until it answers", "replica", rp.name, "err", err)
			rp.downUntil.Store(time.Now().Add(replicaRest).UnixNano())
		} else if !inRecovery {
			r.close()
			return fmt.Errorf("replica %s is not a replica: it is not in recovery (a primary, or promoted)", rp.name)
		}
	}
	// Until this process writes, a replica must have replayed what the
	// primary held when the store opened (its migrations included).
	lsn, err := primaryLSN(ctx, s.pool)
	if err != nil {
		r.close()
		return fmt.Errorf("read the primary's log position: %w", err)
	}
	r.fence.Store(lsn)
	s.rep = r
	return nil
}

func (r *replicas) close() {
	for _, rp := range r.list {
		rp.pool.Close()
	}
}

// fenceTriggers makes every table of the store's schema but the narrowing
// mark itself set the mark, after any statement that updates, deletes or
// truncates, to its transaction's id; a transaction that narrows in many
// statements writes the mark once. The function keeps the store's schema
// as its search_path, so a statement from a session with another path (an
// operator's psql) still finds the mark. It adds what is missing only.
const fenceTriggers = `DO $fence$
DECLARE t text;
BEGIN
	CREATE TABLE IF NOT EXISTS narrowing (id integer PRIMARY KEY CHECK (id = 1), xid bigint NOT NULL);
	INSERT INTO narrowing (id, xid) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
	IF NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE p.proname = 'liaison_narrowed' AND n.nspname = current_schema()) THEN
		CREATE FUNCTION liaison_narrowed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
		BEGIN
			UPDATE narrowing SET xid = txid_current() WHERE id = 1 AND xid <> txid_current();
			RETURN NULL;
		END $f$;
	END IF;
	FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'narrowing'
		AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'liaison_narrowed')
	LOOP
		EXECUTE format('CREATE OR REPLACE TRIGGER liaison_narrowed AFTER UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION liaison_narrowed()', t);
	END LOOP;
END $fence$`
