package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
)

// maxRelRounds bounds the fixpoint over relationships whose ends are
// relationships. Real data converges in a few rounds; a pathological cycle
// stops here and is logged.
const maxRelRounds = 64

// cache holds what never changes once committed (audiences by key and id,
// stored markings) and the directory tables at one directory version.
type cache struct {
	mu       sync.Mutex
	dir      *dirSnapshot
	audByKey map[string]int64
	audByID  map[int64]liaison.Audience
	markings map[string]liaison.Marking
}

func (c *cache) init() {
	c.audByKey = map[string]int64{}
	c.audByID = map[int64]liaison.Audience{}
	c.markings = map[string]liaison.Marking{}
}

// wtx is the state of one write transaction: the directory it computes
// audiences against, and caches merged into the store only when the
// transaction commits.
type wtx struct {
	s   *Store
	ctx context.Context
	tx  pgx.Tx
	dir *liaison.Directory
	now time.Time
	st  state

	newAudKey  map[string]int64
	newAudID   map[int64]liaison.Audience
	newMarking map[string]liaison.Marking
	batchMarks map[string]liaison.Marking // carried in the batch being written
	labels     map[string]labelRef
	collRead   map[string]liaison.Audience
	collRow    map[string]liaison.Collection
}

type labelRef struct {
	id       int64
	audience int64
}

func (s *Store) newWtx(ctx context.Context, tx pgx.Tx, now time.Time) *wtx {
	return &wtx{
		s: s, ctx: ctx, tx: tx, now: now,
		newAudKey:  map[string]int64{},
		newAudID:   map[int64]liaison.Audience{},
		newMarking: map[string]liaison.Marking{},
		labels:     map[string]labelRef{},
		collRead:   map[string]liaison.Audience{},
		collRow:    map[string]liaison.Collection{},
	}
}

// lockState takes the store's write lock, the store_state row, and
// returns the state under it. Every write transaction that can touch
// audiences or date_added takes it first, so such writes are serial.
func lockState(ctx context.Context, tx pgx.Tx) (state, error) {
	var st state
	err := tx.QueryRow(ctx, `SELECT directory_version, audiences_valid_until_us FROM store_state WHERE id = 1 FOR UPDATE`).Scan(&st.dirVersion, &st.validUntil)
	if err != nil {
		return st, fmt.Errorf("lock store state: %w", err)
	}
	return st, nil
}

// beginWrite locks the store for writing and loads the directory. When
// the audiences' validity has lapsed (an agreement entered or left force),
// it recomputes them first so the write and any read after it see
// audiences right for now.
func (s *Store) beginWrite(ctx context.Context, tx pgx.Tx) (*wtx, error) {
	w := s.newWtx(ctx, tx, s.clock())
	st, err := lockState(ctx, tx)
	if err != nil {
		return nil, err
	}
	w.st = st
	snap, err := s.snapshot(ctx, tx, st.dirVersion, true)
	if err != nil {
		return nil, err
	}
	w.dir = snap.directory(w.now)
	if st.expired(w.now) {
		s.log.Info("agreement entered or left force: recomputing audiences", "valid_until", fromMicros(st.validUntil))
		if err := w.recomputeAll(); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// inWrite runs fn in a write transaction begun with beginWrite and merges
// its caches into the store once it commits.
func (s *Store) inWrite(ctx context.Context, op string, fn func(w *wtx) error) error {
	var w *wtx
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		var err error
		if w, err = s.beginWrite(ctx, tx); err != nil {
			return err
		}
		return fn(w)
	})
	if err != nil {
		return err
	}
	w.commit()
	return nil
}

// commit merges the transaction's caches into the store. Call it only
// after the transaction committed.
func (w *wtx) commit() {
	c := &w.s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.Copy(c.audByKey, w.newAudKey)
	maps.Copy(c.audByID, w.newAudID)
	maps.Copy(c.markings, w.newMarking)
}

