package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"liaison"
	"liaison/core"
	"liaison/stix"
)

// Filter selects entries. Empty fields select everything.
type Filter struct {
	Principal string
	Org       string
	Object    string // an object id (or "consultation/12"): entries that name it
	Action    string
	Since     time.Time // entries at or after
	After     int64     // entries with an index above this; -1 for all
	Limit     int       // 0: no limit
	// Resolve names each version an entry's Served names in its Refs as
	// well (id and version, from the versions table and audit_gone),
	// in date_added order; with Object, only that object's are named.
	Resolve bool
}

// entriesChunk is how many leaves Entries reads a query: the rows are
// read and closed before their entries are resolved (a connection of
// PostgreSQL runs one query at a time) and handed on.
const entriesChunk = 256

// Entries calls fn with the entries f selects, oldest first, read from
// one snapshot. The entries are decoded from their leaves, not from the
// columns that index them.
func Entries(ctx context.Context, db core.DB, f Filter, fn func(Entry) error) error {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Object != "" {
		// The entries the index lists under the object's id (refs) or
		// under a bucket of one of its instances (served); each is
		// checked against its leaf below.
		add(`e.idx IN (SELECT idx FROM audit_refs WHERE object_key IN (SELECT value FROM json_each(?)))`, nil)
	}
	if f.Principal != "" {
		add(`e.principal = ?`, f.Principal)
	}
	if f.Org != "" {
		add(`e.org = ?`, f.Org)
	}
	if f.Action != "" {
		add(`e.action = ?`, f.Action)
	}
	if !f.Since.IsZero() {
		add(`e.at_us >= ?`, core.Micros(f.Since))
	}
	add(`e.idx > ?`, nil) // the cursor, from f.After
	q := `SELECT e.idx, e.data FROM audit_entries e WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY e.idx LIMIT ?`
	args = append(args, nil)
	return inTx(ctx, db, false, func(tx core.Tx) error {
		var insts []Instance
		if f.Object != "" {
			var err error
			if insts, err = instancesOf(tx, f.Object); err != nil {
				return err
			}
			keys := []int64{ObjectKey(f.Object)}
			for _, in := range insts {
				keys = append(keys, ServedKey(in.Collection, in.Added))
			}
			args[0] = core.Int64s(keys)
		}
		cursor := max(f.After, -1)
		n := 0 // entries handed to fn
		for {
			// With an object, an entry the index lists may name none of
			// it (a bucket shared with other versions): the limit counts
			// what is handed on, not the rows read.
			chunk := entriesChunk
			if f.Limit > 0 && f.Object == "" {
				chunk = min(chunk, f.Limit-n)
			}
			if chunk <= 0 {
				return nil
			}
			args[len(args)-2], args[len(args)-1] = cursor, chunk
			stored, err := readLeaves(tx, q, args)
			if err != nil {
				return err
			}
			for _, se := range stored {
				cursor = se.idx
				e, err := Decode(se.idx, se.data)
				if err != nil {
					return err
				}
				if f.Object != "" {
					refs := servedRefs(e, f.Object, insts)
					if len(refs) == 0 && !e.Names(f.Object) {
						continue // another id or bucket with the same key
					}
					e.Refs = append(e.Refs, refs...)
				} else if f.Resolve && len(e.Served) > 0 {
					refs, err := resolveServed(tx, e.Served)
					if err != nil {
						return fmt.Errorf("audit: entry %d: %w", se.idx, err)
					}
					e.Refs = append(e.Refs, refs...)
				}
				if f.Limit > 0 && n == f.Limit {
					return nil
				}
				n++
				if err := fn(e); err != nil {
					return err
				}
			}
			if len(stored) < chunk {
				return nil
			}
		}
	})
}

type leaf struct {
	idx  int64
	data []byte
}

