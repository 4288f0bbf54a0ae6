package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"liaison/postgres"
	"liaison/sqlite"
)

type migrateCmd struct{ noFlags }

func (*migrateCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	where := st.location()
	// Both stores migrate when they open and log each migration
	// they apply; the recorder keeps the names.
	rec := &migrationRecorder{next: e.log.Handler(), mu: &sync.Mutex{}, ran: &[]string{}}
	log := slog.New(rec)
	var names []string
	var err error
	if postgres.IsURL(where) {
		var s *postgres.Store
		if s, err = postgres.Open(ctx, where, postgres.Options{Logger: log}); err != nil {
			return err
		}
		defer s.Close()
		names, err = postgres.Migrations()
	} else {
		if !sqlite.Exists(where) {
			return usagef("no store at %s: run 'liaison init --data %s' to make one", where, where)
		}
		var s *sqlite.Store
		if s, err = sqlite.Open(ctx, where, sqlite.Options{Logger: log}); err != nil {
			return err
		}
		defer s.Close()
		names, err = sqlite.Migrations()
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	ran := rec.names()
	if len(ran) == 0 {
		fmt.Fprintf(e.stdout, "%s is up to date: %d migrations applied, latest %s\n", displayLocation(where), len(names), names[len(names)-1])
		return nil
	}
	fmt.Fprintf(e.stdout, "upgraded %s: applied %d of %d migrations (%s … %s), latest %s\n",
		displayLocation(where), len(ran), len(names), ran[0], ran[len(ran)-1], names[len(names)-1])
	return nil
}

// migrationRecorder is a log handler that records the names of the
// migrations a store reports applying, and passes every record on.
type migrationRecorder struct {
	next slog.Handler
	mu   *sync.Mutex
	ran  *[]string
}

func (r *migrationRecorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), *r.ran...)
}

func (r *migrationRecorder) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || r.next.Enabled(ctx, l)
}

func (r *migrationRecorder) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "applied migration" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "name" {
				r.mu.Lock()
				*r.ran = append(*r.ran, a.Value.String())
				r.mu.Unlock()
			}
			return true
		})
	}
	if r.next.Enabled(ctx, rec.Level) {
		return r.next.Handle(ctx, rec)
	}
	return nil
}

func (r *migrationRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &migrationRecorder{next: r.next.WithAttrs(as), mu: r.mu, ran: r.ran}
}

func (r *migrationRecorder) WithGroup(name string) slog.Handler {
	return &migrationRecorder{next: r.next.WithGroup(name), mu: r.mu, ran: r.ran}
}
