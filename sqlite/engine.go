package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"liaison"
	"liaison/core"
)

// engine is the store as the core sees it: transactions on the writer
// connection and on the reader pool.
type engine struct{ s *Store }

var _ core.Engine = engine{}

// Write runs fn in a writer transaction. Its statements run under the
// caller's context without its cancellation: the driver starts a
// goroutine to watch every statement run under a cancellable context,
// about a tenth of the writer's time on ingest. The core checks the
// caller's context between steps, and a cancelled caller's transaction is
// rolled back.
func (e engine) Write(ctx context.Context, fn func(core.Tx) error) error {
	tx, err := e.s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := &sqlTx{ctx: context.WithoutCancel(ctx), tx: tx, stmts: map[string]*sql.Stmt{}}
	defer t.close()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	e.s.ck.committed()
	return nil
}

// Read runs fn in a read-only transaction on the reader pool, so every
// query in it sees one snapshot.
func (e engine) Read(ctx context.Context, fn func(core.Tx) error) error {
	tx, err := e.s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(&sqlTx{ctx: ctx, tx: tx})
}

// ConstraintError maps a SQLite constraint violation to a domain error.
func (engine) ConstraintError(err error) *liaison.Error { return constraintError(err) }

// sqlTx is a core.Tx on a database/sql transaction. In a writer
// transaction (stmts set) every statement is prepared once.
type sqlTx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (t *sqlTx) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}

// args converts the core's list arguments to SQLite's forms: JSON arrays
// for Strings and Int64s, comma-joined text for Joined.
func args(in []any) []any {
	return core.ConvertArgs(in, func(a any) (any, bool) {
		switch v := a.(type) {
		case core.Strings:
			return jsonArray([]string(v)), true
		case core.Int64s:
			return jsonArray([]int64(v)), true
		case core.Joined:
			return strings.Join(v, ","), true
		}
		return nil, false
	})
}

func jsonArray[T any](xs []T) string {
	if xs == nil {
		return "[]"
	}
	b, err := json.Marshal(xs)
	if err != nil {
		return "[]" // strings and integers always marshal
	}
	return string(b)
}

// stmt returns the statement of q, prepared once per writer transaction.
func (t *sqlTx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", q, err)
	}
	t.stmts[q] = st
	return st, nil
}

func (t *sqlTx) Exec(q string, a ...any) (int64, error) {
	res, err := t.exec(q, a)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ExecLastID runs an INSERT and returns the rowid it made.
func (t *sqlTx) ExecLastID(q string, a ...any) (int64, error) {
	res, err := t.exec(q, a)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (t *sqlTx) exec(q string, a []any) (sql.Result, error) {
	var res sql.Result
	var err error
	if t.stmts == nil {
		res, err = t.tx.ExecContext(t.ctx, q, args(a)...)
	} else {
		var st *sql.Stmt
		if st, err = t.stmt(q); err != nil {
			return nil, err
		}
		res, err = st.ExecContext(t.ctx, args(a)...)
	}
	return res, err
}

func (t *sqlTx) Query(q string, a ...any) (core.Rows, error) {
	var rows *sql.Rows
	var err error
	if t.stmts == nil {
		rows, err = t.tx.QueryContext(t.ctx, q, args(a)...)
	} else {
		var st *sql.Stmt
		if st, err = t.stmt(q); err != nil {
			return nil, err
		}
		rows, err = st.QueryContext(t.ctx, args(a)...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t *sqlTx) QueryRow(q string, a ...any) core.Row {
	rows, err := t.Query(q, a...)
	return sqlRow{rows: rows, err: err}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Scan(dest ...any) error { return scanInto(r.Rows.Scan, dest) }

type sqlRow struct {
	rows core.Rows
	err  error
}

func (r sqlRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return core.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// scanInto scans a row, reading the core's list types from their SQLite
// forms: a JSON array for Strings, comma-joined text for Joined.
func scanInto(scan func(...any) error, dest []any) error {
	return core.ScanVia(scan, dest, func(d any) (any, func() error) {
		t := new(string)
		switch d := d.(type) {
		case *core.Strings:
			return t, func() error {
				if err := json.Unmarshal([]byte(*t), (*[]string)(d)); err != nil {
					return fmt.Errorf("a list column: %w", err)
				}
				return nil
			}
		case *core.Joined:
			return t, func() error {
				*d = nil
				if *t != "" {
					*d = strings.Split(*t, ",")
				}
				return nil
			}
		}
		return nil, nil
	})
}
