package leaktest

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison/auth"
	"liaison/web"
)

// WebPaths are the pages' read paths, asked over real HTTP by a browser
// that signed in with the form (the user's name and API token) and
// holds a session cookie: the list of each collection and the list
// across all of them, in pages, with every version and the latest; the
// object pages and their versions; the home page's counts of what is
// new; the graph of an object's neighbourhood; and the pages of hidden
// collections and objects against missing ones.
func WebPaths() []ReadPath {
	return []ReadPath{webLists{}, webObjects{}, webHome{}, webGraph{}, webScoreList{}}
}

// webServer is the pages' HTTP server for one run.
type webServer struct {
	srv *httptest.Server
}

func webServerFor(e *Env) *webServer {
	return e.Extra("web", func() any {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		a := auth.New(e.Store, auth.Options{MaxFailures: 1 << 20, Logger: logger})
		s, err := web.NewServer(web.Services{Store: e.Store, Consultations: e.Store, Decisions: e.Store}, a, web.Config{Logger: logger})
		if err != nil {
			e.T.Fatalf("leaktest: web server: %v", err)
		}
		srv := httptest.NewServer(s)
		e.T.Cleanup(srv.Close)
		return &webServer{srv: srv}
	}).(*webServer)
}

// webBrowser is one reader's browser: a cookie jar, no redirects
// followed, signed in once for the whole run.
type webBrowser struct {
	ws *webServer
	c  *http.Client
}

// browserFor returns r's browser, signed in; nil for a principal who
// cannot sign in (no token: not a user of the hub).
func browserFor(e *Env, r *User) *webBrowser {
	return browserOn(e, r, webServerFor(e), "web-browser-")
}

// browserOn is browserFor on the server ws, kept under key+name.
func browserOn(e *Env, r *User, ws *webServer, key string) *webBrowser {
	v := e.Extra(key+r.Name, func() any {
		jar, _ := cookiejar.New(nil)
		b := &webBrowser{ws: ws, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if r.Token == "" {
			return b
		}
		status, _, form, err := b.get(e, "/signin")
		m := signinTokenRE.FindStringSubmatch(form)
		if err != nil || status != http.StatusOK || m == nil {
			e.Errorf(r, "web sign-in form: status %d err %v", status, err)
			return b
		}
		f := url.Values{"csrf": {m[1]}, "user": {r.Name}, "password": {r.Token}}
		req, _ := http.NewRequestWithContext(e.Ctx(), http.MethodPost, ws.srv.URL+"/signin", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", ws.srv.URL)
		resp, err := b.c.Do(req)
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			e.Errorf(r, "web sign-in as %s: %v %v", r.Name, err, resp)
		}
		if resp != nil {
			resp.Body.Close()
		}
		return b
	})
	return v.(*webBrowser)
}

var signinTokenRE = regexp.MustCompile(`<form method="post" action="/signin" class="signin">\s*<input type="hidden" name="csrf" value="([^"]+)"`)

func (b *webBrowser) get(e *Env, path string) (int, http.Header, string, error) {
	req, err := http.NewRequestWithContext(e.Ctx(), http.MethodGet, b.ws.srv.URL+path, nil)
	if err != nil {
		return 0, nil, "", err
	}
	e.stats.Reads.Add(1)
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body), err
}

var (
	rowRE    = regexp.MustCompile(`<tr data-version="([^"@]+)@([^"]+)" data-added="\d+" data-collection="([^"]+)">`)
	verRE    = regexp.MustCompile(`<tr data-version="([^"@]+)@([^"]+)"`)
	pageNext = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	stixIDRE = regexp.MustCompile(`[a-z0-9][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	refLink  = regexp.MustCompile(`<a href="/collections/([^/"]+)/objects/([^"?]+)" data-ref="[^"]+">`)
	linkRE   = regexp.MustCompile(`<a href="/collections/([^/"]+)/objects/([^"?]+)" data-link="[^"]+">`)
)

// rowKeys reads the versions listed in a list page's rows.
func rowKeys(body string) ([]versionKey, error) {
	var out []versionKey
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		t, err := time.Parse(time.RFC3339Nano, html.UnescapeString(m[2]))
		if err != nil {
			return nil, fmt.Errorf("row %s: version %q: %w", m[1], m[2], err)
		}
		out = append(out, versionKey{html.UnescapeString(m[3]), m[1], t.UnixMicro()})
	}
	return out, nil
}

// pageList follows a list's Next links and returns its rows and every
// page's body.
func (b *webBrowser) pageList(e *Env, path string) ([]versionKey, []string, error) {
	var keys []versionKey
	var bodies []string
	for pages := 0; path != ""; pages++ {
		if pages > 10000 {
			return nil, nil, fmt.Errorf("more than 10000 pages: the cursor does not advance")
		}
		status, _, body, err := b.get(e, path)
		if err != nil {
			return nil, nil, err
		}
		if status != http.StatusOK {
			return nil, nil, fmt.Errorf("%s: status %d: %s", path, status, truncateBody([]byte(body)))
		}
		ks, err := rowKeys(body)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, ks...)
		bodies = append(bodies, body)
		path = ""
		if m := pageNext.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	return keys, bodies, nil
}

