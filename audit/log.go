package audit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"liaison/core"
)

// Options tune a Log. The zero value is ready to use, but signs nothing.
type Options struct {
	// Key signs checkpoints; nil: entries are appended but no checkpoint
	// is signed (a command that records while a server signs).
	Key *Key
	// FlushEvery is how long an entry may wait in memory before its batch
	// is appended; 0 means one second. Each append is a commit, and on
	// SQLite every commit makes the readers reload the pages they had
	// cached: at 100 ms a page of 1,000 or a search cost 16-26% more
	// with the audit on than off (bench --audit-compare, 100k objects),
	// at one second 0-6%. A crash loses at most this much of the newest
	// entries.
	FlushEvery time.Duration
	// BatchSize appends a batch as soon as it holds this many entries; 0
	// means 1000.
	BatchSize int
	// CheckpointEvery is the most time between an entry's append and a
	// checkpoint that covers it; 0 means one minute.
	CheckpointEvery time.Duration
	Now             func() time.Time // nil: time.Now
	Logger          *slog.Logger     // nil: slog.Default()
}

// Log appends entries to the store's audit tree in batches, from a
// goroutine of its own, and signs checkpoints. Record never waits for the
// store. What a crash can lose is the batch not yet appended: at most
// FlushEvery (or BatchSize entries) of the newest entries. Close appends
// what is queued and signs a last checkpoint.
type Log struct {
	db   core.DB
	opts Options

	mu     sync.Mutex
	queue  []Entry
	closed bool
	wake   chan struct{}
	flush  chan chan error // Flush's requests
	done   chan struct{}   // closed by Close
	stop   chan struct{}   // closed when run has returned

	lastSigned time.Time
	unsigned   bool // entries appended since the last checkpoint
	appended   int64
	failures   int64
	reads      readCost // of the read entries appended
}

// New starts a log over db's audit tables.
func New(db core.DB, opts Options) *Log {
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	l := &Log{db: db, opts: opts, wake: make(chan struct{}, 1), flush: make(chan chan error), done: make(chan struct{}), stop: make(chan struct{})}
	go l.run()
	return l
}

// Now is the log's clock, truncated to the microsecond, in UTC.
func (l *Log) Now() time.Time { return l.opts.Now().UTC().Truncate(time.Microsecond) }

// Record queues an entry; its Time is set now if it is zero. After Close
// the entry is dropped and logged.
func (l *Log) Record(e Entry) {
	if e.Time.IsZero() {
		e.Time = l.Now()
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.opts.Logger.Error("audit entry after the log closed", "action", e.Action, "op", e.Op, "principal", e.Principal)
		return
	}
	l.queue = append(l.queue, e)
	full := len(l.queue) >= l.opts.BatchSize
	l.mu.Unlock()
	if full {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// Stats are the log's counts since it started: entries appended, append
// attempts that failed, and of the read entries appended, how many,
// their leaves' bytes, the versions they name and their rows in the
// refs index.
type Stats struct {
	Appended, Failures                         int64
	ReadEntries, ReadBytes, ReadRefs, ReadKeys int64
}

// Stats returns the log's counts.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Appended: l.appended, Failures: l.failures, ReadEntries: l.reads.entries, ReadBytes: l.reads.bytes, ReadRefs: l.reads.refs, ReadKeys: l.reads.keys}
}

// Close appends what is queued, signs a last checkpoint and stops.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.done)
	<-l.stop
	l.mu.Lock()
	left := len(l.queue)
	l.mu.Unlock()
	if left > 0 {
		return fmt.Errorf("audit: %d entries could not be appended at close", left)
	}
	return nil
}

// Flush appends every entry recorded before it was called, from the
// log's own goroutine, and returns once they are appended: for a
// measurement that must charge the appends to the requests that made
// them. It returns the append's error, or ctx's, or an error once the
// log is closed.
func (l *Log) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case l.flush <- reply:
	case <-l.stop:
		return fmt.Errorf("audit: flush: the log is closed")
	case <-ctx.Done():
		return fmt.Errorf("audit: flush: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("audit: flush: %w", ctx.Err())
	}
}

func (l *Log) run() {
	t := time.NewTicker(l.opts.FlushEvery)
	defer t.Stop()
	defer close(l.stop)
	for {
		select {
		case <-t.C:
		case <-l.wake:
		case reply := <-l.flush:
			reply <- l.round(false)
			continue
		case <-l.done:
			// Close: append the rest and sign, retrying a few times so a
			// busy store at shutdown does not lose the last batch.
			for i := 0; i < 5; i++ {
				if l.round(true) == nil {
					break
				}
				time.Sleep(l.opts.FlushEvery)
			}
			return
		}
		l.round(false)
	}
}

// round appends the queued entries and, when due (or final), signs a
// checkpoint. The entries stay queued if the append fails.
func (l *Log) round(final bool) error {
	l.mu.Lock()
	batch := l.queue
	l.queue = nil
	l.mu.Unlock()
	err := l.appendBatch(batch)
	if err != nil {
		l.mu.Lock()
		l.queue = append(batch, l.queue...)
		l.failures++
		l.mu.Unlock()
		l.opts.Logger.Error("audit: append failed; the entries wait for the next round", "entries", len(batch), "err", err)
	} else if len(batch) > 0 {
		l.mu.Lock()
		l.appended += int64(len(batch))
		l.mu.Unlock()
		l.unsigned = true
	}
	if err == nil && l.opts.Key != nil && l.unsigned && (final || l.opts.Now().Sub(l.lastSigned) >= l.opts.CheckpointEvery) {
		if err = l.sign(); err != nil {
			l.opts.Logger.Error("audit: signing a checkpoint failed", "err", err)
		}
	}
	return err
}

func (l *Log) appendBatch(batch []Entry) error {
	if len(batch) == 0 {
		return nil
	}
	// The caller's context is gone by now: the append is the log's own.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rc readCost
	err := inTx(ctx, l.db, true, func(tx core.Tx) error {
		rc = readCost{}
		_, err := appendEntries(tx, batch, &rc)
		return err
	})
	if err == nil {
		l.mu.Lock()
		l.reads.entries += rc.entries
		l.reads.bytes += rc.bytes
		l.reads.refs += rc.refs
		l.reads.keys += rc.keys
		l.mu.Unlock()
	}
	return err
}

func (l *Log) sign() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := l.Now()
	err := inTx(ctx, l.db, true, func(tx core.Tx) error {
		_, err := signCheckpoint(tx, l.opts.Key, now)
		return err
	})
	if err == nil {
		l.lastSigned, l.unsigned = now, false
	}
	return err
}

// inTx runs fn in a transaction of db and commits it if fn succeeds.
func inTx(ctx context.Context, db core.DB, write bool, fn func(core.Tx) error) error {
	t, err := db.Begin(ctx, write)
	if err != nil {
		return fmt.Errorf("audit: begin: %w", err)
	}
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	return nil
}
