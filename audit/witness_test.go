package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"liaison/audit"
	"liaison/core"
)

// directSource is a logging office reached without HTTP: its PeerLog,
// with a record of what was proved, so the test can check each proof
// again with its own verifier.
type directSource struct {
	log    audit.PeerLog
	peer   string
	proofs []proved
}

type proved struct {
	old, new int64
	proof    tlog.TreeProof
}

func (d *directSource) Checkpoint(ctx context.Context) ([]byte, error) { return d.log.Checkpoint(ctx) }
func (d *directSource) Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	p, err := d.log.Consistency(ctx, old, new)
	d.proofs = append(d.proofs, proved{old, new, p})
	return p, err
}
func (d *directSource) Cosigned(ctx context.Context, key string, msg []byte) error {
	return d.log.AddCosignature(ctx, d.peer, key, msg)
}

// checkCosignature is written from C2SP tlog-cosignature (v1, Ed25519)
// with crypto/ed25519 alone: it finds the line by the witness's name and
// key ID, and checks the timestamped signature over the body.
func checkCosignature(t *testing.T, msg []byte, name string, pub ed25519.PublicKey) time.Time {
	t.Helper()
	body, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		t.Fatalf("not a signed note:\n%s", msg)
	}
	body = append(body, '\n')
	h := sha256.Sum256(append(append([]byte(name), '\n', 0x04), pub...))
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "— "+name+" ")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(raw) != 4+8+64 || !bytes.Equal(raw[:4], h[:4]) {
			continue
		}
		ts := binary.BigEndian.Uint64(raw[4:12])
		signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), body...)
		if !ed25519.Verify(pub, signed, raw[12:]) {
			t.Fatalf("the cosignature of %s does not verify", name)
		}
		return time.Unix(int64(ts), 0)
	}
	t.Fatalf("no cosignature of %s in\n%s", name, msg)
	return time.Time{}
}

// witnessPub reads the public key out of a vkey, as a client configured
// with it would.
func witnessPub(t *testing.T, vkey string) (string, ed25519.PublicKey) {
	parts := strings.SplitN(vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		t.Fatalf("witness vkey %q", vkey)
	}
	return parts[0], ed25519.PublicKey(raw[1:])
}

