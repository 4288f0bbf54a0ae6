package leaktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/auth"
	"liaison/taxii"
)

// TAXIIPaths are the TAXII 2.1 read endpoints, asked over real HTTP with
// each principal's API token: collections, objects (all and latest, in
// pages), manifest, one object, an object's versions, and the errors for
// hidden versus missing collections and objects.
func TAXIIPaths() []ReadPath {
	return []ReadPath{taxiiCollections{}, taxiiObjects{}, taxiiObject{}}
}

// taxiiServer is the HTTP server the TAXII paths share for one run.
type taxiiServer struct {
	srv  *httptest.Server
	root string // URL of the API root, ending in /
}

func serverFor(e *Env) *taxiiServer {
	return e.Extra("taxii", func() any {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		a := auth.New(e.Store, auth.Options{MaxFailures: 1 << 20, Logger: logger})
		s := taxii.NewServer(e.Store, a, taxii.Config{Logger: logger, MaxPageSize: 1000})
		mux := http.NewServeMux()
		mux.Handle(taxii.Prefix, s)
		srv := httptest.NewServer(mux)
		e.T.Cleanup(srv.Close)
		return &taxiiServer{srv: srv, root: srv.URL + taxii.Prefix + taxii.DefaultAPIRoot + "/"}
	}).(*taxiiServer)
}

