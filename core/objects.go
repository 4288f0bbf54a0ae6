package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"liaison"
	"liaison/internal/objquery"
	"liaison/stix"
)

// AddObjects writes candidates into a collection as writer, in one
// transaction. Each candidate is accepted or rejected on its own. The
// originator is the writer's organisation; unmarked objects take the
// default marking of the collection each version was first written to
// (rule 8); relationships and sightings get rule 9's audience. date_added
// is unique and strictly increasing in the collection. A version stored
// before keeps its first bytes; it is reported Present only when the
// writer may read it, so a write never reveals a version hidden from the
// writer. ENOTFOUND if the writer cannot see the collection; EFORBIDDEN
// if they may see but not write it.
func (o *Office) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	var res liaison.WriteResult
	objs = PrepareSearch(objs)
	err := o.write(ctx, "AddObjects", func(w *Write) error {
		var err error
		res, err = w.AddObjects(writer, collection, objs)
		return err
	})
	if err != nil {
		return liaison.WriteResult{}, err
	}
	o.Ingested(ctx, writer, collection, objs, res)
	return res, nil
}

// text reports whether every s is valid UTF-8 without NUL, which every
// engine can store as text.
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
	pos            int // in the call
	c              *liaison.Candidate
	label          labelRef
	defaultMarking string
	version        int64 // µs; 0 for objects with neither modified nor created
}

// versionKey names a version.
type versionKey struct {
	id      string
	version int64 // µs
}

