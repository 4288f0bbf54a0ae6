package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/core"
	"liaison/stix"
)

// engine is the store as the core sees it: transactions on the pool, the
// core's SQL turned into PostgreSQL's.
type engine struct{ s *Store }

var (
	_ core.Engine          = engine{}
	_ core.VersionInserter = engine{}
	_ core.AfterImport     = engine{}
	_ core.EndsInserter    = engine{}
)

// Begin starts a read-only REPEATABLE READ transaction, whose queries
// all see one snapshot (on a replica when one may serve it), or a READ COMMITTED write transaction that first
// takes the store's write lock, the store_state row, so that writes are
// serial across every process sharing the database: date_added is
// assigned and committed in order, and rule 9 sees every end it depends
// on.
func (e engine) Begin(ctx context.Context, write bool) (core.Txn, error) {
	if !write {
		conn, err := e.s.readConn(ctx)
		if err != nil {
			return nil, err
		}
		tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			conn.Release()
			return nil, err
		}
		return &pgTx{ctx: ctx, tx: tx, release: conn.Release}, nil
	}
	tx, err := e.s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, err
	}
	t := &pgTx{ctx: ctx, tx: tx, wrote: e.s}
	var st core.State
	if err := t.QueryRow(core.StateQuery+` FOR UPDATE`).Scan(&st.DirVersion, &st.ValidUntil); err != nil {
		t.Rollback()
		return nil, fmt.Errorf("lock store state: %w", err)
	}
	return t, nil
}

// Commit commits the transaction. After a write, reads on replicas wait
// for it (see replica.go).
func (t *pgTx) Commit() error {
	err := t.tx.Commit(t.ctx)
	t.done()
	if err == nil && t.wrote != nil {
		t.wrote.afterWrite(t.ctx)
	}
	return err
}

// Rollback rolls back what did not commit.
func (t *pgTx) Rollback() {
	t.tx.Rollback(context.WithoutCancel(t.ctx))
	t.done()
}

// done gives a read's connection back.
func (t *pgTx) done() {
	if t.release != nil {
		t.release()
		t.release = nil
	}
}

// ConstraintError maps a violated PostgreSQL constraint to a domain error.
func (engine) ConstraintError(err error) *liaison.Error { return engineError(err) }

// InsertVersions copies new versions in, with ids drawn from the
// sequence first so relationships can name theirs.
func (e engine) InsertVersions(t core.Tx, rows []core.VersionRow) error {
	tx := t.(*pgTx)
	next, err := tx.tx.Query(tx.ctx, `SELECT nextval(pg_get_serial_sequence('versions', 'vid')) FROM generate_series(1, $1)`, len(rows))
	if err != nil {
		return fmt.Errorf("version ids: %w", err)
	}
	ids, err := pgx.CollectRows(next, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("version ids: %w", err)
	}
	src := make([][]any, len(rows))
	for i := range rows {
		r := &rows[i]
		r.VID = ids[i]
		src[i] = []any{r.VID, r.Collection, r.ID, stix.IDKey(r.ID), r.Version, r.DateAdded, r.Type, r.SpecVersion, r.Originator, r.DefaultMarking,
			r.LabelID, r.AudienceID, r.Ends, r.GranularRefs, r.Raw, shadow(r.Shadow)}
	}
	if _, err := tx.tx.CopyFrom(tx.ctx, pgx.Identifier{"versions"},
		[]string{"vid", "collection", "id", "idk", "version_us", "date_added_us", "type", "spec_version", "originator", "default_marking", "label_id", "audience_id", "ends", "granular_refs", "raw", "shadow"},
		pgx.CopyFromRows(src)); err != nil {
		return fmt.Errorf("copy versions: %w", err)
	}
	return nil
}

// InsertEnds records the ends of new relationship and sighting versions
// in one statement rather than a round trip each (a third of an ingest's
// objects are relationships or sightings, each with two ends or more).
// ON CONFLICT keeps a pair named twice (a relationship from an object to
// itself) once, as the row-by-row insert did.
func (engine) InsertEnds(t core.Tx, ends []int64, vids []int64) error {
	tx := t.(*pgTx)
	if _, err := tx.tx.Exec(tx.ctx, `INSERT INTO ends (end_k, rel_vid) SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING`, ends, vids); err != nil {
		return fmt.Errorf("insert %d ends: %w", len(ends), err)
	}
	return nil
}

func shadow(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// AfterImport moves the identity sequences past the ids an import wrote.
func (engine) AfterImport(t core.Tx) error {
	for _, table := range []string{"agreements", "users", "consultations", "contributions", "proposals"} {
		if _, err := t.Exec(`SELECT setval(pg_get_serial_sequence('` + table + `', 'id'), coalesce(max(id), 0) + 1, false) FROM ` + table); err != nil {
			return fmt.Errorf("sequence of %s: %w", table, err)
		}
	}
	return nil
}

// pgTx is a core.Tx on a pgx transaction.
type pgTx struct {
	ctx     context.Context
	tx      pgx.Tx
	release func() // a read's connection, when it holds one
	wrote   *Store // a write's store, to move the replicas' fence
}

// rewritten caches the core's queries in PostgreSQL's form.
var rewritten sync.Map

// rewrite turns the core's SQL into PostgreSQL's: a list bound to
// IN (SELECT value FROM json_each(?)) becomes = ANY(?), and each ? a
// numbered parameter. The core's queries hold no ? but placeholders.
func rewrite(q string) string {
	if r, ok := rewritten.Load(q); ok {
		return r.(string)
	}
	s := strings.ReplaceAll(q, ` IN (SELECT value FROM json_each(?))`, ` = ANY(?)`)
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(s[i])
	}
	rewritten.Store(q, b.String())
	return b.String()
}

// lists are PostgreSQL's forms of the core's lists: arrays.
var lists = core.ListForms{
	Strings:     func(xs []string) any { return nonNilStrings(xs) },
	Int64s:      func(xs []int64) any { return xs },
	Joined:      func(xs []string) any { return nonNilStrings(xs) },
	ReadStrings: func(d *[]string) (any, func() error) { return d, func() error { return nil } },
	ReadJoined:  func(d *[]string) (any, func() error) { return d, func() error { return nil } },
}

func pgArgs(in []any) []any { return lists.Args(in) }

func nonNilStrings(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func (t *pgTx) Exec(q string, a ...any) (int64, error) {
	tag, err := t.tx.Exec(t.ctx, rewrite(q), pgArgs(a)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *pgTx) Query(q string, a ...any) (core.Rows, error) {
	rows, err := t.tx.Query(t.ctx, rewrite(q), pgArgs(a)...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

func (t *pgTx) QueryRow(q string, a ...any) core.Row {
	return pgRow{t.tx.QueryRow(t.ctx, rewrite(q), pgArgs(a)...)}
}

// pgRows is core.Rows on pgx.Rows.
type pgRows struct{ r pgx.Rows }

func (r pgRows) Next() bool             { return r.r.Next() }
func (r pgRows) Err() error             { return r.r.Err() }
func (r pgRows) Close() error           { r.r.Close(); return r.r.Err() }
func (r pgRows) Scan(dest ...any) error { return scanInto(r.r.Scan, dest) }

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := scanInto(r.r.Scan, dest)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.ErrNoRows
	}
	return err
}

func scanInto(scan func(...any) error, dest []any) error { return lists.Scan(scan, dest) }