// readLeaves reads the (idx, data) rows of q whole, and closes them.
func readLeaves(tx core.Tx, q string, args []any) ([]leaf, error) {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: read entries: %w", err)
	}
	defer rows.Close()
	var out []leaf
	for rows.Next() {
		var l leaf
		if err := rows.Scan(&l.idx, &l.data); err != nil {
			return nil, fmt.Errorf("audit: read entries: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read entries: %w", err)
	}
	return out, nil
}

// instancesOf are the instances of object id: those stored, and those
// deleted since (audit_gone, which a trigger on versions fills).
func instancesOf(tx core.Tx, id string) ([]Instance, error) {
	rows, err := tx.Query(`SELECT collection, date_added_us, version_us FROM versions WHERE idk = ? AND id = ?
		UNION SELECT collection, date_added_us, version_us FROM audit_gone WHERE id = ?`, stix.IDKey(id), id, id)
	if err != nil {
		return nil, fmt.Errorf("audit: read the instances of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Instance
	for rows.Next() {
		var in Instance
		var ver int64
		if err := rows.Scan(&in.Collection, &in.Added, &ver); err != nil {
			return nil, fmt.Errorf("audit: read the instances of %s: %w", id, err)
		}
		in.Version = core.FromMicros(ver)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read the instances of %s: %w", id, err)
	}
	return out, nil
}

// resolveServed names each instance of ss by its id and version, in
// date_added order within each collection. An instance found in neither
// versions nor audit_gone (deleted before audit_gone existed) is named
// by the collection and date_added alone, with the note "unresolved".
func resolveServed(tx core.Tx, ss []Served) ([]Ref, error) {
	var out []Ref
	for _, s := range ss {
		ts, err := s.Times()
		if err != nil {
			return nil, err
		}
		found := make(map[int64]Ref, len(ts))
		rows, err := tx.Query(`SELECT date_added_us, id, version_us FROM versions WHERE collection = ? AND date_added_us IN (SELECT value FROM json_each(?))
			UNION ALL SELECT date_added_us, id, version_us FROM audit_gone WHERE collection = ? AND date_added_us IN (SELECT value FROM json_each(?))`,
			s.Collection, core.Int64s(ts), s.Collection, core.Int64s(ts))
		if err != nil {
			return nil, fmt.Errorf("resolve the versions served from %s: %w", s.Collection, err)
		}
		for rows.Next() {
			var at, ver int64
			var id string
			if err := rows.Scan(&at, &id, &ver); err != nil {
				rows.Close()
				return nil, fmt.Errorf("resolve the versions served from %s: %w", s.Collection, err)
			}
			found[at] = Ref{ID: id, Version: stamp(core.FromMicros(ver))}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("resolve the versions served from %s: %w", s.Collection, err)
		}
		for _, at := range ts {
			r, ok := found[at]
			if !ok {
				r = Ref{ID: "version/" + s.Collection + "/" + stamp(core.FromMicros(at)), Note: "unresolved"}
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// servedRefs are refs to the instances of id (insts) that e's Served
// names: exactly those served, resolved to the id and its version.
func servedRefs(e Entry, id string, insts []Instance) []Ref {
	var out []Ref
	for _, s := range e.Served {
		ts, err := s.Times()
		if err != nil {
			continue // Decode refused it already
		}
		for _, in := range insts {
			if in.Collection != s.Collection {
				continue
			}
			if _, ok := slices.BinarySearch(ts, in.Added); ok {
				out = append(out, Ref{ID: id, Version: stamp(in.Version)})
			}
		}
	}
	return out
}

// Latest is the newest stored checkpoint. ENOTFOUND when there is none
// yet. Its signature is not checked here: a reader checks it with the
// office's key.
func Latest(ctx context.Context, db core.DB) (Checkpoint, error) {
	var c *Checkpoint
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		var err error
		c, err = latestCheckpoint(tx)
		return err
	})
	if err != nil {
		return Checkpoint{}, err
	}
	if c == nil {
		return Checkpoint{}, liaison.Errorf(liaison.ENOTFOUND, "no audit checkpoint has been signed yet")
	}
	return *c, nil
}

// CheckpointAt is the stored checkpoint of tree size size. ENOTFOUND when
// none was signed at that size.
func CheckpointAt(ctx context.Context, db core.DB, size int64) (Checkpoint, error) {
	var cs []Checkpoint
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		var err error
		cs, err = checkpoints(tx, fmt.Sprintf(`WHERE size = %d`, size))
		return err
	})
	if err != nil {
		return Checkpoint{}, err
	}
	if len(cs) == 0 {
		return Checkpoint{}, liaison.Errorf(liaison.ENOTFOUND, "no checkpoint was signed at tree size %d", size)
	}
	return cs[0], nil
}

// Inclusion is an inclusion proof of one entry in a checkpoint's tree.
type Inclusion struct {
	Entry      int64
	LeafHash   tlog.Hash // RFC 6962 leaf hash of the entry's data
	Data       []byte
	Checkpoint Checkpoint
	Proof      tlog.RecordProof
}

// ProveEntry proves entry i in the tree of the checkpoint of size size
// (0: the newest checkpoint), from the stored hashes. EINVALID when the
// entry is not under that checkpoint.
func ProveEntry(ctx context.Context, db core.DB, i, size int64) (Inclusion, error) {
	var p Inclusion
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		c, err := pickCheckpoint(tx, size)
		if err != nil {
			return err
		}
		if i < 0 || i >= c.Size {
			return liaison.Errorf(liaison.EINVALID, "entry %d is not under the checkpoint of size %d (entries 0 to %d)", i, c.Size, c.Size-1)
		}
		if err := tx.QueryRow(`SELECT data FROM audit_entries WHERE idx = ?`, i).Scan(&p.Data); err != nil {
			if errors.Is(err, core.ErrNoRows) {
				return liaison.Errorf(liaison.ENOTFOUND, "entry %d is not in the store", i)
			}
			return fmt.Errorf("audit: read entry %d: %w", i, err)
		}
		p.Proof, err = tlog.ProveRecord(c.Size, i, hashReader{tx: tx})
		if err != nil {
			return fmt.Errorf("audit: prove entry %d in size %d: %w", i, c.Size, err)
		}
		p.Entry, p.LeafHash, p.Checkpoint = i, tlog.RecordHash(p.Data), *c
		return nil
	})
	return p, err
}

