package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"liaison"
)

// AddObjects writes candidates into a collection as writer, in one
// transaction. Each candidate is accepted or rejected on its own. The
// originator is the writer's organisation; unmarked objects take the
// collection's default marking; date_added is unique and strictly
// increasing in the collection and commits in that order. New versions go
// in with COPY. A version stored before keeps its first bytes; it is
// reported Present only when the writer may read it, so a write never
// reveals a version hidden from the writer. ENOTFOUND if the writer cannot
// see the collection; EFORBIDDEN if they may see but not write it.
func (s *Store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	var res liaison.WriteResult
	err := s.inWrite(ctx, "postgres.AddObjects", func(w *wtx) error {
		var err error
		res, err = w.addObjects(writer, collection, objs)
		return err
	})
	if err != nil {
		return liaison.WriteResult{}, err
	}
	added := 0
	for _, a := range res.Accepted {
		if !a.Present {
			added++
		}
	}
	s.wrote(added)
	return res, nil
}

// text reports whether s can be stored as PostgreSQL text: valid UTF-8
// without NUL.
func text(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// pending is a candidate that passed the checks, on its way to a row.
type pending struct {
	c              *liaison.Candidate
	label          labelRef
	defaultMarking string
	version        int64 // µs; 0 for objects with neither modified nor created
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
	// The row lock on the collection orders its writers even if the store
	// lock is ever relaxed: date_added is assigned and committed under it.
	var last int64
	if err := w.tx.QueryRow(ctx, `SELECT last_added_us FROM collections WHERE id = $1 FOR UPDATE`, collection).Scan(&last); err != nil {
		return res, fmt.Errorf("collection high-water mark: %w", err)
	}
	startLast := last

	conflicts, err := w.takeBatchMarkings(objs)
	if err != nil {
		return res, err
	}

	firstDefault, err := w.firstDefaults(objs)
	if err != nil {
		return res, err
	}

	// 1. Check each candidate on its own and resolve its label.
	var ps []pending
	for i := range objs {
		c := &objs[i]
		reject := func(unknownMarking bool, format string, args ...any) {
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
		case !text(c.ID, c.SpecVersion) || !text(c.MarkingRefs...) || !text(c.GranularMarkingRefs...) || !text(c.Ends...):
			reject(false, "its id, spec_version or a reference is not valid UTF-8 text")
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
		refs := c.MarkingRefs
		p := pending{c: c, version: micros(c.Version())}
		if len(refs) == 0 {
			// Rule 8: an unmarked version takes the default marking of
			// the collection it was first written to, so it has the same
			// audience in every collection.
			def, stored := firstDefault[c.ID+"\x00"+fmt.Sprint(p.version)]
			if !stored {
				def = coll.DefaultMarking
			}
			if def != "" {
				refs = []string{def}
				p.defaultMarking = def
			}
		}
		if p.label, err = w.label(writer.Org, sortedRefs(refs)); err != nil {
			return res, err
		}
		ps = append(ps, p)
	}

	// 2. Which of them are stored already, in one query each way.
	have, haveRaw, err := w.present(collection, writer.Org, ps)
	if err != nil {
		return res, err
	}

	// 3. Assign versions and dates in order; duplicates are present.
	type key struct {
		id  string
		ver int64
	}
	inBatch := map[key]bool{}
	rawInBatch := map[string]int64{}
	nowUS := w.now.UnixMicro()
	var rows [][]any
	var rels []int
	var written []string
	for _, p := range ps {
		c := p.c
		date := max(nowUS, last+1)
		version := p.version
		if version == 0 {
			rk := c.ID + "\x00" + string(c.Raw)
			// Identical to a version the writer may read: present. One
			// hidden from the writer (or in a collection the writer may
			// not read) is never mentioned: this becomes a version of its
			// own.
			if v, ok := haveRaw[rk]; ok && acc.CanRead {
				res.Accepted = append(res.Accepted, liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(v), Present: true})
				continue
			}
			if v, ok := rawInBatch[rk]; ok && acc.CanRead {
				res.Accepted = append(res.Accepted, liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(v), Present: true})
				continue
			}
			version = date
			rawInBatch[rk] = version
		}
		k := key{c.ID, version}
		readable, stored := have[c.ID+"\x00"+fmt.Sprint(version)]
		if stored || inBatch[k] {
			// The first bytes stay. They are reported present only when
			// the writer may read them: a write never reveals a version
			// hidden from the writer. (A version written earlier in this
			// batch is the writer's own.)
			res.Accepted = append(res.Accepted, liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(version), Present: acc.CanRead && (readable || !stored)})
			continue
		}
		inBatch[k] = true
		last = date
		written = append(written, c.ID)
		if len(c.Ends) > 0 {
			rels = append(rels, len(rows))
		}
		rows = append(rows, []any{nil, collection, c.ID, version, date, c.Type, c.SpecVersion, writer.Org, p.defaultMarking,
			p.label.id, p.label.audience, strings.Join(c.Ends, ","), sortedRefs(c.GranularMarkingRefs), c.Raw})
		res.Accepted = append(res.Accepted, liaison.Accepted{Index: c.Index, ID: c.ID, Version: fromMicros(version)})
	}
	if len(rows) == 0 {
		return res, nil
	}

	// 4. COPY the new versions (with ids drawn from the sequence, so
	// relationships can name theirs) and their ends.
	vids, err := w.nextVids(len(rows))
	if err != nil {
		return res, err
	}
	for i := range rows {
		rows[i][0] = vids[i]
	}
	if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{"versions"},
		[]string{"vid", "collection", "id", "version_us", "date_added_us", "type", "spec_version", "originator", "default_marking", "label_id", "audience_id", "ends", "granular_refs", "raw"},
		pgx.CopyFromRows(rows)); err != nil {
		return res, fmt.Errorf("copy versions: %w", err)
	}
	var newRels []int64
	if len(rels) > 0 {
		var endRows [][]any
		for _, i := range rels {
			vid := vids[i]
			seen := map[string]bool{}
			for _, e := range strings.Split(rows[i][11].(string), ",") {
				if !seen[e] {
					seen[e] = true
					endRows = append(endRows, []any{e, vid})
				}
			}
			newRels = append(newRels, vid)
		}
		if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{"ends"}, []string{"end_id", "rel_vid"}, pgx.CopyFromRows(endRows)); err != nil {
			return res, fmt.Errorf("copy ends: %w", err)
		}
	}
	if err := w.recomputeRels(newRels, written, nil); err != nil {
		return res, err
	}
	if last != startLast {
		if _, err := w.tx.Exec(ctx, `UPDATE collections SET last_added_us = $1 WHERE id = $2`, last, collection); err != nil {
			return res, fmt.Errorf("update high-water mark: %w", err)
		}
	}
	return res, nil
}

