package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"liaison/postgres"
	"liaison/sqlite"

	_ "modernc.org/sqlite" // the driver, registered as "sqlite"
)

// backupCmd writes a consistent copy of a SQLite store to one file while
// the office may be serving and writing.
type backupCmd struct{ to string }

func (o *backupCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.to, "to", "", "the new file to write the backup to (refused if it exists): one SQLite database, which 'liaison restore' puts in place")
}

// pgBackupAdvice is what backup and restore say to an office kept in
// PostgreSQL.
const pgBackupAdvice = "an office in PostgreSQL is backed up with PostgreSQL's own tools (pg_dump, restored with pg_restore), or copied into a SQLite store with 'liaison copy --from URL --to DIR'"

func (o *backupCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only --to FILE")
	}
	if postgres.IsURL(st.location()) {
		return usagef("backup copies the SQLite store of --data; %s", pgBackupAdvice)
	}
	if o.to == "" {
		return usagef("needs --to FILE: the new file to write the backup to")
	}
	if !sqlite.Exists(st.data) {
		return usagef("no store at %s: pass the data folder of the office to back up with --data", st.data)
	}
	start := time.Now()
	size, err := backupSQLite(ctx, filepath.Join(st.data, sqlite.FileName), o.to)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "backed up %s to %s (%.1f MB) in %s\n", st.data, o.to, float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	return nil
}

// readOnlyDSN opens a database file read-only: a connection that can
// read, and write only elsewhere (VACUUM INTO its output).
func readOnlyDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(10000)"
}

// backupSQLite writes a consistent copy of the database at db to the new
// file to, and returns its size. It runs VACUUM INTO on a read-only
// connection of its own: one read transaction, so the copy is the
// database as of one commit, and a WAL reader, so the office's writer
// goes on meanwhile. The copy is written beside to under a temporary
// name, checked, synced and then renamed, so to is either whole or
// absent.
func backupSQLite(ctx context.Context, db, to string) (size int64, err error) {
	const op = "backup"
	switch fi, err := os.Stat(to); {
	case err == nil && fi.IsDir():
		return 0, usagef("--to %s is a folder: name the new backup file, such as %s", to, filepath.Join(to, "liaison-backup.db"))
	case err == nil:
		return 0, usagef("%s exists already: back up to a new file", to)
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	// VACUUM INTO writes into a new or empty file: an empty temporary
	// file in the target's folder, so the rename cannot cross devices.
	tmp, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".partial-*")
	if err != nil {
		return 0, usagef("cannot write the backup beside %s: %v", to, err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()
	src, err := sql.Open("sqlite", readOnlyDSN(db))
	if err != nil {
		return 0, fmt.Errorf("%s: open %s: %w", op, db, err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmpName); err != nil {
		return 0, fmt.Errorf("%s: VACUUM INTO %s: %w", op, tmpName, err)
	}
	if err := checkDatabase(ctx, tmpName); err != nil {
		return 0, fmt.Errorf("%s: the copy failed its check: %w", op, err)
	}
	if err := syncFile(tmpName); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if err := os.Rename(tmpName, to); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if err := syncFile(filepath.Dir(to)); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	fi, err := os.Stat(to)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return fi.Size(), nil
}

// checkDatabase opens the database file at path read-only and checks
// that it is a sound SQLite database (PRAGMA quick_check) that holds a
// liaison store (its migrations table).
func checkDatabase(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("quick_check: %s", res)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errors.New("it holds no liaison store (no schema_migrations table)")
	}
	return nil
}

// syncFile flushes a file, or a folder's entries, to stable storage.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// restoreCmd puts a backup in place as the store of an empty data folder.
type restoreCmd struct{ from string }

func (o *restoreCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.from, "from", "", "the backup file that 'liaison backup' wrote")
}

func (o *restoreCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only --from FILE and --data DIR")
	}
	if postgres.IsURL(st.location()) {
		return usagef("restore puts a SQLite backup in place in --data; %s", pgBackupAdvice)
	}
	if o.from == "" {
		return usagef("needs --from FILE: the backup that 'liaison backup' wrote")
	}
	dir := st.data
	// Refuse any folder that holds anything: beside another store's
	// files (a stray liaison.db-wal above all) a restored database
	// would not be the backup.
	switch ents, err := os.ReadDir(dir); {
	case err == nil && len(ents) > 0:
		return usagef("%s is not empty (it holds %s): restore only into a new or empty folder", dir, ents[0].Name())
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return usagef("cannot use %s as the data folder: %v", dir, err)
	}
	if fi, err := os.Stat(o.from); err != nil || !fi.Mode().IsRegular() {
		return usagef("--from %s is not a backup file", o.from)
	}
	if err := checkDatabase(ctx, o.from); err != nil {
		return usagef("%s is not a liaison backup: %v", o.from, err)
	}
	_, statErr := os.Stat(dir)
	madeDir := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("restore: create %s: %w", dir, err)
	}
	names, err := restoreInto(ctx, e, o.from, dir)
	if err != nil {
		removeStore(dir, madeDir)
		return err
	}
	migrated := "no migration was needed"
	if len(names) > 0 {
		migrated = fmt.Sprintf("applied %d migrations (%s … %s)", len(names), names[0], names[len(names)-1])
	}
	fmt.Fprintf(e.stderr, "restored %s into %s; %s\n", o.from, dir, migrated)
	return nil
}

// restoreInto copies the backup into dir as its database, synced, and
// opens it once as a store, which applies the migrations this version of
// liaison has and the backup lacks. It returns their names.
func restoreInto(ctx context.Context, e *env, from, dir string) ([]string, error) {
	const op = "restore"
	dst := filepath.Join(dir, sqlite.FileName)
	tmp := dst + ".partial"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := syncFile(dir); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rec := &migrationRecorder{next: e.log.Handler(), mu: &sync.Mutex{}, ran: &[]string{}}
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Logger: slog.New(rec)})
	if err != nil {
		return nil, fmt.Errorf("%s: open the restored store: %w", op, err)
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("%s: close the restored store: %w", op, err)
	}
	return rec.names(), nil
}

// copyFile copies the file from to the new file to, and syncs it.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("sync %s: %w", to, err)
	}
	return out.Close()
}