// TestWitnessDetectsTruncation: a peer cosigns the office's checkpoints
// as they grow (each step proved consistent, the proofs checked again
// here independently); then the newest entries are truncated in the
// database together with their checkpoints. The witness raises a
// rollback alarm, verify against the checkpoint the witness cosigned
// names the deleted entries, and a history that grows again differently
// is a fork. On both stores.
func TestWitnessDetectsTruncation(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			logOffice := b.open(t)
			k := newKey(t)
			witnessOffice := backends(t)[0].open(t)
			wk, err := audit.CreateWitnessKey(t.TempDir(), audit.WitnessNameFor("NATO-LO-VIENNA"))
			if err != nil {
				t.Fatal(err)
			}
			w := &audit.Witness{DB: witnessOffice.DB(), Key: wk}
			src := &directSource{log: audit.PeerLog{DB: logOffice.DB(), Key: k}, peer: "vienna"}

			// Not witnessed yet: nothing happens.
			fill(t, logOffice.DB(), k, 300, 300)
			if err := w.Witness(ctx, "tokyo", src); err != nil {
				t.Fatal(err)
			}
			if err := audit.SetWitnessed(ctx, witnessOffice.DB(), "tokyo", "not a key"); err == nil {
				t.Fatal("a malformed audit key is taken")
			}
			if err := audit.SetWitnessed(ctx, witnessOffice.DB(), "tokyo", k.VerifierKey); err != nil {
				t.Fatal(err)
			}
			name, pub := witnessPub(t, wk.VerifierKey)
			var kept []byte
			for round := 0; round < 3; round++ {
				if round > 0 {
					fill(t, logOffice.DB(), k, 200, 200)
				}
				if err := w.Witness(ctx, "tokyo", src); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				st, _, err := audit.WitnessedPeer(ctx, witnessOffice.DB(), "tokyo")
				if err != nil {
					t.Fatal(err)
				}
				if want := int64(300 + 200*round); st.Size != want || st.Alarm != "" || st.Error != "" {
					t.Fatalf("round %d: witnessed %+v, want size %d", round, st, want)
				}
				checkCosignature(t, st.Note, name, pub)
				// The logging office holds it cosigned too, and serves it so.
				served, err := src.Checkpoint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				checkCosignature(t, served, name, pub)
				kept = st.Note
			}
			if len(src.proofs) != 2 {
				t.Fatalf("%d consistency proofs asked for, want 2", len(src.proofs))
			}
			for _, p := range src.proofs {
				oc, err := audit.CheckpointAt(ctx, logOffice.DB(), p.old)
				if err != nil {
					t.Fatal(err)
				}
				nc, err := audit.CheckpointAt(ctx, logOffice.DB(), p.new)
				if err != nil {
					t.Fatal(err)
				}
				path := make([][]byte, len(p.proof))
				for i, h := range p.proof {
					path[i] = h[:]
				}
				if !checkConsistency(p.old, p.new, oc.Root[:], nc.Root[:], path) {
					t.Fatalf("the proof from %d to %d does not check independently", p.old, p.new)
				}
			}
			if rep := verify(t, logOffice.DB(), k); !rep.OK() {
				t.Fatalf("a cosigned log nobody touched fails: %v", rep.Problems)
			}
			// A changed cosignature at the logging office is found by verify.
			exec(t, logOffice.DB(), `UPDATE audit_checkpoints SET note = ? WHERE size = 700`, flipLastSig(t, kept))
			if rep := verify(t, logOffice.DB(), k); rep.OK() || !strings.Contains(rep.Problems[0].Message, "cosignature of witness vienna") {
				t.Fatalf("a changed cosignature: %v", rep.Problems)
			}
			exec(t, logOffice.DB(), `UPDATE audit_checkpoints SET note = ? WHERE size = 700`, string(kept))

			// Someone with the database truncates the newest 150 entries,
			// their hashes and the checkpoints above: the log alone
			// verifies, since nothing of it remains.
			truncate(t, logOffice.DB(), 550)
			if rep := verify(t, logOffice.DB(), k); !rep.OK() {
				t.Fatalf("the truncation was not clean: %v", rep.Problems)
			}
			// Against the checkpoint the witness cosigned, it shows.
			rep, err := audit.Verify(ctx, logOffice.DB(), k.Verifier, kept)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(rep.Problems[0].Message, "the checkpoint of size 700 cosigned by "+name) || !strings.Contains(rep.Problems[0].Message, "entries 550 to 699 were deleted") || rep.Problems[0].Entry != 550 {
				t.Fatalf("verify against the witnessed checkpoint: %+v", rep.Problems)
			}
			// The office signs the truncated tree again, as it would.
			signNow(t, logOffice.DB(), k)
			err = w.Witness(ctx, "tokyo", src)
			if !errors.Is(err, audit.ErrAlarm) || !strings.Contains(err.Error(), "rollback") {
				t.Fatalf("a rolled back log: %v", err)
			}
			st, _, _ := audit.WitnessedPeer(ctx, witnessOffice.DB(), "tokyo")
			if st.Size != 700 || !strings.Contains(st.Alarm, "entries 551 to 699 of its audit log were removed") || len(st.AlarmNote) == 0 {
				t.Fatalf("witness state after the rollback: %+v", st)
			}
			// The alarm stays, and nothing more is cosigned.
			fill(t, logOffice.DB(), k, 300, 300)
			if err := w.Witness(ctx, "tokyo", src); !errors.Is(err, audit.ErrAlarm) {
				t.Fatalf("the alarm went away: %v", err)
			}
			if st2, _, _ := audit.WitnessedPeer(ctx, witnessOffice.DB(), "tokyo"); st2.Size != 700 {
				t.Fatalf("cosigned past an alarm: %d", st2.Size)
			}

			// A second witness that saw size 700 too finds the regrown
			// log (850 entries, a different history) a fork.
			w2 := &audit.Witness{DB: witnessOffice.DB(), Key: wk}
			exec(t, witnessOffice.DB(), `INSERT INTO audit_witnessed (peer, log_key, size, note, seen_us) VALUES ('tokyo2', ?, 700, ?, 1)`, k.VerifierKey, string(kept))
			err = w2.Witness(ctx, "tokyo2", src)
			if !errors.Is(err, audit.ErrAlarm) || !strings.Contains(err.Error(), "fork") {
				t.Fatalf("a regrown log: %v", err)
			}
		})
	}
}

