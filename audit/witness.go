package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"liaison"
	"liaison/core"
)

// Witnessing (ARCHITECTURE.md, "Audit"). At each sync with a peer it
// pulls from, an office fetches the peer's newest checkpoint, checks it
// against the newest one it cosigned before (same size: same root;
// larger: a consistency proof the peer serves; smaller: a rollback),
// cosigns it and keeps it, and sends the cosigned note back, so that the
// logging office holds it too. A peer that shows a fork or a rollback
// raises an alarm that stays until the operator looks into it: the
// witness cosigns nothing more for that peer meanwhile.

// Source is a peer office's audit log as its witness reaches it (package
// federation implements it over the peer endpoint).
type Source interface {
	// Checkpoint is the peer's newest signed checkpoint, as a note.
	Checkpoint(ctx context.Context) ([]byte, error)
	// Consistency proves the tree of size old a prefix of the tree of
	// size new.
	Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error)
	// Cosigned hands the peer the checkpoint cosigned by the witness
	// whose public key is witnessKey.
	Cosigned(ctx context.Context, witnessKey string, msg []byte) error
}

// Witnessed is what a witness knows of one peer's log.
type Witnessed struct {
	Peer      string
	LogKey    string    // the peer's audit verifier key
	Size      int64     // the newest checkpoint cosigned here (0: none yet)
	Note      []byte    // it, cosigned
	Seen      time.Time // when it was cosigned
	Checked   time.Time // the last time the peer's checkpoint was fetched
	Error     string    // the last failure that is not an alarm
	Alarm     string    // a fork or a rollback, sticky
	AlarmNote []byte    // the checkpoint that raised it
	AlarmAt   time.Time
}

// ErrAlarm wraps the error Witness returns when a peer's log showed a
// fork or a rollback.
var ErrAlarm = errors.New("audit witness alarm")

// Witness cosigns peers' checkpoints with Key.
type Witness struct {
	DB  core.DB
	Key *WitnessKey
	Now func() time.Time // nil: time.Now
}

func (w *Witness) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

// SetWitnessed makes this office a witness of peer's log, whose
// checkpoints verify with logKey (as `liaison audit key` prints it at
// the peer). The same key again changes nothing; another key, once a
// checkpoint was cosigned with the first, is ECONFLICT: changing it
// would forget the history the witness vouches for.
func SetWitnessed(ctx context.Context, db core.DB, peer, logKey string) error {
	if _, err := note.NewVerifier(logKey); err != nil {
		return liaison.Errorf(liaison.EINVALID, "audit key %q of peer %s is not a signed-note verifier key (liaison audit key prints it at the peer): %v", logKey, peer, err)
	}
	return inTx(ctx, db, true, func(tx core.Tx) error {
		var have string
		var size int64
		err := tx.QueryRow(`SELECT log_key, size FROM audit_witnessed WHERE peer = ?`, peer).Scan(&have, &size)
		switch {
		case errors.Is(err, core.ErrNoRows):
			_, err = tx.Exec(`INSERT INTO audit_witnessed (peer, log_key) VALUES (?, ?)`, peer, logKey)
			if err != nil {
				return fmt.Errorf("audit: witness peer %s: %w", peer, err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("audit: witness peer %s: %w", peer, err)
		case have == logKey:
			return nil
		case size > 0:
			return liaison.Errorf(liaison.ECONFLICT, "peer %s is witnessed with another audit key (%s), and its checkpoint of size %d was cosigned with it: a new key would forget that history", peer, have, size)
		}
		_, err = tx.Exec(`UPDATE audit_witnessed SET log_key = ? WHERE peer = ?`, logKey, peer)
		if err != nil {
			return fmt.Errorf("audit: witness peer %s: %w", peer, err)
		}
		return nil
	})
}

// WitnessedPeers returns what this office knows of every log it
// witnesses, by peer name.
func WitnessedPeers(ctx context.Context, db core.DB) ([]Witnessed, error) {
	var out []Witnessed
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		var err error
		out, err = readWitnessed(tx, "")
		return err
	})
	return out, err
}

