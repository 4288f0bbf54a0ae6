package core

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
)

// MigrationNames names the migrations in fsys's migrations folder
// (NNNN_name.sql) in the order they apply.
func MigrationNames(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Migration applies one migration its engine's way: in one transaction,
// run body and record name in schema_migrations, unless name is recorded
// already. It reports whether it ran the migration.
type Migration func(ctx context.Context, name, body string) (bool, error)

// RunMigrations applies, in name order, every migration in fsys that
// apply finds unrecorded, and returns the names it applied.
func RunMigrations(ctx context.Context, fsys fs.FS, apply Migration, log *slog.Logger) ([]string, error) {
	names, err := MigrationNames(fsys)
	if err != nil {
		return nil, fmt.Errorf("migrate: list: %w", err)
	}
	var ran []string
	for _, name := range names {
		body, err := fs.ReadFile(fsys, "migrations/"+name)
		if err != nil {
			return ran, fmt.Errorf("migrate %s: read: %w", name, err)
		}
		did, err := apply(ctx, name, string(body))
		if err != nil {
			return ran, fmt.Errorf("migrate %s: %w", name, err)
		}
		if did {
			log.Info("applied migration", "name", name)
			ran = append(ran, name)
		}
	}
	return ran, nil
}
