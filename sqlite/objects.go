package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"liaison"
)

// AddObjects writes candidates into a collection as writer, in one
// transaction. Each candidate is accepted or rejected on its own. The
// originator is the writer's organisation; unmarked objects take the
// collection's default marking; date_added is unique and strictly
// increasing in the collection. A version stored before keeps its first
// bytes; it is reported Present only when the writer may read it, so a
// write never reveals a version hidden from the writer. ENOTFOUND if the
// writer cannot see the collection; EFORBIDDEN if they may see but not
// write it. Calls made while the writer is busy are committed together
// (see groupcommit.go), each with its own result.
func (s *Store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	return s.gw.submit(&addReq{ctx: ctx, writer: writer, collection: collection, objs: objs, done: make(chan addResult, 1)})
}

func (w *wtx) addObjects(writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	ctx := w.ctx
	res := liaison.WriteResult{Accepted: []liaison.Accepted{}, Rejected: []liaison.Rejection{}}
	acc, err := visibleCollection(ctx, w.tx, w.dir, writer, collection)
	if err != nil {
		return res, err
	}
	if !acc.CanWrite {
		return res, liaison.Errorf(liaison.EFORBIDDEN, "user %s (%s) may not write to collection %s", writer.Name, writer.Org, collection)
	}
	coll := acc.Collection
	var last int64
	if err := w.tx.QueryRowContext(ctx, `SELECT last_added_us FROM collections WHERE id = ?`, collection).Scan(&last); err != nil {
		return res, fmt.Errorf("collection high-water mark: %w", err)
	}
	startLast := last

	conflicts, err := w.takeBatchMarkings(objs)
	if err != nil {
		return res, err
	}

	ins, err := w.stmt(`INSERT INTO versions (collection, id, version_us, date_added_us, type, spec_version, originator, default_marking, label_id, audience_id, ends, granular_refs, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id, collection, version_us) DO NOTHING`)
	if err != nil {
		return res, err
	}
	// Present is said only of versions the writer may read: telling a
	// writer that a version it cannot read exists would leak it.
	sameRaw, err := w.stmt(`SELECT v.version_us FROM versions v WHERE v.id = ? AND v.collection = ? AND v.raw = ? AND ` + readableBy("v") + ` LIMIT 1`)
	if err != nil {
		return res, err
	}
	existing, err := w.stmt(`SELECT count(*) FROM versions v WHERE v.id = ? AND v.collection = ? AND v.version_us = ? AND ` + readableBy("v"))
	if err != nil {
		return res, err
	}
	firstColl, err := w.firstCollections(objs)
	if err != nil {
		return res, err
	}
	insEnd, err := w.stmt(`INSERT OR IGNORE INTO ends (end_id, rel_vid) VALUES (?, ?)`)
	if err != nil {
		return res, err
	}
	nowUS := w.now.UnixMicro()
	var written []string
	var newRels []relRow
	// Relationships and sightings go last, once every other object of
	// the call is stored, so that rule 9 can give each its audience as
	// it is inserted rather than by rewriting the row afterwards.
	order := make([]int, 0, len(objs))
	var relEnds []string
	for i := range objs {
		if len(objs[i].Ends) == 0 {
			order = append(order, i)
		}
	}
	for i := range objs {
		if len(objs[i].Ends) > 0 {
			order = append(order, i)
			relEnds = append(relEnds, objs[i].Ends...)
		}
	}
	var endReaders map[string]liaison.Audience
	// pos holds the position in objs of each result, to put them back in
	// the call's order at the end.
	var accPos, rejPos []int
	for k, i := range order {
		if k%256 == 255 {
			if err := w.done.Err(); err != nil {
				return res, err
			}
		}
		c := &objs[i]
		accept := func(a liaison.Accepted) {
			res.Accepted = append(res.Accepted, a)
			accPos = append(accPos, i)
		}
		if len(c.Ends) > 0 && endReaders == nil {
			slices.Sort(relEnds)
			if endReaders, err = w.endReaders(slices.Compact(relEnds)); err != nil {
				return res, err
			}
		}
		reject := func(unknownMarking bool, format string, args ...any) {
			rejPos = append(rejPos, i)
			res.Rejected = append(res.Rejected, liaison.Rejection{
				Index: c.Index, ID: c.ID, Version: c.Version(), UnknownMarking: unknownMarking,
				Message: fmt.Sprintf("object %d (%s): ", c.Index, c.ID) + fmt.Sprintf(format, args...),
			})
		}
		switch {
		case c.ID == "" || c.Type == "":
			reject(false, "it has no id or no type")
			continue
		case !strings.HasPrefix(c.ID, c.Type+"--"):
			reject(false, "its id does not start with its type %q", c.Type)
			continue
		case len(c.Raw) == 0:
			reject(false, "it has no bytes to store")
			continue
		case conflicts[i] != "":
			reject(false, "%s", conflicts[i])
			continue
		}
		unknown := ""
		for _, set := range []struct {
			prop string
			refs []string
		}{{"object_marking_refs", c.MarkingRefs}, {"granular_markings", c.GranularMarkingRefs}} {
			for _, ref := range set.refs {
				if _, ok, err := w.marking(ref); err != nil {
					return res, err
				} else if !ok && unknown == "" {
					unknown = fmt.Sprintf("%s names %s, which this hub does not know", set.prop, ref)
				}
			}
		}
		if unknown != "" {
			reject(true, "%s", unknown)
			continue
		}
		// Rule 8 with rule 2: an unmarked version takes the default
		// marking of the collection it was first written to, wherever it
		// is written later, so it has one audience everywhere.
		refs := c.MarkingRefs
		defaultMarking := ""
		if len(refs) == 0 {
			defaultMarking = coll.DefaultMarking
			if first, ok := firstColl[versionKey{c.ID, micros(c.Version())}]; ok && first != collection {
				fc, ok, err := w.collection(first)
				if err != nil {
					return res, err
				}
				if ok {
					defaultMarking = fc.DefaultMarking
				}
			}
			if defaultMarking != "" {
				refs = []string{defaultMarking}
			}
		}
		lab, err := w.label(writer.Org, sortedRefs(refs))
		if err != nil {
			return res, err
		}
		date := max(nowUS, last+1)
		version := micros(c.Version())
		if version == 0 {
			var have int64
			switch err := sameRaw.QueryRowContext(ctx, c.ID, collection, c.Raw, writer.Org).Scan(&have); {
			case err == nil && acc.CanRead:
				accept(liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(have), Present: true})
				continue
			case err != nil && err != sql.ErrNoRows:
				return res, fmt.Errorf("find identical version: %w", err)
			}
			version = date
		}
		aid := lab.audience
		if len(c.Ends) > 0 {
			if aid, err = w.relAudience(lab.audience, c.Ends, endReaders); err != nil {
				return res, err
			}
		}
		r, err := ins.ExecContext(ctx, collection, c.ID, version, date, c.Type, c.SpecVersion, writer.Org, defaultMarking,
			lab.id, aid, strings.Join(c.Ends, ","), sortedRefs(c.GranularMarkingRefs), c.Raw)
		if ce := constraintError(err); ce != nil {
			reject(false, "the store refused it: %s", ce.Message)
			continue
		}
		if err != nil {
			return res, fmt.Errorf("insert version: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return res, err
		}
		if n == 0 {
			// The first bytes stay. Whether they are reported present
			// depends on whether the writer may read them.
			var readable int
			if err := existing.QueryRowContext(ctx, c.ID, collection, version, writer.Org).Scan(&readable); err != nil {
				return res, fmt.Errorf("find present version: %w", err)
			}
			accept(liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(version), Present: readable > 0 && acc.CanRead})
			continue
		}
		last = date
		written = append(written, c.ID)
		if len(c.Ends) > 0 {
			vid, err := r.LastInsertId()
			if err != nil {
				return res, err
			}
			for _, e := range c.Ends {
				if _, err := insEnd.ExecContext(ctx, e, vid); err != nil {
					return res, fmt.Errorf("insert end: %w", err)
				}
			}
			newRels = append(newRels, relRow{vid: vid, id: c.ID, ends: c.Ends})
		}
		accept(liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(version)})
	}
	if len(written) > 0 {
		// Rule 9 again for the relationships stored before that name
		// what was just written, and for new ones naming a new
		// relationship (its audience was not known when they were
		// inserted). The other new ones are right already.
		vids, err := w.relsNaming(written)
		if err != nil {
			return res, err
		}
		newRelIDs := make(map[string]bool, len(newRels))
		for _, r := range newRels {
			newRelIDs[r.id] = true
		}
		settled := map[int64]bool{}
		for _, r := range newRels {
			if !slices.ContainsFunc(r.ends, func(e string) bool { return newRelIDs[e] }) {
				settled[r.vid] = true
			}
		}
		vids = slices.DeleteFunc(vids, func(v int64) bool { return settled[v] })
		if err := w.recomputeRels(vids, nil, nil); err != nil {
			return res, err
		}
	}
	// Relationships were taken last; the results keep the call's order.
	res.Accepted = inOrder(res.Accepted, accPos, len(objs))
	res.Rejected = inOrder(res.Rejected, rejPos, len(objs))
	if last != startLast {
		if _, err := w.tx.ExecContext(ctx, `UPDATE collections SET last_added_us = ? WHERE id = ?`, last, collection); err != nil {
			return res, fmt.Errorf("update high-water mark: %w", err)
		}
	}
	return res, nil
}