// Consistency is a consistency proof between two checkpoints.
type Consistency struct {
	Old, New Checkpoint
	Proof    tlog.TreeProof
}

// ProveConsistency proves the checkpoint of size oldSize a prefix of the
// one of size newSize, from the stored hashes.
func ProveConsistency(ctx context.Context, db core.DB, oldSize, newSize int64) (Consistency, error) {
	var c Consistency
	if oldSize > newSize {
		return c, liaison.Errorf(liaison.EINVALID, "the old checkpoint's size %d is above the new one's %d", oldSize, newSize)
	}
	err := inTx(ctx, db, false, func(tx core.Tx) error {
		o, err := pickCheckpoint(tx, oldSize)
		if err != nil {
			return err
		}
		n, err := pickCheckpoint(tx, newSize)
		if err != nil {
			return err
		}
		c.Old, c.New = *o, *n
		c.Proof, err = tlog.ProveTree(n.Size, o.Size, hashReader{tx: tx})
		if err != nil {
			return fmt.Errorf("audit: prove %d consistent with %d: %w", n.Size, o.Size, err)
		}
		return nil
	})
	return c, err
}

func pickCheckpoint(tx core.Tx, size int64) (*Checkpoint, error) {
	if size <= 0 {
		c, err := latestCheckpoint(tx)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, liaison.Errorf(liaison.ENOTFOUND, "no audit checkpoint has been signed yet")
		}
		return c, nil
	}
	cs, err := checkpoints(tx, fmt.Sprintf(`WHERE size = %d`, size))
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, liaison.Errorf(liaison.ENOTFOUND, "no checkpoint was signed at tree size %d", size)
	}
	return &cs[0], nil
}
