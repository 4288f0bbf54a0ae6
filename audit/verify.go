package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"liaison/core"
)

// Problem is one thing audit verify found wrong. Entry is the first
// entry it concerns (-1: none), Checkpoint the size of the checkpoint it
// concerns (-1: none).
type Problem struct {
	Entry      int64
	Checkpoint int64
	Message    string
}

func (p Problem) String() string { return p.Message }

// Report is what Verify found.
type Report struct {
	Entries     int64       // entries in the store
	Head        int64       // the tree size the store records
	Checkpoints int         // checkpoints checked
	Latest      *Checkpoint // the newest checkpoint whose signature verified
	Problems    []Problem   // in the order found: entries first, then checkpoints
	Unsigned    int64       // entries after the newest checkpoint, not yet signed
}

// OK reports whether nothing failed.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the problems one verify reports.
const maxProblems = 50

// verifyChunk is how many entries Verify reads a statement.
const verifyChunk = 256

// Verify checks, in one snapshot of the store, every entry against the
// tree: each leaf's hash and every tree hash stored above it are
// recomputed from the leaves alone and compared with the stored ones; the
// columns and refs that index an entry must agree with its leaf; the
// entries must be numbered 0, 1, … with none missing, as many as the
// head says. Then every stored checkpoint's signature is checked with v,
// its root hash against the tree recomputed from the leaves, and its
// consistency with the next checkpoint by a consistency proof, and the
// cosignatures of the witnesses whose keys are pinned. Each of witnessed
// is a checkpoint a witness cosigned (as `liaison peer checkpoint` prints
// it at the witness): its root must be that of the entries as stored, so
// truncating the newest entries together with their checkpoints shows.
// It returns an error only when the store cannot be read.
func Verify(ctx context.Context, db core.DB, v note.Verifier, witnessed ...[]byte) (Report, error) {
	var rep Report
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		rep = Report{}
		return verifyTx(ctx, tx, v, witnessed, &rep)
	})
	return rep, err
}

func (r *Report) fail(entry, checkpoint int64, format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, Problem{Entry: entry, Checkpoint: checkpoint, Message: fmt.Sprintf(format, args...)})
	}
}

type storedEntry struct {
	idx                          int64
	at                           int64
	principal, org, action, path string
	data                         []byte
}

func verifyTx(ctx context.Context, tx core.Tx, v note.Verifier, witnessed [][]byte, rep *Report) error {
	head, err := headSize(tx)
	if err != nil {
		return err
	}
	rep.Head = head
	var mem []tlog.Hash // every tree hash, recomputed from the leaves
	memReader := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			if x < 0 || x >= int64(len(mem)) {
				return nil, fmt.Errorf("tree hash %d is beyond the entries", x)
			}
			out[i] = mem[x]
		}
		return out, nil
	})
	// broken is set once the numbering breaks: the tree cannot be
	// recomputed past it.
	broken := false
	next := int64(0)
	named := int64(0) // refs the leaves name, distinct by entry
	for !broken {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk, err := readEntries(tx, next, verifyChunk)
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			break
		}
		var keys []int64
		for _, se := range chunk {
			if e, err := Decode(se.idx, se.data); err == nil {
				keys = append(keys, e.ObjectKeys()...)
			}
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		refs, err := readRefs(tx, keys, next, chunk[len(chunk)-1].idx+1)
		if err != nil {
			return err
		}
		first := next
		for _, se := range chunk {
			if se.idx != next {
				rep.fail(next, -1, "entry %d is missing: the next entry stored is %d", next, se.idx)
				broken = true
				break
			}
			named += checkEntry(se, refs[se.idx], rep)
			hs, err := tlog.StoredHashes(next, se.data, memReader)
			if err != nil {
				return fmt.Errorf("audit verify: hash entry %d: %w", next, err)
			}
			mem = append(mem, hs...)
			next++
		}
		if err := compareHashes(tx, first, next, mem, rep); err != nil {
			return err
		}
	}
	rep.Entries = next
	// A ref row that no leaf names (the loop above sees only those the
	// leaves name) shows in the count.
	var refRows int64
	if err := tx.QueryRow(`SELECT COUNT(*) FROM audit_refs`).Scan(&refRows); err != nil {
		return fmt.Errorf("audit verify: count refs: %w", err)
	}
	if !broken && refRows != named {
		var first int64 = -1
		if refRows > named {
			_ = tx.QueryRow(`SELECT MIN(idx) FROM audit_refs WHERE idx >= ?`, next).Scan(&first)
		}
		rep.fail(first, -1, "the object refs index holds %d rows but the entries name %d objects: rows were added to it", refRows, named)
	}
	if !broken && head != next {
		rep.fail(min(head, next), -1, "the head records %d entries but the store holds %d: entries from %d on are %s", head, next, min(head, next), map[bool]string{true: "missing", false: "not in the tree"}[head > next])
	}
	if err := verifyCheckpoints(tx, v, next, memReader, rep); err != nil {
		return err
	}
	return verifyWitnessed(v, witnessed, next, memReader, rep)
}

