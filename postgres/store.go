// Package postgres is the PostgreSQL store: it implements liaison.Store,
// liaison.ConsultationService, liaison.DecisionService and
// liaison.Snapshotter on PostgreSQL with jackc/pgx/v5, for offices that
// outgrow one SQLite file.
//
// Reads run concurrently on a connection pool, each in one read-only
// REPEATABLE READ transaction, and filter by the reader's audience inside
// every query. Writes lock the store_state row first, so they are serial
// across every process sharing the database: date_added is assigned under
// that lock (and under a row lock on the collection) and therefore commits
// in order, and the relationship rule sees every end it depends on.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"liaison"
	"liaison/core"
)

// Options tune a store. The zero value is ready to use.
type Options struct {
	// Now is the store's clock; nil means time.Now. Agreements enter and
	// leave force, and date_added is assigned, by this clock.
	Now func() time.Time
	// Logger receives internal errors and recompute reports; nil means
	// slog.Default().
	Logger *slog.Logger
	// Password sets the argon2id cost; the zero value means
	// DefaultPasswordCost. Tests may lower it.
	Password core.PasswordCost
	// Schema, when set, is the PostgreSQL schema the store lives in: it is
	// created if missing and becomes the connections' search_path, so
	// several stores (or tests) share one database without meeting. Empty
	// means the server's default search_path (usually public).
	Schema string
	// MaxConns bounds the connection pool; 0 means pgxpool's default.
	MaxConns int32
	// Replicas are URLs of streaming replicas of the database (hot
	// standbys) that reads may go to; see replica.go for what they are
	// trusted with. Writes, and reads that must see a write or a
	// narrowing just made, go to the primary.
	Replicas []string
}

// Store is the PostgreSQL store. It is safe for concurrent use, also by
// several processes on the same database.
type Store struct {
	*core.Office
	pool *pgxpool.Pool
	log  *slog.Logger
	ran  []string  // migrations Open applied
	arms int       // see maxAudienceArms
	rep  *replicas // nil without replicas

	// bg is the context of background work (ANALYZE); Close cancels it
	// and waits for that work to end.
	bg     context.Context
	stopBG context.CancelFunc
	stats  struct {
		since   atomic.Int64 // versions written since the last ANALYZE
		rows    atomic.Int64 // versions at the last ANALYZE
		running atomic.Bool
		mu      sync.Mutex // guards closed and wg.Add against Close's wg.Wait
		closed  bool
		wg      sync.WaitGroup
	}
}

var _ liaison.Store = (*Store)(nil) // and the consultation, decision and snapshot services, by core.Office

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// IsURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a data folder.
func IsURL(s string) bool {
	return len(s) > 11 && (s[:11] == "postgres://" || (len(s) > 13 && s[:13] == "postgresql://"))
}

// Open connects to the database at url (postgres://user@host:port/db?…),
// creates opts.Schema if it is set and missing, and applies every embedded
// migration not yet recorded. EINVALID for a malformed url or schema name.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	const op = "postgres.Open"
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, liaison.Errorf(liaison.EINVALID, "database url is malformed: %v", err)
	}
	if sp := cfg.ConnConfig.RuntimeParams["search_path"]; opts.Schema == "" && sp != "" {
		// A URL may name the schema: postgres://…/db?search_path=office.
		opts.Schema = sp
	}
	if opts.Schema != "" {
		if !schemaRE.MatchString(opts.Schema) {
			return nil, liaison.Errorf(liaison.EINVALID, "schema name %q is malformed: want lower-case letters, digits and _", opts.Schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Every query of the store is short, but a page read of a large
	// collection can be estimated costly enough for PostgreSQL to compile
	// it with LLVM first, which takes longer than the query: at 1M
	// objects it made the page-of-1,000 p99 190 ms against a p50 of 30 ms.
	// A URL that sets jit itself is left as it is.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	s := &Store{arms: maxAudienceArms}
	s.Office = core.New(engine{s}, pages{s}, core.Options{Now: opts.Now, Logger: opts.Logger, Password: opts.Password, Name: "postgres", LockRows: true})
	s.log = s.Office.Log()
	s.bg, s.stopBG = context.WithCancel(context.WithoutCancel(ctx))
	if opts.Schema != "" {
		// The schema must exist before a connection uses it as its path.
		cc := cfg.ConnConfig.Copy()
		delete(cc.RuntimeParams, "search_path")
		conn, err := pgx.ConnectConfig(ctx, cc)
		if err != nil {
			return nil, fmt.Errorf("%s: connect: %w", op, err)
		}
		_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{opts.Schema}.Sanitize())
		conn.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: create schema %s: %w", op, opts.Schema, err)
		}
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, connectError(op, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	if s.ran, err = s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := s.pool.Exec(ctx, fenceTriggers); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("%s: fence triggers: %w", op, err)
	}
	if err := s.BackfillSearch(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.openReplicas(ctx, opts.Replicas, cfg.ConnConfig.RuntimeParams, opts.MaxConns); err != nil {
		s.pool.Close()
		return nil, liaison.Errorf(liaison.EINVALID, "%v", err)
	}
	return s, nil
}

// connectError says why the database named in the URL cannot be reached,
// as a mistake in the URL or the set-up (EINVALID) rather than a fault of
// ours: the message names the server and database, gives the server's
// reason, and for a missing database how to create it.
func connectError(op, host string, port uint16, db string, err error) error {
	e := liaison.Errorf(liaison.EINVALID, "cannot connect to PostgreSQL at %s:%d, database %q: %v", host, port, db, err)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "3D000" {
		e = liaison.Errorf(liaison.EINVALID, "PostgreSQL at %s:%d has no database %q: create it first (createdb %s) or name another in the URL", host, port, db, db)
	}
	e.Op, e.Err = op, err
	return e
}

// Close stops background work (a VACUUM in progress is cancelled), waits
// for it to end and closes the store's connections.
func (s *Store) Close() error {
	s.stats.mu.Lock()
	s.stats.closed = true
	s.stats.mu.Unlock()
	s.stopBG()
	s.stats.wg.Wait()
	if s.rep != nil {
		s.rep.close()
	}
	s.pool.Close()
	return nil
}

// clock returns the store's time, truncated to microseconds.
func (s *Store) clock() time.Time { return s.Clock() }

// inTx runs fn in a READ COMMITTED transaction and commits if it returns
// nil. Any error rolls everything back. It is for operator work that is
// PostgreSQL's own (Wipe); the office's writes go through the core.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return s.internal(op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return s.MapErr(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.MapErr(op, err)
	}
	return nil
}