// firstDefaults returns, for the unmarked candidates with a version that
// some collection stores already, the default marking recorded when the
// version was first written (keyed id NUL version µs).
func (w *wtx) firstDefaults(objs []liaison.Candidate) (map[string]string, error) {
	out := map[string]string{}
	var ids []string
	var vers []int64
	for _, c := range objs {
		if len(c.MarkingRefs) == 0 && micros(c.Version()) != 0 && text(c.ID) {
			ids = append(ids, c.ID)
			vers = append(vers, c.Version().UnixMicro())
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := w.tx.Query(w.ctx, `SELECT DISTINCT ON (v.id, v.version_us) v.id, v.version_us, v.default_marking FROM versions v
		JOIN unnest($1::text[], $2::bigint[]) AS k(id, ver) ON v.id = k.id AND v.version_us = k.ver
		ORDER BY v.id, v.version_us, v.vid`, ids, vers)
	if err != nil {
		return nil, fmt.Errorf("find first defaults: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, def string
		var ver int64
		if err := rows.Scan(&id, &ver, &def); err != nil {
			return nil, err
		}
		out[id+"\x00"+fmt.Sprint(ver)] = def
	}
	return out, rows.Err()
}

// nextVids draws n version ids from the versions identity sequence.
func (w *wtx) nextVids(n int) ([]int64, error) {
	rows, err := w.tx.Query(w.ctx, `SELECT nextval(pg_get_serial_sequence('versions', 'vid')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("version ids: %w", err)
	}
	vids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("version ids: %w", err)
	}
	return vids, nil
}

// present returns which (id, version) of ps the collection stores already
// (keyed id NUL version, true when org may read it), and, for objects
// without a version, the version of a stored identical object org may
// read (keyed id NUL raw).
func (w *wtx) present(collection, org string, ps []pending) (map[string]bool, map[string]int64, error) {
	have := map[string]bool{}
	haveRaw := map[string]int64{}
	var ids, rawIDs []string
	var vers []int64
	var raws [][]byte
	for _, p := range ps {
		if p.version == 0 {
			rawIDs = append(rawIDs, p.c.ID)
			raws = append(raws, p.c.Raw)
		} else {
			ids = append(ids, p.c.ID)
			vers = append(vers, p.version)
		}
	}
	if len(ids) > 0 {
		rows, err := w.tx.Query(w.ctx, `SELECT v.id, v.version_us, `+readableBy("v", "$4")+` FROM versions v
			JOIN unnest($2::text[], $3::bigint[]) AS k(id, ver) ON v.id = k.id AND v.version_us = k.ver
			WHERE v.collection = $1`, collection, ids, vers, org)
		if err != nil {
			return nil, nil, fmt.Errorf("find stored versions: %w", err)
		}
		for rows.Next() {
			var id string
			var ver int64
			var readable bool
			if err := rows.Scan(&id, &ver, &readable); err != nil {
				rows.Close()
				return nil, nil, err
			}
			have[id+"\x00"+fmt.Sprint(ver)] = readable
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("find stored versions: %w", err)
		}
	}
	if len(rawIDs) > 0 {
		rows, err := w.tx.Query(w.ctx, `SELECT v.id, v.raw, v.version_us FROM versions v
			JOIN unnest($2::text[], $3::bytea[]) AS k(id, raw) ON v.id = k.id AND v.raw = k.raw
			WHERE v.collection = $1 AND `+readableBy("v", "$4"), collection, rawIDs, raws, org)
		if err != nil {
			return nil, nil, fmt.Errorf("find identical versions: %w", err)
		}
		for rows.Next() {
			var id string
			var raw []byte
			var ver int64
			if err := rows.Scan(&id, &raw, &ver); err != nil {
				rows.Close()
				return nil, nil, err
			}
			haveRaw[id+"\x00"+string(raw)] = ver
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("find identical versions: %w", err)
		}
	}
	return have, haveRaw, nil
}

// takeBatchMarkings makes the marking-definitions carried in objs known for
// this write and stores the new ones. A marking-definition whose id is
// known already with other content is refused (marking-definitions never
// change); the returned map holds the refusal message by position.
func (w *wtx) takeBatchMarkings(objs []liaison.Candidate) (map[int]string, error) {
	conflicts := map[int]string{}
	w.batchMarks = map[string]liaison.Marking{}
	var ids []string
	for _, c := range objs {
		if c.Marking != nil && c.ID != "" && text(c.ID) {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return conflicts, nil
	}
	stored := map[string]string{}
	rows, err := w.tx.Query(w.ctx, `SELECT id, body FROM markings WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("find markings: %w", err)
	}
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return nil, err
		}
		stored[id] = body
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find markings: %w", err)
	}
	bodies := map[string]string{}
	var newIDs, newBodies []string
	for i, c := range objs {
		if c.Marking == nil || c.ID == "" || !text(c.ID) {
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
		if have, ok := stored[c.ID]; ok {
			bodies[c.ID] = have
			if have != string(body) {
				conflicts[i] = fmt.Sprintf("%s is known already with other content, and a marking-definition never changes", c.ID)
			}
			continue
		}
		newIDs = append(newIDs, c.ID)
		newBodies = append(newBodies, string(body))
		w.newMarking[c.ID] = m
		w.batchMarks[c.ID] = m
		bodies[c.ID] = string(body)
	}
	if len(newIDs) > 0 {
		if _, err := w.tx.Exec(w.ctx, `INSERT INTO markings (id, body) SELECT * FROM unnest($1::text[], $2::text[])`, newIDs, newBodies); err != nil {
			return nil, fmt.Errorf("store markings: %w", err)
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
	f, err := parseQuery(q)
	if err != nil {
		return 0, err
	}
	f.ids = []string{id}
	f.types = nil
	f.after = 0
	var n int
	err = s.inWrite(ctx, "postgres.DeleteObject", func(w *wtx) error {
		acc, err := visibleCollection(ctx, w.tx, w.dir, writer, collection)
		if err != nil {
			return err
		}
		if !acc.CanRead {
			return liaison.NotFound("object", id)
		}
		where, args := f.where(collection, writer.Org)
		rows, err := w.tx.Query(ctx, `SELECT v.vid, v.originator, v.ends FROM versions v WHERE `+where, args...)
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
		vids := make([]int64, len(vs))
		for i, v := range vs {
			vids[i] = v.vid
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM ends WHERE rel_vid = ANY($1)`, vids); err != nil {
			return fmt.Errorf("delete ends: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM versions WHERE vid = ANY($1)`, vids); err != nil {
			return fmt.Errorf("delete versions: %w", err)
		}
		n = len(vs)
		return w.recomputeRels(nil, []string{id}, nil)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Marking returns a marking-definition known to the hub, built in or
// stored. ENOTFOUND if unknown.
func (s *Store) Marking(ctx context.Context, id string) (liaison.Marking, error) {
	if t, ok := liaison.TLPByID[id]; ok {
		return liaison.Marking{ID: id, Name: t.String(), TLP: t}, nil
	}
	if !text(id) {
		return liaison.Marking{}, liaison.NotFound("marking-definition", id)
	}
	m, ok, err := s.storedMarking(ctx, s.pool, id)
	if err != nil {
		return liaison.Marking{}, s.internal("postgres.Marking", err)
	}
	if !ok {
		return liaison.Marking{}, liaison.NotFound("marking-definition", id)
	}
	return m, nil
}