// noStrangers checks that a page names no STIX id but those of versions
// the reader may read: a list shows nothing else, not even in a link.
func noStrangers(e *Env, r *User, what string, bodies []string, visible map[string]bool) {
	for _, body := range bodies {
		for _, id := range stixIDRE.FindAllString(body, -1) {
			if !visible[id] {
				e.Errorf(r, "LEAK %s: the page names %s, which the reference hides", what, id)
			}
		}
	}
}

// samePage asks for a hidden thing and a missing one and checks that
// both give 404 and the same page once each names its own id.
func (b *webBrowser) samePage(e *Env, r *User, what, hiddenPath, hiddenID, missingPath, missingID string) {
	e.stats.Probes.Add(1)
	hs, _, hb, herr := b.get(e, hiddenPath)
	ms, _, mb, merr := b.get(e, missingPath)
	if herr != nil || merr != nil {
		e.Errorf(r, "%s: %v / %v", what, herr, merr)
		return
	}
	if hs != ms || hs != http.StatusNotFound && hs != http.StatusOK {
		e.Errorf(r, "LEAK %s: hidden %s gives %d, missing %s gives %d", what, hiddenID, hs, missingID, ms)
		return
	}
	hn := strings.ReplaceAll(hb, hiddenID, "<id>")
	mn := strings.ReplaceAll(mb, missingID, "<id>")
	if hn != mn {
		e.Errorf(r, "LEAK %s: hidden and missing pages differ (%d and %d bytes):\n hidden %s\nmissing %s", what, len(hb), len(mb), truncateBody(diffAt(hn, mn)), truncateBody(diffAt(mn, hn)))
	}
}

// diffAt returns a from where it first differs from b.
func diffAt(a, b string) []byte {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return []byte(a[max(0, i-40):])
}

func visibleIDs(objs []*Obj) map[string]bool {
	out := map[string]bool{}
	for _, o := range objs {
		out[o.ID] = true
	}
	return out
}

// webLists reads each collection's list, every page of it, with every
// version and with the latest, and the list across collections, oldest
// and newest first; a
// collection the reader may not read answers like a missing one, and a
// reader who cannot sign in is sent to the form.
type webLists struct{}

func (webLists) Name() string { return "web/lists" }

func (webLists) Check(e *Env, r *User) {
	b := browserFor(e, r)
	if r.Token == "" {
		status, h, body, err := b.get(e, "/objects")
		if err != nil || status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") || stixIDRE.MatchString(body) {
			e.Errorf(r, "/objects without a session: status %d err %v Location %q, want the sign-in form", status, err, h.Get("Location"))
		}
		return
	}
	var across []*Obj
	visibleAll := map[string]bool{}
	for _, c := range e.World.Collections {
		base := "/collections/" + c.ID + "/objects"
		if !e.MayReadCollection(r.Principal, c) {
			if e.MayWriteCollection(r.Principal, c) {
				status, _, body, err := b.get(e, base)
				if err != nil || status != http.StatusForbidden || rowRE.MatchString(body) {
					e.Errorf(r, "write-only %s list: status %d err %v, want 403 and no rows", c.Key, status, err)
				}
				continue
			}
			m := newUUID(e)
			b.samePage(e, r, "web list of "+c.Key, base, c.ID, "/collections/"+m+"/objects", m)
			continue
		}
		all := e.Expected(r.Principal, c, All)
		across = append(across, all...)
		for id := range visibleIDs(all) {
			visibleAll[id] = true
		}
		keys, bodies, err := b.pageList(e, base+"?version=all&limit=200")
		if err != nil {
			e.Errorf(r, "web %s list, every version: %v", c.Key, err)
			continue
		}
		compareKeys(e, r, "web "+c.Key+" list version=all", keys, nil, all)
		noStrangers(e, r, "web "+c.Key+" list", bodies, visibleIDs(all))
		keys, _, err = b.pageList(e, base+"?limit=200")
		if err != nil {
			e.Errorf(r, "web %s list, latest: %v", c.Key, err)
			continue
		}
		compareKeys(e, r, "web "+c.Key+" list (latest)", keys, nil, e.Expected(r.Principal, c, Last))
	}
	keys, bodies, err := b.pageList(e, "/objects?version=all&limit=200")
	if err != nil {
		e.Errorf(r, "web list across collections: %v", err)
		return
	}
	compareKeys(e, r, "web list across collections version=all", keys, nil, across)
	noStrangers(e, r, "web list across collections", bodies, visibleAll)
	// The page's own filters keep some of those rows, never others.
	readable := map[versionKey]bool{}
	for _, o := range across {
		readable[o.key()] = true
	}
	for _, f := range []string{"releasable_to=" + r.Principal.Org, "releasable_to=NATO", "tlp=amber", "modified_after=2020-01-01"} {
		keys, bodies, err := b.pageList(e, "/objects?version=all&limit=200&"+f)
		if err != nil {
			e.Errorf(r, "web list across collections, %s: %v", f, err)
			continue
		}
		for _, k := range keys {
			if !readable[k] {
				e.Errorf(r, "LEAK web list across collections %s: lists %v, which the reference hides", f, k)
			}
		}
		noStrangers(e, r, "web list across collections "+f, bodies, visibleAll)
	}
	// Newest first, with its own cursors: the same versions, none twice
	// (in the first and the last phase, where the world is new and whole).
	if e.Phase != "initial" && !e.Final {
		return
	}
	newest, bodies, err := b.pageList(e, "/objects?version=all&limit=200&sort=newest")
	if err != nil {
		e.Errorf(r, "web list across collections, newest first: %v", err)
		return
	}
	compareKeys(e, r, "web list across collections version=all sort=newest", newest, nil, across)
	noStrangers(e, r, "web list across collections, newest first", bodies, visibleAll)
}

