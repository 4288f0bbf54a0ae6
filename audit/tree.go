package audit

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"liaison/core"
)

// hashReader reads the tree's stored hashes from tx, and first from the
// hashes of the batch being appended (pending), which tx has not been
// given yet.
type hashReader struct {
	tx      core.Tx
	pending map[int64]tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if h, ok := r.pending[x]; ok {
			out[i] = h
			continue
		}
		missing = append(missing, x)
	}
	if len(missing) == 0 {
		return out, nil
	}
	found := make(map[int64]tlog.Hash, len(missing))
	rows, err := r.tx.Query(`SELECT idx, hash FROM audit_hashes WHERE idx IN (SELECT value FROM json_each(?))`, core.Int64s(missing))
	if err != nil {
		return nil, fmt.Errorf("read tree hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x int64
		var b []byte
		if err := rows.Scan(&x, &b); err != nil {
			return nil, fmt.Errorf("read tree hashes: %w", err)
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("tree hash %d is %d bytes, not %d", x, len(b), tlog.HashSize)
		}
		found[x] = tlog.Hash(b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tree hashes: %w", err)
	}
	for i, x := range indexes {
		if _, ok := r.pending[x]; ok {
			continue
		}
		h, ok := found[x]
		if !ok {
			return nil, fmt.Errorf("tree hash %d is missing from the store", x)
		}
		out[i] = h
	}
	return out, nil
}

// headSize locks the tree's head row (every appender, in every process,
// updates it first, so appends are serial on both engines) and returns
// the tree size.
func lockHead(tx core.Tx) (int64, error) {
	if _, err := tx.Exec(`UPDATE audit_head SET size = size WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("lock the audit head: %w", err)
	}
	return headSize(tx)
}

// headSize is the tree size the store records.
func headSize(tx core.Tx) (int64, error) {
	var n int64
	err := tx.QueryRow(`SELECT size FROM audit_head WHERE id = 1`).Scan(&n)
	if errors.Is(err, core.ErrNoRows) {
		return 0, errors.New("the audit head row is missing")
	}
	if err != nil {
		return 0, fmt.Errorf("read the audit head: %w", err)
	}
	return n, nil
}

// readCost is what the read entries of a batch cost: how many, their
// leaves' bytes, the versions (refs) they name and their index rows.
type readCost struct{ entries, bytes, refs, keys int64 }

// appendEntries appends the entries as leaves in one transaction: their
// rows, their object refs, the tree's new hashes and the new size. It
// sets each entry's Index and returns the new tree size, adding to rc
// (when not nil) the cost of the read entries.
func appendEntries(tx core.Tx, entries []Entry, rc *readCost) (int64, error) {
	n, err := lockHead(tx)
	if err != nil {
		return 0, err
	}
	r := hashReader{tx: tx, pending: map[int64]tlog.Hash{}}
	var hashRows, entryRows, refRows [][]any
	for i := range entries {
		e := &entries[i]
		e.Index = n
		data, err := e.Encode()
		if err != nil {
			return 0, err
		}
		if rc != nil && e.Action == ActionRead {
			rc.entries++
			rc.bytes += int64(len(data))
			rc.refs += int64(len(e.Refs) + e.Count())
		}
		hs, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(data), r)
		if err != nil {
			return 0, fmt.Errorf("hash audit entry %d: %w", n, err)
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			r.pending[base+int64(j)] = h
			hashRows = append(hashRows, []any{base + int64(j), h[:]})
		}
		entryRows = append(entryRows, []any{n, core.Micros(e.Time), e.Principal, e.Org, e.Action, e.Path, data})
		keys := e.ObjectKeys()
		for _, k := range keys {
			refRows = append(refRows, []any{k, n})
		}
		if rc != nil && e.Action == ActionRead {
			rc.keys += int64(len(keys))
		}
		n++
	}
	if err := insertRows(tx, `INSERT INTO audit_hashes (idx, hash) VALUES `, hashRows); err != nil {
		return 0, fmt.Errorf("store tree hashes: %w", err)
	}
	if err := insertRows(tx, `INSERT INTO audit_entries (idx, at_us, principal, org, action, path, data) VALUES `, entryRows); err != nil {
		return 0, fmt.Errorf("store audit entries: %w", err)
	}
	if err := insertRows(tx, `INSERT INTO audit_refs (object_key, idx) VALUES `, refRows); err != nil {
		return 0, fmt.Errorf("store the refs of audit entries: %w", err)
	}
	if _, err := tx.Exec(`UPDATE audit_head SET size = ? WHERE id = 1`, n); err != nil {
		return 0, fmt.Errorf("advance the audit head: %w", err)
	}
	return n, nil
}

// maxArgs bounds the arguments of one statement, under SQLite's 32766
// and PostgreSQL's 65535.
const maxArgs = 6000

// insertRows inserts rows of equal width with multi-row VALUES
// statements, as few as the argument bound allows: one round trip for
// many rows on PostgreSQL.
func insertRows(tx core.Tx, prefix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := max(1, maxArgs/width)
	tuple := "(?" + strings.Repeat(", ?", width-1) + ")"
	for len(rows) > 0 {
		// A power of two rows a statement: few distinct statements for
		// the engines to prepare and cache.
		k := 1
		for k*2 <= min(per, len(rows)) {
			k *= 2
		}
		var q strings.Builder
		q.WriteString(prefix)
		args := make([]any, 0, k*width)
		for i, row := range rows[:k] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, row...)
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			return err
		}
		rows = rows[k:]
	}
	return nil
}