// AddObjects is the write plan of one call, in the write's transaction:
// check each candidate, resolve its markings and label, find what is
// stored already, assign versions and dates, insert the other objects,
// then the relationships and sightings with rule 9's audience, and settle
// rule 9 for the relationships stored before that name what was written.
func (w *Write) AddObjects(writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	res := liaison.WriteResult{Accepted: []liaison.Accepted{}, Rejected: []liaison.Rejection{}}
	acc, err := w.writeAccess(writer, collection)
	if err != nil {
		return res, err
	}
	if !acc.CanWrite {
		return res, liaison.Errorf(liaison.EFORBIDDEN, "user %s (%s) may not write to collection %s", writer.Name, writer.Org, collection)
	}
	coll := acc.Collection
	var last int64
	// The collection's high-water mark; a store that can also locks the
	// row, so date_added is assigned and committed under it.
	if err := w.tx.QueryRow(`SELECT last_added_us FROM collections WHERE id = ?`+w.o.lockRow, collection).Scan(&last); err != nil {
		return res, fmt.Errorf("collection high-water mark: %w", err)
	}
	startLast := last

	conflicts, err := w.takeBatchMarkings(objs)
	if err != nil {
		return res, err
	}
	firstDefault, have, err := w.stored(collection, writer, acc.CanRead, objs)
	if err != nil {
		return res, err
	}

	// pos holds the position in objs of each result, to put them back in
	// the call's order at the end.
	var accPos, rejPos []int
	accept := func(i int, a liaison.Accepted) {
		res.Accepted = append(res.Accepted, a)
		accPos = append(accPos, i)
	}

	// 1. Check each candidate on its own and resolve its label.
	var ps []pending
	for i := range objs {
		c := &objs[i]
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
		case !text(c.ID, c.SpecVersion) || !text(c.MarkingRefs...) || !text(c.GranularMarkingRefs...) || !text(c.Ends...):
			reject(false, "its id, spec_version or a reference is not valid UTF-8 text")
			continue
		case conflicts[i] != "":
			// Like any version re-used with other content: a conflict,
			// reported apart from rejections; the known one stays.
			accept(i, liaison.Accepted{Index: c.Index, ID: c.ID, Version: c.Version(), Present: true,
				Conflict: fmt.Sprintf("object %d (%s): %s", c.Index, c.ID, conflicts[i])})
			continue
		}
		unknown := ""
		for _, set := range []struct {
			prop string
			refs []string
		}{{"object_marking_refs", c.MarkingRefs}, {"granular_markings", c.GranularMarkingRefs}, {"the import's default marking", c.DefaultMarkings}} {
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
		p := pending{pos: i, c: c, version: Micros(c.Version())}
		if len(refs) == 0 {
			// Rule 8 with rule 2: an unmarked version takes the default
			// marking of the collection it was first written to, so it
			// has the same audience in every collection.
			// The defaults chosen for an import stand in for the
			// collection's.
			def, stored := firstDefault[versionKey{c.ID, p.version}]
			if !stored {
				def = coll.DefaultMarking
				if len(c.DefaultMarkings) > 0 {
					def = SortedRefs(c.DefaultMarkings)
				}
			}
			if def != "" {
				refs = liaison.DefaultMarkingIDs(def)
				p.defaultMarking = def
			}
		}
		if p.label, err = w.label(writer.Org, SortedRefs(refs)); err != nil {
			return res, err
		}
		ps = append(ps, p)
	}

	// 2. Which of them are stored already, in one query each way.
	haveRaw, err := w.identical(collection, writer.Org, ps)
	if err != nil {
		return res, err
	}

	// 3. Assign versions and dates in order; duplicates are present.
	// Relationships and sightings go last, once every other object of the
	// call is stored, so that rule 9 can give each its audience as it is
	// inserted.
	slices.SortStableFunc(ps, func(a, b pending) int {
		ra, rb := len(a.c.Ends) > 0, len(b.c.Ends) > 0
		switch {
		case ra == rb:
			return 0
		case rb:
			return -1
		}
		return 1
	})
	inBatch := map[versionKey][]byte{}
	rawInBatch := map[string]int64{}
	nowUS := w.now.UnixMicro()
	var rows, relRows []VersionRow
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
				accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(v), Present: true})
				continue
			}
			if v, ok := rawInBatch[rk]; ok && acc.CanRead {
				accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(v), Present: true})
				continue
			}
			version = date
			rawInBatch[rk] = version
		}
		k := versionKey{c.ID, version}
		in := have[k]
		conflict := func(with string) {
			accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(version), Present: true,
				Conflict: fmt.Sprintf("object %d (%s): version %s is %s with other content; STIX gives a changed object a new modified, so the stored version stays",
					c.Index, c.ID, FromMicros(version).Format(time.RFC3339Nano), with)})
		}
		switch {
		case inBatch[k] != nil:
			// Written earlier in this call: the writer's own.
			if !sameObject(inBatch[k], c.Raw) {
				conflict("earlier in this write")
				continue
			}
			accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(version), Present: acc.CanRead})
			continue
		case in != nil && in.raw != nil:
			// The writer reads a stored instance: the first bytes stay.
			if !sameObject(in.raw, c.Raw) {
				conflict("stored already")
				continue
			}
			accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(version), Present: true})
			continue
		case in != nil && in.own:
			// An instance of the writer's organisation that the writer
			// may not read here (the collection's read list leaves it
			// out): the first bytes stay, and nothing is said of them. A
			// peer's version delivered again is present: the office itself
			// writes it, and reads all.
			accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(version), Present: w.carry != nil})
			continue
		}
		// New to the writer: stored as an instance of its own, whatever
		// the collection holds hidden from the writer (polyinstantiation:
		// the writer learns nothing, and reads back what it wrote).
		shadow := in != nil
		inBatch[k] = c.Raw
		last = date
		written = append(written, c.ID)
		row := VersionRow{Collection: collection, ID: c.ID, Version: version, DateAdded: date, Type: c.Type, SpecVersion: c.SpecVersion,
			Originator: writer.Org, DefaultMarking: p.defaultMarking, LabelID: p.label.id, AudienceID: p.label.audience,
			Ends: strings.Join(c.Ends, ","), GranularRefs: SortedRefs(c.GranularMarkingRefs), Raw: c.Raw, Search: c.Search, Shadow: shadow}
		if c.Type == "indicator" {
			w.indicators = append(w.indicators, row)
		}
		if len(c.Ends) > 0 {
			relRows = append(relRows, row)
		} else {
			rows = append(rows, row)
		}
		accept(p.pos, liaison.Accepted{Index: c.Index, ID: c.ID, Version: FromMicros(version), Added: FromMicros(date)})
	}

	// 4. Insert: the other objects, then the relationships and sightings
	// with their ends.
	if err := w.insert(rows); err != nil {
		return res, err
	}
	if len(relRows) > 0 {
		var relEnds []string
		for _, r := range relRows {
			relEnds = append(relEnds, strings.Split(r.Ends, ",")...)
		}
		slices.Sort(relEnds)
		readers, err := w.endReaders(slices.Compact(relEnds))
		if err != nil {
			return res, err
		}
		for i := range relRows {
			r := &relRows[i]
			label, err := w.audience(r.AudienceID)
			if err != nil {
				return res, err
			}
			if r.AudienceID, err = w.audienceID(relAudience(label, strings.Split(r.Ends, ","), readers)); err != nil {
				return res, err
			}
		}
		if err := w.insert(relRows); err != nil {
			return res, err
		}
		if err := w.insertEnds(relRows); err != nil {
			return res, err
		}
	}

	// 5. Rule 9 again for the relationships stored before that name what
	// was just written, and for new ones naming a new relationship (its
	// audience was not known when they were inserted). The other new ones
	// are right already.
	if len(written) > 0 {
		vids, err := w.relsNaming(written)
		if err != nil {
			return res, err
		}
		newRelIDs := map[string]bool{}
		for _, r := range relRows {
			newRelIDs[r.ID] = true
		}
		settled := map[int64]bool{}
		for _, r := range relRows {
			if !slices.ContainsFunc(strings.Split(r.Ends, ","), func(e string) bool { return newRelIDs[e] }) {
				settled[r.VID] = true
			}
		}
		vids = slices.DeleteFunc(vids, func(v int64) bool { return settled[v] })
		if err := w.settle(vids, nil, nil); err != nil {
			return res, err
		}
	}
	res.Accepted = inOrder(res.Accepted, accPos, len(objs))
	res.Rejected = inOrder(res.Rejected, rejPos, len(objs))
	if last != startLast {
		if _, err := w.tx.Exec(`UPDATE collections SET last_added_us = ? WHERE id = ?`, last, collection); err != nil {
			return res, fmt.Errorf("update high-water mark: %w", err)
		}
	}
	return res, nil
}

