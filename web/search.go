package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/internal/textsearch"
)

// searchFields are the query parameters of a search, page and API alike.
var searchFields = []string{"q", "type", "collection", "originator", "added_after", "added_before", "modified_after", "modified_before", "limit", "next"}

// searchRequest is a search as its URL spells it.
type searchRequest struct {
	Q          string
	Given      bool // the URL has a q at all (the bare page shows only the form)
	Types      []string
	Collection string
	Limit      int
	Next       string
	Query      textsearch.Query // parsed Q, for highlighting
	// Filters the store applies in its query.
	Originator                    string
	AddedAfter, AddedBefore       time.Time
	ModifiedAfter, ModifiedBefore time.Time
}

// dateValue writes a filter's time as the form shows it back.
func dateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339Nano)
}

// parseSearch reads a search's URL query. A bad value is EINVALID naming
// the field.
func parseSearch(v url.Values) (searchRequest, error) {
	sr := searchRequest{Q: v.Get("q"), Limit: liaison.DefaultSearchLimit}
	_, sr.Given = v["q"]
	for k := range v {
		if !slices.Contains(searchFields, k) {
			return sr, liaison.Errorf(liaison.EINVALID, "field %s is unknown: a search takes %s", truncate(k, 40), strings.Join(searchFields, ", "))
		}
	}
	for _, t := range splitValues(v["type"]) {
		if !typeRE.MatchString(t) {
			return sr, liaison.Errorf(liaison.EINVALID, "field type: %q is not a STIX type name (lower-case letters, digits and hyphens)", truncate(t, 60))
		}
		sr.Types = append(sr.Types, t)
	}
	if c := v.Get("collection"); c != "" {
		if !uuidRE.MatchString(c) {
			return sr, liaison.Errorf(liaison.EINVALID, "field collection: %q is not a collection id", truncate(c, 60))
		}
		sr.Collection = c
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > liaison.MaxSearchLimit {
			return sr, liaison.Errorf(liaison.EINVALID, "field limit: %q is not a number from 1 to %d", truncate(l, 40), liaison.MaxSearchLimit)
		}
		sr.Limit = n
	}
	if o := v.Get("originator"); o != "" {
		if !orgRE.MatchString(o) {
			return sr, liaison.Errorf(liaison.EINVALID, "field originator: %q is not an organisation code such as JPN or NATO-IS", truncate(o, 40))
		}
		sr.Originator = o
	}
	var err error
	for _, d := range []struct {
		field string
		to    *time.Time
	}{{"added_after", &sr.AddedAfter}, {"added_before", &sr.AddedBefore}, {"modified_after", &sr.ModifiedAfter}, {"modified_before", &sr.ModifiedBefore}} {
		if *d.to, err = parseWhen(d.field, v.Get(d.field)); err != nil {
			return sr, err
		}
	}
	if !sr.AddedAfter.IsZero() && !sr.AddedBefore.IsZero() && !sr.AddedBefore.After(sr.AddedAfter) {
		return sr, liaison.Errorf(liaison.EINVALID, "field added_before must be later than added_after")
	}
	if !sr.ModifiedAfter.IsZero() && !sr.ModifiedBefore.IsZero() && !sr.ModifiedBefore.After(sr.ModifiedAfter) {
		return sr, liaison.Errorf(liaison.EINVALID, "field modified_before must be later than modified_after")
	}
	sr.Next = v.Get("next")
	sr.Query, err = textsearch.Parse(sr.Q)
	return sr, err
}

func (sr searchRequest) store() liaison.SearchQuery {
	return liaison.SearchQuery{Text: sr.Q, Collection: sr.Collection, Types: sr.Types, Limit: sr.Limit, Next: sr.Next,
		Originator: sr.Originator, AddedAfter: sr.AddedAfter, AddedBefore: sr.AddedBefore, ModifiedAfter: sr.ModifiedAfter, ModifiedBefore: sr.ModifiedBefore}
}

