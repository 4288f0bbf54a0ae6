// Package sqlite is the embedded store: it implements liaison.Store on one
// SQLite file with modernc.org/sqlite (no cgo). Writes go through a single
// writer connection, so commit order is date_added order; reads use a
// separate pool of query-only connections and filter by the reader's
// audience inside every query.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"liaison"
	"liaison/core"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the name of the database file inside a store directory.
const FileName = "liaison.db"

// PasswordCost is the argon2id cost of hashing a password (core's).
type PasswordCost = core.PasswordCost

// DefaultPasswordCost is core.DefaultPasswordCost, the OWASP minimum.
var DefaultPasswordCost = core.DefaultPasswordCost

// Options tune a store. The zero value is ready to use.
type Options struct {
	// Now is the store's clock; nil means time.Now. Agreements enter and
	// leave force, and date_added is assigned, by this clock.
	Now func() time.Time
	// Logger receives internal errors and recompute reports; nil means
	// slog.Default().
	Logger *slog.Logger
	// Password sets the argon2id cost; the zero value means DefaultPasswordCost.
	// Tests may lower it.
	Password PasswordCost
	// Readers is the size of the reader pool; 0 means max(4, GOMAXPROCS).
	Readers int
	// ReaderCacheKiB is the page cache of each reader connection, in KiB;
	// 0 means DefaultReaderCacheKiB. Every reader holds its own cache, so
	// the store's memory grows with Readers times this.
	ReaderCacheKiB int
}

// Page cache sizes, in KiB. The writer keeps a large cache because
// ingest updates indexes keyed by random object ids (versions_key, ends)
// all over the file. 192 MiB was tried and raised raw inserts at 1M by
// some 8% per CPU-second, but the benchmark's peak RSS at only 100k
// objects went from 183 to 491 MB, past the 400 MB target for 1M (see
// README, Performance), so it stays at 64 MiB. Readers keep a small
// one each: a page read touches the few index and table pages of one
// date_added range, and a miss is served from the operating system's file
// cache, which all connections share, rather than from disk.
const (
	WriterCacheKiB        = 64 << 10
	DefaultReaderCacheKiB = 8 << 10
)

// Store is the SQLite store. It is safe for concurrent use. The office's
// rules and flows are core's (the embedded Office); the store adds what
// is SQLite's own: the page plans, group commit and checkpoints.
type Store struct {
	*core.Office
	path   string
	writer *sql.DB
	reader *sql.DB
	log    *slog.Logger
	arms   int // see maxAudienceArms
	ck     *checkpointer
	gw     *groupWriter
}

var _ interface {
	liaison.Store
	liaison.ConsultationService
	liaison.DecisionService
	liaison.Snapshotter
} = (*Store)(nil)

// Exists reports whether dir holds a store's database file.
func Exists(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, FileName))
	return err == nil && fi.Mode().IsRegular()
}

// Open opens the store in dir, creating dir and the database if they are
// missing, and applies every embedded migration not yet recorded.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	const op = "sqlite.Open"
	if dir == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "store directory is empty")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("%s: create %s: %w", op, dir, err)
	}
	s := &Store{path: filepath.Join(dir, FileName), arms: maxAudienceArms}
	s.Office = core.New(engine{s}, pages{s}, core.Options{Now: opts.Now, Logger: opts.Logger, Password: opts.Password, Name: "sqlite"})
	s.log = s.Office.Log()
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		if err := createFile(ctx, s.path); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	var err error
	s.writer, err = sql.Open("sqlite", writerDSN(s.path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)
	if err := s.writer.PingContext(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("%s: open %s: %w", op, s.path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cache := opts.ReaderCacheKiB
	if cache <= 0 {
		cache = DefaultReaderCacheKiB
	}
	s.reader, err = sql.Open("sqlite", baseDSN(s.path)+fmt.Sprintf("&_pragma=cache_size(-%d)&_pragma=query_only(1)", cache))
	if err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	n := opts.Readers
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
	s.reader.SetConnMaxIdleTime(0)
	s.reader.SetConnMaxLifetime(0)
	if err := s.BackfillSearch(ctx); err != nil {
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if s.ck, err = startCheckpointer(s.path, s.log); err != nil {
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s.startGroupWriter()
	return s, nil
}

// pageSize is the page size of a new database, in bytes: SQLite's
// default, 4 KiB. A commit writes to the log every page it dirtied, and
// an index keyed by random object ids gets about one dirty page per object
// written wherever it lands, so the log written per object grows with the
// page size once such an index outgrows a commit's objects: at 1M objects,
// 16 KiB pages (chosen earlier, when raw inserts of 100k objects were
// faster with them) wrote some 40 KB of log per object stored, 4 KiB pages
// with the narrower versions_key about 19 KB (see README, Performance). A
// database made with another page size keeps it (in WAL mode SQLite
// cannot change it in place).
const pageSize = 4096

// createFile makes a new database file at path with pageSize pages, in
// WAL mode. The page size must be set before anything is written, and
// the driver applies a DSN's pragmas in alphabetical order (journal_mode,
// which writes, before page_size), so it gets a connection of its own.
func createFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{fmt.Sprintf("PRAGMA page_size = %d", pageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create %s: %s: %w", path, q, err)
		}
	}
	return db.Close()
}

// baseDSN is the connection string every connection of the store shares.
func baseDSN(path string) string {
	return path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(NORMAL)"
}

// writerDSN adds the writer's page cache, its backstop checkpoint
// threshold (see checkpoint.go) and immediate transactions.
func writerDSN(path string) string {
	return baseDSN(path) + fmt.Sprintf("&_pragma=cache_size(-%d)&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)&_txlock=immediate",
		WriterCacheKiB, writerAutoCheckpointPages, journalSizeLimit)
}

// Close finishes the object writes in progress, stops background
// checkpoints and closes the store's connections. Object writes after it
// fail.
func (s *Store) Close() error {
	s.gw.stop()
	return errors.Join(s.ck.close(), s.reader.Close(), s.writer.Close())
}

// clock returns the store's time, truncated to microseconds.
func (s *Store) clock() time.Time { return s.Clock() }

// constraintError maps a SQLite constraint violation to a domain error, or
// returns nil if err is not one.
func constraintError(err error) *liaison.Error {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return core.ConstraintErr(core.UniqueKey, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return core.ConstraintErr(core.ForeignKey, err)
	}
	return core.ConstraintErr(core.OtherRule, err)
}
