package leaktest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"liaison"
)

// SearchPaths are the read paths of full-text search: the store's Search,
// and over real HTTP the /search page (signed in), GET /api/v1/search
// (with the user's token) and the EDT area pages' recent objects, which
// are the store's search as the reader.
func SearchPaths() []ReadPath {
	return []ReadPath{storeSearch{}, webSearch{}, webEDT{}}
}

// nameWords returns the lower-case words of an object's name: the
// reference's own reading of what a search for words of a name must
// find (every generated object's name is "leaktest TYPE NUMBER").
func nameWords(raw []byte) []string {
	var o struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &o)
	return strings.FieldsFunc(strings.ToLower(o.Name), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// searchProbe is one search and what the reference says it finds.
type searchProbe struct {
	q     liaison.SearchQuery
	words []string // the query's words, all of which a found name holds
}

// searchWant returns the versions a search for words, in coll ("" for
// every collection) and of the types, must find for r: in each collection
// r may read, the latest version r may read of each object, if its own
// name holds every word.
func searchWant(e *Env, r *User, p searchProbe) []*Obj {
	var want []*Obj
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) || (p.q.Collection != "" && c.ID != p.q.Collection) {
			continue
		}
		for _, o := range e.Expected(r.Principal, c, Last) {
			if len(p.q.Types) > 0 && !slices.Contains(p.q.Types, o.Type) {
				continue
			}
			if p.q.Originator != "" && o.Writer.Org != p.q.Originator {
				continue
			}
			if !p.q.ModifiedAfter.IsZero() && !o.Modified.After(p.q.ModifiedAfter) {
				continue
			}
			ws := nameWords(o.Raw)
			if !slices.ContainsFunc(p.words, func(w string) bool { return !slices.Contains(ws, w) }) {
				want = append(want, o)
			}
		}
	}
	return want
}

// searchProbes picks the searches to check for r: every named object
// (with a type or a collection, at random), then the number of the names
// of some versions r reads, and of some r may not read (hidden objects
// and older or hidden versions), whose words must find nothing of them.
func searchProbes(e *Env, r *User, n int, wide bool) []searchProbe {
	var probes []searchProbe
	if wide {
		probes = append(probes, searchProbe{q: liaison.SearchQuery{Text: "leaktest", Limit: liaison.MaxSearchLimit}, words: []string{"leaktest"}})
	}
	types := []string{"malware", "indicator", "campaign", "threat-actor", "attack-pattern", "identity"}
	t := types[e.rand.IntN(len(types))]
	words := append([]string{"leaktest"}, strings.Split(t, "-")...)
	if wide {
		// Small pages, so paging is checked too.
		probes = append(probes, searchProbe{q: liaison.SearchQuery{Text: "LEAKTEST " + t, Types: []string{t}, Limit: 7}, words: words})
		if cs := e.someReadable(r, 1); len(cs) > 0 {
			probes = append(probes, searchProbe{q: liaison.SearchQuery{Text: "leak*", Collection: cs[0].ID, Limit: 13}, words: []string{"leaktest"}})
		}
		// Filtered in the store: by an originator, and by modified time.
		// Around a version r may not read when there is one, so that the
		// filter has hidden matches to keep out.
		if len(e.World.Objs) > 0 {
			o := e.World.Objs[e.rand.IntN(len(e.World.Objs))]
			for _, i := range e.rand.Perm(len(e.World.Objs)) {
				h := e.World.Objs[i]
				if ws := nameWords(h.Raw); e.World.stored(h) && len(ws) > 0 && ws[0] == "leaktest" && !(e.ref.reads(r.Org, h) && e.MayReadCollection(r.Principal, h.Coll)) {
					o = h
					break
				}
			}
			probes = append(probes,
				searchProbe{q: liaison.SearchQuery{Text: "leaktest", Originator: o.Writer.Org, Limit: 11}, words: []string{"leaktest"}},
				searchProbe{q: liaison.SearchQuery{Text: "leaktest", ModifiedAfter: o.Modified.Add(-time.Millisecond), Limit: 17}, words: []string{"leaktest"}})
		}
	} else if cs := e.someReadable(r, 1); len(cs) > 0 {
		// In the large world, one type in one collection, in pages of 20.
		// (A phrase, so that the index itself narrows to the type.)
		probes = append(probes, searchProbe{q: liaison.SearchQuery{Text: `"` + strings.Join(words, " ") + `"`, Types: []string{t}, Collection: cs[0].ID, Limit: 20}, words: words})
	}
	var objs []*Obj
	for _, o := range e.World.Objs {
		if ws := nameWords(o.Raw); e.World.stored(o) && len(ws) == 3 && ws[0] == "leaktest" {
			objs = append(objs, o)
		}
	}
	e.rand.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
	visible, hidden := 0, 0
	for _, o := range objs {
		reads := e.ref.reads(r.Org, o) && e.MayReadCollection(r.Principal, o.Coll)
		if (reads && visible >= n) || (!reads && hidden >= n) {
			continue
		}
		if reads {
			visible++
		} else {
			hidden++
		}
		ws := nameWords(o.Raw)
		probes = append(probes, searchProbe{q: liaison.SearchQuery{Text: `"leaktest ` + ws[1] + `" ` + ws[2]}, words: ws})
	}
	return probes
}

