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

// Begin starts a transaction: on the writer connection, or read-only on
// the reader pool. A write's statements run under the caller's context
// without its cancellation: the driver starts a goroutine to watch every
// statement run under a cancellable context, about a tenth of the
// writer's time on ingest. The core checks the caller's context between
// steps, and a cancelled caller's transaction is rolled back.
func (e engine) Begin(ctx context.Context, write bool) (core.Txn, error) {
	if !write {
		tx, err := e.s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		return &sqlTx{ctx: ctx, tx: tx}, err
	}
	tx, err := e.s.writer.BeginTx(ctx, nil)
	return &sqlTx{ctx: context.WithoutCancel(ctx), tx: tx, stmts: map[string]*sql.Stmt{}, ck: e.s.ck}, err
}

// ConstraintError maps a SQLite constraint violation to a domain error.
func (engine) ConstraintError(err error) *liaison.Error { return constraintError(err) }

// sqlTx is a core.Tx on a database/sql transaction. In a writer
// transaction (stmts set) every statement is prepared once.
type sqlTx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	ck    *checkpointer // told of a writer transaction's commit
}

// Commit commits the transaction; a writer's wakes the checkpointer.
func (t *sqlTx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return err
	}
	if t.ck != nil {
		t.ck.committed()
	}
	return nil
}

// Rollback releases the statements and rolls back what did not commit.
func (t *sqlTx) Rollback() {
	for _, st := range t.stmts {
		st.Close()
	}
	t.tx.Rollback()
}

// lists are SQLite's forms of the core's lists: a JSON array for
// Strings and Int64s, comma-joined text for Joined.
var lists = core.ListForms{
	Strings: func(xs []string) any { return jsonArray(xs) },
	Int64s:  func(xs []int64) any { return jsonArray(xs) },
	Joined:  func(xs []string) any { return strings.Join(xs, ",") },
	ReadStrings: func(d *[]string) (any, func() error) {
		t := new(string)
		return t, func() error {
			if err := json.Unmarshal([]byte(*t), d); err != nil {
				return fmt.Errorf("a list column: %w", err)
			}
			return nil
		}
	},
	ReadJoined: func(d *[]string) (any, func() error) {
		t := new(string)
		return t, func() error {
			*d = nil
			if *t != "" {
				*d = strings.Split(*t, ",")
			}
			return nil
		}
	},
}

func args(in []any) []any { return lists.Args(in) }

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

func scanInto(scan func(...any) error, dest []any) error { return lists.Scan(scan, dest) }
