package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"liaison"
)

// chunk is how many values one set-based statement binds.
const chunk = 500

// Write is the state of one write transaction: the directory it computes
// audiences against, and caches that join the office's only once the
// transaction commits (Committed).
type Write struct {
	o *Office
	// ctx is the caller's context: long work checks it between steps.
	ctx context.Context
	tx  Tx
	dir *liaison.Directory
	now time.Time

	newAudKey  map[string]int64
	newAudID   map[int64]liaison.Audience
	newMarking map[string]liaison.Marking
	batchMarks map[string]liaison.Marking // carried in the batch being written
	labels     map[string]labelRef
	collRead   map[string]liaison.Audience
	collRow    map[string]liaison.Collection
	// indicators are the indicator instances written, for the matcher's
	// index once the write has committed.
	indicators []VersionRow
	// search holds the search documents of the versions inserted, until
	// flushSearch writes them all at once before the commit (or before a
	// version is deleted, so its document cascades with it).
	search []SearchDoc
	// carry, when set, makes AddObjects write what a peer served
	// (ARCHITECTURE.md, "Federation").
	carry *carry
}

// carry is what a version brings from a peer: the serving office's
// audience as a key (liaison.Audience.Key) and the peer's name.
type carry struct {
	audience string
	via      string
}

// localLabel is the carried value of a label written here: nothing
// carried, nothing to intersect with.
const localLabel = "*"

type labelRef struct {
	id       int64
	audience int64
}

func (o *Office) newWrite(ctx context.Context, tx Tx, now time.Time, d *liaison.Directory) *Write {
	return &Write{
		o: o, ctx: ctx, tx: tx, now: now, dir: d,
		newAudKey:  map[string]int64{},
		newAudID:   map[int64]liaison.Audience{},
		newMarking: map[string]liaison.Marking{},
		labels:     map[string]labelRef{},
		collRead:   map[string]liaison.Audience{},
		collRow:    map[string]liaison.Collection{},
	}
}