// WitnessedPeer returns what this office knows of peer's log; ok false
// when it does not witness it.
func WitnessedPeer(ctx context.Context, db core.DB, peer string) (w Witnessed, ok bool, err error) {
	err = inTx(ctx, db, false, func(tx core.Tx) error {
		all, err := readWitnessed(tx, peer)
		if len(all) == 1 {
			w, ok = all[0], true
		}
		return err
	})
	return w, ok, err
}

func readWitnessed(tx core.Tx, peer string) ([]Witnessed, error) {
	q := `SELECT peer, log_key, size, note, seen_us, checked_us, error, alarm, alarm_note, alarm_us FROM audit_witnessed`
	var args []any
	if peer != "" {
		q += ` WHERE peer = ?`
		args = append(args, peer)
	}
	rows, err := tx.Query(q+` ORDER BY peer`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: read witnessed peers: %w", err)
	}
	defer rows.Close()
	var out []Witnessed
	for rows.Next() {
		var w Witnessed
		var n, an string
		var seen, checked, alarm int64
		if err := rows.Scan(&w.Peer, &w.LogKey, &w.Size, &n, &seen, &checked, &w.Error, &w.Alarm, &an, &alarm); err != nil {
			return nil, fmt.Errorf("audit: read witnessed peers: %w", err)
		}
		w.Note, w.AlarmNote = []byte(n), []byte(an)
		if seen > 0 {
			w.Seen = core.FromMicros(seen)
		}
		if checked > 0 {
			w.Checked = core.FromMicros(checked)
		}
		if alarm > 0 {
			w.AlarmAt = core.FromMicros(alarm)
		}
		if n == "" {
			w.Note = nil
		}
		if an == "" {
			w.AlarmNote = nil
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read witnessed peers: %w", err)
	}
	return out, nil
}

// Witness checks peer's newest checkpoint from src against the newest
// one cosigned here, cosigns it, keeps it and sends it back. It does
// nothing when this office does not witness peer (SetWitnessed). A fork
// or a rollback is recorded as the peer's alarm and returned wrapping
// ErrAlarm; while an alarm stands nothing more is cosigned. Other
// failures (the peer unreachable, a signature that does not verify) are
// recorded as the peer's witness error and returned.
func (w *Witness) Witness(ctx context.Context, peer string, src Source) error {
	st, ok, err := WitnessedPeer(ctx, w.DB, peer)
	if err != nil || !ok {
		return err
	}
	now := w.now()
	if st.Alarm != "" {
		return fmt.Errorf("%w: peer %s: %s (raised %s; nothing is cosigned for it until an operator has looked into it)", ErrAlarm, peer, st.Alarm, st.AlarmAt.Format(time.RFC3339))
	}
	fail := func(err error) error {
		werr := w.record(ctx, peer, `UPDATE audit_witnessed SET checked_us = ?, error = ? WHERE peer = ?`, core.Micros(now), err.Error(), peer)
		return errors.Join(err, werr)
	}
	v, err := note.NewVerifier(st.LogKey)
	if err != nil {
		return fail(fmt.Errorf("witness %s: its audit key is malformed: %w", peer, err))
	}
	msg, err := src.Checkpoint(ctx)
	if err != nil {
		return fail(fmt.Errorf("witness %s: fetch its checkpoint: %w", peer, err))
	}
	c, err := OpenCheckpoint(msg, v)
	if err != nil {
		return fail(fmt.Errorf("witness %s: its checkpoint: %w", peer, err))
	}
	alarm := func(text string) error {
		werr := w.record(ctx, peer, `UPDATE audit_witnessed SET checked_us = ?, error = '', alarm = ?, alarm_note = ?, alarm_us = ? WHERE peer = ?`, core.Micros(now), text, string(msg), core.Micros(now), peer)
		return errors.Join(fmt.Errorf("%w: peer %s: %s", ErrAlarm, peer, text), werr)
	}
	if st.Size > 0 {
		prev, err := OpenCheckpoint(st.Note, v)
		if err != nil {
			return fail(fmt.Errorf("witness %s: the checkpoint cosigned here no longer verifies with its key: %w", peer, err))
		}
		seen := st.Seen.Format(time.RFC3339)
		switch {
		case c.Size < prev.Size:
			return alarm(fmt.Sprintf("rollback: it serves a checkpoint of size %d, but this office cosigned its checkpoint of size %d at %s: entries %d to %d of its audit log were removed", c.Size, prev.Size, seen, c.Size, prev.Size-1))
		case c.Size == prev.Size && c.Root != prev.Root:
			return alarm(fmt.Sprintf("fork: its checkpoint of size %d has another root hash than the one this office cosigned at %s: it shows two histories", c.Size, seen))
		case c.Size > prev.Size:
			proof, err := src.Consistency(ctx, prev.Size, c.Size)
			if err != nil {
				return fail(fmt.Errorf("witness %s: fetch the consistency proof from size %d to %d: %w", peer, prev.Size, c.Size, err))
			}
			if err := tlog.CheckTree(proof, c.Size, c.Root, prev.Size, prev.Root); err != nil {
				return alarm(fmt.Sprintf("fork: its checkpoint of size %d is not consistent with its checkpoint of size %d that this office cosigned at %s: its history was rewritten", c.Size, prev.Size, seen))
			}
		}
	}
	cosigned := st.Note
	if st.Size == 0 || c.Size > st.Size {
		if cosigned, err = w.cosign(msg, v); err != nil {
			return fail(err)
		}
		err := inTx(ctx, w.DB, true, func(tx core.Tx) error {
			if _, err := tx.Exec(`UPDATE audit_witnessed SET size = ?, note = ?, seen_us = ?, checked_us = ?, error = '' WHERE peer = ?`, c.Size, string(cosigned), core.Micros(now), core.Micros(now), peer); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO audit_cosigned (peer, size, at_us, note) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, peer, c.Size, core.Micros(now), string(cosigned))
			return err
		})
		if err != nil {
			return fmt.Errorf("audit: keep the checkpoint of %s cosigned: %w", peer, err)
		}
	}
	if err := src.Cosigned(ctx, w.Key.VerifierKey, cosigned); err != nil {
		return fail(fmt.Errorf("witness %s: hand it the cosigned checkpoint of size %d: %w", peer, c.Size, err))
	}
	return w.record(ctx, peer, `UPDATE audit_witnessed SET checked_us = ?, error = '' WHERE peer = ?`, core.Micros(now), peer)
}