// values returns the search as URL values, without the cursor.
func (sr searchRequest) values() url.Values {
	v := url.Values{"q": {sr.Q}}
	if len(sr.Types) > 0 {
		v.Set("type", strings.Join(sr.Types, ","))
	}
	if sr.Collection != "" {
		v.Set("collection", sr.Collection)
	}
	if sr.Originator != "" {
		v.Set("originator", sr.Originator)
	}
	for _, d := range []struct {
		field string
		t     time.Time
	}{{"added_after", sr.AddedAfter}, {"added_before", sr.AddedBefore}, {"modified_after", sr.ModifiedAfter}, {"modified_before", sr.ModifiedBefore}} {
		if !d.t.IsZero() {
			v.Set(d.field, d.t.Format(time.RFC3339Nano))
		}
	}
	if sr.Limit != liaison.DefaultSearchLimit {
		v.Set("limit", strconv.Itoa(sr.Limit))
	}
	return v
}

// hitText is the highlighted text of one hit: its title, the part of its
// description or body around the first match, and its matching keys.
type hitText struct {
	Title   []textsearch.Segment
	Snippet []textsearch.Segment
	Keys    []textsearch.Segment
}

// snippetWidth is about how many bytes of a hit's body a result shows.
const snippetWidth = 240

func highlightHit(v liaison.Version, q textsearch.Query) hitText {
	doc := textsearch.Extract(v.Raw)
	title := doc.Name
	if title == "" {
		title = fieldsOf(v.Raw).title(v.Type)
	}
	ht := hitText{Title: textsearch.Highlight(title, q)}
	if doc.Body != "" {
		ht.Snippet = textsearch.Snippet(doc.Body, q, snippetWidth)
	}
	// The keys are many short values: show only those that match.
	var keys []string
	for _, k := range strings.Split(doc.Keys, "\n") {
		if slices.ContainsFunc(textsearch.Highlight(k, q), func(s textsearch.Segment) bool { return s.Hit }) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		ht.Keys = textsearch.Highlight(truncate(strings.Join(keys, " · "), snippetWidth), q)
	}
	return ht
}

// searchView is what the search page shows.
type searchView struct {
	Req      searchRequest
	Error    string // why the query was refused
	Colls    []optionView
	Type     string
	Limits   []optionView
	Hits     []hitView
	Searched bool
	Windowed bool // more than liaison.SearchWindow matched: ranked window by window
	Window   int
	Filtered bool
	Dates    map[string]string // the date filters as the form shows them
	First    bool
	More     bool
	NextURL  string
	FirstURL string
}

// hitView is one result.
type hitView struct {
	hitText
	Key, Type, Href   string
	CollID, CollTitle string
	Originator        string
	Added, Version    timeView
	Badges            []badge
}

// searchPage serves /search: the form, and the results of q.
func (s *Server) searchPage(p *page) error {
	colls, err := s.readable(p)
	if err != nil {
		return err
	}
	sr, perr := parseSearch(p.r.URL.Query())
	sv := searchView{Req: sr, Type: strings.Join(sr.Types, ","), First: sr.Next == "", Window: liaison.SearchWindow,
		Filtered: len(sr.Types) > 0 || sr.Collection != "" || sr.Originator != "" || !sr.AddedAfter.IsZero() || !sr.AddedBefore.IsZero() || !sr.ModifiedAfter.IsZero() || !sr.ModifiedBefore.IsZero(),
		Dates:    map[string]string{"added_after": dateValue(sr.AddedAfter), "added_before": dateValue(sr.AddedBefore), "modified_after": dateValue(sr.ModifiedAfter), "modified_before": dateValue(sr.ModifiedBefore)}}
	sv.Colls = []optionView{{Value: "", Label: "every collection", Selected: sr.Collection == ""}}
	title := map[string]string{}
	for _, c := range colls {
		sv.Colls = append(sv.Colls, optionView{Value: c.ID, Label: c.Title, Selected: c.ID == sr.Collection})
		title[c.ID] = c.Title
	}
	sv.Limits = options(strconv.Itoa(sr.Limit), "10", "10", "25", "25", "50", "50", "100", "100")
	status := http.StatusOK
	if !sr.Given && perr != nil && strings.HasPrefix(liaison.ErrorMessage(perr), "field q:") {
		perr = nil // the bare page: only the form
	} else if perr == nil {
		perr = s.searchHits(p, sr, title, &sv)
	}
	if perr != nil {
		if liaison.ErrorCode(perr) != liaison.EINVALID {
			return perr
		}
		sv.Searched, sv.Hits, sv.Error, status = false, nil, liaison.ErrorMessage(perr), http.StatusBadRequest
	}
	name := "Search"
	if sv.Searched {
		name = "Search: " + sr.Q
	}
	return p.render(status, "search.html", name, "search", sv)
}

