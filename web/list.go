package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"liaison"
)

// listView is what a list of objects shows.
type listView struct {
	Coll      *liaison.CollectionAccess // nil: every collection the reader may read
	Colls     int                       // how many collections the list reads
	Q         listQuery
	Form      formView
	AnyFilter bool // some filter is set
	RowFilter bool // the page filters the store's rows
	Rows      []rowView
	Scanned   int  // versions read from the store for this page
	Filtered  bool // the page's filters dropped rows
	Partial   bool // the page stopped at its read budget before it was full
	More      bool
	First     bool // this is the first page
	NextURL   string
	FirstURL  string
	Export    string
	Path      string
	SortURL   string // the list in the other order, from its start
}

// formView is the filter form's current values, and the choices of its
// menus with the current one selected.
type formView struct {
	Type, ID, AddedAfter, AddedBefore, Label, Originator string
	ReleasableTo, ModifiedAfter, ModifiedBefore          string
	ScoreMin, ScoreMax                                   string
	Versions, TLPs, Classifications, Revoked, Limits     []optionView
	Sorts                                                []optionView
}

type optionView struct {
	Value, Label string
	Selected     bool
}

func options(cur string, pairs ...string) []optionView {
	var out []optionView
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, optionView{pairs[i], pairs[i+1], pairs[i] == cur})
	}
	return out
}

// rowView is one version in a list.
type rowView struct {
	CollID, CollTitle string
	ID, Type, Title   string
	Key               string // id@version, for tests and scripts
	Version, Added    timeView
	AddedUS           int64
	Originator        string
	Badges            []badge
	Revoked           bool
	Labels            []string
	Href              string
	Score             *scoreView // with a score filter: the indicator's score now
}

// listCollection lists one collection's objects.
func (s *Server) listCollection(p *page) error {
	id := p.r.PathValue("cid")
	c, err := s.store.Collection(p.r.Context(), *p.p, id)
	if err != nil {
		return err
	}
	if !c.CanRead {
		return liaison.Errorf(liaison.EFORBIDDEN, "your organisation may write to collection %q but not read it", c.Title)
	}
	return s.list(p, &c, []liaison.CollectionAccess{c}, "/collections/"+c.ID+"/objects")
}

// listAll lists the objects of every collection the reader may read, in
// one date-added order.
func (s *Server) listAll(p *page) error {
	cs, err := s.readable(p)
	if err != nil {
		return err
	}
	return s.list(p, nil, cs, "/objects")
}

// readable returns the collections the reader may read.
func (s *Server) readable(p *page) ([]liaison.CollectionAccess, error) {
	all, err := s.store.Collections(p.r.Context(), *p.p)
	if err != nil {
		return nil, err
	}
	var out []liaison.CollectionAccess
	for _, c := range all {
		if c.CanRead {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Server) list(p *page, coll *liaison.CollectionAccess, colls []liaison.CollectionAccess, path string) error {
	q, err := parseListQuery(p.r.URL.Query())
	if err != nil {
		return err
	}
	lv := listView{Coll: coll, Colls: len(colls), Q: q, Form: formOf(q), First: len(q.Cursor) == 0, Path: path,
		AnyFilter: q.filtered(), RowFilter: q.rowFiltered()}
	st := newStream(p, q, colls, q.Limit, coll != nil)
	stopped := false
	for len(lv.Rows) < q.Limit {
		if q.rowFiltered() && st.reads() >= scanPages*len(colls) && lv.Scanned > 0 {
			lv.Partial = true
			break
		}
		v, src, ok, err := st.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if !q.Newest && !q.AddedBefore.IsZero() && !v.DateAdded.Before(q.AddedBefore) {
			stopped = true
			break
		}
		lv.Scanned++
		l, err := p.marks.labelOf(v)
		if err != nil {
			return err
		}
		f := fieldsOf(v.Raw)
		if !q.matches(v, l, f, p.expand) {
			lv.Filtered = true
			continue
		}
		sv, ok, err := s.scoreFilter(p, q, v)
		if err != nil {
			return err
		}
		if !ok {
			lv.Filtered = true
			continue
		}
		p.show(l)
		row := p.row(src.coll, v, l, f)
		row.Score = sv
		lv.Rows = append(lv.Rows, row)
	}
	lv.More = !stopped && st.more()
	base := q.values()
	lv.FirstURL = withValues(path, base)
	lv.Export = withValues(path+"/export", base)
	other := q
	other.Newest = !q.Newest
	lv.SortURL = withValues(path, other.values())
	if lv.More {
		next := q.values()
		next.Set("cursor", st.cursor())
		lv.NextURL = withValues(path, next)
	}
	title := "Objects in every collection"
	if coll != nil {
		title = coll.Title
	}
	return p.render(http.StatusOK, "objects.html", title, "objects", lv)
}

func (p *page) row(c liaison.CollectionAccess, v liaison.Version, l label, f rowFields) rowView {
	return rowView{
		CollID: c.ID, CollTitle: c.Title, ID: v.ID, Type: v.Type, Title: f.title(v.Type),
		Key:     v.ID + "@" + v.Modified.UTC().Format(time.RFC3339Nano),
		Version: p.when(v.Modified), Added: p.when(v.DateAdded), AddedUS: v.DateAdded.UnixMicro(),
		Originator: v.Originator, Badges: badges(l), Revoked: f.Revoked, Labels: f.Labels,
		Href: objectHref(c.ID, v.ID, v.Modified),
	}
}

// objectHref links to one version of an object.
func objectHref(coll, id string, version time.Time) string {
	u := "/collections/" + coll + "/objects/" + id
	if !version.IsZero() {
		u += "?version=" + url.QueryEscape(version.UTC().Format(time.RFC3339Nano))
	}
	return u
}

func formOf(q listQuery) formView {
	v := q.values()
	f := formView{
		Type: v.Get("type"), ID: v.Get("id"), Label: q.Label, Originator: q.Originator,
		ScoreMin: v.Get("score_min"), ScoreMax: v.Get("score_max"),
		Versions: options(q.Version, "last", "the latest", "first", "the first", "all", "every version"),
		TLPs: options(q.TLP, "", "any", "none", "no TLP", "clear", "TLP:CLEAR", "green", "TLP:GREEN", "amber", "TLP:AMBER",
			"amber-strict", "TLP:AMBER+STRICT", "red", "TLP:RED"),
		Classifications: options(q.Classification, "", "any", "none", "unclassified by NATO", "nato-unclassified", "NATO UNCLASSIFIED",
			"nato-restricted", "NATO RESTRICTED", "nato-confidential", "NATO CONFIDENTIAL", "nato-secret", "NATO SECRET",
			"cosmic-top-secret", "COSMIC TOP SECRET"),
		Revoked: options(q.Revoked, "", "either", "no", "not revoked", "yes", "revoked"),
		Limits:  options(strconv.Itoa(q.Limit), "10", "10", "25", "25", "50", "50", "100", "100", "200", "200"),
		Sorts:   options(map[bool]string{false: "oldest", true: "newest"}[q.Newest], "oldest", "oldest added first", "newest", "newest added first"),
	}
	f.ReleasableTo, f.ModifiedAfter, f.ModifiedBefore = q.ReleasableTo, v.Get("modified_after"), v.Get("modified_before")
	if !q.AddedAfter.IsZero() {
		f.AddedAfter = q.AddedAfter.Format(time.RFC3339Nano)
	}
	if !q.AddedBefore.IsZero() {
		f.AddedBefore = q.AddedBefore.Format(time.RFC3339Nano)
	}
	return f
}