// webObjects opens a few objects the reader may read, in a few
// collections: the page lists exactly the versions the reader may read,
// and links only to what they may read. Hidden objects, here and stored
// only elsewhere, give exactly the page of a missing one, on the object
// page, its versions, a comparison and a list filtered on the id.
type webObjects struct{}

func (webObjects) Name() string { return "web/objects" }

func (webObjects) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	b := browserFor(e, r)
	readable := map[string]map[string]bool{} // collection id → readable ids
	for _, c := range e.World.Collections {
		if e.MayReadCollection(r.Principal, c) {
			readable[c.ID] = visibleIDs(e.Expected(r.Principal, c, All))
		}
	}
	for _, c := range e.someReadable(r, 3) {
		base := "/collections/" + c.ID + "/objects/"
		byID := map[string][]*Obj{}
		var ids []string
		for _, o := range e.Expected(r.Principal, c, All) {
			if byID[o.ID] == nil {
				ids = append(ids, o.ID)
			}
			byID[o.ID] = append(byID[o.ID], o)
		}
		var picks []string
		for i := 0; i < len(ids) && i < 2; i++ {
			picks = append(picks, ids[e.Intn(len(ids))])
		}
		// And an indicator that sightings name, for its score (match.go).
		if id := sightedIndicator(e, byID, ids); id != "" {
			picks = append(picks, id)
		}
		for _, id := range picks {
			status, _, body, err := b.get(e, base+id)
			if err != nil || status != http.StatusOK {
				e.Errorf(r, "web %s object %s: status %d err %v: %s", c.Key, id, status, err, truncateBody([]byte(body)))
				continue
			}
			var keys []versionKey
			for _, m := range verRE.FindAllStringSubmatch(body, -1) {
				t, err := time.Parse(time.RFC3339Nano, html.UnescapeString(m[2]))
				if err != nil {
					e.Errorf(r, "web %s object %s: version %q: %v", c.Key, id, m[2], err)
					continue
				}
				keys = append(keys, versionKey{c.ID, m[1], t.UnixMicro()})
			}
			compareKeys(e, r, "web "+c.Key+" object "+id+" versions", keys, nil, byID[id])
			for _, m := range refLink.FindAllStringSubmatch(body, -1) {
				if !readable[m[1]][m[2]] {
					e.Errorf(r, "LEAK web %s object %s: links to %s in %s, which the reference hides there", c.Key, id, m[2], m[1])
				}
			}
			// The relationships and sightings naming it: exactly the
			// links the reader may read, in any collection.
			got := map[string]bool{}
			for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
				got[m[1]+" "+m[2]] = true
			}
			want := map[string]bool{}
			for _, c2 := range e.World.Collections {
				if !e.MayReadCollection(r.Principal, c2) {
					continue
				}
				for _, o := range e.Expected(r.Principal, c2, Last) {
					if o.IsLink() && slices.Contains(o.Ends, id) {
						want[c2.ID+" "+o.ID] = true
					}
				}
			}
			if len(want) <= 100 {
				for k := range got {
					if !want[k] {
						e.Errorf(r, "LEAK web %s object %s: lists the link %s, which the reference hides", c.Key, id, k)
					}
				}
				for k := range want {
					if !got[k] {
						e.Errorf(r, "web %s object %s: does not list the link %s, which the reader may read", c.Key, id, k)
					}
				}
			}
			if byID[id][0].Type == "indicator" {
				checkScore(e, r, c, "object "+id, id, body)
			}
		}
		hiddenHere, elsewhere := e.Hidden(r.Principal, c, 1)
		for _, h := range append(hiddenHere, elsewhere...) {
			m := e.Missing(h)
			b.samePage(e, r, "web "+c.Key+" object page", base+h, h, base+m, m)
			b.samePage(e, r, "web "+c.Key+" object version", base+h+"?version=2024-01-01T00:00:00Z", h, base+m+"?version=2024-01-01T00:00:00Z", m)
			b.samePage(e, r, "web "+c.Key+" comparison", base+h+"/diff?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z", h, base+m+"/diff?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z", m)
			b.samePage(e, r, "web "+c.Key+" list id="+h, "/collections/"+c.ID+"/objects?version=all&id="+h, h, "/collections/"+c.ID+"/objects?version=all&id="+m, m)
		}
	}
}