// Begin starts the state of a write transaction in tx. It loads the
// directory and, when the audiences' validity has lapsed (an agreement
// entered or left force), recomputes them first so the write and any read
// after it see audiences right for now. Call Committed once tx has
// committed.
func (o *Office) Begin(ctx context.Context, tx Tx) (*Write, error) {
	now := o.Clock()
	st, err := ReadState(tx)
	if err != nil {
		return nil, err
	}
	snap, err := o.Snapshot(tx, st.DirVersion, true)
	if err != nil {
		return nil, err
	}
	w := o.newWrite(ctx, tx, now, snap.Directory(now))
	if st.Expired(now) {
		o.log.Info("agreement entered or left force: recomputing audiences", "valid_until", FromMicros(st.ValidUntil))
		// Only the clock moved: collection readers are as they were.
		if err := w.recomputeAll(w.dir); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Directory is the directory the write computes audiences against.
func (w *Write) Directory() *liaison.Directory { return w.dir }

// audienceID returns the id of the stored audience, adding it if new.
func (w *Write) audienceID(a liaison.Audience) (int64, error) {
	key := a.Key()
	if id, ok := w.newAudKey[key]; ok {
		return id, nil
	}
	w.o.mu.Lock()
	id, ok := w.o.audByKey[key]
	w.o.mu.Unlock()
	if ok {
		return id, nil
	}
	err := w.tx.QueryRow(`SELECT id FROM audiences WHERE key = ?`, key).Scan(&id)
	switch {
	case errors.Is(err, ErrNoRows):
		if err := w.tx.QueryRow(`INSERT INTO audiences (key) VALUES (?) RETURNING id`, key).Scan(&id); err != nil {
			return 0, fmt.Errorf("add audience: %w", err)
		}
		for _, org := range a {
			if _, err := w.tx.Exec(`INSERT INTO audience_members (org, audience_id) VALUES (?, ?)`, org, id); err != nil {
				return 0, fmt.Errorf("add audience member: %w", err)
			}
		}
	case err != nil:
		return 0, fmt.Errorf("find audience: %w", err)
	}
	w.newAudKey[key] = id
	w.newAudID[id] = a
	return id, nil
}

// audience returns the stored audience with the id.
func (w *Write) audience(id int64) (liaison.Audience, error) {
	if a, ok := w.newAudID[id]; ok {
		return a, nil
	}
	return w.o.Audience(w.tx, id)
}

// Audience returns a stored audience; audiences never change once
// written, so committed ones are cached for good.
func (o *Office) Audience(tx Tx, id int64) (liaison.Audience, error) {
	o.mu.Lock()
	a, ok := o.audByID[id]
	o.mu.Unlock()
	if ok {
		return a, nil
	}
	var key string
	if err := tx.QueryRow(`SELECT key FROM audiences WHERE id = ?`, id).Scan(&key); err != nil {
		return nil, fmt.Errorf("audience %d: %w", id, err)
	}
	a = liaison.ParseAudienceKey(key)
	// Only committed rows reach here (a transaction's own new audiences are
	// answered from its Write), and a committed audience never changes.
	o.mu.Lock()
	o.audByID[id] = a
	o.mu.Unlock()
	return a, nil
}

// marking returns a marking the hub knows: built in, carried in the batch
// being written, or stored.
func (w *Write) marking(id string) (liaison.Marking, bool, error) {
	if t, ok := liaison.TLPByID[id]; ok {
		return liaison.Marking{ID: id, Name: t.String(), TLP: t}, true, nil
	}
	if m, ok := w.batchMarks[id]; ok {
		return m, true, nil
	}
	if m, ok := w.newMarking[id]; ok {
		return m, true, nil
	}
	return w.o.storedMarking(w.tx, id)
}

// storedMarking reads a marking from the markings table.
func (o *Office) storedMarking(tx Tx, id string) (liaison.Marking, bool, error) {
	o.mu.Lock()
	m, ok := o.markCache[id]
	o.mu.Unlock()
	if ok {
		return m, true, nil
	}
	var body string
	switch err := tx.QueryRow(`SELECT body FROM markings WHERE id = ?`, id).Scan(&body); {
	case errors.Is(err, ErrNoRows):
		return liaison.Marking{}, false, nil
	case err != nil:
		return liaison.Marking{}, false, fmt.Errorf("marking %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return liaison.Marking{}, false, fmt.Errorf("marking %s: decode: %w", id, err)
	}
	return m, true, nil
}

// labelAudience computes the audience of an originator and a set of
// resolved marking refs against the transaction's directory, intersected
// with the audience carried from a peer (federation rule 2) unless carried
// is localLabel. A ref the hub no longer knows fails closed: the audience
// shrinks to the originator.
func (w *Write) labelAudience(originator, refs, carried string) (liaison.Audience, error) {
	var ms []liaison.Marking
	if refs != "" {
		for _, id := range strings.Split(refs, ",") {
			m, ok, err := w.marking(id)
			if err != nil {
				return nil, err
			}
			if !ok {
				w.o.log.Warn("marking unknown during audience computation: failing closed", "marking", id, "originator", originator)
				m = liaison.Marking{ID: id, TLP: liaison.TLPRed, ReleasableTo: []string{}}
			}
			ms = append(ms, m)
		}
	}
	aud := w.dir.AudienceOf(originator, ms)
	if carried != localLabel {
		aud = aud.Intersect(liaison.ParseAudienceKey(carried))
	}
	return aud, nil
}

// label returns the label of an originator and resolved marking refs
// (sorted, comma-joined), adding it with its audience if new. While the
// write carries a peer's version, the label is the carried one.
func (w *Write) label(originator, refs string) (labelRef, error) {
	carried, via := localLabel, ""
	if w.carry != nil {
		carried, via = w.carry.audience, w.carry.via
	}
	return w.labelOf(originator, refs, carried, via)
}

// labelOf is label with what was carried from peer via (localLabel and
// "" for a version written here).
func (w *Write) labelOf(originator, refs, carried, via string) (labelRef, error) {
	k := labelKey(originator, refs, carried, via)
	if l, ok := w.labels[k]; ok {
		return l, nil
	}
	var l labelRef
	err := w.tx.QueryRow(`SELECT id, audience_id FROM labels WHERE originator = ? AND markings = ? AND carried = ? AND via = ?`, originator, refs, carried, via).Scan(&l.id, &l.audience)
	switch {
	case errors.Is(err, ErrNoRows):
		aud, err := w.labelAudience(originator, refs, carried)
		if err != nil {
			return l, err
		}
		if l.audience, err = w.audienceID(aud); err != nil {
			return l, err
		}
		if err := w.tx.QueryRow(`INSERT INTO labels (originator, markings, carried, via, audience_id) VALUES (?, ?, ?, ?, ?) RETURNING id`, originator, refs, carried, via, l.audience).Scan(&l.id); err != nil {
			return l, fmt.Errorf("add label: %w", err)
		}
	case err != nil:
		return l, fmt.Errorf("find label: %w", err)
	}
	w.labels[k] = l
	return l, nil
}

// labelKey keys the transaction's cache of labels.
func labelKey(originator, refs, carried, via string) string {
	return originator + "\x00" + refs + "\x00" + carried + "\x00" + via
}

// collection returns a stored collection, cached for the transaction.
func (w *Write) collection(id string) (liaison.Collection, bool, error) {
	if c, ok := w.collRow[id]; ok {
		return c, true, nil
	}
	c, err := loadCollection(w.tx, id)
	if errors.Is(err, ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	w.collRow[id] = c
	return c, true, nil
}

// readers returns the organisations a collection's read list stands for.
func (w *Write) readers(collection string) (liaison.Audience, error) {
	if a, ok := w.collRead[collection]; ok {
		return a, nil
	}
	c, ok, err := w.collection(collection)
	if err != nil {
		return nil, err
	}
	a := liaison.Audience{}
	if ok {
		a = w.dir.Expand(c.Read...)
	}
	w.collRead[collection] = a
	return a, nil
}

// eachRow runs q and calls fn on each row.
func eachRow(tx Tx, fn func(Rows) error, q string, args ...any) error {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// union returns the organisations in a or b.
func union(a, b liaison.Audience) liaison.Audience {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	return liaison.NewAudience(append(slices.Clone(a), b...)...)
}

// SortedRefs returns refs sorted, distinct, comma-joined.
func SortedRefs(refs []string) string {
	r := slices.Clone(refs)
	sort.Strings(r)
	return strings.Join(slices.Compact(r), ",")
}

// forChunks calls fn on successive slices of at most chunk items.
func forChunks[T any](items []T, fn func([]T) error) error {
	for len(items) > 0 {
		n := min(len(items), chunk)
		if err := fn(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}