// insert writes new versions, setting their VID, and indexes them for
// search.
func (w *Write) insert(rows []VersionRow) error {
	if err := w.insertVersions(rows); err != nil {
		return err
	}
	return w.indexSearch(rows)
}

func (w *Write) insertVersions(rows []VersionRow) error {
	if len(rows) == 0 {
		return nil
	}
	if w.o.ins != nil {
		return w.o.ins.InsertVersions(w.tx, rows)
	}
	const ins = `INSERT INTO versions (collection, id, idk, version_us, date_added_us, type, spec_version, originator, default_marking, label_id, audience_id, ends, granular_refs, raw, shadow)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	for i := range rows {
		r := &rows[i]
		args := []any{r.Collection, r.ID, stix.IDKey(r.ID), r.Version, r.DateAdded, r.Type, r.SpecVersion, r.Originator, r.DefaultMarking, r.LabelID, r.AudienceID, r.Ends, r.GranularRefs, r.Raw, shadowFlag(r.Shadow)}
		// Every vid is wanted: a relationship's for its ends, and every
		// version's for its search document. An engine that reports the
		// rowid of an insert gives it at no cost.
		var err error
		if li, ok := w.tx.(LastInserter); ok {
			r.VID, err = li.ExecLastID(ins, args...)
		} else {
			err = w.tx.QueryRow(ins+` RETURNING vid`, args...).Scan(&r.VID)
		}
		if err != nil {
			return fmt.Errorf("insert version %s: %w", r.ID, err)
		}
	}
	return nil
}

// shadowFlag is the shadow column's value.
func shadowFlag(shadow bool) int {
	if shadow {
		return 1
	}
	return 0
}

// insertEnds records the ends of new relationship versions.
func (w *Write) insertEnds(rows []VersionRow) error {
	var ends []int64
	var vids []int64
	for _, r := range rows {
		for _, k := range endKeys(r.Ends) {
			ends = append(ends, k)
			vids = append(vids, r.VID)
		}
	}
	if len(ends) == 0 {
		return nil
	}
	if ei, ok := w.o.db.(EndsInserter); ok {
		if err := ei.InsertEnds(w.tx, ends, vids); err != nil {
			return fmt.Errorf("insert ends: %w", err)
		}
		return nil
	}
	for i, e := range ends {
		if _, err := w.tx.Exec(`INSERT INTO ends (end_k, rel_vid) VALUES (?, ?) ON CONFLICT DO NOTHING`, e, vids[i]); err != nil {
			return fmt.Errorf("insert end: %w", err)
		}
	}
	return nil
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

// readableCol is the audience test as a column: whether the version v is
// readable by the organisation bound to its ?.
const readableCol = `v.audience_id IN (SELECT audience_id FROM audience_members WHERE org = ?)`

// instances is what a collection holds already of one version.
type instances struct {
	exists bool   // some instance, readable or not
	own    bool   // one of the writer's organisation
	raw    []byte // the bytes of the first instance the writer may read; nil if none
	first  int64  // its date_added (µs)
}

// stored looks up, in one query, the stored instances of the versioned
// candidates in objs: what the collection holds of each (instances), and
// for the unmarked ones the default marking recorded when the version was
// first written (rule 8: the earliest row the writer may read, or of the
// writer's own organisation; a version hidden from the writer never lends
// it anything).
func (w *Write) stored(collection string, writer liaison.Principal, canRead bool, objs []liaison.Candidate) (map[versionKey]string, map[versionKey]*instances, error) {
	org := writer.Org
	unmarked := map[versionKey]bool{}
	want := map[versionKey]bool{}
	var ids []string
	for _, c := range objs {
		k := versionKey{c.ID, Micros(c.Version())}
		if k.version == 0 || !text(c.ID) {
			continue
		}
		ids = append(ids, c.ID)
		want[k] = true
		if len(c.MarkingRefs) == 0 {
			unmarked[k] = true
		}
	}
	defaults := map[versionKey]string{}
	have := map[versionKey]*instances{}
	first := map[versionKey]int64{}
	type row struct {
		k                     versionKey
		coll, def, originator string
		vid, added            int64
		readable              bool
		raw                   []byte
	}
	var found []row
	err := forChunks(ids, func(part []string) error {
		return eachRow(w.tx, func(rows Rows) error {
			var r row
			if err := rows.Scan(&r.k.id, &r.k.version, &r.coll, &r.def, &r.vid, &r.originator, &r.added, &r.readable, &r.raw); err != nil {
				return err
			}
			if want[r.k] {
				found = append(found, r)
			}
			return nil
		}, storedQuery, append([]any{org, collection}, idArgs(part)...)...)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("find stored versions: %w", err)
	}
	for _, r := range found {
		k, readable := r.k, r.readable
		if readable && r.coll != collection {
			rd, err := w.readers(r.coll)
			if err != nil {
				return nil, nil, fmt.Errorf("find stored versions: %w", err)
			}
			readable = rd.Contains(org)
		}
		readable = readable && (r.coll != collection || canRead)
		if r.coll == collection {
			in := have[k]
			if in == nil {
				in = &instances{}
				have[k] = in
			}
			in.exists = true
			in.own = in.own || r.originator == org
			if readable && (in.raw == nil || r.added < in.first) {
				in.raw, in.first = r.raw, r.added
			}
		}
		if v, seen := first[k]; unmarked[k] && (readable || r.originator == org) && (!seen || r.vid < v) {
			first[k] = r.vid
			defaults[k] = r.def
		}
	}
	return defaults, have, nil
}

// sameObject reports whether two serialisations of an object say the same
// thing: the same bytes, or the same JSON value.
func sameObject(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// identical returns, for candidates without a version, the version of a
// stored identical object in the collection that org may read (keyed id
// NUL raw).
func (w *Write) identical(collection, org string, ps []pending) (map[string]int64, error) {
	haveRaw := map[string]int64{}
	var rawIDs []string
	rawWant := map[string]bool{}
	for _, p := range ps {
		if p.version == 0 {
			rawIDs = append(rawIDs, p.c.ID)
			rawWant[p.c.ID+"\x00"+string(p.c.Raw)] = true
		}
	}
	err := forChunks(rawIDs, func(part []string) error {
		return eachRow(w.tx, func(rows Rows) error {
			var id string
			var raw []byte
			var ver int64
			if err := rows.Scan(&id, &ver, &raw); err != nil {
				return err
			}
			if k := id + "\x00" + string(raw); raw != nil && rawWant[k] {
				haveRaw[k] = ver
			}
			return nil
		}, identicalQuery, append([]any{collection, org}, idArgs(part)...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("find identical versions: %w", err)
	}
	return haveRaw, nil
}

// takeBatchMarkings makes the marking-definitions carried in objs known for
// this write and stores the new ones. A marking-definition whose id is
// known already with other content is not taken (marking-definitions never
// change): the returned map holds, by position, why it conflicts.
func (w *Write) takeBatchMarkings(objs []liaison.Candidate) (map[int]string, error) {
	conflicts := map[int]string{}
	w.batchMarks = map[string]liaison.Marking{}
	bodies := map[string]string{}
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
				conflicts[i] = "this marking-definition appears earlier in this write with other content; the first one stays"
			}
			continue
		}
		var stored string
		err = w.tx.QueryRow(`SELECT body FROM markings WHERE id = ?`, c.ID).Scan(&stored)
		switch {
		case errors.Is(err, ErrNoRows):
			if _, err := w.tx.Exec(`INSERT INTO markings (id, body) VALUES (?, ?)`, c.ID, string(body)); err != nil {
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
				conflicts[i] = "this marking-definition is known already with other content; a marking-definition never changes, so the known one stays"
			}
		}
	}
	return conflicts, nil
}

// DeleteObject deletes the versions of one object selected by q.Versions
// and q.SpecVersions (default: the latest the writer may read), chosen by
// the store's reader-filtered query (Pages.Select). It needs write access
// and the originator's organisation. ENOTFOUND if the writer cannot read
// any matching version; EFORBIDDEN if they may read but not delete it. It
// returns how many versions it deleted.
func (o *Office) DeleteObject(ctx context.Context, writer liaison.Principal, collection, id string, q liaison.ObjectQuery) (int, error) {
	f, err := objquery.ParseDelete(q, id)
	if err != nil {
		return 0, err
	}
	from, args := o.pages.Select(f, collection, writer.Org)
	var n int
	err = o.write(ctx, "DeleteObject", func(w *Write) error {
		acc, err := VisibleCollection(w.tx, w.dir, writer, collection)
		if err != nil {
			return err
		}
		if !acc.CanRead {
			return liaison.NotFound("object", id)
		}
		var vids []int64
		var ends []string
		err = eachRow(w.tx, func(rows Rows) error {
			var vid int64
			var org, e string
			if err := rows.Scan(&vid, &org, &e); err != nil {
				return err
			}
			if !acc.CanWrite || org != writer.Org {
				return liaison.Errorf(liaison.EFORBIDDEN, "user %s (%s) may not delete object %s: only its originator's analysts with write access may", writer.Name, writer.Org, id)
			}
			vids, ends = append(vids, vid), append(ends, e)
			return nil
		}, `SELECT v.vid, v.originator, v.ends `+from, args...)
		if err != nil {
			return err
		}
		if len(vids) == 0 {
			return liaison.NotFound("object", id)
		}
		if err := w.flushSearch(); err != nil {
			return err
		}
		for i, vid := range vids {
			if _, err := w.tx.Exec(`DELETE FROM versions WHERE vid = ?`, vid); err != nil {
				return fmt.Errorf("delete version: %w", err)
			}
			if ends[i] != "" {
				for _, k := range endKeys(ends[i]) {
					if _, err := w.tx.Exec(`DELETE FROM ends WHERE end_k = ? AND rel_vid = ?`, k, vid); err != nil {
						return fmt.Errorf("delete end: %w", err)
					}
				}
			}
		}
		n = len(vids)
		return w.settle(nil, []string{id}, nil)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Marking returns a marking-definition known to the hub, built in or
// stored. ENOTFOUND if unknown.
func (o *Office) Marking(ctx context.Context, id string) (liaison.Marking, error) {
	if t, ok := liaison.TLPByID[id]; ok {
		return liaison.Marking{ID: id, Name: t.String(), TLP: t}, nil
	}
	var m liaison.Marking
	err := o.inRead(ctx, "Marking", func(tx Tx) error {
		var ok bool
		var err error
		if m, ok, err = o.storedMarking(tx, id); err == nil && !ok {
			err = liaison.NotFound("marking-definition", id)
		}
		return err
	})
	return m, err
}
