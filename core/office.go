package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"liaison"
	"liaison/consult"
	"liaison/internal/password"
)

// Engine is a store as the core sees it: transactions, and the mapping of
// the engine's constraint errors.
type Engine interface {
	DB
	// ConstraintError maps a violated constraint to a domain error
	// (ECONFLICT for a unique key, EINVALID otherwise), or returns nil if
	// err is not one.
	ConstraintError(err error) *liaison.Error
}

// PasswordCost is the argon2id cost of hashing a password.
type PasswordCost = password.Cost

// DefaultPasswordCost follows the OWASP minimum for argon2id: 19 MiB,
// 2 passes, 1 thread.
var DefaultPasswordCost = password.Default

// Options tune an Office.
type Options struct {
	Now      func() time.Time // nil: time.Now
	Logger   *slog.Logger     // nil: slog.Default()
	Password password.Cost    // zero: password.Default
	Name     string           // the store's name in operation names, e.g. "sqlite"
	// LockRows says the engine takes row locks (SELECT … FOR UPDATE).
	LockRows bool
}

// Office is the office's services over one store. It implements every
// service of liaison.Store but reading pages of objects, which each store
// plans for its engine.
type Office struct {
	db      Engine
	pages   Pages                // the store's page reads
	objects consult.ObjectReader // the office's own reader-filtered reads
	ins     VersionInserter      // nil: one INSERT a version
	now     func() time.Time
	log     *slog.Logger
	cost    password.Cost
	name    string
	// lockRow ends a SELECT of a row the write will change: " FOR UPDATE"
	// where the engine takes row locks.
	lockRow string

	mu        sync.Mutex
	dirCache  *DirSnapshot
	audByKey  map[string]int64
	audByID   map[int64]liaison.Audience
	markCache map[string]liaison.Marking

	match matcher // the index of live indicators (core/match.go)
}

// New returns the office over db, whose pages of objects pages reads.
func New(db Engine, pages Pages, opts Options) *Office {
	if db == nil || pages == nil {
		panic("core.New: a store needs its engine and its page reads")
	}
	o := &Office{
		db: db, pages: pages, now: opts.Now, log: opts.Logger, cost: opts.Password, name: opts.Name,
		audByKey: map[string]int64{}, audByID: map[int64]liaison.Audience{}, markCache: map[string]liaison.Marking{},
	}
	o.objects = o
	if vi, ok := db.(VersionInserter); ok {
		o.ins = vi
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.cost == (password.Cost{}) {
		o.cost = password.Default
	}
	if opts.LockRows {
		o.lockRow = " FOR UPDATE"
	}
	if o.name == "" {
		o.name = "store"
	}
	return o
}

// Clock returns the store's time, truncated to microseconds.
func (o *Office) Clock() time.Time { return o.now().UTC().Truncate(time.Microsecond) }

// DB is the store's transactions, for a package that keeps tables of
// its own in the store with the core's SQL (audit).
func (o *Office) DB() DB { return o.db }

// Log is the office's logger.
func (o *Office) Log() *slog.Logger { return o.log }

func (o *Office) op(name string) string { return o.name + "." + name }

// inWrite runs fn in a write transaction under the operation's name.
func (o *Office) inWrite(ctx context.Context, name string, fn func(tx Tx) error) error {
	op := o.op(name)
	err := run(ctx, o.db, true, fn)
	return o.MapErr(op, err)
}

// inRead runs fn in a read transaction under the operation's name.
func (o *Office) inRead(ctx context.Context, name string, fn func(tx Tx) error) error {
	return o.MapErr(o.op(name), run(ctx, o.db, false, fn))
}

// InWrite runs fn with the state of a write transaction (see Begin),
// under the operation's name, and merges its caches into the office once
// it has committed. A store's own writes (group commit) go through it.
func (o *Office) InWrite(ctx context.Context, name string, fn func(w *Write) error) error {
	return o.write(ctx, name, fn)
}

// write runs fn with the state of a write transaction (see begin) and
// merges its caches into the office once it has committed.
func (o *Office) write(ctx context.Context, name string, fn func(w *Write) error) error {
	var w *Write
	err := o.inWrite(ctx, name, func(tx Tx) error {
		var err error
		if w, err = o.Begin(ctx, tx); err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		return w.flushSearch()
	})
	if err != nil {
		return err
	}
	w.Committed()
	return nil
}

// errStale says the audiences' validity lapsed in a read's snapshot; the
// read is retried after a recompute.
var ErrStale = errors.New("audiences are stale")

// MapErr passes domain errors through, turns constraint violations into
// domain codes and everything else into an internal error, logged.
func (o *Office) MapErr(op string, err error) error {
	if err == nil || errors.Is(err, ErrStale) {
		return err
	}
	var le *liaison.Error
	if errors.As(err, &le) {
		if le.Code == liaison.EINTERNAL {
			o.log.Error("store internal error", "op", op, "err", err)
		}
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if e := o.db.ConstraintError(err); e != nil {
		e.Op = op
		return e
	}
	return o.Internal(op, err)
}

// Internal logs err and returns the internal error callers see.
func (o *Office) Internal(op string, err error) error {
	var le *liaison.Error
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	o.log.Error("store internal error", "op", op, "err", err)
	return liaison.Internal(op, err)
}

// Committed merges a committed write's caches into the office.
func (w *Write) Committed() {
	o := w.o
	o.mu.Lock()
	maps.Copy(o.audByKey, w.newAudKey)
	maps.Copy(o.audByID, w.newAudID)
	maps.Copy(o.markCache, w.newMarking)
	o.mu.Unlock()
	o.indicatorsCommitted(w.indicators)
}

// Forget drops every cache of committed state, for a store whose tables
// were emptied under it (postgres.Wipe).
func (o *Office) Forget() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dirCache = nil
	o.audByKey = map[string]int64{}
	o.audByID = map[int64]liaison.Audience{}
	o.markCache = map[string]liaison.Marking{}
	o.match.forget()
}

// Constraint is the kind of constraint an engine error broke.
type Constraint int

// The kinds of constraint.
const (
	UniqueKey  Constraint = iota // a unique key: ECONFLICT
	ForeignKey                   // a reference to a missing row: EINVALID
	OtherRule                    // any other rule of the schema: EINVALID
)

// ConstraintErr is the domain error of a broken constraint of kind k.
func ConstraintErr(k Constraint, err error) *liaison.Error {
	switch k {
	case UniqueKey:
		return &liaison.Error{Code: liaison.ECONFLICT, Message: "it exists already", Err: err}
	case ForeignKey:
		return &liaison.Error{Code: liaison.EINVALID, Message: "it refers to something that does not exist", Err: err}
	}
	return &liaison.Error{Code: liaison.EINVALID, Message: "it breaks a rule of the store", Err: err}
}
