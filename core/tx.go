// Package core is the office's core, written once: the write plan of
// objects (rules 8 and 9, with the fixpoint), recompute, the directory,
// users, collections, statuses, and the consultation, decision and
// publication flows. It runs over a small SQL interface, Tx, that each
// store (sqlite, postgres) implements for its engine. The stores keep only
// what truly differs: page plans and their SQL, pipelining and snapshots,
// group commit, COPY and checkpoints, and migrations.
//
// Queries are written once, in the SQL both engines share, with ?
// placeholders. A list bound to `IN (SELECT value FROM json_each(?))` is a
// Strings or Int64s argument; a list column is read into a *Strings.
package core

import (
	"context"
	"errors"
	"time"

	"liaison"
)

// Tx is one transaction of a store, as the core uses it. Its statements
// run under the context the store began it with.
type Tx interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(query string, args ...any) (int64, error)
	// Query runs a query.
	Query(query string, args ...any) (Rows, error)
	// QueryRow runs a query expected to return at most one row; its Scan
	// returns ErrNoRows when there is none.
	QueryRow(query string, args ...any) Row
}

// LastInserter is a Tx that can run an INSERT and give the rowid it made
// more cheaply than INSERT … RETURNING (SQLite).
type LastInserter interface {
	ExecLastID(query string, args ...any) (int64, error)
}

// Rows is the result of Tx.Query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Row is the result of Tx.QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// ErrNoRows is what Row.Scan returns when the query found nothing.
var ErrNoRows = errors.New("core: no rows")

// Strings is a list of strings bound as one argument (to
// `IN (SELECT value FROM json_each(?))`, or to a list column), or read
// from a list column. Each engine stores it its own way: SQLite as a JSON
// array, PostgreSQL as text[].
type Strings []string

// Int64s is a list of integers bound as one argument to
// `IN (SELECT value FROM json_each(?))`.
type Int64s []int64

// DB is what a store gives the core: transactions on its engine.
type DB interface {
	// Begin starts a transaction: a write transaction, serialised with
	// every other write to the store, or a read-only one that sees one
	// snapshot. The core commits or rolls it back. ctx's cancellation
	// rolls a transaction back; its statements need not watch ctx (see
	// Tx).
	Begin(ctx context.Context, write bool) (Txn, error)
}

// Txn is a transaction begun by DB.Begin.
type Txn interface {
	Tx
	Commit() error
	// Rollback ends the transaction if it has not committed; after a
	// commit it does nothing.
	Rollback()
}

// run runs fn in a transaction of db and commits it if fn returns nil and
// ctx is still live.
func run(ctx context.Context, db DB, write bool, fn func(Tx) error) error {
	t, err := db.Begin(ctx, write)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.Commit()
}

// VersionRow is one object version on its way into the versions table.
type VersionRow struct {
	VID            int64 // set by InsertVersions
	Collection     string
	ID             string
	Version        int64 // µs
	DateAdded      int64 // µs
	Type           string
	SpecVersion    string
	Originator     string
	DefaultMarking string
	LabelID        int64
	AudienceID     int64
	Ends           string
	GranularRefs   string
	Raw            []byte
	// Search is the version's search document when it was made before
	// the write; nil means searchDocs makes it from Raw.
	Search *liaison.SearchText
	// Shadow marks an instance written after the first of its version
	// (see ARCHITECTURE.md, "Writes over hidden versions").
	Shadow bool
}

// VersionInserter is what a store may implement to write new versions its
// own way (COPY, say). Without it the core inserts them one by one.
type VersionInserter interface {
	InsertVersions(tx Tx, rows []VersionRow) error
}

// EndsInserter is what a store may implement to record the ends of new
// relationship and sighting versions in one statement (ends[i] is the
// IDKey of an end of the version vids[i]; a pair may come twice, and is
// recorded once). Without it the core inserts them one by one, a round trip each
// where the engine is a server.
type EndsInserter interface {
	InsertEnds(tx Tx, ends []int64, vids []int64) error
}

// Micros converts t to microseconds since the epoch; the zero time is 0.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// NullMicros is Micros for a nullable column: the zero time is NULL.
func NullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// Joined is a list of strings kept as one comma-joined text on SQLite and
// as text[] on PostgreSQL (decision_actions.allies).
type Joined []string
