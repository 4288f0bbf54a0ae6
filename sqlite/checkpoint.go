package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// The write-ahead log is copied back into the database file (a checkpoint)
// by a goroutine of its own rather than by the writer at commit. A
// checkpoint waits for two fsyncs; done at commit, as SQLite does by
// default, it stalls the single writer for them about every second
// transaction of a bulk ingest. Done beside it, the writer goes on while
// the disk syncs: raw inserts of 100k benchmark objects went from about
// 14k to 24k rows/s on the 2-core machine (see README, Performance).
//
// The writer keeps a high automatic checkpoint threshold as a backstop, so
// the log stays bounded even if the background checkpoints cannot keep up.
const (
	// writerAutoCheckpointPages is the writer's own threshold (pages of
	// the log), reached only if background checkpoints fall behind.
	writerAutoCheckpointPages = 65536 // 256 MiB of 4 KiB pages
	// journalSizeLimit truncates the log file back to this size after it
	// is reset, so one burst does not keep a large file on disk.
	journalSizeLimit = 64 << 20
	// checkpointEvery is the longest the log grows before a background
	// checkpoint, while writes keep coming. A checkpoint copies each page
	// once however many commits wrote it since the last one, and a bulk
	// ingest rewrites the same index pages at every commit: a second
	// between checkpoints lets several commits share one copy of them
	// (it was 200 ms, about one checkpoint a commit at 1M objects).
	checkpointEvery = time.Second
)

// checkpointer runs passive checkpoints on its own connection after
// writes. A passive checkpoint never blocks readers or the writer; it
// copies what no reader still needs.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	kick chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

// startCheckpointer opens a connection to the database at path and starts
// checkpointing in the background.
func startCheckpointer(path string, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	c := &checkpointer{db: db, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c, nil
}

// committed tells the checkpointer that a write committed. It never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		if err := c.checkpoint(); err != nil {
			c.log.Warn("background checkpoint failed; the writer's own checkpoints take over", "err", err)
		}
		// Let a few commits gather before the next checkpoint: each one
		// costs two fsyncs however little it copies.
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

func (c *checkpointer) checkpoint() error {
	var busy, logPages, copied int
	if err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied); err != nil {
		return fmt.Errorf("passive checkpoint: %w", err)
	}
	return nil
}

// close stops the goroutine and closes its connection. Any checkpoint in
// progress finishes first. Closing twice is harmless.
func (c *checkpointer) close() error {
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		c.err = c.db.Close()
	})
	return c.err
}

// RawWriter is a connection to a store's database file with the store
// writer's settings (pragmas, page cache, checkpoints in the background).
// It is for tools that write rows straight into the store's tables, which
// is what the benchmark's raw-insert baseline does; the store itself never
// hands one out.
type RawWriter struct {
	DB *sql.DB
	ck *checkpointer
}

// OpenRawWriter opens the database file at path as the store's writer
// opens it.
func OpenRawWriter(path string, log *slog.Logger) (*RawWriter, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := sql.Open("sqlite", writerDSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite.OpenRawWriter: %w", err)
	}
	db.SetMaxOpenConns(1)
	ck, err := startCheckpointer(path, log)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite.OpenRawWriter: %w", err)
	}
	return &RawWriter{DB: db, ck: ck}, nil
}

// Committed says that a transaction on DB committed, so that its log is
// checkpointed in the background as the store's are.
func (w *RawWriter) Committed() { w.ck.committed() }

// Close stops checkpointing and closes the connection.
func (w *RawWriter) Close() error {
	err := w.ck.close()
	if cerr := w.DB.Close(); err == nil {
		err = cerr
	}
	return err
}