// searchN is how many versions of each kind searchProbes takes, and
// whether it searches for every object in small pages: in the large
// world, fewer and not, since a search ranks every version it matches
// and each page ranks them again (the mutants' small worlds keep every
// probe).
func searchN(e *Env) (int, bool) {
	switch {
	case len(e.World.Objs) <= 1000:
		return 12, true
	case raceEnabled:
		return 1, false
	}
	return 6, false
}

// skipUnderRace says whether to leave this check out: under the race
// detector, in the large world, seven checks in eight are (each search is
// slow there; the run without it checks them all).
func skipUnderRace(e *Env) bool {
	return raceEnabled && len(e.World.Objs) > 1000 && e.rand.IntN(8) != 0
}

// storeSearch checks Store.Search: each probe, followed page by page,
// finds exactly what the reference says, nothing hidden, nothing missing,
// with no page promising more than follows; and a collection the reader
// may not read is as missing as one that is not there.
type storeSearch struct{}

func (storeSearch) Name() string { return "store/search" }

func (storeSearch) Check(e *Env, r *User) {
	if skipUnderRace(e) {
		return
	}
	n, wide := searchN(e)
	for _, p := range searchProbes(e, r, n, wide) {
		got, err := searchAll(e, r, p.q)
		if err != nil {
			e.Errorf(r, "Search(%q): %v", p.q.Text, err)
			continue
		}
		compare(e, r, fmt.Sprintf("Search(%q)", p.q.Text), got, searchWant(e, r, p), false)
	}
	for _, c := range e.World.Collections {
		if e.MayReadCollection(r.Principal, c) {
			continue
		}
		e.stats.Probes.Add(1)
		m := e.Missing("x--y")
		m = m[strings.Index(m, "--")+2:]
		_, herr := e.Store.Search(e.Ctx(), r.Principal, liaison.SearchQuery{Text: "leaktest", Collection: c.ID})
		_, merr := e.Store.Search(e.Ctx(), r.Principal, liaison.SearchQuery{Text: "leaktest", Collection: m})
		if liaison.ErrorCode(herr) != liaison.ENOTFOUND || liaison.ErrorCode(merr) != liaison.ENOTFOUND ||
			strings.Replace(liaison.ErrorMessage(herr), c.ID, m, 1) != liaison.ErrorMessage(merr) {
			e.Errorf(r, "LEAK Search in a hidden collection %s gives %v; in a missing one %v", c.Key, herr, merr)
		}
		break
	}
}

