package postgres

import (
	"context"
	"embed"
	"fmt"
	"liaison/core"

	"github.com/jackc/pgx/v5"
)

// migrations holds the schema as ordered SQL files, NNNN_name.sql, named
// and numbered like the SQLite store's. Migrations are append-only: a
// file, once released, never changes.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrations names the embedded migrations in the order they apply.
func Migrations() ([]string, error) { return core.MigrationNames(migrations) }

// MigrationState is what a database records of its migrations.
type MigrationState struct {
	Applied []string // recorded migrations, in order
	Latest  string   // the last embedded migration
	Ran     []string // migrations this Open applied
}

// migrate applies, in name order, every embedded migration that the
// schema_migrations table does not record yet, each in its own
// transaction together with its record. Concurrent Opens wait for each
// other on a lock of that table.
func (s *Store) migrate(ctx context.Context) ([]string, error) {
	if _, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       text PRIMARY KEY,
		applied_us bigint NOT NULL
	)`); err != nil && !isCode(err, pgUniqueViolation) {
		// Two first Opens racing to create the table: one gets a unique
		// violation on the catalog, and the table exists either way.
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	return core.RunMigrations(ctx, migrations, s.applyMigration, s.log)
}

func (s *Store) applyMigration(ctx context.Context, name, body string) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `LOCK TABLE schema_migrations IN EXCLUSIVE MODE`); err != nil {
		return false, fmt.Errorf("lock: %w", err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	// The simple protocol runs a file of several statements at once.
	if _, err := tx.Exec(ctx, body, pgx.QueryExecModeSimpleProtocol); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_us) VALUES ($1, $2)`, name, s.clock().UnixMicro()); err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	return true, tx.Commit(ctx)
}

// Migrate applies the migrations a database lacks and reports what it
// records afterwards; Ran includes what Open applied.
func (s *Store) Migrate(ctx context.Context) (MigrationState, error) {
	var st MigrationState
	ran, err := s.migrate(ctx)
	st.Ran = append(append([]string{}, s.ran...), ran...)
	if err != nil {
		return st, s.internal("postgres.Migrate", err)
	}
	names, err := Migrations()
	if err != nil {
		return st, s.internal("postgres.Migrate", err)
	}
	st.Latest = names[len(names)-1]
	rows, err := s.pool.Query(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return st, s.internal("postgres.Migrate", err)
	}
	st.Applied, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return st, s.internal("postgres.Migrate", err)
	}
	return st, nil
}