// webHome checks the home page's counts of what is new since the start:
// per collection the reader may read, exactly the versions the reference
// lets them read (capped at 1000+), and per type; and no trace of a
// collection they may neither read nor write.
type webHome struct{}

func (webHome) Name() string { return "web/home" }
func (webHome) everyReader() {}

var (
	homeRowRE  = regexp.MustCompile(`(?s)<tr data-collection="([^"]+)">(.*?)</tr>`)
	homeCntRE  = regexp.MustCompile(`data-count="([^"]+)">([0-9]+(?:&#43;)?)<`)
	homeTypeRE = regexp.MustCompile(`data-type="([^"]+)" data-n="([0-9]+)"`)
)

func (webHome) Check(e *Env, r *User) {
	b := browserFor(e, r)
	status, _, body, err := b.get(e, "/?since=2000-01-01T00:00:00Z")
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web home: status %d err %v: %s", status, err, truncateBody([]byte(body)))
		return
	}
	counts := map[string]string{}
	for _, m := range homeCntRE.FindAllStringSubmatch(body, -1) {
		counts[m[1]] = strings.ReplaceAll(m[2], "&#43;", "+")
	}
	rows := map[string]string{}
	for _, m := range homeRowRE.FindAllStringSubmatch(body, -1) {
		rows[m[1]] = m[2]
	}
	total, capped := 0, false
	for _, c := range e.World.Collections {
		cr, cw := e.MayReadCollection(r.Principal, c), e.MayWriteCollection(r.Principal, c)
		if r.Token == "" || !cr {
			if _, ok := counts[c.ID]; ok {
				e.Errorf(r, "LEAK web home: counts collection %s, which the reader may not read", c.Key)
			}
			if !cw && strings.Contains(body, c.ID) || r.Token == "" && strings.Contains(body, c.ID) {
				e.Errorf(r, "LEAK web home: names collection %s", c.Key)
			}
			continue
		}
		all := e.Expected(r.Principal, c, All)
		e.stats.Versions.Add(int64(len(all)))
		want := strconv.Itoa(len(all))
		if len(all) > 1000 {
			want, capped = "1000+", true
		}
		total += min(len(all), 1000)
		switch got := counts[c.ID]; {
		case got == want:
		case got != "" && wantsLess(got, want):
			e.Errorf(r, "LEAK web home: %s counts %s new versions, the reference %s", c.Key, got, want)
		default:
			e.Errorf(r, "web home: %s counts %q new versions, the reference %s", c.Key, got, want)
		}
		if len(all) > 1000 {
			continue
		}
		byType := map[string]int{}
		for _, o := range all {
			byType[o.Type]++
		}
		gotTypes := map[string]int{}
		for _, m := range homeTypeRE.FindAllStringSubmatch(rows[c.ID], -1) {
			n, _ := strconv.Atoi(m[2])
			gotTypes[m[1]] = n
		}
		for typ, n := range gotTypes {
			if n > byType[typ] {
				e.Errorf(r, "LEAK web home: %s counts %d %s, the reference %d", c.Key, n, typ, byType[typ])
			}
		}
		for typ, n := range byType {
			if gotTypes[typ] < n {
				e.Errorf(r, "web home: %s counts %d %s, the reference %d", c.Key, gotTypes[typ], typ, n)
			}
		}
	}
	if r.Token == "" {
		if bytes.Contains([]byte(body), []byte(`data-count="total"`)) {
			e.Errorf(r, "web home without a session counts what is new")
		}
		return
	}
	want := strconv.Itoa(total)
	if capped {
		want += "+"
	}
	if got := counts["total"]; got != want {
		e.Errorf(r, "web home: total %q, the reference %s", got, want)
	}
}

// wantsLess reports whether the count want is smaller than got: the page
// counts more than the reader may read.
func wantsLess(got, want string) bool {
	g, _ := strconv.Atoi(strings.TrimSuffix(got, "+"))
	w, _ := strconv.Atoi(strings.TrimSuffix(want, "+"))
	return g > w
}