// searchHits runs the search and fills the page's results.
func (s *Server) searchHits(p *page, sr searchRequest, title map[string]string, sv *searchView) error {
	page, err := s.store.Search(p.r.Context(), *p.p, sr.store())
	if err != nil {
		return err
	}
	sv.Searched = true
	for _, h := range page.Hits {
		l, err := p.label(h.Version)
		if err != nil {
			return err
		}
		sv.Hits = append(sv.Hits, hitView{
			hitText: highlightHit(h.Version, sr.Query), Key: h.ID + "@" + h.Modified.UTC().Format(time.RFC3339Nano), Type: h.Type,
			Href: objectHref(h.Collection, h.ID, h.Modified), CollID: h.Collection, CollTitle: title[h.Collection],
			Originator: h.Originator, Added: p.when(h.DateAdded), Version: p.when(h.Modified), Badges: badges(l),
		})
	}
	sv.More, sv.Windowed = page.More, page.Windowed
	sv.FirstURL = withValues("/search", sr.values())
	if page.More {
		next := sr.values()
		next.Set("next", page.Next)
		sv.NextURL = withValues("/search", next)
	}
	return nil
}

// searchHitJSON is one hit of GET /api/v1/search.
type searchHitJSON struct {
	Collection  string          `json:"collection"`
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	SpecVersion string          `json:"spec_version"`
	Version     string          `json:"version"`
	DateAdded   string          `json:"date_added"`
	Originator  string          `json:"originator"`
	Highlights  highlightsJSON  `json:"highlights"`
	Object      json.RawMessage `json:"object"`
}

type highlightsJSON struct {
	Title   []segmentJSON `json:"title"`
	Snippet []segmentJSON `json:"snippet"`
	Keys    []segmentJSON `json:"keys"`
}

type segmentJSON struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit,omitempty"`
}

func segmentsJSON(ss []textsearch.Segment) []segmentJSON {
	out := make([]segmentJSON, 0, len(ss))
	for _, s := range ss {
		out = append(out, segmentJSON{s.Text, s.Hit})
	}
	return out
}

// apiSearch serves GET /api/v1/search.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	sr, err := parseSearch(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.store.Search(r.Context(), p, sr.store())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]searchHitJSON, 0, len(page.Hits))
	for _, h := range page.Hits {
		ht := highlightHit(h.Version, sr.Query)
		out = append(out, searchHitJSON{
			Collection: h.Collection, ID: h.ID, Type: h.Type, SpecVersion: h.SpecVersion,
			Version: h.Modified.UTC().Format(time.RFC3339Nano), DateAdded: h.DateAdded.UTC().Format(time.RFC3339Nano), Originator: h.Originator,
			Highlights: highlightsJSON{Title: segmentsJSON(ht.Title), Snippet: segmentsJSON(ht.Snippet), Keys: segmentsJSON(ht.Keys)},
			Object:     json.RawMessage(h.Raw),
		})
	}
	body := map[string]any{"hits": out, "more": page.More, "windowed": page.Windowed}
	if page.More {
		body["next"] = page.Next
	}
	writeJSON(w, http.StatusOK, body)
}