func (s *Store) internal(op string, err error) error {
	var le *liaison.Error
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if isCode(err, pgBadEncoding) || isCode(err, pgUntranslatable) {
		// Bytes that are not UTF-8 (or hold NUL) in a name, id or filter
		// a caller gave: nothing stored can match them.
		return &liaison.Error{Code: liaison.EINVALID, Message: "a name, id or filter value is not valid UTF-8 text", Op: op, Err: err}
	}
	s.log.Error("store internal error", "op", op, "err", err)
	return liaison.Internal(op, err)
}

// PostgreSQL error codes the store maps to domain codes.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgBadEncoding         = "22021" // character_not_in_repertoire: invalid UTF-8 or NUL
	pgUntranslatable      = "22P05"
)

// constraintError maps a PostgreSQL integrity constraint violation (class
// 23) to a domain error, or returns nil if err is not one.
func constraintError(err error) *liaison.Error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) != 5 || pe.Code[:2] != "23" {
		return nil
	}
	switch pe.Code {
	case pgUniqueViolation:
		return core.ConstraintErr(core.UniqueKey, err)
	case pgForeignKeyViolation:
		return core.ConstraintErr(core.ForeignKey, err)
	}
	return core.ConstraintErr(core.OtherRule, err)
}

// isCode reports whether err is a PostgreSQL error with the code.
func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// engineError is constraintError, and also EINVALID for bytes that are not
// UTF-8 (or hold NUL) in a name, id or filter a caller gave: nothing
// stored can match them.
func engineError(err error) *liaison.Error {
	if isCode(err, pgBadEncoding) || isCode(err, pgUntranslatable) {
		return &liaison.Error{Code: liaison.EINVALID, Message: "a name, id or filter value is not valid UTF-8 text", Err: err}
	}
	return constraintError(err)
}

// Empty reports whether the store holds no organisation,
// user or collection.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var used bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations) OR EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM collections)`).Scan(&used)
	if err != nil {
		return false, s.internal("postgres.Empty", err)
	}
	return !used, nil
}

// officeTables are every table of the office, for Wipe: each table that
// refers to one of them by a foreign key must be among them, or TRUNCATE
// refuses (TestWipe). The audit's tables are not: they are append-only,
// and keep what a failed fill did.
const officeTables = `decision_actions, proposals, contribution_history, contributions, consultations, statuses, ends,
	search_docs, search_backfill, versions, labels, audience_members, audiences, markings, collection_matching, collections,
	tokens, users, objective_progress, agreements, communities, organisations,
	peer_changes, peer_cursors, peer_grants, peer_pulls, peer_rejects`

// Wipe deletes every row of the office in one transaction, keeping the
// schema and its migrations. It exists so that `liaison init` and `liaison
// copy` leave an empty database, not a half-made office, when they fail
// part way; it is operator-only and no reader-facing path calls it.
func (s *Store) Wipe(ctx context.Context) error {
	err := s.inTx(ctx, "postgres.Wipe", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, core.StateQuery+` FOR UPDATE`); err != nil {
			return err
		}
		// Identities are not restarted: ids are never reused, so no cache in
		// another process can mistake a new audience for an old one.
		if _, err := tx.Exec(ctx, `TRUNCATE `+officeTables); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE store_state SET directory_version = directory_version + 1, audiences_valid_until_us = 0 WHERE id = 1`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE consult_state SET directory_version = -1, valid_until_us = 0 WHERE id = 1`)
		return err
	})
	if err != nil {
		return err
	}
	s.Forget()
	return nil
}
