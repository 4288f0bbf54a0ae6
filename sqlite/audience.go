package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"liaison"
)

// maxRelRounds bounds the fixpoint over relationships whose ends are
// relationships. Real data converges in a few rounds; a pathological cycle
// stops here and is logged.
const maxRelRounds = 64

// chunk is how many values one set-based statement binds.
const chunk = 500

// wtx is the state of one writer transaction: the directory it computes
// audiences against, and caches that are merged into the store only when
// the transaction commits.
type wtx struct {
	s *Store
	// ctx is the caller's context without its cancellation, for the
	// transaction's statements: the driver starts a goroutine to watch
	// every statement run under a cancellable context, about a tenth of
	// the writer's time on ingest. done is the caller's context, which
	// long work checks between steps; a cancelled caller's transaction
	// is rolled back as before.
	ctx  context.Context
	done context.Context
	tx   *sql.Tx
	dir  *liaison.Directory
	now  time.Time

	newAudKey  map[string]int64
	newAudID   map[int64]liaison.Audience
	newMarking map[string]liaison.Marking
	batchMarks map[string]liaison.Marking // carried in the batch being written
	labels     map[string]labelRef
	collRead   map[string]liaison.Audience
	collRow    map[string]liaison.Collection

	stmts map[string]*sql.Stmt
}

type labelRef struct {
	id       int64
	audience int64
}

// beginWrite starts the state of a writer transaction. It loads the
// directory and, when the audiences' validity has lapsed (an agreement
// entered or left force), recomputes them first so the write and any read
// after it see audiences right for now.
func (s *Store) beginWrite(ctx context.Context, tx *sql.Tx) (*wtx, error) {
	w := &wtx{
		s: s, ctx: context.WithoutCancel(ctx), done: ctx, tx: tx, now: s.clock(),
		newAudKey:  map[string]int64{},
		newAudID:   map[int64]liaison.Audience{},
		newMarking: map[string]liaison.Marking{},
		labels:     map[string]labelRef{},
		collRead:   map[string]liaison.Audience{},
		collRow:    map[string]liaison.Collection{},
		stmts:      map[string]*sql.Stmt{},
	}
	st, err := readState(ctx, tx)
	if err != nil {
		return nil, err
	}
	snap, err := s.snapshot(ctx, tx, st.dirVersion, true)
	if err != nil {
		return nil, err
	}
	w.dir = snap.directory(w.now)
	if st.expired(w.now) {
		s.log.Info("agreement entered or left force: recomputing audiences", "valid_until", fromMicros(st.validUntil))
		// Only the clock moved: collection readers are as they were.
		if err := w.recomputeAll(w.dir); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// commit merges the transaction's caches into the store. Call it only
// after tx.Commit succeeded.
func (w *wtx) commit() {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	maps.Copy(w.s.audByKey, w.newAudKey)
	maps.Copy(w.s.audByID, w.newAudID)
	maps.Copy(w.s.markCache, w.newMarking)
}

// close releases the prepared statements.
func (w *wtx) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// stmt returns a statement prepared once per transaction.
func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", q, err)
	}
	w.stmts[q] = st
	return st, nil
}