// searchAll follows a search's pages to the end.
func searchAll(e *Env, r *User, q liaison.SearchQuery) ([]liaison.Version, error) {
	var out []liaison.Version
	promised := false
	for pages := 0; ; pages++ {
		if pages > 10000 {
			return out, fmt.Errorf("more than 10000 pages: the cursor does not advance")
		}
		e.stats.Reads.Add(1)
		pg, err := e.Store.Search(e.Ctx(), r.Principal, q)
		if err != nil {
			return out, err
		}
		if promised && len(pg.Hits) == 0 {
			e.Errorf(r, "LEAK Search(%q): a page said more=true but the next page is empty (a count of hidden versions leaks)", q.Text)
		}
		limit := q.Limit
		if limit == 0 {
			limit = liaison.DefaultSearchLimit
		}
		if len(pg.Hits) > limit {
			e.Errorf(r, "Search(%q): page of %d hits for limit %d", q.Text, len(pg.Hits), limit)
		}
		for _, h := range pg.Hits {
			out = append(out, h.Version)
		}
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

var (
	hitRE     = regexp.MustCompile(`<li class="hit" data-version="([^"@]+)@([^"]+)" data-collection="([^"]+)">`)
	hitNextRE = regexp.MustCompile(`<a href="([^"]+)" rel="next">More results`)
)

// webSearch checks the search page and the API's search: the versions
// each shows, for the probes, are exactly the reference's, and a page
// names no STIX id but theirs.
type webSearch struct{}

func (webSearch) Name() string { return "web/search" }

func (webSearch) Check(e *Env, r *User) {
	if r.Token == "" || skipUnderRace(e) {
		return // not a user of the hub: cannot sign in, nor call the API
	}
	b := browserFor(e, r)
	n, wide := searchN(e)
	for _, p := range searchProbes(e, r, max(1, n/3), wide) {
		want := searchWant(e, r, p)
		visible := map[string]bool{}
		for _, o := range want {
			visible[o.ID] = true
		}
		v := url.Values{"q": {p.q.Text}}
		if len(p.q.Types) > 0 {
			v.Set("type", strings.Join(p.q.Types, ","))
		}
		if p.q.Collection != "" {
			v.Set("collection", p.q.Collection)
		}
		if p.q.Limit != 0 {
			v.Set("limit", fmt.Sprint(p.q.Limit))
		}
		if p.q.Originator != "" {
			v.Set("originator", p.q.Originator)
		}
		if !p.q.ModifiedAfter.IsZero() {
			v.Set("modified_after", p.q.ModifiedAfter.UTC().Format(time.RFC3339Nano))
		}
		got, bodies, err := b.searchPages(e, "/search?"+v.Encode())
		if err != nil {
			e.Errorf(r, "/search?%s: %v", v.Encode(), err)
		} else {
			compareKeys(e, r, "page /search?q="+p.q.Text, got, nil, want)
			noStrangers(e, r, "page /search?q="+p.q.Text, bodies, visible)
		}
		keys, err := apiSearchAll(e, r, b, v)
		if err != nil {
			e.Errorf(r, "GET /api/v1/search?%s: %v", v.Encode(), err)
			continue
		}
		compareKeys(e, r, "GET /api/v1/search?q="+p.q.Text, keys, nil, want)
	}
}

// searchPages follows a search page's More results links.
func (b *webBrowser) searchPages(e *Env, path string) ([]versionKey, []string, error) {
	var keys []versionKey
	var bodies []string
	for pages := 0; path != ""; pages++ {
		if pages > 10000 {
			return nil, nil, fmt.Errorf("more than 10000 pages")
		}
		status, _, body, err := b.get(e, path)
		if err != nil {
			return nil, nil, err
		}
		if status != http.StatusOK {
			return nil, nil, fmt.Errorf("%s: status %d: %s", path, status, truncateBody([]byte(body)))
		}
		for _, m := range hitRE.FindAllStringSubmatch(body, -1) {
			t, err := time.Parse(time.RFC3339Nano, html.UnescapeString(m[2]))
			if err != nil {
				return nil, nil, fmt.Errorf("hit %s: version %q: %w", m[1], m[2], err)
			}
			keys = append(keys, versionKey{html.UnescapeString(m[3]), m[1], t.UnixMicro()})
		}
		bodies = append(bodies, body)
		path = ""
		if m := hitNextRE.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	return keys, bodies, nil
}

// apiSearchAll follows GET /api/v1/search's pages with r's token.
func apiSearchAll(e *Env, r *User, b *webBrowser, v url.Values) ([]versionKey, error) {
	var out []versionKey
	for pages := 0; ; pages++ {
		if pages > 10000 {
			return nil, fmt.Errorf("more than 10000 pages")
		}
		req, err := http.NewRequestWithContext(e.Ctx(), http.MethodGet, b.ws.srv.URL+"/api/v1/search?"+v.Encode(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+r.Token)
		e.stats.Reads.Add(1)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var body struct {
			Hits []struct {
				Collection, ID, Version string
				Object                  struct {
					ID string `json:"id"`
				} `json:"object"`
			} `json:"hits"`
			More bool   `json:"more"`
			Next string `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return nil, fmt.Errorf("status %d: %v", resp.StatusCode, err)
		}
		for _, h := range body.Hits {
			mod, err := time.Parse(time.RFC3339Nano, h.Version)
			if err != nil || h.Object.ID != h.ID {
				return nil, fmt.Errorf("hit %s: version %q, object %s", h.ID, h.Version, h.Object.ID)
			}
			out = append(out, versionKey{h.Collection, h.ID, mod.UnixMicro()})
		}
		if !body.More {
			return out, nil
		}
		v.Set("next", body.Next)
	}
}