// verifyWitnessed checks checkpoints that witnesses cosigned against the
// tree recomputed from the n entries stored.
func verifyWitnessed(v note.Verifier, witnessed [][]byte, n int64, r tlog.HashReader, rep *Report) error {
	for i, msg := range witnessed {
		c, err := OpenCheckpoint(msg, v)
		if err != nil {
			rep.fail(-1, -1, "witnessed checkpoint %d: %v", i+1, err)
			continue
		}
		by := "a witness"
		if nn, err := note.Open(msg, note.VerifierList(v)); err == nil && len(nn.UnverifiedSigs) > 0 {
			var names []string
			for _, s := range nn.UnverifiedSigs {
				when := ""
				if t, err := CosignatureTime(s.Base64); err == nil {
					when = " at " + t.Format("2006-01-02T15:04:05Z")
				}
				names = append(names, s.Name+when)
			}
			by = strings.Join(names, ", ")
		}
		if c.Size > n {
			rep.fail(n, c.Size, "the checkpoint of size %d cosigned by %s is not covered: the store holds only %d entries: entries %d to %d were deleted", c.Size, by, n, n, c.Size-1)
			continue
		}
		root, err := tlog.TreeHash(c.Size, r)
		if err != nil {
			return fmt.Errorf("audit verify: root at size %d: %w", c.Size, err)
		}
		if root != c.Root {
			rep.fail(0, c.Size, "the checkpoint of size %d cosigned by %s has another root hash than the entries as stored: entries before %d were changed, inserted or deleted", c.Size, by, c.Size)
		}
	}
	return nil
}

// checkEntry checks an entry's index columns and refs against its leaf,
// and returns how many objects the leaf names.
func checkEntry(se storedEntry, refs []int64, rep *Report) int64 {
	e, err := Decode(se.idx, se.data)
	if err != nil {
		rep.fail(se.idx, -1, "entry %d: its leaf does not parse: %v", se.idx, err)
		return 0
	}
	var bad []string
	if core.Micros(e.Time) != se.at {
		bad = append(bad, "time")
	}
	if e.Principal != se.principal {
		bad = append(bad, "principal")
	}
	if e.Org != se.org {
		bad = append(bad, "organisation")
	}
	if e.Action != se.action {
		bad = append(bad, "action")
	}
	if e.Path != se.path {
		bad = append(bad, "path")
	}
	want := e.ObjectKeys()
	if !slices.Equal(want, refs) {
		bad = append(bad, "object refs")
	}
	if len(bad) > 0 {
		rep.fail(se.idx, -1, "entry %d: its %s in the index disagree with its leaf", se.idx, strings.Join(bad, ", "))
	}
	return int64(len(want))
}

// compareHashes compares the stored tree hashes of entries [a, b) with
// the recomputed ones.
func compareHashes(tx core.Tx, a, b int64, mem []tlog.Hash, rep *Report) error {
	lo, hi := tlog.StoredHashIndex(0, a), tlog.StoredHashIndex(0, b)
	rows, err := tx.Query(`SELECT idx, hash FROM audit_hashes WHERE idx >= ? AND idx < ? ORDER BY idx`, lo, hi)
	if err != nil {
		return fmt.Errorf("audit verify: read tree hashes: %w", err)
	}
	defer rows.Close()
	want := lo
	report := func(x int64, what string) {
		level, n := tlog.SplitStoredHashIndex(x)
		first, last := n<<level, (n+1)<<level-1
		if level == 0 {
			rep.fail(first, -1, "entry %d: %s", first, strings.ReplaceAll(what, "HASH", "its leaf hash"))
			return
		}
		rep.fail(first, -1, "entries %d to %d: %s", first, last, strings.ReplaceAll(what, "HASH", fmt.Sprintf("the hash of their subtree (level %d)", level)))
	}
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return fmt.Errorf("audit verify: read tree hashes: %w", err)
		}
		for ; want < x; want++ {
			report(want, "HASH is missing from the store")
		}
		if !bytes.Equal(h, mem[x][:]) {
			report(x, "HASH in the store is not the hash of the entries as stored (an entry or a stored hash was changed)")
		}
		want = x + 1
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit verify: read tree hashes: %w", err)
	}
	for ; want < hi; want++ {
		report(want, "HASH is missing from the store")
	}
	return nil
}

