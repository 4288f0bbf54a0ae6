package main

import (
	"context"
	"errors"
	"net/url"
	"os"
	"runtime/debug"

	"liaison"
	"liaison/postgres"
	"liaison/sqlite"
)

// location is where a command's store lives: the PostgreSQL URL from --db
// (or $LIAISON_DB) when one is given, else the data folder.
func (st *storeFlags) location() string {
	if st.db != "" {
		return st.db
	}
	return st.data
}

// displayLocation is a location fit for messages: a URL's password is
// masked.
func displayLocation(where string) string {
	if !postgres.IsURL(where) {
		return where
	}
	u, err := url.Parse(where)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}

// openStore opens the existing store the command names: PostgreSQL when
// --db (or LIAISON_DB) is set, else the SQLite store in the data folder. A
// missing store is the caller's mistake: the message says how to make one.
func openStore(ctx context.Context, e *env, st *storeFlags) (liaison.Store, error) {
	if len(st.replicas) > 0 && !postgres.IsURL(st.location()) {
		return nil, usagef("--db-replica needs --db: replicas are of a PostgreSQL database, and this office is in the folder %s", st.location())
	}
	for _, r := range st.replicas {
		if !postgres.IsURL(r) {
			return nil, usagef("--db-replica %q: want a PostgreSQL URL such as postgres://user@replica:5432/db?sslmode=disable", r)
		}
	}
	return openAt(ctx, e, st.location(), st.replicas...)
}

// openAt opens the existing store at a data folder or a PostgreSQL URL,
// whose reads may go to the replicas.
func openAt(ctx context.Context, e *env, where string, replicas ...string) (liaison.Store, error) {
	if postgres.IsURL(where) {
		s, err := postgres.Open(ctx, where, postgres.Options{Logger: e.log, Replicas: replicas})
		if err != nil {
			return nil, err
		}
		empty, err := s.Empty(ctx)
		if err != nil {
			s.Close()
			return nil, err
		}
		if empty {
			s.Close()
			return nil, usagef("no office in %s yet: run 'liaison init --db URL' first, or copy one in with 'liaison copy'", displayLocation(where))
		}
		return s, nil
	}
	if !sqlite.Exists(where) {
		return nil, usagef("no store at %s: run 'liaison init --data %s' first, or pass --data (or --db for PostgreSQL)", where, where)
	}
	s, err := sqlite.Open(ctx, where, sqlite.Options{Logger: e.log})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// newStore opens a store that holds no office yet, for init, demo and
// copy, creating the SQLite folder or the PostgreSQL schema as needed.
// exists is true (and the store nil) when an office is there already.
// discard closes the store and removes what newStore made; call it when
// filling the store failed, so no half-made office is left behind.
func newStore(ctx context.Context, e *env, where string) (s liaison.Store, discard func(), exists bool, err error) {
	if postgres.IsURL(where) {
		ps, err := postgres.Open(ctx, where, postgres.Options{Logger: e.log})
		if err != nil {
			return nil, nil, false, err
		}
		empty, err := ps.Empty(ctx)
		if err != nil || !empty {
			ps.Close()
			return nil, nil, err == nil, err
		}
		// What a failed fill leaves is wiped, so the database is empty again.
		return ps, func() {
			if err := ps.Wipe(context.WithoutCancel(ctx)); err != nil {
				e.log.Error("the failed fill left a half-made office that could not be wiped; drop the schema by hand", "err", err)
			}
			ps.Close()
		}, false, nil
	}
	if sqlite.Exists(where) {
		return nil, nil, true, nil
	}
	_, statErr := os.Stat(where)
	madeDir := errors.Is(statErr, os.ErrNotExist)
	ss, err := sqlite.Open(ctx, where, sqlite.Options{Logger: e.log})
	if err != nil {
		return nil, nil, false, err
	}
	return ss, func() { ss.Close(); removeStore(where, madeDir) }, false, nil
}

// withStore runs fn with the opened store, audited (see withAudit), and
// closes it afterwards.
func withStore(ctx context.Context, e *env, st *storeFlags, fn func(liaison.Store) error) error {
	return withRawStore(ctx, e, st, func(s liaison.Store) error {
		return withAudit(e, st, s, fn)
	})
}

// withRawStore runs fn with the opened store itself, for the commands that
// audit on their own (serve) or read the audit (audit …).
func withRawStore(ctx context.Context, e *env, st *storeFlags, fn func(liaison.Store) error) error {
	s, err := openStore(ctx, e, st)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}
