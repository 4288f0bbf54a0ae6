package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"liaison/audit"
)

// serveAudited serves the office at c as serve wires it, with its audit
// log on.
func serveAudited(t *testing.T, c *cli) *httptest.Server {
	s := openData(t, c)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	office, err := officeOf(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	k, err := audit.LoadKey(c.data)
	if err != nil {
		t.Fatal(err)
	}
	quietLog := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := audit.New(s.DB(), audit.Options{Key: k, FlushEvery: 10 * time.Millisecond, Logger: quietLog})
	t.Cleanup(func() { l.Close() })
	aud := &auditing{store: audit.NewStore(s, l), log: l, db: s.DB(), key: k}
	h, err := newHandler(aud.store, s, office, quietLog, aud)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestPeerWitness: Tokyo pulls from Brussels and witnesses its audit
// log, over HTTP, with the commands as the README gives them. Brussels
// then holds its checkpoint cosigned; truncating Brussels' newest
// entries and checkpoints in its database is caught twice: by verify
// against the checkpoint Tokyo cosigned, and by Tokyo's next sync, an
// alarm in peer status.
func TestPeerWitness(t *testing.T) {
	bru, tok := fedOffice(t), fedOffice(t)
	writeObjects(t, bru, 3)
	token := strings.TrimSpace(bru.must("", "peer", "allow", "tokyo", "--serves", "JPN").stdout)
	srv := serveAudited(t, bru)
	file := filepath.Join(t.TempDir(), "brussels.token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok.must("", "peer", "pull", "brussels", "--url", srv.URL+taxiiAPIRoot, "--token-file", file, "--collection", fedColl)
	if r := tok.run("", "peer", "witness", "nowhere", "--audit-key", "x"); r.code == 0 || !strings.Contains(r.stderr, "does not pull from a peer nowhere") {
		t.Errorf("witness of an unknown peer: exit %d %s", r.code, r.stderr)
	}
	if r := tok.run("", "peer", "witness", "brussels", "--audit-key", "not-a-key"); r.code == 0 || !strings.Contains(r.stderr, "not a signed-note verifier key") {
		t.Errorf("a malformed key: exit %d %s", r.code, r.stderr)
	}
	if st := tok.must("", "peer", "status", "brussels").stdout; !strings.Contains(st, "audit log:    not witnessed") {
		t.Errorf("status before witnessing:\n%s", st)
	}
	key := strings.TrimSpace(bru.must("", "audit", "key").stdout)
	tok.must("", "peer", "witness", "brussels", "--audit-key", key)
	out := tok.must("", "peer", "sync", "brussels").stdout
	if !strings.Contains(out, "3 written") || strings.Contains(out, "witnessing") {
		t.Fatalf("sync: %s", out)
	}
	wkey := strings.TrimSpace(tok.must("", "audit", "key", "--witness").stdout)
	if !strings.HasPrefix(wkey, audit.WitnessNameFor("NATO-LO-TOKYO")+"+") {
		t.Fatalf("witness key %q", wkey)
	}
	st := tok.must("", "peer", "status", "brussels").stdout
	if !strings.Contains(st, "audit log:    cosigned its checkpoint of size ") || strings.Contains(st, "ALARM") {
		t.Fatalf("status after witnessing:\n%s", st)
	}
	cosigned := tok.must("", "peer", "checkpoint", "brussels").stdout
	size, _ := strconv.ParseInt(strings.Split(cosigned, "\n")[1], 10, 64)
	if size < 3 || !strings.Contains(cosigned, "— "+audit.WitnessNameFor("NATO-LO-TOKYO")+" ") {
		t.Fatalf("the cosigned checkpoint:\n%s", cosigned)
	}
	// Brussels holds it cosigned, knows its witness, and verifies.
	if st := bru.must("", "peer", "status", "tokyo").stdout; !strings.Contains(st, "witnesses this office's audit log: cosigned size "+strconv.FormatInt(size, 10)) || !strings.Contains(st, wkey) {
		t.Errorf("status at brussels:\n%s", st)
	}
	note := filepath.Join(t.TempDir(), "cosigned.note")
	if err := os.WriteFile(note, []byte(cosigned), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := bru.must("", "audit", "verify", "--witnessed", note); !strings.Contains(r.stdout, "OK") {
		t.Fatalf("verify with the witnessed checkpoint: %s", r.stdout)
	}
	srv.Close()

	// Truncate Brussels' newest two entries below the cosigned size,
	// with their hashes and the checkpoints above.
	s := openData(t, bru)
	cut := size - 2
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM audit_entries WHERE idx >= ?`, cut},
		{`DELETE FROM audit_refs WHERE idx >= ?`, cut},
		{`DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, cut)},
		{`DELETE FROM audit_checkpoints WHERE size > ?`, cut},
		{`UPDATE audit_head SET size = ? WHERE id = 1`, cut},
	} {
		tx, err := s.DB().Begin(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(q.sql, q.arg); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	r := bru.run("", "audit", "verify", "--witnessed", note)
	if r.code != 1 || !strings.Contains(r.stdout, "cosigned by "+audit.WitnessNameFor("NATO-LO-TOKYO")) || !strings.Contains(r.stdout, "were deleted") {
		t.Fatalf("verify after truncation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	srv = serveAudited(t, bru)
	tok.must("", "peer", "remove", "brussels")
	tok.must("", "peer", "pull", "brussels", "--url", srv.URL+taxiiAPIRoot, "--token-file", file, "--collection", fedColl)
	r = tok.run("", "peer", "sync", "brussels")
	if r.code != 1 || !strings.Contains(r.stderr, "ALARM") || !strings.Contains(r.stderr, "rollback") {
		t.Fatalf("sync after truncation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st := tok.must("", "peer", "status", "brussels").stdout; !strings.Contains(st, "ALARM:        rollback") {
		t.Errorf("status after the rollback:\n%s", st)
	}
}