// TestCosignatureRefusals: the logging office takes only a cosignature
// of a checkpoint it signed, by the key it pinned for that peer.
func TestCosignatureRefusals(t *testing.T) {
	ctx := context.Background()
	s := backends(t)[0].open(t)
	k := newKey(t)
	fill(t, s.DB(), k, 10, 10)
	wk, _ := audit.CreateWitnessKey(t.TempDir(), "liaison/A/witness")
	other, _ := audit.CreateWitnessKey(t.TempDir(), "liaison/B/witness")
	wDB := backends(t)[0].open(t).DB()
	if err := audit.SetWitnessed(ctx, wDB, "tokyo", k.VerifierKey); err != nil {
		t.Fatal(err)
	}
	src := &directSource{log: audit.PeerLog{DB: s.DB(), Key: k}, peer: "vienna"}
	if err := (&audit.Witness{DB: wDB, Key: wk}).Witness(ctx, "tokyo", src); err != nil {
		t.Fatal(err)
	}
	st, _, _ := audit.WitnessedPeer(ctx, wDB, "tokyo")
	pl := audit.PeerLog{DB: s.DB(), Key: k}
	cases := []struct {
		name, peer, key string
		msg             []byte
		want            string
	}{
		{"another key for the same peer", "vienna", other.VerifierKey, st.Note, "cosigns with the key"},
		{"a malformed key", "berlin", "x+y+z", st.Note, "not 8 hexadecimal"},
		{"not signed by the office", "berlin", wk.VerifierKey, bytes.Replace(st.Note, []byte("\n10\n"), []byte("\n11\n"), 1), "does not verify"},
		{"a changed cosignature", "vienna", wk.VerifierKey, []byte(flipLastSig(t, st.Note)), "does not verify"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := pl.AddCosignature(ctx, c.peer, c.key, c.msg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	if err := audit.SetWitnessed(ctx, wDB, "tokyo", newKey(t).VerifierKey); err == nil || !strings.Contains(err.Error(), "would forget") {
		t.Fatalf("changing the audit key of a witnessed peer: %v", err)
	}
}

// flipLastSig changes one byte of the signature of the note's last line.
func flipLastSig(t *testing.T, msg []byte) string {
	t.Helper()
	s := strings.TrimSuffix(string(msg), "\n")
	i := strings.LastIndex(s, " ")
	raw, err := base64.StdEncoding.DecodeString(s[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	return s[:i+1] + base64.StdEncoding.EncodeToString(raw) + "\n"
}

// truncate deletes the entries from n on, their hashes, refs and the
// checkpoints above n, and sets the head: what someone with the database
// would do to hide the newest entries.
func truncate(t *testing.T, db core.DB, n int64) {
	t.Helper()
	exec(t, db, `DELETE FROM audit_entries WHERE idx >= ?`, n)
	exec(t, db, `DELETE FROM audit_refs WHERE idx >= ?`, n)
	exec(t, db, `DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, n))
	exec(t, db, `DELETE FROM audit_checkpoints WHERE size > ?`, n)
	exec(t, db, `UPDATE audit_head SET size = ? WHERE id = 1`, n)
}

// signNow signs a checkpoint of the tree as it stands.
func signNow(t *testing.T, db core.DB, k *audit.Key) {
	t.Helper()
	l := audit.New(db, audit.Options{Key: k, FlushEvery: time.Hour, Logger: quiet()})
	l.Record(audit.Entry{Principal: "operator", Action: audit.ActionRead, Path: audit.PathTAXII, Op: "Objects"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
