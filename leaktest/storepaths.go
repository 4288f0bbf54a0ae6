package leaktest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"liaison"
)

// StorePaths are the store's own read paths: Objects with each version
// selector and as manifests, paging with small limits and added_after,
// reads by id, the collection listings, and the errors for hidden versus
// missing things.
func StorePaths() []ReadPath {
	return []ReadPath{storeObjects{}, storePaging{}, storeByID{}, storeCollections{}, storeRelated{}, storeExplain{}}
}

// readAll pages through Objects with q until More is false, checking each
// page's shape: no more than the limit, a cursor when More is set, and no
// empty page after More promised more.
func readAll(e *Env, r *User, c *Coll, q liaison.ObjectQuery) ([]liaison.Version, error) {
	var out []liaison.Version
	promised := false
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return out, fmt.Errorf("more than 100000 pages: the cursor does not advance")
		}
		e.stats.Reads.Add(1)
		pg, err := e.Store.Objects(e.Ctx(), r.Principal, c.ID, q)
		if err != nil {
			return out, err
		}
		if promised && len(pg.Versions) == 0 {
			e.Errorf(r, "LEAK %s: a page said more=true but the next page is empty (a count of hidden versions leaks)", c.Key)
		}
		if q.Limit > 0 && len(pg.Versions) > q.Limit {
			e.Errorf(r, "%s: page of %d versions for limit %d", c.Key, len(pg.Versions), q.Limit)
		}
		out = append(out, pg.Versions...)
		if !pg.More {
			return out, nil
		}
		if pg.Next == "" {
			return out, fmt.Errorf("more=true without a next cursor")
		}
		promised = true
		q.Next = pg.Next
	}
}

// compare checks got against want: no duplicates, nothing extra (a leak),
// nothing missing, and each version's bytes, originator and default
// marking as written. It returns the date each version was added.
func compare(e *Env, r *User, what string, got []liaison.Version, want []*Obj, manifest bool) map[versionKey]time.Time {
	e.T.Helper()
	e.stats.Versions.Add(int64(len(got)))
	wantBy := make(map[versionKey]*Obj, len(want))
	for _, o := range want {
		wantBy[o.key()] = o
	}
	added := make(map[versionKey]time.Time, len(got))
	for _, v := range got {
		k := versionKey{v.Collection, v.ID, v.Modified.UnixMicro()}
		if _, dup := added[k]; dup {
			e.Errorf(r, "%s: %s returned twice", what, k)
			continue
		}
		added[k] = v.DateAdded
		o, ok := wantBy[k]
		if !ok {
			e.Errorf(r, "LEAK %s: received %s (type %s, originator %s), which the reference hides: %s", what, k, v.Type, v.Originator, e.explain(r, v))
			continue
		}
		if manifest {
			if v.Raw != nil {
				e.Errorf(r, "%s: manifest carries the object's bytes for %s", what, k)
			}
		} else if !bytes.Equal(v.Raw, o.Raw) {
			e.Errorf(r, "%s: %s: bytes differ from what was written:\n got %s\nwant %s", what, k, v.Raw, o.Raw)
		}
		if v.Originator != o.Originator() {
			e.Errorf(r, "%s: %s: originator %q, want %q", what, k, v.Originator, o.Originator())
		}
		if v.DefaultMarking != o.Default {
			e.Errorf(r, "%s: %s: default marking %q, want %q", what, k, v.DefaultMarking, o.Default)
		}
		if v.Type != o.Type {
			e.Errorf(r, "%s: %s: type %q, want %q", what, k, v.Type, o.Type)
		}
	}
	for _, o := range want {
		if _, ok := added[o.key()]; !ok {
			e.Errorf(r, "%s: missing %s (type %s, markings %v, default %q, originator %s), which the reference shows", what, o.key(), o.Type, o.MarkingRefs, o.Default, o.Originator())
		}
	}
	return added
}

// explain says why the reference hides a version, to make a leak report
// actionable.
func (e *Env) explain(r *User, v liaison.Version) string {
	var parts []string
	for _, o := range e.World.Objs {
		if o.ID != v.ID || o.Coll.ID != v.Collection || o.Modified.UnixMicro() != v.Modified.UnixMicro() {
			continue
		}
		parts = append(parts, fmt.Sprintf("markings %v default %q originator %s readsCollection=%v markingsRelease=%v",
			o.MarkingRefs, o.Default, o.Originator(), e.ref.mayReadCollection(r.Org, o.Coll), e.ref.markingsRelease(r.Org, o.Originator(), effectiveMarkings(o))))
		for _, end := range o.Ends {
			parts = append(parts, fmt.Sprintf("end %s readable=%v", end, e.ref.readsEnd(r.Org, end)))
		}
	}
	if len(parts) == 0 {
		return "the world never wrote this version here"
	}
	return strings.Join(parts, "; ")
}