// audienceID returns the id of the stored audience, adding it if new.
func (w *wtx) audienceID(a liaison.Audience) (int64, error) {
	key := a.Key()
	if id, ok := w.newAudKey[key]; ok {
		return id, nil
	}
	c := &w.s.cache
	c.mu.Lock()
	id, ok := c.audByKey[key]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	err := w.tx.QueryRow(w.ctx, `SELECT id FROM audiences WHERE key = $1`, key).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if err := w.tx.QueryRow(w.ctx, `INSERT INTO audiences (key) VALUES ($1) RETURNING id`, key).Scan(&id); err != nil {
			return 0, fmt.Errorf("add audience: %w", err)
		}
		if _, err := w.tx.Exec(w.ctx, `INSERT INTO audience_members (org, audience_id) SELECT unnest($1::text[]), $2`, []string(a), id); err != nil {
			return 0, fmt.Errorf("add audience members: %w", err)
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
	s.cache.mu.Lock()
	a, ok := s.cache.audByID[id]
	s.cache.mu.Unlock()
	if ok {
		return a, nil
	}
	var key string
	if err := q.QueryRow(ctx, `SELECT key FROM audiences WHERE id = $1`, id).Scan(&key); err != nil {
		return nil, fmt.Errorf("audience %d: %w", id, err)
	}
	return liaison.ParseAudienceKey(key), nil
}

// loadAudiences makes every audience in ids known to the transaction in
// one query, so loops after it make no round trips.
func (w *wtx) loadAudiences(ids []int64) error {
	var missing []int64
	w.s.cache.mu.Lock()
	for _, id := range ids {
		if _, ok := w.newAudID[id]; ok {
			continue
		}
		if a, ok := w.s.cache.audByID[id]; ok {
			w.newAudID[id] = a
			continue
		}
		missing = append(missing, id)
	}
	w.s.cache.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	rows, err := w.tx.Query(w.ctx, `SELECT id, key FROM audiences WHERE id = ANY($1)`, missing)
	if err != nil {
		return fmt.Errorf("load audiences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		a := liaison.ParseAudienceKey(key)
		w.newAudID[id] = a
		w.newAudKey[key] = id
	}
	return rows.Err()
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
	m, ok, err := w.s.storedMarking(w.ctx, w.tx, id)
	if ok {
		w.newMarking[id] = m
	}
	return m, ok, err
}

// storedMarking reads a marking from the markings table.
func (s *Store) storedMarking(ctx context.Context, q querier, id string) (liaison.Marking, bool, error) {
	s.cache.mu.Lock()
	m, ok := s.cache.markings[id]
	s.cache.mu.Unlock()
	if ok {
		return m, true, nil
	}
	var body string
	switch err := q.QueryRow(ctx, `SELECT body FROM markings WHERE id = $1`, id).Scan(&body); {
	case errors.Is(err, pgx.ErrNoRows):
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
	err := w.tx.QueryRow(w.ctx, `SELECT id, audience_id FROM labels WHERE originator = $1 AND markings = $2`, originator, refs).Scan(&l.id, &l.audience)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		aud, err := w.labelAudience(originator, refs)
		if err != nil {
			return l, err
		}
		if l.audience, err = w.audienceID(aud); err != nil {
			return l, err
		}
		if err := w.tx.QueryRow(w.ctx, `INSERT INTO labels (originator, markings, audience_id) VALUES ($1, $2, $3) RETURNING id`, originator, refs, l.audience).Scan(&l.id); err != nil {
			return l, fmt.Errorf("add label: %w", err)
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
	if errors.Is(err, pgx.ErrNoRows) {
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
	type row struct {
		k   key
		aid int64
	}
	var got []row
	rows, err := w.tx.Query(w.ctx, `SELECT DISTINCT id, collection, audience_id FROM versions WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("end readers: %w", err)
	}
	var aids []int64
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.k.id, &r.k.coll, &r.aid); err != nil {
			rows.Close()
			return nil, err
		}
		got = append(got, r)
		aids = append(aids, r.aid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("end readers: %w", err)
	}
	if err := w.loadAudiences(aids); err != nil {
		return nil, err
	}
	unions := map[key]liaison.Audience{}
	for _, r := range got {
		a, err := w.audience(r.aid)
		if err != nil {
			return nil, err
		}
		unions[r.k] = union(unions[r.k], a)
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

// relsNaming returns the versions (relationships and sightings) that name
// any of ids as an end.
func (w *wtx) relsNaming(ids []string) ([]int64, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT rel_vid FROM ends WHERE end_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("relationships naming ends: %w", err)
	}
	vids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("relationships naming ends: %w", err)
	}
	return vids, nil
}

// loadRels reads relationship rows by vid.
func (w *wtx) loadRels(vids []int64) ([]relRow, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT v.vid, v.id, l.audience_id, v.ends, v.audience_id
		FROM versions v JOIN labels l ON l.id = v.label_id
		WHERE v.vid = ANY($1) AND v.ends <> ''`, vids)
	if err != nil {
		return nil, fmt.Errorf("load relationships: %w", err)
	}
	defer rows.Close()
	var out []relRow
	for rows.Next() {
		var r relRow
		var ends string
		if err := rows.Scan(&r.vid, &r.id, &r.labelAud, &ends, &r.audienceID); err != nil {
			return nil, err
		}
		r.ends = strings.Split(ends, ",")
		out = append(out, r)
	}
	return out, rows.Err()
}

// setAudiences updates the audience of the versions vids[i] to aids[i] in
// one statement.
func (w *wtx) setAudiences(vids, aids []int64) error {
	if len(vids) == 0 {
		return nil
	}
	_, err := w.tx.Exec(w.ctx, `UPDATE versions v SET audience_id = u.aid
		FROM unnest($1::bigint[], $2::bigint[]) AS u(vid, aid) WHERE v.vid = u.vid`, vids, aids)
	if err != nil {
		return fmt.Errorf("update relationship audiences: %w", err)
	}
	return nil
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
		var labelAuds []int64
		for _, r := range rels {
			endIDs = append(endIDs, r.ends...)
			labelAuds = append(labelAuds, r.labelAud)
		}
		slices.Sort(endIDs)
		endIDs = slices.Compact(endIDs)
		readers, err := w.endReaders(endIDs)
		if err != nil {
			return err
		}
		if err := w.loadAudiences(labelAuds); err != nil {
			return err
		}
		var next []string
		var updVids, updAids []int64
		for i, r := range rels {
			aud, err := w.audience(r.labelAud)
			if err != nil {
				return err
			}
			for _, e := range r.ends {
				if rd, ok := readers[e]; ok {
					aud = aud.Intersect(rd)
				}
			}
			aid, err := w.audienceID(aud)
			if err != nil {
				return err
			}
			if aid != r.audienceID {
				updVids = append(updVids, r.vid)
				updAids = append(updAids, aid)
				next = append(next, r.id)
			}
			if progress != nil && (i+1)%1000 == 0 {
				progress(1000)
			}
		}
		if err := w.setAudiences(updVids, updAids); err != nil {
			return err
		}
		if progress != nil {
			progress(len(rels) % 1000)
			progress = nil // later rounds are not counted
		}
		if err := w.ctx.Err(); err != nil {
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
// label's, then each version's from its label, then rule 9 for every
// relationship and sighting. It reports progress through the context.
func (w *wtx) recomputeAll() error {
	ctx := w.ctx
	report := liaison.ProgressFrom(ctx)
	var nLabels, nVersions, maxVid, nRels int64
	if err := w.tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM labels), (SELECT count(*) FROM versions), (SELECT coalesce(max(vid), 0) FROM versions), (SELECT count(*) FROM versions WHERE ends <> '')`).Scan(&nLabels, &nVersions, &maxVid, &nRels); err != nil {
		return fmt.Errorf("recompute: count: %w", err)
	}
	total := nLabels + nVersions + nRels
	var done int64
	step := func(n int64) error {
		done += n
		report(done, total)
		return ctx.Err()
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
	rows, err := w.tx.Query(ctx, `SELECT id, originator, markings, audience_id FROM labels`)
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
	var labIDs, labAuds []int64
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
			labIDs = append(labIDs, l.id)
			labAuds = append(labAuds, aid)
		}
		w.labels[l.originator+"\x00"+l.mks] = labelRef{id: l.id, audience: aid}
	}
	if len(labIDs) > 0 {
		if _, err := w.tx.Exec(ctx, `UPDATE labels l SET audience_id = u.aid FROM unnest($1::bigint[], $2::bigint[]) AS u(id, aid) WHERE l.id = u.id`, labIDs, labAuds); err != nil {
			return fmt.Errorf("recompute: labels: %w", err)
		}
	}
	if err := step(nLabels); err != nil {
		return err
	}

	// 2. Versions other than relationships take their label's audience.
	const span = 100000
	for lo := int64(0); lo < maxVid; lo += span {
		if _, err := w.tx.Exec(ctx, `UPDATE versions v SET audience_id = l.audience_id FROM labels l
			WHERE l.id = v.label_id AND v.vid > $1 AND v.vid <= $2 AND v.ends = '' AND v.audience_id <> l.audience_id`, lo, lo+span); err != nil {
			return fmt.Errorf("recompute: versions: %w", err)
		}
		hi := min(lo+span, maxVid)
		if err := step(nVersions*hi/maxVid - nVersions*lo/maxVid); err != nil {
			return err
		}
	}

	// 3. Rule 9 for every relationship and sighting. A relationship's own
	// label audience may have changed: start each at its label's audience
	// so the fixpoint narrows from there.
	rows, err = w.tx.Query(ctx, `UPDATE versions v SET audience_id = l.audience_id FROM labels l
		WHERE l.id = v.label_id AND v.ends <> '' RETURNING v.vid`)
	if err != nil {
		return fmt.Errorf("recompute: relationships: %w", err)
	}
	rels, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("recompute: relationships: %w", err)
	}
	if err := w.recomputeRels(rels, nil, func(n int) { done += int64(n); report(done, total) }); err != nil {
		return err
	}
	if err := step(total - done); err != nil {
		return err
	}
	if _, err := w.tx.Exec(ctx, `UPDATE store_state SET audiences_valid_until_us = $1 WHERE id = 1`, micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("recompute: state: %w", err)
	}
	return nil
}

// RecomputeAudiences recomputes every stored audience against the
// directory at the store's clock, in one transaction (readers see the old
// audiences or the new, never a mix), reporting progress through the
// context.
func (s *Store) RecomputeAudiences(ctx context.Context) error {
	return s.inWrite(ctx, "postgres.RecomputeAudiences", func(w *wtx) error {
		return w.recomputeAll()
	})
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

// sortedRefs returns refs sorted, distinct, comma-joined.
func sortedRefs(refs []string) string {
	r := slices.Clone(refs)
	sort.Strings(r)
	return strings.Join(slices.Compact(r), ",")
}
