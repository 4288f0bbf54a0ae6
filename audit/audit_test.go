package audit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"liaison"
	"liaison/audit"
	"liaison/core"
	"liaison/postgres"
	"liaison/sqlite"
)

var testCost = core.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// dbStore is a store that gives its transactions (both stores do).
type dbStore interface {
	liaison.Store
	DB() core.DB
}

type backend struct {
	name string
	open func(t *testing.T) dbStore
}

// backends are SQLite always, and PostgreSQL when LIAISON_TEST_POSTGRES
// names a server (in a schema of the test's own).
func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", func(t *testing.T) dbStore {
		s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Password: testCost, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}}}
	url := os.Getenv("LIAISON_TEST_POSTGRES")
	if url == "" {
		t.Log("PostgreSQL skipped: set LIAISON_TEST_POSTGRES=postgres://user@host:5432/db?sslmode=disable to test the audit there too")
		return bs
	}
	return append(bs, backend{"postgres", func(t *testing.T) dbStore {
		var b [6]byte
		rand.Read(b[:])
		schema := "liaison_test_" + hex.EncodeToString(b[:])
		t.Cleanup(func() {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
				return
			}
			defer conn.Close(ctx)
			conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		})
		s, err := postgres.Open(context.Background(), url, postgres.Options{Password: testCost, Schema: schema, Logger: quiet(), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

// exec runs one statement straight on the store's tables, as someone
// with the database would, bypassing the audit package.
func exec(t *testing.T, db core.DB, q string, args ...any) {
	t.Helper()
	tx, err := db.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T) *audit.Key {
	t.Helper()
	k, err := audit.CreateKey(t.TempDir(), audit.OriginFor("NATO-LO-TEST"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fill appends n entries in batches of batch, signing a checkpoint after
// each batch, and returns the checkpoint sizes.
func fill(t *testing.T, db core.DB, k *audit.Key, n, batch int) []int64 {
	t.Helper()
	ctx := context.Background()
	var sizes []int64
	for done := 0; done < n; {
		l := audit.New(db, audit.Options{Key: k, FlushEvery: time.Hour, Logger: quiet()})
		for i := 0; i < batch && done < n; i++ {
			l.Record(audit.Entry{
				Principal: fmt.Sprintf("user%d", done%7), Org: []string{"JPN", "KOR", "USA"}[done%3],
				Action: audit.ActionRead, Path: audit.PathTAXII, Op: "Objects", Collection: "c1",
				Refs: []audit.Ref{{ID: fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", done%50), Version: "2024-01-01T00:00:00Z"}},
			})
			done++
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		c, err := audit.Latest(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, c.Size)
	}
	_ = ctx
	return sizes
}

func verify(t *testing.T, db core.DB, k *audit.Key) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), db, k.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendAndVerify(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			k := newKey(t)
			sizes := fill(t, s.DB(), k, 2345, 700)
			if want := []int64{700, 1400, 2100, 2345}; fmt.Sprint(sizes) != fmt.Sprint(want) {
				t.Fatalf("checkpoint sizes %v, want %v", sizes, want)
			}
			rep := verify(t, s.DB(), k)
			if !rep.OK() {
				t.Fatalf("a log nobody touched fails: %v", rep.Problems)
			}
			if rep.Entries != 2345 || rep.Checkpoints != 4 || rep.Latest.Size != 2345 || rep.Unsigned != 0 {
				t.Fatalf("report %+v", rep)
			}
			var got []int64
			err := audit.Entries(context.Background(), s.DB(), audit.Filter{Principal: "user3", Org: "KOR", After: -1, Object: "indicator--00000010-0000-4000-8000-000000000000"}, func(e audit.Entry) error {
				if e.Principal != "user3" || e.Org != "KOR" || e.Refs[0].ID != "indicator--00000010-0000-4000-8000-000000000000" {
					t.Errorf("entry %d does not match the filter: %+v", e.Index, e)
				}
				got = append(got, e.Index)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// i%7 == 3, i%3 == 1, i%50 == 10: i ≡ 10 (mod 1050), and
			// 10 ≡ 3 (mod 7), 10 ≡ 1 (mod 3).
			if fmt.Sprint(got) != "[10 1060 2110]" {
				t.Fatalf("filtered entries %v, want [10 1060 2110]", got)
			}
		})
	}
}

// TestTamper changes the audit tables directly, as someone with the
// database could, and expects verify to fail naming the place.
func TestTamper(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, db core.DB)
		// want is a part of the first problem's message; entry its entry.
		want  string
		entry int64
	}{
		{"change an entry's leaf", func(t *testing.T, db core.DB) {
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = 1234`, []byte(`{"at":"2026-01-01T00:00:00Z","principal":"user2","org":"JPN","action":"read","path":"taxii","op":"Objects","collection":"c1","outcome":"ok"}`))
		}, "entry 1234: its", 1234},
		{"change an entry's indexed principal", func(t *testing.T, db core.DB) {
			exec(t, db, `UPDATE audit_entries SET principal = 'someone-else' WHERE idx = 77`)
		}, "entry 77: its principal", 77},
		{"drop an entry's object ref", func(t *testing.T, db core.DB) {
			exec(t, db, `DELETE FROM audit_refs WHERE idx = 900`)
		}, "entry 900: its object refs", 900},
		{"change an entry and its leaf hash", func(t *testing.T, db core.DB) {
			exec(t, db, `UPDATE audit_entries SET data = ? WHERE idx = 6`, []byte(`{"at":"2026-01-01T00:00:00Z","principal":"user6","org":"JPN","action":"read","path":"taxii","op":"Objects","outcome":"ok"}`))
			// Rewrite the leaf hash too (stored hash index of leaf 6 is 10).
			exec(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = 10`, make([]byte, 32))
		}, "entry 6", 6},
		{"delete the newest entries", func(t *testing.T, db core.DB) {
			exec(t, db, `DELETE FROM audit_refs WHERE idx >= 2000`)
			exec(t, db, `DELETE FROM audit_entries WHERE idx >= 2000`)
			exec(t, db, `DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, 2000))
			exec(t, db, `UPDATE audit_head SET size = 2000 WHERE id = 1`)
		}, "checkpoint of size 2100: the store holds only 2000 entries: entries 2000 to 2099 were deleted", 2000},
		{"delete an entry in the middle", func(t *testing.T, db core.DB) {
			exec(t, db, `DELETE FROM audit_refs WHERE idx = 500`)
			exec(t, db, `DELETE FROM audit_entries WHERE idx = 500`)
		}, "entry 500 is missing", 500},
		{"insert an entry at the end", func(t *testing.T, db core.DB) {
			exec(t, db, `INSERT INTO audit_entries (idx, at_us, principal, org, action, path, data) VALUES (2345, 1, 'x', 'JPN', 'read', 'taxii', ?)`, []byte(`{"at":"1970-01-01T00:00:00.000001Z","principal":"x","org":"JPN","action":"read","path":"taxii","op":"Objects","outcome":"ok"}`))
		}, "entry 2345: its leaf hash is missing", 2345},
		{"add an object ref", func(t *testing.T, db core.DB) {
			exec(t, db, `INSERT INTO audit_refs (object_key, idx) VALUES (?, 5)`, audit.ObjectKey("indicator--ffffffff-0000-4000-8000-000000000000"))
		}, "the object refs index holds 2346 rows but the entries name 2345 objects", -1},
		{"rewrite a checkpoint", func(t *testing.T, db core.DB) {
			exec(t, db, `UPDATE audit_checkpoints SET note = REPLACE(note, '1400', '1401') WHERE size = 1400`)
		}, "checkpoint of size 1400", -1},
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					s := b.open(t)
					k := newKey(t)
					fill(t, s.DB(), k, 2345, 700)
					if rep := verify(t, s.DB(), k); !rep.OK() {
						t.Fatalf("fails before tampering: %v", rep.Problems)
					}
					c.tamper(t, s.DB())
					rep := verify(t, s.DB(), k)
					if rep.OK() {
						t.Fatal("verify passes a tampered log")
					}
					p := rep.Problems[0]
					if !strings.Contains(p.Message, c.want) || p.Entry != c.entry {
						t.Fatalf("first problem %+v, want one naming %q at entry %d (all: %v)", p, c.want, c.entry, rep.Problems)
					}
				})
			}
		})
	}
}

// TestCheckpointFormat reads a served checkpoint as a C2SP checkpoint: the
// origin, the size and the root hash, then the office's signature line.
func TestCheckpointFormat(t *testing.T) {
	s := backends(t)[0].open(t)
	k := newKey(t)
	fill(t, s.DB(), k, 3, 3)
	c, err := audit.Latest(context.Background(), s.DB())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(c.Note), "\n")
	if len(lines) != 6 || lines[0] != "liaison/NATO-LO-TEST/audit" || lines[1] != "3" || lines[3] != "" || !strings.HasPrefix(lines[4], "— liaison/NATO-LO-TEST/audit ") || lines[5] != "" {
		t.Fatalf("checkpoint note %q is not a C2SP checkpoint", c.Note)
	}
	if _, err := audit.OpenCheckpoint(c.Note, k.Verifier); err != nil {
		t.Fatal(err)
	}
	other := newKey(t)
	if _, err := audit.OpenCheckpoint(c.Note, other.Verifier); err == nil {
		t.Fatal("a checkpoint verifies with another office's key")
	}
}

func openSQLiteB(b *testing.B) dbStore {
	s, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{Password: testCost, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// TestConcurrentRecord records from many goroutines while the appender
// flushes and signs, then checks every entry arrived once and the log
// verifies. Run it under -race.
func TestConcurrentRecord(t *testing.T) {
	s := backends(t)[0].open(t)
	k := newKey(t)
	l := audit.New(s.DB(), audit.Options{Key: k, FlushEvery: 5 * time.Millisecond, BatchSize: 50, CheckpointEvery: 10 * time.Millisecond, Logger: quiet()})
	const writers, each = 8, 150
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				l.Record(audit.Entry{Principal: fmt.Sprintf("w%d", w), Action: audit.ActionRead, Path: audit.PathAPI, Op: "Objects", Detail: fmt.Sprint(i)})
			}
		}()
	}
	for range writers {
		<-done
	}
	// Once the appender has taken every entry (and signed at least the
	// checkpoint of its first append), one more entry makes Close sign
	// a checkpoint of a larger tree: at least two to check against each
	// other however fast the writers were.
	for deadline := time.Now().Add(10 * time.Second); l.Stats().Appended < writers*each; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("appended %d of %d after 10 s", l.Stats().Appended, writers*each)
		}
	}
	l.Record(audit.Entry{Principal: "last", Action: audit.ActionRead, Path: audit.PathAPI, Op: "Objects"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Appended != writers*each+1 {
		t.Fatalf("appended %d, want %d", st.Appended, writers*each+1)
	}
	seen := map[string]bool{}
	err := audit.Entries(context.Background(), s.DB(), audit.Filter{After: -1}, func(e audit.Entry) error {
		key := e.Principal + "/" + e.Detail
		if seen[key] {
			t.Errorf("entry %s twice", key)
		}
		seen[key] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each+1 {
		t.Fatalf("%d distinct entries, want %d", len(seen), writers*each+1)
	}
	if rep := verify(t, s.DB(), k); !rep.OK() || rep.Unsigned != 0 || rep.Checkpoints < 2 {
		t.Fatalf("report %+v", rep)
	}
}

// TestFlush: Flush appends what was recorded before it, though the log
// would not append on its own for an hour, and fails once it is closed.
func TestFlush(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			l := audit.New(s.DB(), audit.Options{FlushEvery: time.Hour, Logger: quiet()})
			ctx := context.Background()
			for round, n := range []int{3, 0, 5} {
				for i := range n {
					l.Record(audit.Entry{Principal: fmt.Sprintf("r%d", round), Action: audit.ActionRead, Path: audit.PathAPI, Op: "Objects", Detail: fmt.Sprint(i)})
				}
				if err := l.Flush(ctx); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				want := map[int]int64{0: 3, 1: 3, 2: 8}[round]
				if got := l.Stats().Appended; got != want {
					t.Fatalf("round %d: appended %d after Flush, want %d", round, got, want)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Flush(ctx); err == nil {
				t.Fatal("Flush after Close did not fail")
			}
		})
	}
}

// auditedWorld is a store of one backend with its audit log (appended
// only when closed) and the auditing store over both.
type auditedWorld struct {
	s   dbStore
	key *audit.Key
	log *audit.Log
	st  liaison.Store
}

func openAudited(t *testing.T, b backend) auditedWorld {
	t.Helper()
	s := b.open(t)
	key := newKey(t)
	l := audit.New(s.DB(), audit.Options{Key: key, FlushEvery: time.Hour, Logger: quiet()})
	return auditedWorld{s: s, key: key, log: l, st: audit.NewStore(s, l)}
}

// mustOf returns a check that fails t on an error.
func mustOf(t *testing.T) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