// sameNotFound checks that the errors for a hidden and a missing thing
// look exactly alike once each names its own id.
func sameNotFound(e *Env, r *User, what string, hidden error, hiddenID string, missing error, missingID string) {
	e.stats.Probes.Add(1)
	if liaison.ErrorCode(hidden) != liaison.ENOTFOUND {
		e.Errorf(r, "%s: hidden %s: error %v (code %q), want not_found", what, hiddenID, hidden, liaison.ErrorCode(hidden))
	}
	if liaison.ErrorCode(missing) != liaison.ENOTFOUND {
		e.Errorf(r, "%s: missing %s: error %v (code %q), want not_found", what, missingID, missing, liaison.ErrorCode(missing))
	}
	if hidden == nil || missing == nil {
		return
	}
	hm := strings.ReplaceAll(liaison.ErrorMessage(hidden), hiddenID, "<id>")
	mm := strings.ReplaceAll(liaison.ErrorMessage(missing), missingID, "<id>")
	if hm != mm {
		e.Errorf(r, "LEAK %s: hidden and missing differ in message: %q vs %q", what, hm, mm)
	}
	he := strings.ReplaceAll(hidden.Error(), hiddenID, "<id>")
	me := strings.ReplaceAll(missing.Error(), missingID, "<id>")
	if he != me {
		e.Errorf(r, "LEAK %s: hidden and missing differ in error text: %q vs %q", what, he, me)
	}
}

func newUUID(e *Env) string {
	s := e.Missing("x--")
	return strings.TrimPrefix(s, "x--")
}

// storeObjects reads every collection with last, first and all, and all
// as manifests, in pages of up to 1000.
type storeObjects struct{}

func (storeObjects) Name() string { return "store/objects" }
func (storeObjects) everyReader() {}

func (storeObjects) Check(e *Env, r *User) {
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			e.stats.Reads.Add(2)
			_, hidden := e.Store.Objects(e.Ctx(), r.Principal, c.ID, liaison.ObjectQuery{})
			missingID := newUUID(e)
			_, missing := e.Store.Objects(e.Ctx(), r.Principal, missingID, liaison.ObjectQuery{})
			sameNotFound(e, r, "objects of an unreadable collection "+c.Key, hidden, c.ID, missing, missingID)
			if e.Final && e.MayWriteCollection(r.Principal, c) {
				// A writer who cannot read the collection cannot delete
				// from it either, not even what its organisation wrote.
				var ids []string
				for _, o := range e.World.Objs {
					if o.Coll == c && e.World.stored(o) && len(ids) < 6 && !slices.Contains(ids, o.ID) {
						ids = append(ids, o.ID)
					}
				}
				deleteProbes(e, r, c, ids)
			}
			continue
		}
		for _, sel := range []Selector{Last, First, All} {
			got, err := readAll(e, r, c, liaison.ObjectQuery{Versions: []string{string(sel)}, Limit: 1000})
			if err != nil {
				e.Errorf(r, "%s match[version]=%s: %v", c.Key, sel, err)
				continue
			}
			compare(e, r, c.Key+" version="+string(sel), got, e.Expected(r.Principal, c, sel), false)
		}
		got, err := readAll(e, r, c, liaison.ObjectQuery{Versions: []string{"all"}, Limit: 1000, Manifest: true})
		if err != nil {
			e.Errorf(r, "%s manifest: %v", c.Key, err)
			continue
		}
		compare(e, r, c.Key+" manifest", got, e.Expected(r.Principal, c, All), true)
	}
}

// storePaging pages with small limits through all and last, and then
// with added_after from a random point; pages must come in strictly
// increasing date_added.
type storePaging struct{}

func (storePaging) Name() string { return "store/paging" }

func (storePaging) Check(e *Env, r *User) {
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		limit := 1 + e.Intn(9)
		want := e.Expected(r.Principal, c, All)
		// Small pages make many queries: bound them so CI stays fast,
		// and still page the whole collection when it is small.
		if len(want)/limit > 12 {
			limit = len(want)/12 + 1
		}
		got, err := readAll(e, r, c, liaison.ObjectQuery{Versions: []string{"all"}, Limit: limit})
		if err != nil {
			e.Errorf(r, "%s all, limit %d: %v", c.Key, limit, err)
			continue
		}
		added := compare(e, r, fmt.Sprintf("%s all limit=%d", c.Key, limit), got, want, false)
		for i := 1; i < len(got); i++ {
			if !got[i].DateAdded.After(got[i-1].DateAdded) {
				e.Errorf(r, "%s: date_added not strictly increasing in page order: %s then %s", c.Key, got[i-1].DateAdded.Format(time.RFC3339Nano), got[i].DateAdded.Format(time.RFC3339Nano))
				break
			}
		}
		lastGot, err := readAll(e, r, c, liaison.ObjectQuery{Versions: []string{"last"}, Limit: limit})
		if err != nil {
			e.Errorf(r, "%s last, limit %d: %v", c.Key, limit, err)
		} else {
			compare(e, r, fmt.Sprintf("%s last limit=%d", c.Key, limit), lastGot, e.Expected(r.Principal, c, Last), false)
		}
		if len(got) == 0 {
			continue
		}
		after := got[e.Intn(len(got))].DateAdded
		var wantAfter []*Obj
		for _, o := range want {
			if t, ok := added[o.key()]; ok && t.After(after) {
				wantAfter = append(wantAfter, o)
			}
		}
		gotAfter, err := readAll(e, r, c, liaison.ObjectQuery{Versions: []string{"all"}, Limit: limit, AddedAfter: after})
		if err != nil {
			e.Errorf(r, "%s added_after: %v", c.Key, err)
			continue
		}
		compare(e, r, fmt.Sprintf("%s all added_after=%s limit=%d", c.Key, after.Format(time.RFC3339Nano), limit), gotAfter, wantAfter, false)
	}
}