// cosign adds this witness's cosignature to the peer's note, keeping
// only the peer's own signature beside it.
func (w *Witness) cosign(msg []byte, v note.Verifier) ([]byte, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("audit: reopen the checkpoint: %w", err)
	}
	n.UnverifiedSigs = nil
	out, err := note.Sign(n, w.Key.Cosigner())
	if err != nil {
		return nil, fmt.Errorf("audit: cosign the checkpoint: %w", err)
	}
	return out, nil
}

func (w *Witness) record(ctx context.Context, peer, q string, args ...any) error {
	err := inTx(context.WithoutCancel(ctx), w.DB, true, func(tx core.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit: record the witness state of %s: %w", peer, err)
	}
	return nil
}

// AddCosignature keeps a witness's cosignature of one of this office's
// checkpoints (k signs them): msg is the checkpoint as the witness
// cosigned it, peer the name of its grant, witnessKey its cosignature
// public key. The first cosignature of a peer pins its key; another key
// later is ECONFLICT. The cosignature becomes one more signature line of
// the stored note, replacing the same witness's older one.
func AddCosignature(ctx context.Context, db core.DB, k *Key, peer, witnessKey string, msg []byte, now time.Time) error {
	wv, err := NewCosignatureVerifier(witnessKey)
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "%v", err)
	}
	return inTx(ctx, db, true, func(tx core.Tx) error {
		var pinned string
		err := tx.QueryRow(`SELECT key FROM audit_witnesses WHERE peer = ?`, peer).Scan(&pinned)
		switch {
		case errors.Is(err, core.ErrNoRows):
		case err != nil:
			return fmt.Errorf("audit: read the witness key of %s: %w", peer, err)
		case pinned != witnessKey:
			return liaison.Errorf(liaison.ECONFLICT, "peer %s cosigns with the key %s; this cosignature is by %s", peer, pinned, witnessKey)
		}
		n, err := note.Open(msg, note.VerifierList(k.Verifier, wv))
		if err != nil {
			return liaison.Errorf(liaison.EINVALID, "the cosigned checkpoint does not verify with this office's key and the witness key %s: %v", wv.Name(), err)
		}
		var own, theirs *note.Signature
		for i, s := range n.Sigs {
			switch {
			case s.Name == k.Verifier.Name() && s.Hash == k.Verifier.KeyHash():
				own = &n.Sigs[i]
			case s.Name == wv.Name() && s.Hash == wv.KeyHash():
				theirs = &n.Sigs[i]
			}
		}
		if own == nil || theirs == nil {
			return liaison.Errorf(liaison.EINVALID, "the cosigned checkpoint needs this office's signature and the cosignature of %s", wv.Name())
		}
		_, size, _, err := parseBody(n.Text)
		if err != nil {
			return liaison.Errorf(liaison.EINVALID, "the cosigned checkpoint: %v", err)
		}
		if pinned == "" {
			if _, err := tx.Exec(`INSERT INTO audit_witnesses (peer, key) VALUES (?, ?)`, peer, witnessKey); err != nil {
				return fmt.Errorf("audit: pin the witness key of %s: %w", peer, err)
			}
		}
		var stored string
		err = tx.QueryRow(`SELECT note FROM audit_checkpoints WHERE size = ?`, size).Scan(&stored)
		if errors.Is(err, core.ErrNoRows) {
			return liaison.Errorf(liaison.ENOTFOUND, "this office signed no checkpoint of size %d", size)
		}
		if err != nil {
			return fmt.Errorf("audit: read the checkpoint of size %d: %w", size, err)
		}
		sn, err := note.Open([]byte(stored), note.VerifierList(k.Verifier))
		if err != nil {
			return fmt.Errorf("audit: the stored checkpoint of size %d: %w", size, err)
		}
		if sn.Text != n.Text {
			return liaison.Errorf(liaison.EINVALID, "the cosigned checkpoint of size %d is not the one this office signed", size)
		}
		var keep []note.Signature
		for _, s := range sn.UnverifiedSigs {
			if s.Name != wv.Name() || s.Hash != wv.KeyHash() {
				keep = append(keep, s)
			}
		}
		sn.UnverifiedSigs = append(keep, *theirs)
		out, err := note.Sign(sn)
		if err != nil {
			return fmt.Errorf("audit: add the cosignature: %w", err)
		}
		if string(out) != stored {
			if _, err := tx.Exec(`UPDATE audit_checkpoints SET note = ? WHERE size = ?`, string(out), size); err != nil {
				return fmt.Errorf("audit: store the cosigned checkpoint of size %d: %w", size, err)
			}
		}
		if _, err := tx.Exec(`UPDATE audit_witnesses SET last_size = ?, last_us = ? WHERE peer = ? AND last_size <= ?`, size, core.Micros(now), peer, size); err != nil {
			return fmt.Errorf("audit: note the cosignature of %s: %w", peer, err)
		}
		return nil
	})
}