// get asks path (below the API root) as r and returns status, headers and
// body.
func (ts *taxiiServer) get(e *Env, r *User, path string, q url.Values) (int, http.Header, []byte, error) {
	u := ts.root + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(e.Ctx(), http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", taxii.MediaType)
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	e.stats.Reads.Add(1)
	resp, err := ts.srv.Client().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// sameHTTPNotFound asks hiddenPath and missingPath (the same but for the
// id) and checks both are 404 with the same body once the ids are
// replaced.
func (ts *taxiiServer) sameHTTPNotFound(e *Env, r *User, what, hiddenPath, hiddenID, missingPath, missingID string) {
	e.stats.Probes.Add(1)
	hs, _, hb, herr := ts.get(e, r, hiddenPath, nil)
	ms, _, mb, merr := ts.get(e, r, missingPath, nil)
	if herr != nil || merr != nil {
		e.Errorf(r, "%s: %v / %v", what, herr, merr)
		return
	}
	if hs != http.StatusNotFound || ms != http.StatusNotFound {
		e.Errorf(r, "%s: hidden %s gives %d, missing %s gives %d; want 404 for both\nhidden body: %s", what, hiddenID, hs, missingID, ms, truncateBody(hb))
		return
	}
	hn := bytes.ReplaceAll(hb, []byte(hiddenID), []byte("<id>"))
	mn := bytes.ReplaceAll(mb, []byte(missingID), []byte("<id>"))
	if !bytes.Equal(hn, mn) {
		e.Errorf(r, "%s: hidden and missing bodies differ:\n hidden %s\nmissing %s", what, hn, mn)
	}
}

func truncateBody(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// taxiiCollections checks the collections resource and each collection:
// exactly those the reader may read or write, with the right flags; the
// others answer like missing ones. A principal without a token gets 401.
type taxiiCollections struct{}

func (taxiiCollections) Name() string { return "taxii/collections" }
func (taxiiCollections) everyReader() {}

func (taxiiCollections) Check(e *Env, r *User) {
	ts := serverFor(e)
	status, _, body, err := ts.get(e, r, "collections/", nil)
	if err != nil {
		e.Errorf(r, "collections: %v", err)
		return
	}
	if r.Token == "" {
		if status != http.StatusUnauthorized {
			e.Errorf(r, "collections without credentials: status %d, want 401: %s", status, truncateBody(body))
		}
		return
	}
	if status != http.StatusOK {
		e.Errorf(r, "collections: status %d: %s", status, truncateBody(body))
		return
	}
	var cs taxii.Collections
	if err := json.Unmarshal(body, &cs); err != nil {
		e.Errorf(r, "collections: %v: %s", err, truncateBody(body))
		return
	}
	got := map[string]taxii.CollectionInfo{}
	for _, c := range cs.Collections {
		got[c.ID] = c
	}
	for _, c := range e.World.Collections {
		cr, cw := e.MayReadCollection(r.Principal, c), e.MayWriteCollection(r.Principal, c)
		info, listed := got[c.ID]
		delete(got, c.ID)
		switch {
		case (cr || cw) && !listed:
			e.Errorf(r, "collections: %s missing", c.Key)
		case !(cr || cw) && listed:
			e.Errorf(r, "LEAK collections: %s listed", c.Key)
		case listed && (info.CanRead != cr || info.CanWrite != cw):
			e.Errorf(r, "collections: %s can_read=%v can_write=%v, want %v %v", c.Key, info.CanRead, info.CanWrite, cr, cw)
		}
		if !(cr || cw) {
			m := newUUID(e)
			for _, sub := range []string{"", "objects/", "manifest/"} {
				ts.sameHTTPNotFound(e, r, "collection "+c.Key+" "+sub, "collections/"+c.ID+"/"+sub, c.ID, "collections/"+m+"/"+sub, m)
			}
		}
	}
	for id := range got {
		e.Errorf(r, "collections: unknown collection %s listed", id)
	}
}

// envelopeKey reads the id and version of one object of an envelope.
func envelopeKey(coll string, raw []byte) (versionKey, error) {
	var o struct {
		ID       string `json:"id"`
		Created  string `json:"created"`
		Modified string `json:"modified"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return versionKey{}, err
	}
	v := o.Modified
	if v == "" {
		v = o.Created
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return versionKey{}, fmt.Errorf("object %s: version %q: %w", o.ID, v, err)
	}
	return versionKey{coll, o.ID, t.UnixMicro()}, nil
}

// compareKeys checks a list of versions received over TAXII against want:
// nothing extra, nothing missing, nothing twice, and the bytes as written
// when raw is given.
func compareKeys(e *Env, r *User, what string, got []versionKey, raw [][]byte, want []*Obj) {
	e.stats.Versions.Add(int64(len(got)))
	wantBy := map[versionKey]*Obj{}
	for _, o := range want {
		wantBy[o.key()] = o
	}
	seen := map[versionKey]bool{}
	for i, k := range got {
		if seen[k] {
			e.Errorf(r, "%s: %s returned twice", what, k)
			continue
		}
		seen[k] = true
		o, ok := wantBy[k]
		if !ok {
			e.Errorf(r, "LEAK %s: received %s, which the reference hides: %s", what, k, e.explain(r, liaison.Version{Collection: k.coll, ID: k.id, Modified: time.UnixMicro(k.modified)}))
			continue
		}
		if raw != nil && !bytes.Equal(raw[i], o.Raw) {
			e.Errorf(r, "%s: %s: bytes differ from what was written:\n got %s\nwant %s", what, k, raw[i], o.Raw)
		}
	}
	for _, o := range want {
		if !seen[o.key()] {
			e.Errorf(r, "%s: missing %s (type %s, markings %v, default %q, originator %s)", what, o.key(), o.Type, o.MarkingRefs, o.Default, o.Originator())
		}
	}
}

// pageObjects pages through an objects endpoint with next.
func (ts *taxiiServer) pageObjects(e *Env, r *User, c *Coll, path string, q url.Values) (keys []versionKey, raws [][]byte, lastAdded string, err error) {
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return nil, nil, "", fmt.Errorf("more than 100000 pages")
		}
		status, h, body, err := ts.get(e, r, path, q)
		if err != nil {
			return nil, nil, "", err
		}
		if status != http.StatusOK {
			return nil, nil, "", fmt.Errorf("status %d: %s", status, truncateBody(body))
		}
		var env taxii.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, nil, "", fmt.Errorf("envelope: %w: %s", err, truncateBody(body))
		}
		if pages == 0 {
			lastAdded = h.Get("X-TAXII-Date-Added-Last")
		}
		for _, raw := range env.Objects {
			k, err := envelopeKey(c.ID, raw)
			if err != nil {
				return nil, nil, "", err
			}
			keys = append(keys, k)
			raws = append(raws, raw)
		}
		if !env.More {
			return keys, raws, lastAdded, nil
		}
		if len(env.Objects) == 0 {
			e.Errorf(r, "%s %s: more=true on an empty page", c.Key, path)
		}
		q = cloneValues(q)
		q.Set("next", env.Next)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// taxiiObjects reads each readable collection's objects (all versions in
// small pages, latest versions, and after the first page's last
// date_added) and its manifest. A collection the reader may write but not
// read answers 403 and nothing else.
type taxiiObjects struct{}

func (taxiiObjects) Name() string { return "taxii/objects" }

func (taxiiObjects) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	ts := serverFor(e)
	for _, c := range e.World.Collections {
		base := "collections/" + c.ID + "/"
		if !e.MayReadCollection(r.Principal, c) {
			if e.MayWriteCollection(r.Principal, c) {
				for _, p := range []string{"objects/", "manifest/"} {
					status, _, body, err := ts.get(e, r, base+p, nil)
					if err != nil || status != http.StatusForbidden || bytes.Contains(body, []byte(`"objects"`)) {
						e.Errorf(r, "write-only %s %s: status %d err %v, want 403 and no objects: %s", c.Key, p, status, err, truncateBody(body))
					}
				}
			}
			continue
		}
		all := e.Expected(r.Principal, c, All)
		limit := max(7, len(all)/3+1)
		keys, raws, lastAdded, err := ts.pageObjects(e, r, c, base+"objects/", url.Values{"match[version]": {"all"}, "limit": {fmt.Sprint(limit)}})
		if err != nil {
			e.Errorf(r, "%s objects all: %v", c.Key, err)
			continue
		}
		compareKeys(e, r, fmt.Sprintf("taxii %s objects match[version]=all limit=%d", c.Key, limit), keys, raws, all)
		keys, raws, _, err = ts.pageObjects(e, r, c, base+"objects/", nil)
		if err != nil {
			e.Errorf(r, "%s objects: %v", c.Key, err)
			continue
		}
		compareKeys(e, r, "taxii "+c.Key+" objects (latest)", keys, raws, e.Expected(r.Principal, c, Last))

		// Manifest: ids, versions and dates added.
		added := map[versionKey]time.Time{}
		var mkeys []versionKey
		q := url.Values{"match[version]": {"all"}}
		for pages := 0; ; pages++ {
			status, _, body, err := ts.get(e, r, base+"manifest/", q)
			if err != nil || status != http.StatusOK {
				e.Errorf(r, "%s manifest: status %d err %v: %s", c.Key, status, err, truncateBody(body))
				break
			}
			var m taxii.Manifest
			if err := json.Unmarshal(body, &m); err != nil {
				e.Errorf(r, "%s manifest: %v", c.Key, err)
				break
			}
			for _, rec := range m.Objects {
				v, err1 := time.Parse(time.RFC3339Nano, rec.Version)
				d, err2 := time.Parse(time.RFC3339Nano, rec.DateAdded)
				if err1 != nil || err2 != nil {
					e.Errorf(r, "%s manifest record %+v: %v %v", c.Key, rec, err1, err2)
					continue
				}
				k := versionKey{c.ID, rec.ID, v.UnixMicro()}
				mkeys = append(mkeys, k)
				added[k] = d
			}
			if !m.More || pages > 10000 {
				break
			}
			q = cloneValues(q)
			q.Set("next", m.Next)
		}
		compareKeys(e, r, "taxii "+c.Key+" manifest", mkeys, nil, all)

		// added_after the first page's X-TAXII-Date-Added-Last.
		if lastAdded == "" {
			continue
		}
		after, err := time.Parse(time.RFC3339Nano, lastAdded)
		if err != nil {
			e.Errorf(r, "%s: X-TAXII-Date-Added-Last %q: %v", c.Key, lastAdded, err)
			continue
		}
		var want []*Obj
		for _, o := range all {
			if d, ok := added[o.key()]; ok && d.After(after) {
				want = append(want, o)
			}
		}
		keys, raws, _, err = ts.pageObjects(e, r, c, base+"objects/", url.Values{"match[version]": {"all"}, "added_after": {lastAdded}, "limit": {fmt.Sprint(limit)}})
		if err != nil {
			e.Errorf(r, "%s objects added_after: %v", c.Key, err)
			continue
		}
		compareKeys(e, r, "taxii "+c.Key+" objects added_after="+lastAdded, keys, raws, want)
	}
}

// taxiiObject asks for single objects and their versions: visible ones
// must come back whole, hidden ones must answer exactly like missing ones.
type taxiiObject struct{}

func (taxiiObject) Name() string { return "taxii/object" }

func (taxiiObject) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	ts := serverFor(e)
	for _, c := range e.someReadable(r, 3) {
		base := "collections/" + c.ID + "/objects/"
		all := e.Expected(r.Principal, c, All)
		// A few visible objects, whole and as versions.
		byID := map[string][]*Obj{}
		var ids []string
		for _, o := range all {
			if byID[o.ID] == nil {
				ids = append(ids, o.ID)
			}
			byID[o.ID] = append(byID[o.ID], o)
		}
		for i := 0; i < len(ids) && i < 1; i++ {
			id := ids[e.Intn(len(ids))]
			keys, raws, _, err := ts.pageObjects(e, r, c, base+id+"/", url.Values{"match[version]": {"all"}})
			if err != nil {
				e.Errorf(r, "%s object %s: %v", c.Key, id, err)
				continue
			}
			compareKeys(e, r, "taxii "+c.Key+" object "+id, keys, raws, byID[id])
			status, _, body, err := ts.get(e, r, base+id+"/versions/", nil)
			if err != nil || status != http.StatusOK {
				e.Errorf(r, "%s versions of %s: status %d err %v: %s", c.Key, id, status, err, truncateBody(body))
				continue
			}
			var vs taxii.Versions
			if err := json.Unmarshal(body, &vs); err != nil {
				e.Errorf(r, "%s versions of %s: %v", c.Key, id, err)
				continue
			}
			var vkeys []versionKey
			for _, v := range vs.Versions {
				t, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					e.Errorf(r, "%s versions of %s: %q: %v", c.Key, id, v, err)
				}
				vkeys = append(vkeys, versionKey{c.ID, id, t.UnixMicro()})
			}
			compareKeys(e, r, "taxii "+c.Key+" versions of "+id, vkeys, nil, byID[id])
		}
		// Hidden objects read exactly like missing ones.
		hiddenHere, elsewhere := e.Hidden(r.Principal, c, 1)
		for _, h := range append(hiddenHere, elsewhere...) {
			m := e.Missing(h)
			ts.sameHTTPNotFound(e, r, c.Key+" object", base+h+"/", h, base+m+"/", m)
			ts.sameHTTPNotFound(e, r, c.Key+" versions", base+h+"/versions/", h, base+m+"/versions/", m)
			status, _, body, err := ts.get(e, r, "collections/"+c.ID+"/manifest/", url.Values{"match[id]": {h}})
			if err != nil || status != http.StatusOK || strings.Contains(string(body), h) {
				e.Errorf(r, "LEAK %s manifest match[id]=%s (hidden): status %d err %v: %s", c.Key, h, status, err, truncateBody(body))
			}
		}
	}
}
