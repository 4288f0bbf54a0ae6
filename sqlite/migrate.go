package sqlite

import (
	"context"
	"embed"
	"fmt"
	"liaison/core"
)

// migrations holds the schema as ordered SQL files, NNNN_name.sql. Files
// 0001-0099 belong to the core store; 1000 and up are reserved for later
// features (consultations, decisions). Migrations are append-only: a file,
// once released, never changes.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrations names the embedded migrations in the order they apply.
func Migrations() ([]string, error) { return core.MigrationNames(migrations) }

// migrate applies, in name order, every embedded migration that the
// schema_migrations table does not record yet, each in its own transaction
// together with its record.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_us INTEGER NOT NULL
	) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	_, err := core.RunMigrations(ctx, migrations, s.applyMigration, s.log)
	return err
}

func (s *Store) applyMigration(ctx context.Context, name, body string) (bool, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_us) VALUES (?, ?)`, name, s.clock().UnixMicro()); err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	return true, tx.Commit()
}