// inOrder returns xs sorted by pos, the position in the call of each,
// all of them below n and none twice.
func inOrder[T any](xs []T, pos []int, n int) []T {
	at := make([]int, n)
	for k := range at {
		at[k] = -1
	}
	for k, p := range pos {
		at[p] = k
	}
	out := make([]T, 0, len(xs))
	for _, k := range at {
		if k >= 0 {
			out = append(out, xs[k])
		}
	}
	return out
}

// versionKey names a version across collections.
type versionKey struct {
	id      string
	version int64 // µs
}

// firstCollections returns, for the unmarked versioned candidates in objs
// that are stored already, the collection each was first written to (the
// one holding its earliest row), in one query.
func (w *wtx) firstCollections(objs []liaison.Candidate) (map[versionKey]string, error) {
	var ids []string
	want := map[versionKey]bool{}
	for _, c := range objs {
		if len(c.MarkingRefs) == 0 && !c.Version().IsZero() {
			ids = append(ids, c.ID)
			want[versionKey{c.ID, micros(c.Version())}] = true
		}
	}
	out := map[versionKey]string{}
	if len(ids) == 0 {
		return out, nil
	}
	first := map[versionKey]int64{}
	err := w.queryList(`SELECT id, version_us, collection, vid FROM versions WHERE id IN (SELECT value FROM json_each(?))`, ids, func(rows *sql.Rows) error {
		var k versionKey
		var coll string
		var vid int64
		if err := rows.Scan(&k.id, &k.version, &coll, &vid); err != nil {
			return err
		}
		if v, seen := first[k]; want[k] && (!seen || vid < v) {
			first[k] = vid
			out[k] = coll
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("first collections: %w", err)
	}
	return out, nil
}

// takeBatchMarkings makes the marking-definitions carried in objs known for
// this write and stores the new ones. A marking-definition whose id is
// known already with other content is refused (marking-definitions never
// change); the returned map holds the refusal message by position.
func (w *wtx) takeBatchMarkings(objs []liaison.Candidate) (map[int]string, error) {
	conflicts := map[int]string{}
	w.batchMarks = map[string]liaison.Marking{}
	bodies := map[string]string{}
	for i, c := range objs {
		if c.Marking == nil || c.ID == "" {
			continue
		}
		if _, builtin := liaison.TLPByID[c.ID]; builtin {
			continue
		}
		m := *c.Marking
		m.ID = c.ID
		body, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		if prev, ok := bodies[c.ID]; ok {
			if prev != string(body) {
				conflicts[i] = fmt.Sprintf("%s appears twice in this write with different content", c.ID)
			}
			continue
		}
		var stored string
		err = w.tx.QueryRowContext(w.ctx, `SELECT body FROM markings WHERE id = ?`, c.ID).Scan(&stored)
		switch {
		case err == sql.ErrNoRows:
			if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO markings (id, body) VALUES (?, ?)`, c.ID, string(body)); err != nil {
				return nil, fmt.Errorf("store marking: %w", err)
			}
			w.newMarking[c.ID] = m
			w.batchMarks[c.ID] = m
			bodies[c.ID] = string(body)
		case err != nil:
			return nil, fmt.Errorf("find marking: %w", err)
		default:
			bodies[c.ID] = stored
			if stored != string(body) {
				conflicts[i] = fmt.Sprintf("%s is known already with other content, and a marking-definition never changes", c.ID)
			}
		}
	}
	return conflicts, nil
}

// DeleteObject deletes the versions of one object selected by q.Versions
// and q.SpecVersions (default: the latest the writer may read). It needs
// write access and the originator's organisation. ENOTFOUND if the writer
// cannot read any matching version; EFORBIDDEN if they may read but not
// delete it. It returns how many versions it deleted.
func (s *Store) DeleteObject(ctx context.Context, writer liaison.Principal, collection, id string, q liaison.ObjectQuery) (int, error) {
	const op = "sqlite.DeleteObject"
	f, err := parseQuery(q)
	if err != nil {
		return 0, err
	}
	f.ids = []string{id}
	f.types = nil
	f.after = 0
	var w *wtx
	var n int
	err = s.inWrite(ctx, op, func(tx *sql.Tx) error {
		var err error
		if w, err = s.beginWrite(ctx, tx); err != nil {
			return err
		}
		defer w.close()
		acc, err := visibleCollection(ctx, tx, w.dir, writer, collection)
		if err != nil {
			return err
		}
		if !acc.CanRead {
			return liaison.NotFound("object", id)
		}
		from, args := f.source(collection, writer.Org)
		rows, err := tx.QueryContext(ctx, `SELECT v.vid, v.originator, v.ends `+from, args...)
		if err != nil {
			return fmt.Errorf("select versions: %w", err)
		}
		type victim struct {
			vid        int64
			originator string
			ends       string
		}
		var vs []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.vid, &v.originator, &v.ends); err != nil {
				rows.Close()
				return err
			}
			vs = append(vs, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(vs) == 0 {
			return liaison.NotFound("object", id)
		}
		for _, v := range vs {
			if !acc.CanWrite || v.originator != writer.Org {
				return liaison.Errorf(liaison.EFORBIDDEN, "user %s (%s) may not delete object %s: only its originator's analysts with write access may", writer.Name, writer.Org, id)
			}
		}
		for _, v := range vs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM versions WHERE vid = ?`, v.vid); err != nil {
				return fmt.Errorf("delete version: %w", err)
			}
			if v.ends != "" {
				for _, e := range strings.Split(v.ends, ",") {
					if _, err := tx.ExecContext(ctx, `DELETE FROM ends WHERE end_id = ? AND rel_vid = ?`, e, v.vid); err != nil {
						return fmt.Errorf("delete end: %w", err)
					}
				}
			}
		}
		n = len(vs)
		return w.recomputeRels(nil, []string{id}, nil)
	})
	if err != nil {
		return 0, err
	}
	w.commit()
	return n, nil
}

// Marking returns a marking-definition known to the hub, built in or
// stored. ENOTFOUND if unknown.
func (s *Store) Marking(ctx context.Context, id string) (liaison.Marking, error) {
	if t, ok := liaison.TLPByID[id]; ok {
		return liaison.Marking{ID: id, Name: t.String(), TLP: t}, nil
	}
	s.mu.Lock()
	m, ok := s.markCache[id]
	s.mu.Unlock()
	if ok {
		return m, nil
	}
	var body string
	err := s.reader.QueryRowContext(ctx, `SELECT body FROM markings WHERE id = ?`, id).Scan(&body)
	if err == sql.ErrNoRows {
		return liaison.Marking{}, liaison.NotFound("marking-definition", id)
	}
	if err != nil {
		return liaison.Marking{}, s.internal("sqlite.Marking", err)
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return liaison.Marking{}, s.internal("sqlite.Marking", err)
	}
	return m, nil
}