// TreeConsistency proves the tree of size old a prefix of the tree of
// size new, for a witness: new must be a signed checkpoint's size, old
// at most new.
func TreeConsistency(ctx context.Context, db core.DB, old, new int64) (tlog.TreeProof, error) {
	if old < 0 || old > new {
		return nil, liaison.Errorf(liaison.EINVALID, "old size %d is not between 0 and the new size %d", old, new)
	}
	var p tlog.TreeProof
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		var one int
		err := tx.QueryRow(`SELECT 1 FROM audit_checkpoints WHERE size = ?`, new).Scan(&one)
		if errors.Is(err, core.ErrNoRows) {
			return liaison.Errorf(liaison.ENOTFOUND, "this office signed no checkpoint of size %d", new)
		}
		if err != nil {
			return fmt.Errorf("audit: read the checkpoint of size %d: %w", new, err)
		}
		if old == 0 || old == new {
			return nil
		}
		p, err = tlog.ProveTree(new, old, hashReader{tx: tx})
		if err != nil {
			return fmt.Errorf("audit: prove %d consistent with %d: %w", new, old, err)
		}
		return nil
	})
	return p, err
}

// Witnesses are the peers that cosign this office's checkpoints, with
// their pinned keys and the newest size each cosigned.
type WitnessOf struct {
	Peer     string
	Key      string
	LastSize int64
	Last     time.Time
}