func readEntries(tx core.Tx, from int64, n int) ([]storedEntry, error) {
	rows, err := tx.Query(`SELECT idx, at_us, principal, org, action, path, data FROM audit_entries WHERE idx >= ? ORDER BY idx LIMIT ?`, from, n)
	if err != nil {
		return nil, fmt.Errorf("audit: read entries: %w", err)
	}
	defer rows.Close()
	var out []storedEntry
	for rows.Next() {
		var se storedEntry
		if err := rows.Scan(&se.idx, &se.at, &se.principal, &se.org, &se.action, &se.path, &se.data); err != nil {
			return nil, fmt.Errorf("audit: read entries: %w", err)
		}
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read entries: %w", err)
	}
	return out, nil
}

// readRefs are the object keys the refs index holds for entries [a, b)
// among keys (those the entries' leaves name), sorted, by entry. It
// seeks the index by key, its primary key's first column.
func readRefs(tx core.Tx, keys []int64, a, b int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := tx.Query(`SELECT idx, object_key FROM audit_refs WHERE object_key IN (SELECT value FROM json_each(?)) AND idx >= ? AND idx < ?`, core.Int64s(keys), a, b)
	if err != nil {
		return nil, fmt.Errorf("audit: read refs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x, k int64
		if err := rows.Scan(&x, &k); err != nil {
			return nil, fmt.Errorf("audit: read refs: %w", err)
		}
		out[x] = append(out[x], k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read refs: %w", err)
	}
	for _, ks := range out {
		slices.Sort(ks)
	}
	return out, nil
}

// verifyCheckpoints checks every stored checkpoint, oldest first: its
// signature, its root against the tree of the first size entries as
// recomputed (n of them exist), and its consistency with the next.
func verifyCheckpoints(tx core.Tx, v note.Verifier, n int64, r tlog.HashReader, rep *Report) error {
	rows, err := tx.Query(`SELECT size, signed_us, note FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return fmt.Errorf("audit verify: read checkpoints: %w", err)
	}
	type stored struct {
		size, signed int64
		note         string
	}
	var all []stored
	for rows.Next() {
		var s stored
		if err := rows.Scan(&s.size, &s.signed, &s.note); err != nil {
			rows.Close()
			return fmt.Errorf("audit verify: read checkpoints: %w", err)
		}
		all = append(all, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit verify: read checkpoints: %w", err)
	}
	cosigners, names, err := cosignersOf(tx)
	if err != nil {
		return err
	}
	known := note.VerifierList(append([]note.Verifier{v}, cosigners...)...)
	var prev *Checkpoint
	goodSize := int64(0) // the largest size whose root matched the entries
	for _, s := range all {
		rep.Checkpoints++
		c, err := OpenCheckpoint([]byte(s.note), v)
		if err != nil {
			rep.fail(-1, s.size, "checkpoint of size %d: %v", s.size, err)
			continue
		}
		if _, err := note.Open([]byte(s.note), known); err != nil {
			var bad *note.InvalidSignatureError
			who := ""
			if errors.As(err, &bad) {
				who = " of witness " + names[bad.Name] + " (" + bad.Name + ")"
			}
			rep.fail(-1, s.size, "checkpoint of size %d: a cosignature%s does not verify: %v", s.size, who, err)
		}
		if c.Size != s.size {
			rep.fail(-1, s.size, "checkpoint stored at size %d is signed for size %d", s.size, c.Size)
			continue
		}
		c.Signed = core.FromMicros(s.signed)
		rep.Latest = &c
		if c.Size > n {
			rep.fail(n, c.Size, "checkpoint of size %d: the store holds only %d entries: entries %d to %d were deleted", c.Size, n, n, c.Size-1)
			continue
		}
		root, err := tlog.TreeHash(c.Size, r)
		if err != nil {
			return fmt.Errorf("audit verify: root at size %d: %w", c.Size, err)
		}
		if root != c.Root {
			rep.fail(goodSize, c.Size, "checkpoint of size %d: its root hash is not that of the entries as stored: an entry from %d to %d was changed, inserted or deleted", c.Size, goodSize, c.Size-1)
			continue
		}
		goodSize = c.Size
		if prev != nil {
			proof, err := tlog.ProveTree(c.Size, prev.Size, r)
			if err != nil {
				return fmt.Errorf("audit verify: prove %d consistent with %d: %w", c.Size, prev.Size, err)
			}
			if err := tlog.CheckTree(proof, c.Size, c.Root, prev.Size, prev.Root); err != nil {
				rep.fail(prev.Size, c.Size, "checkpoint of size %d is not consistent with the checkpoint of size %d: %v", c.Size, prev.Size, err)
			}
		}
		cc := c
		prev = &cc
	}
	if rep.Latest != nil && rep.Latest.Size <= n {
		rep.Unsigned = n - rep.Latest.Size
	} else if rep.Latest == nil {
		rep.Unsigned = n
	}
	return nil
}