// storeByID reads by id: every id of the collection in groups mixed with
// hidden and missing ids, single hidden ids against single missing ones,
// versions by timestamp, and types.
type storeByID struct{}

func (storeByID) Name() string { return "store/by-id" }

func (storeByID) Check(e *Env, r *User) {
	probeIn := e.someReadable(r, 3)
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		hiddenHere, elsewhere := e.Hidden(r.Principal, c, 2)
		var ids []string
		for _, o := range e.World.Objs {
			if o.Coll == c && !slices.Contains(ids, o.ID) {
				ids = append(ids, o.ID)
			}
		}
		ids = append(ids, elsewhere...)
		ids = append(ids, e.Missing("malware--"), e.Missing("relationship--"))
		all := e.Expected(r.Principal, c, All)
		for start := 0; start < len(ids); start += 200 {
			group := ids[start:min(start+200, len(ids))]
			var want []*Obj
			for _, o := range all {
				if slices.Contains(group, o.ID) {
					want = append(want, o)
				}
			}
			got, err := readAll(e, r, c, liaison.ObjectQuery{IDs: group, Versions: []string{"all"}, Limit: 1000})
			if err != nil {
				e.Errorf(r, "%s by %d ids: %v", c.Key, len(group), err)
				continue
			}
			compare(e, r, fmt.Sprintf("%s by ids[%d:%d]", c.Key, start, start+len(group)), got, want, false)
		}
		// One hidden id reads exactly like one missing id (in a few
		// collections: each probe costs a query).
		if !slices.Contains(probeIn, c) {
			hiddenHere, elsewhere = nil, nil
		}
		for _, h := range append(hiddenHere, elsewhere...) {
			m := e.Missing(h)
			e.stats.Reads.Add(2)
			hp, herr := e.Store.Objects(e.Ctx(), r.Principal, c.ID, liaison.ObjectQuery{IDs: []string{h}})
			mp, merr := e.Store.Objects(e.Ctx(), r.Principal, c.ID, liaison.ObjectQuery{IDs: []string{m}})
			e.stats.Probes.Add(1)
			if herr != nil || merr != nil {
				if liaison.ErrorCode(herr) != liaison.ErrorCode(merr) || (herr != nil) != (merr != nil) {
					e.Errorf(r, "%s: id %s (hidden) gives %v, id %s (missing) gives %v", c.Key, h, herr, m, merr)
				}
				continue
			}
			if len(hp.Versions) != 0 || hp.More != mp.More || len(mp.Versions) != 0 || (hp.Next == "") != (mp.Next == "") {
				e.Errorf(r, "LEAK %s: hidden id %s gives %d versions more=%v next=%q; missing id gives %d versions more=%v next=%q",
					c.Key, h, len(hp.Versions), hp.More, hp.Next, len(mp.Versions), mp.More, mp.Next)
			}
		}
		// Versions by timestamp: a hidden version of a visible object is
		// not there; a visible one is.
		// (The one instance of a version this reader reads.)
		visible := map[versionKey]*Obj{}
		for _, o := range all {
			visible[o.key()] = o
		}
		probes := 0
		for _, o := range e.World.Objs {
			if o.Coll != c || !e.World.stored(o) || probes >= 4 {
				continue
			}
			probes++
			var want []*Obj
			if v := visible[o.key()]; v != nil {
				want = []*Obj{v}
			}
			got, err := readAll(e, r, c, liaison.ObjectQuery{IDs: []string{o.ID}, Versions: []string{stamp(o.Modified)}})
			if err != nil {
				e.Errorf(r, "%s %s version=%s: %v", c.Key, o.ID, stamp(o.Modified), err)
				continue
			}
			compare(e, r, fmt.Sprintf("%s id=%s version=%s", c.Key, o.ID, stamp(o.Modified)), got, want, false)
		}
		// Types: links only, latest versions.
		var wantLinks []*Obj
		for _, o := range e.Expected(r.Principal, c, Last) {
			if o.IsLink() {
				wantLinks = append(wantLinks, o)
			}
		}
		got, err := readAll(e, r, c, liaison.ObjectQuery{Types: []string{"relationship", "sighting"}, Limit: 1000})
		if err != nil {
			e.Errorf(r, "%s types=relationship,sighting: %v", c.Key, err)
			continue
		}
		compare(e, r, c.Key+" types=relationship,sighting", got, wantLinks, false)
		if e.Final {
			deleteProbes(e, r, c, append(hiddenHere, elsewhere...))
		}
	}
}