// audienceID returns the id of the stored audience, adding it if new.
func (w *wtx) audienceID(a liaison.Audience) (int64, error) {
	key := a.Key()
	if id, ok := w.newAudKey[key]; ok {
		return id, nil
	}
	w.s.mu.Lock()
	id, ok := w.s.audByKey[key]
	w.s.mu.Unlock()
	if ok {
		return id, nil
	}
	st, err := w.stmt(`SELECT id FROM audiences WHERE key = ?`)
	if err != nil {
		return 0, err
	}
	err = st.QueryRowContext(w.ctx, key).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		res, err := w.tx.ExecContext(w.ctx, `INSERT INTO audiences (key) VALUES (?)`, key)
		if err != nil {
			return 0, fmt.Errorf("add audience: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, err
		}
		ins, err := w.stmt(`INSERT INTO audience_members (org, audience_id) VALUES (?, ?)`)
		if err != nil {
			return 0, err
		}
		for _, org := range a {
			if _, err := ins.ExecContext(w.ctx, org, id); err != nil {
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
func (w *wtx) audience(id int64) (liaison.Audience, error) {
	if a, ok := w.newAudID[id]; ok {
		return a, nil
	}
	return w.s.audienceByID(w.ctx, w.tx, id)
}

// audienceByID returns a stored audience; audiences never change once
// written, so committed ones are cached for good.
func (s *Store) audienceByID(ctx context.Context, q querier, id int64) (liaison.Audience, error) {
	s.mu.Lock()
	a, ok := s.audByID[id]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	var key string
	if err := q.QueryRowContext(ctx, `SELECT key FROM audiences WHERE id = ?`, id).Scan(&key); err != nil {
		return nil, fmt.Errorf("audience %d: %w", id, err)
	}
	a = liaison.ParseAudienceKey(key)
	// Only committed rows reach here (a transaction's own new audiences are
	// answered from its wtx), and a committed audience never changes.
	s.mu.Lock()
	s.audByID[id] = a
	s.mu.Unlock()
	return a, nil
}

// marking returns a marking the hub knows: built in, carried in the batch
// being written, or stored.
func (w *wtx) marking(id string) (liaison.Marking, bool, error) {
	if t, ok := liaison.TLPByID[id]; ok {
		return liaison.Marking{ID: id, Name: t.String(), TLP: t}, true, nil
	}
	if m, ok := w.batchMarks[id]; ok {
		return m, true, nil
	}
	if m, ok := w.newMarking[id]; ok {
		return m, true, nil
	}
	st, err := w.stmt(`SELECT body FROM markings WHERE id = ?`)
	if err != nil {
		return liaison.Marking{}, false, err
	}
	return w.s.storedMarking(w.ctx, st, id)
}

// storedMarking reads a marking from the markings table through st.
func (s *Store) storedMarking(ctx context.Context, st *sql.Stmt, id string) (liaison.Marking, bool, error) {
	s.mu.Lock()
	m, ok := s.markCache[id]
	s.mu.Unlock()
	if ok {
		return m, true, nil
	}
	var body string
	switch err := st.QueryRowContext(ctx, id).Scan(&body); {
	case err == sql.ErrNoRows:
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
// resolved marking refs against the transaction's directory. A ref the hub
// no longer knows fails closed: the audience shrinks to the originator.
func (w *wtx) labelAudience(originator, refs string) (liaison.Audience, error) {
	var ms []liaison.Marking
	if refs != "" {
		for _, id := range strings.Split(refs, ",") {
			m, ok, err := w.marking(id)
			if err != nil {
				return nil, err
			}
			if !ok {
				w.s.log.Warn("marking unknown during audience computation: failing closed", "marking", id, "originator", originator)
				m = liaison.Marking{ID: id, TLP: liaison.TLPRed, ReleasableTo: []string{}}
			}
			ms = append(ms, m)
		}
	}
	return w.dir.AudienceOf(originator, ms), nil
}

// label returns the label of an originator and resolved marking refs
// (sorted, comma-joined), adding it with its audience if new.
func (w *wtx) label(originator, refs string) (labelRef, error) {
	k := originator + "\x00" + refs
	if l, ok := w.labels[k]; ok {
		return l, nil
	}
	var l labelRef
	err := w.tx.QueryRowContext(w.ctx, `SELECT id, audience_id FROM labels WHERE originator = ? AND markings = ?`, originator, refs).Scan(&l.id, &l.audience)
	switch {
	case err == sql.ErrNoRows:
		aud, err := w.labelAudience(originator, refs)
		if err != nil {
			return l, err
		}
		if l.audience, err = w.audienceID(aud); err != nil {
			return l, err
		}
		res, err := w.tx.ExecContext(w.ctx, `INSERT INTO labels (originator, markings, audience_id) VALUES (?, ?, ?)`, originator, refs, l.audience)
		if err != nil {
			return l, fmt.Errorf("add label: %w", err)
		}
		if l.id, err = res.LastInsertId(); err != nil {
			return l, err
		}
	case err != nil:
		return l, fmt.Errorf("find label: %w", err)
	}
	w.labels[k] = l
	return l, nil
}

// collection returns a stored collection, cached for the transaction.
func (w *wtx) collection(id string) (liaison.Collection, bool, error) {
	if c, ok := w.collRow[id]; ok {
		return c, true, nil
	}
	c, err := loadCollection(w.ctx, w.tx, id)
	if err == sql.ErrNoRows {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	w.collRow[id] = c
	return c, true, nil
}

// readers returns the organisations a collection's read list stands for.
func (w *wtx) readers(collection string) (liaison.Audience, error) {
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

// relRow is a relationship or sighting version whose audience rule 9
// narrows.
type relRow struct {
	vid        int64
	id         string
	labelAud   int64
	ends       []string
	audienceID int64
}

// endReaders returns, for each id, the organisations that may read it
// somewhere on the hub: the union over the collections C that store it of
// (C's readers ∩ the union of the audiences of its versions in C). Ids
// stored nowhere are absent from the map.
func (w *wtx) endReaders(ids []string) (map[string]liaison.Audience, error) {
	type key struct{ id, coll string }
	unions := map[key]liaison.Audience{}
	err := w.queryList(`SELECT id, collection, audience_id FROM versions WHERE id IN (SELECT value FROM json_each(?))`, ids, func(rows *sql.Rows) error {
		var k key
		var aid int64
		if err := rows.Scan(&k.id, &k.coll, &aid); err != nil {
			return err
		}
		a, err := w.audience(aid)
		if err != nil {
			return err
		}
		unions[k] = union(unions[k], a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]liaison.Audience{}
	for k, u := range unions {
		r, err := w.readers(k.coll)
		if err != nil {
			return nil, err
		}
		out[k.id] = union(out[k.id], r.Intersect(u))
	}
	return out, nil
}

// relAudience is rule 9: the audience of a relationship or sighting is
// its label's, narrowed by the readers of each of its ends that is stored
// (readers as endReaders returns them).
func (w *wtx) relAudience(labelAud int64, ends []string, readers map[string]liaison.Audience) (int64, error) {
	aud, err := w.audience(labelAud)
	if err != nil {
		return 0, err
	}
	for _, e := range ends {
		if rd, ok := readers[e]; ok {
			aud = aud.Intersect(rd)
		}
	}
	return w.audienceID(aud)
}

// relsNaming returns the versions (relationships and sightings) that name
// any of ids as an end.
func (w *wtx) relsNaming(ids []string) ([]int64, error) {
	var vids []int64
	err := w.queryList(`SELECT rel_vid FROM ends WHERE end_id IN (SELECT value FROM json_each(?))`, ids, func(rows *sql.Rows) error {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return err
		}
		vids = append(vids, v)
		return nil
	})
	return vids, err
}

// loadRels reads relationship rows by vid.
func (w *wtx) loadRels(vids []int64) ([]relRow, error) {
	var out []relRow
	err := w.queryList(`SELECT v.vid, v.id, l.audience_id, v.ends, v.audience_id
		FROM versions v JOIN labels l ON l.id = v.label_id
		WHERE v.vid IN (SELECT value FROM json_each(?)) AND v.ends != ''`, vids, func(rows *sql.Rows) error {
		var r relRow
		var ends string
		if err := rows.Scan(&r.vid, &r.id, &r.labelAud, &ends, &r.audienceID); err != nil {
			return err
		}
		r.ends = strings.Split(ends, ",")
		out = append(out, r)
		return nil
	})
	return out, err
}

// recomputeRels applies rule 9 to the relationship versions vids and to
// every relationship naming an id in changed, then to relationships naming
// those whose audience changed, until nothing changes.
func (w *wtx) recomputeRels(vids []int64, changed []string, progress func(n int)) error {
	if len(changed) > 0 {
		more, err := w.relsNaming(changed)
		if err != nil {
			return err
		}
		vids = append(vids, more...)
	}
	upd, err := w.stmt(`UPDATE versions SET audience_id = ? WHERE vid = ?`)
	if err != nil {
		return err
	}
	for round := 0; len(vids) > 0; round++ {
		if round == maxRelRounds {
			w.s.log.Error("relationship audiences did not settle: a cycle of relationships keeps changing", "pending", len(vids))
			break
		}
		slices.Sort(vids)
		vids = slices.Compact(vids)
		rels, err := w.loadRels(vids)
		if err != nil {
			return err
		}
		var endIDs []string
		for _, r := range rels {
			endIDs = append(endIDs, r.ends...)
		}
		slices.Sort(endIDs)
		endIDs = slices.Compact(endIDs)
		readers, err := w.endReaders(endIDs)
		if err != nil {
			return err
		}
		var next []string
		for i, r := range rels {
			aid, err := w.relAudience(r.labelAud, r.ends, readers)
			if err != nil {
				return err
			}
			if aid != r.audienceID {
				if _, err := upd.ExecContext(w.ctx, aid, r.vid); err != nil {
					return fmt.Errorf("update relationship audience: %w", err)
				}
				next = append(next, r.id)
			}
			if progress != nil && (i+1)%1000 == 0 {
				progress(1000)
			}
		}
		if progress != nil {
			progress(len(rels) % 1000)
			progress = nil // later rounds are not counted
		}
		if err := w.done.Err(); err != nil {
			return err
		}
		vids = nil
		if len(next) > 0 {
			slices.Sort(next)
			if vids, err = w.relsNaming(slices.Compact(next)); err != nil {
				return err
			}
		}
	}
	return nil
}

// recomputeAll recomputes every stored audience against w.dir: each
// label's, then each version's from its label, then rule 9 for
// relationships and sightings. It reports progress through the context.
//
// prev is the directory the stored audiences were computed against, or
// nil if unknown. When every collection's readers are the same under prev
// and w.dir (always so when only the clock moved), rule 9 is reapplied
// only where an input changed: relationships whose label changed and
// those naming a version whose audience changed. Otherwise every
// relationship is recomputed from its label.
func (w *wtx) recomputeAll(prev *liaison.Directory) error {
	ctx := w.ctx
	report := liaison.ProgressFrom(ctx)
	var nLabels int64
	if err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM labels`).Scan(&nLabels); err != nil {
		return fmt.Errorf("recompute: count: %w", err)
	}
	full := prev == nil
	if !full {
		var err error
		if full, err = w.readersChanged(prev); err != nil {
			return err
		}
	}
	// Progress counts labels, then versions whose label changed, then
	// relationships; the total grows as each step learns its size.
	total := nLabels
	var done int64
	step := func(n int64) error {
		done += n
		report(done, total)
		return w.done.Err()
	}
	if err := step(0); err != nil {
		return err
	}

	// 1. Labels.
	type lab struct {
		id              int64
		originator, mks string
		aud             int64
	}
	var labs []lab
	rows, err := w.tx.QueryContext(ctx, `SELECT id, originator, markings, audience_id FROM labels`)
	if err != nil {
		return fmt.Errorf("recompute: labels: %w", err)
	}
	for rows.Next() {
		var l lab
		if err := rows.Scan(&l.id, &l.originator, &l.mks, &l.aud); err != nil {
			rows.Close()
			return err
		}
		labs = append(labs, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var changedLabels []int64
	for _, l := range labs {
		a, err := w.labelAudience(l.originator, l.mks)
		if err != nil {
			return err
		}
		aid, err := w.audienceID(a)
		if err != nil {
			return err
		}
		if aid != l.aud {
			if _, err := w.tx.ExecContext(ctx, `UPDATE labels SET audience_id = ? WHERE id = ?`, aid, l.id); err != nil {
				return fmt.Errorf("recompute: label: %w", err)
			}
			changedLabels = append(changedLabels, l.id)
		}
		w.labels[l.originator+"\x00"+l.mks] = labelRef{id: l.id, audience: aid}
	}
	if err := step(nLabels); err != nil {
		return err
	}

	// 2. Versions other than relationships take their label's audience;
	// the ids whose audience changed feed rule 9.
	var changedIDs []string
	if len(changedLabels) > 0 {
		rows, err := w.tx.QueryContext(ctx, `UPDATE versions SET audience_id = (SELECT audience_id FROM labels WHERE labels.id = versions.label_id)
			WHERE label_id IN (SELECT value FROM json_each(?)) AND ends = ''
			RETURNING id`, jsonArray(changedLabels))
		if err != nil {
			return fmt.Errorf("recompute: versions: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			changedIDs = append(changedIDs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("recompute: versions: %w", err)
		}
		total += int64(len(changedIDs))
		if err := step(int64(len(changedIDs))); err != nil {
			return err
		}
	}
	if full {
		changedIDs = nil // every relationship is recomputed anyway
	}

	// 3. Rule 9.
	var rels []int64
	relQuery := `SELECT vid FROM versions WHERE ends != ''`
	var relArgs []any
	if !full {
		relQuery += ` AND label_id IN (SELECT value FROM json_each(?))`
		relArgs = append(relArgs, jsonArray(changedLabels))
	}
	if full || len(changedLabels) > 0 {
		rows, err = w.tx.QueryContext(ctx, relQuery, relArgs...)
		if err != nil {
			return fmt.Errorf("recompute: relationships: %w", err)
		}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			rels = append(rels, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	total += int64(len(rels))
	report(done, total)
	if full {
		// Start each relationship at its label's audience so the fixpoint
		// narrows from there whatever the readers did.
		if _, err := w.tx.ExecContext(ctx, `UPDATE versions SET audience_id = (SELECT audience_id FROM labels WHERE labels.id = versions.label_id) WHERE ends != ''`); err != nil {
			return fmt.Errorf("recompute: relationships: %w", err)
		}
	}
	if err := w.recomputeRels(rels, changedIDs, func(n int) { done += int64(n); report(done, total) }); err != nil {
		return err
	}
	if err := step(total - done); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(ctx, `UPDATE store_state SET audiences_valid_until_us = ? WHERE id = 1`, micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("recompute: state: %w", err)
	}
	return nil
}

// readersChanged reports whether any collection's read list stands for
// other organisations under w.dir than under prev.
func (w *wtx) readersChanged(prev *liaison.Directory) (bool, error) {
	colls, err := loadCollections(w.ctx, w.tx)
	if err != nil {
		return false, fmt.Errorf("recompute: collections: %w", err)
	}
	for _, c := range colls {
		if !slices.Equal(prev.Expand(c.Read...), w.dir.Expand(c.Read...)) {
			return true, nil
		}
	}
	return false, nil
}

// RecomputeAudiences recomputes every stored audience against the
// directory at the store's clock, in one transaction, reporting progress
// through the context.
func (s *Store) RecomputeAudiences(ctx context.Context) error {
	const op = "sqlite.RecomputeAudiences"
	var w *wtx
	err := s.inWrite(ctx, op, func(tx *sql.Tx) error {
		var err error
		if w, err = s.beginWrite(ctx, tx); err != nil {
			return err
		}
		defer w.close()
		return w.recomputeAll(nil)
	})
	if err == nil {
		w.commit()
	}
	return err
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

// queryList runs the prepared query q with the JSON array of list as its
// one argument (for IN (SELECT value FROM json_each(?))) and calls fn on
// each row.
func (w *wtx) queryList(q string, list any, fn func(*sql.Rows) error) error {
	arg, err := json.Marshal(list)
	if err != nil {
		return err
	}
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(w.ctx, string(arg))
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

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// anySlice converts values to query arguments.
func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// sortedRefs returns refs sorted, distinct, comma-joined.
func sortedRefs(refs []string) string {
	r := slices.Clone(refs)
	sort.Strings(r)
	return strings.Join(slices.Compact(r), ",")
}