// WitnessesOf returns the witnesses of this office's log, by name.
func WitnessesOf(ctx context.Context, db core.DB) ([]WitnessOf, error) {
	var out []WitnessOf
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		rows, err := tx.Query(`SELECT peer, key, last_size, last_us FROM audit_witnesses ORDER BY peer`)
		if err != nil {
			return fmt.Errorf("audit: read witnesses: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var w WitnessOf
			var us int64
			if err := rows.Scan(&w.Peer, &w.Key, &w.LastSize, &us); err != nil {
				return fmt.Errorf("audit: read witnesses: %w", err)
			}
			if us > 0 {
				w.Last = core.FromMicros(us)
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// cosignersOf are the verifiers of the pinned witness keys.
func cosignersOf(tx core.Tx) ([]note.Verifier, map[string]string, error) {
	rows, err := tx.Query(`SELECT peer, key FROM audit_witnesses ORDER BY peer`)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: read witnesses: %w", err)
	}
	defer rows.Close()
	var vs []note.Verifier
	names := map[string]string{}
	for rows.Next() {
		var peer, key string
		if err := rows.Scan(&peer, &key); err != nil {
			return nil, nil, fmt.Errorf("audit: read witnesses: %w", err)
		}
		v, err := NewCosignatureVerifier(key)
		if err != nil {
			return nil, nil, fmt.Errorf("audit: witness %s: %w", peer, err)
		}
		vs = append(vs, v)
		names[v.Name()] = peer
	}
	return vs, names, rows.Err()
}

// PeerLog is this office's audit log as the peer endpoint serves it to
// the peers that witness it (federation.AuditLog).
type PeerLog struct {
	DB  core.DB
	Key *Key
	Now func() time.Time // nil: time.Now
}

// Checkpoint is the newest signed checkpoint, with the cosignatures it
// has gathered.
func (l PeerLog) Checkpoint(ctx context.Context) ([]byte, error) {
	c, err := Latest(ctx, l.DB)
	if err != nil {
		return nil, err
	}
	return c.Note, nil
}

// Consistency proves the tree of size old a prefix of the checkpoint of
// size new.
func (l PeerLog) Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	return TreeConsistency(ctx, l.DB, old, new)
}

// AddCosignature keeps a witness's cosignature.
func (l PeerLog) AddCosignature(ctx context.Context, peer, witnessKey string, msg []byte) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return AddCosignature(ctx, l.DB, l.Key, peer, witnessKey, msg, now().UTC())
}