// deleteProbes asks to delete hidden objects: the answer must be the
// missing one's, and nothing may be deleted.
func deleteProbes(e *Env, r *User, c *Coll, hidden []string) {
	for _, h := range hidden {
		m := e.Missing(h)
		e.stats.Reads.Add(2)
		n, herr := e.Store.DeleteObject(e.Ctx(), r.Principal, c.ID, h, liaison.ObjectQuery{Versions: []string{"all"}})
		_, merr := e.Store.DeleteObject(e.Ctx(), r.Principal, c.ID, m, liaison.ObjectQuery{Versions: []string{"all"}})
		if n != 0 {
			e.Errorf(r, "LEAK %s: deleting hidden %s deleted %d versions", c.Key, h, n)
		}
		var le *liaison.Error
		if errors.As(merr, &le) && le.Code == liaison.EFORBIDDEN {
			// Not a writer here: both must be refused alike.
			if liaison.ErrorCode(herr) != liaison.EFORBIDDEN || strings.ReplaceAll(herr.Error(), h, "<id>") != strings.ReplaceAll(merr.Error(), m, "<id>") {
				e.Errorf(r, "%s: delete of hidden %s gives %v; of missing %s gives %v", c.Key, h, herr, m, merr)
			}
			e.stats.Probes.Add(1)
			continue
		}
		sameNotFound(e, r, "delete in "+c.Key, herr, h, merr, m)
	}
}

// storeCollections checks Collections and Collection: the reader sees
// exactly the collections they may read or write, with the right access,
// and an invisible collection reads like a missing one.
type storeCollections struct{}

func (storeCollections) Name() string { return "store/collections" }
func (storeCollections) everyReader() {}

func (storeCollections) Check(e *Env, r *User) {
	checkCollections(e, r)
	// Can write turns on roles: every other user of the organisation too.
	for _, u := range e.World.Users {
		if u.Org == r.Org && u != r {
			checkCollections(e, u)
		}
	}
}

func checkCollections(e *Env, r *User) {
	e.stats.Reads.Add(1)
	list, err := e.Store.Collections(e.Ctx(), r.Principal)
	if err != nil {
		e.Errorf(r, "collections: %v", err)
		return
	}
	got := map[string]liaison.CollectionAccess{}
	for _, a := range list {
		got[a.ID] = a
	}
	checkAccess := func(what string, a liaison.CollectionAccess, c *Coll) {
		cr, cw := e.MayReadCollection(r.Principal, c), e.MayWriteCollection(r.Principal, c)
		if a.CanRead != cr || a.CanWrite != cw {
			e.Errorf(r, "%s %s: can read %v, can write %v; want %v, %v", what, c.Key, a.CanRead, a.CanWrite, cr, cw)
		}
	}
	for _, c := range e.World.Collections {
		visible := e.MayReadCollection(r.Principal, c) || e.MayWriteCollection(r.Principal, c)
		a, listed := got[c.ID]
		delete(got, c.ID)
		switch {
		case visible && !listed:
			e.Errorf(r, "collections: %s missing", c.Key)
		case !visible && listed:
			e.Errorf(r, "LEAK collections: %s listed (read %v, write %v)", c.Key, c.Read, c.Write)
		case listed:
			checkAccess("collections:", a, c)
		}
		e.stats.Reads.Add(1)
		one, err := e.Store.Collection(e.Ctx(), r.Principal, c.ID)
		if visible {
			if err != nil {
				e.Errorf(r, "collection %s: %v", c.Key, err)
			} else {
				checkAccess("collection", one, c)
			}
			continue
		}
		if err == nil {
			e.Errorf(r, "LEAK collection %s: returned to a reader who may neither read nor write it", c.Key)
			continue
		}
		missingID := newUUID(e)
		e.stats.Reads.Add(1)
		_, merr := e.Store.Collection(e.Ctx(), r.Principal, missingID)
		sameNotFound(e, r, "collection "+c.Key, err, c.ID, merr, missingID)
	}
	for id := range got {
		e.Errorf(r, "collections: unknown collection %s listed", id)
	}
}
