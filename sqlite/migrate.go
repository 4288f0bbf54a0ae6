package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
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
	names, err := Migrations()
	if err != nil {
		return fmt.Errorf("migrate: list: %w", err)
	}
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, name string) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: begin: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, "migrations/"+name)
	if err != nil {
		return fmt.Errorf("migrate %s: read: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_us) VALUES (?, ?)`, name, s.clock().UnixMicro()); err != nil {
		return fmt.Errorf("migrate %s: record: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: commit: %w", name, err)
	}
	s.log.Info("applied migration", "name", name)
	return nil
}
