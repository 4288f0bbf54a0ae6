package web

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/stix"
)

// The matrix pages: any stored x-mitre-matrix (DISARM, ATT&CK Enterprise,
// ICS, Mobile) as tactics in columns and techniques in each, every cell
// coloured by how many objects the reader may read use it. Everything is
// read as the reader: the matrix, its tactics and the techniques through
// the store's page queries, the counts through CountUses, which counts
// inside the reader-filtered queries. A hidden tactic, technique or user
// and a missing one look the same.

// catalogueObj is what the matrix pages read of a matrix, a tactic or a
// technique.
type catalogueObj struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	TacticRefs  []string `json:"tactic_refs"`
	Shortname   string   `json:"x_mitre_shortname"`
	Domains     []string `json:"x_mitre_domains"`
	Phases      []struct {
		Chain string `json:"kill_chain_name"`
		Phase string `json:"phase_name"`
	} `json:"kill_chain_phases"`
	Refs []struct {
		Source     string `json:"source_name"`
		ExternalID string `json:"external_id"`
		URL        string `json:"url"`
	} `json:"external_references"`
	Sub        bool `json:"x_mitre_is_subtechnique"`
	Revoked    bool `json:"revoked"`
	Deprecated bool `json:"x_mitre_deprecated"`
}

func catalogueOf(raw []byte) catalogueObj {
	var c catalogueObj
	_ = json.Unmarshal(raw, &c) // stored objects are valid; a mismatch leaves a field empty
	return c
}

// catalogueSources are the external_references source names of the
// catalogues, whose external id names a tactic or technique.
var catalogueSources = []string{"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack", "disarm"}

// externalID returns the catalogue's id of an object (T0803, TA0107,
// T0002.001) and its page, if that is an http(s) address.
func (c catalogueObj) externalID() (id, href string) {
	for pass := 0; pass < 2; pass++ {
		for _, r := range c.Refs {
			if r.ExternalID == "" || pass == 0 && !slices.Contains(catalogueSources, strings.ToLower(r.Source)) {
				continue
			}
			if u, err := url.Parse(r.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
				href = u.String()
			}
			return r.ExternalID, href
		}
	}
	return "", ""
}

// inDomains says whether a technique belongs to a matrix's domains: when
// both name theirs, they must share one (ATT&CK Enterprise and Mobile
// share tactic names such as initial-access).
func (c catalogueObj) inDomains(matrix []string) bool {
	if len(matrix) == 0 || len(c.Domains) == 0 {
		return true
	}
	for _, d := range c.Domains {
		if slices.Contains(matrix, d) {
			return true
		}
	}
	return false
}

// heat is the colour class of a count: none, one, a few, several, many.
func heat(n int) int {
	switch {
	case n <= 0:
		return 0
	case n == 1:
		return 1
	case n <= 3:
		return 2
	case n <= 7:
		return 3
	}
	return 4
}

// techCell is one technique or sub-technique of a matrix column.
type techCell struct {
	ID, Name, ExtID, Href string
	Count, Heat           int
	Subs                  []techCell
	SubCount              int // the users of the sub-techniques, summed, to colour a closed list
}

// tacticCol is one column.
type tacticCol struct {
	ID, Name, ExtID, Href string
	Techniques            []techCell
	Used                  int // techniques of the column that some readable object uses
}

// matrixView is the matrix page.
type matrixView struct {
	ID, Name, ExtID, ExtHref, Description string
	ObjectHref                            string
	Columns                               []tacticCol
	Techniques                            int // cells, sub-techniques included
	Used                                  int // of them, used by some readable object
	Max                                   int
	Legend                                []legendItem
}

type legendItem struct {
	Heat int
	Text string
}

var heatLegend = []legendItem{{0, "used by nothing you may read"}, {1, "by one"}, {2, "by 2 or 3"}, {3, "by 4 to 7"}, {4, "by 8 or more"}}

// matrixRow is one matrix on the list of matrices.
type matrixRow struct {
	ID, Name, ExtID, Href, Collection string
	Tactics                           int
}

// allOfType returns the latest version the reader may read of every
// object of typ, in the first of the reader's collections that holds one.
func (s *Server) allOfType(p *page, typ string) ([]liaison.Version, error) {
	colls, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []liaison.Version
	for _, c := range colls {
		q := liaison.ObjectQuery{Types: []string{typ}, Limit: 1000}
		for {
			pg, err := s.store.Objects(p.r.Context(), *p.p, c.ID, q)
			if code := liaison.ErrorCode(err); code == liaison.ENOTFOUND || code == liaison.EFORBIDDEN {
				break // the collection went since it was listed
			}
			if err != nil {
				return nil, err
			}
			for _, v := range pg.Versions {
				if !seen[v.ID] {
					seen[v.ID] = true
					out = append(out, v)
				}
			}
			if !pg.More {
				break
			}
			q.Next = pg.Next
		}
	}
	return out, nil
}

// matricesPage serves GET /matrices: the matrices the reader may read.
func (s *Server) matricesPage(p *page) error {
	vs, err := s.allOfType(p, "x-mitre-matrix")
	if err != nil {
		return err
	}
	var rows []matrixRow
	for _, v := range vs {
		m := catalogueOf(v.Raw)
		if m.Revoked || m.Deprecated {
			continue
		}
		if _, err := p.label(v); err != nil {
			return err
		}
		ext, _ := m.externalID()
		rows = append(rows, matrixRow{ID: v.ID, Name: cmp.Or(m.Name, v.ID), ExtID: ext, Href: "/matrices/" + v.ID, Collection: v.Collection, Tactics: len(m.TacticRefs)})
	}
	slices.SortFunc(rows, func(a, b matrixRow) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return p.render(http.StatusOK, "matrices.html", "Matrices", "matrices", rows)
}

// matrixPage serves GET /matrices/{id}.
func (s *Server) matrixPage(p *page) error {
	id := p.r.PathValue("id")
	if typ, _, ok := stix.SplitID(id); !ok || typ != "x-mitre-matrix" {
		return liaison.Errorf(liaison.EINVALID, "the path's matrix id %q is not the id of an x-mitre-matrix (x-mitre-matrix--UUID)", truncate(id, 80))
	}
	if len(p.r.URL.Query()) > 0 {
		return liaison.Errorf(liaison.EINVALID, "a matrix page takes no query: remove %q", truncate(p.r.URL.RawQuery, 40))
	}
	mv, err := s.matrix(p, id)
	if err != nil {
		return err
	}
	return p.render(http.StatusOK, "matrix.html", mv.Name, "matrices", mv)
}

// matrix builds the view of one matrix, as the reader may read it.
func (s *Server) matrix(p *page, id string) (matrixView, error) {
	got, err := s.latestOf(p, []string{id})
	if err != nil {
		return matrixView{}, err
	}
	v, ok := got[id]
	if !ok {
		return matrixView{}, liaison.NotFound("object", id)
	}
	if _, err := p.label(v); err != nil {
		return matrixView{}, err
	}
	m := catalogueOf(v.Raw)
	mv := matrixView{ID: id, Name: cmp.Or(m.Name, id), Description: m.Description, ObjectHref: objectHref(v.Collection, id, time.Time{}), Legend: heatLegend}
	mv.ExtID, mv.ExtHref = m.externalID()
	tactics, err := s.latestOf(p, m.TacticRefs)
	if err != nil {
		return matrixView{}, err
	}
	byPhase := map[string]int{} // shortname → column
	for _, ref := range m.TacticRefs {
		tv, ok := tactics[ref]
		if !ok {
			continue // hidden or missing alike: no column
		}
		t := catalogueOf(tv.Raw)
		if t.Shortname == "" || t.Revoked {
			continue
		}
		if _, dup := byPhase[t.Shortname]; dup {
			continue
		}
		if _, err := p.label(tv); err != nil {
			return matrixView{}, err
		}
		col := tacticCol{ID: ref, Name: cmp.Or(t.Name, t.Shortname), Href: objectHref(tv.Collection, ref, time.Time{})}
		col.ExtID, _ = t.externalID()
		byPhase[t.Shortname] = len(mv.Columns)
		mv.Columns = append(mv.Columns, col)
	}
	if len(mv.Columns) == 0 {
		return mv, nil
	}
	techs, err := s.allOfType(p, "attack-pattern")
	if err != nil {
		return matrixView{}, err
	}
	type placed struct {
		cell techCell
		sub  bool
		cols []int
	}
	var cells []placed
	var targets []string
	for _, tv := range techs {
		t := catalogueOf(tv.Raw)
		if t.Revoked || t.Deprecated || !t.inDomains(m.Domains) {
			continue
		}
		var cols []int
		for _, ph := range t.Phases {
			if c, ok := byPhase[ph.Phase]; ok && !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			continue
		}
		if _, err := p.label(tv); err != nil {
			return matrixView{}, err
		}
		ext, _ := t.externalID()
		cells = append(cells, placed{cell: techCell{ID: tv.ID, Name: cmp.Or(t.Name, tv.ID), ExtID: ext, Href: techniqueHref(tv.ID, id)}, sub: t.Sub || strings.Contains(ext, "."), cols: cols})
		targets = append(targets, tv.ID)
	}
	counts := map[string]int{}
	for start := 0; start < len(targets); start += liaison.MaxUseTargets {
		n, err := s.store.CountUses(p.r.Context(), *p.p, liaison.UseQuery{Targets: targets[start:min(len(targets), start+liaison.MaxUseTargets)], SourceTypes: liaison.UserTypes})
		if err != nil {
			return matrixView{}, err
		}
		for k, c := range n {
			counts[k] = c
		}
	}
	for i := range cells {
		c := &cells[i].cell
		c.Count, c.Heat = counts[c.ID], heat(counts[c.ID])
		mv.Techniques++
		if c.Count > 0 {
			mv.Used++
		}
		mv.Max = max(mv.Max, c.Count)
	}
	// Techniques first, then each sub-technique under its parent (by the
	// external id before the dot) where the parent is in the same column.
	for _, pc := range cells {
		if pc.sub {
			continue
		}
		for _, c := range pc.cols {
			mv.Columns[c].Techniques = append(mv.Columns[c].Techniques, pc.cell)
		}
	}
	for _, pc := range cells {
		if !pc.sub {
			continue
		}
		parent, _, _ := strings.Cut(pc.cell.ExtID, ".")
		for _, c := range pc.cols {
			col := &mv.Columns[c]
			i := slices.IndexFunc(col.Techniques, func(t techCell) bool { return t.ExtID != "" && t.ExtID == parent })
			if i < 0 {
				col.Techniques = append(col.Techniques, pc.cell) // its parent is not here to read
				continue
			}
			col.Techniques[i].Subs = append(col.Techniques[i].Subs, pc.cell)
			col.Techniques[i].SubCount += pc.cell.Count
		}
	}
	byName := func(a, b techCell) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	}
	for i := range mv.Columns {
		col := &mv.Columns[i]
		slices.SortFunc(col.Techniques, byName)
		for j := range col.Techniques {
			t := &col.Techniques[j]
			slices.SortFunc(t.Subs, func(a, b techCell) int { return cmp.Or(cmp.Compare(a.ExtID, b.ExtID), byName(a, b)) })
			if t.Count > 0 {
				col.Used++
			}
		}
	}
	return mv, nil
}

func techniqueHref(id, matrix string) string {
	if matrix == "" {
		return "/techniques/" + id
	}
	return "/techniques/" + id + "?matrix=" + url.QueryEscape(matrix)
}

// techniqueUser is one object the technique page lists as using it.
type techniqueUser struct {
	ID, Type, Title, Href, LinkHref string
}

// techniqueView is the technique page.
type techniqueView struct {
	ID, Name, ExtID, ExtHref, Description, ObjectHref string
	Phases                                            []string
	Matrix                                            *matrixRow // the matrix the reader came from, if they may read it
	Users                                             []techniqueUser
	LinksMore                                         bool
}

// techniquePage serves GET /techniques/{id}: the technique, its
// catalogue id and page, and every object the reader may read that uses
// it through a relationship the reader may read.
func (s *Server) techniquePage(p *page) error {
	id := p.r.PathValue("id")
	if typ, _, ok := stix.SplitID(id); !ok || typ != "attack-pattern" {
		return liaison.Errorf(liaison.EINVALID, "the path's technique id %q is not the id of an attack-pattern (attack-pattern--UUID)", truncate(id, 80))
	}
	qv := p.r.URL.Query()
	for k := range qv {
		if k != "matrix" {
			return liaison.Errorf(liaison.EINVALID, "field %s is unknown: a technique page takes only matrix", truncate(k, 40))
		}
	}
	from := qv.Get("matrix")
	if from != "" {
		if typ, _, ok := stix.SplitID(from); !ok || typ != "x-mitre-matrix" {
			return liaison.Errorf(liaison.EINVALID, "field matrix: %q is not the id of an x-mitre-matrix", truncate(from, 80))
		}
	}
	ids := []string{id}
	if from != "" {
		ids = append(ids, from)
	}
	got, err := s.latestOf(p, ids)
	if err != nil {
		return err
	}
	v, ok := got[id]
	if !ok {
		return liaison.NotFound("object", id)
	}
	if _, err := p.label(v); err != nil {
		return err
	}
	t := catalogueOf(v.Raw)
	tv := techniqueView{ID: id, Name: cmp.Or(t.Name, id), Description: t.Description, ObjectHref: objectHref(v.Collection, id, time.Time{})}
	tv.ExtID, tv.ExtHref = t.externalID()
	for _, ph := range t.Phases {
		if !slices.Contains(tv.Phases, ph.Phase) {
			tv.Phases = append(tv.Phases, ph.Phase)
		}
	}
	if mv, ok := got[from]; ok && from != "" {
		if _, err := p.label(mv); err != nil {
			return err
		}
		m := catalogueOf(mv.Raw)
		tv.Matrix = &matrixRow{ID: from, Name: cmp.Or(m.Name, from), Href: "/matrices/" + from}
	}
	users, more, err := s.techniqueUsers(p, id)
	if err != nil {
		return err
	}
	tv.Users, tv.LinksMore = users, more
	return p.render(http.StatusOK, "technique.html", tv.Name, "matrices", tv)
}

// users returns the objects of liaison.UserTypes the reader may read that
// use the technique id through a relationship the reader may read, the
// same ones CountUses counts, sorted by type and title.
func (s *Server) techniqueUsers(p *page, id string) ([]techniqueUser, bool, error) {
	links, more, err := s.store.Related(p.r.Context(), *p.p, id, liaison.MaxRelated)
	if err != nil {
		return nil, false, err
	}
	via := map[string]liaison.Version{}
	var srcs []string
	for _, l := range links {
		f := fieldsOf(l.Raw)
		typ, _, _ := strings.Cut(f.SourceRef, "--")
		if l.Type != "relationship" || f.RelationshipType != "uses" || f.TargetRef != id || f.Revoked || !slices.Contains(liaison.UserTypes, typ) {
			continue
		}
		if _, ok := via[f.SourceRef]; !ok {
			srcs = append(srcs, f.SourceRef)
			via[f.SourceRef] = l
		}
	}
	readable, err := s.latestOf(p, srcs)
	if err != nil {
		return nil, false, err
	}
	var out []techniqueUser
	for _, src := range srcs {
		uv, ok := readable[src]
		if !ok || fieldsOf(uv.Raw).Revoked {
			continue
		}
		if _, err := p.label(uv); err != nil {
			return nil, false, err
		}
		l := via[src]
		if _, err := p.label(l); err != nil {
			return nil, false, err
		}
		out = append(out, techniqueUser{ID: src, Type: uv.Type, Title: fieldsOf(uv.Raw).title(uv.Type), Href: objectHref(uv.Collection, src, time.Time{}), LinkHref: objectHref(l.Collection, l.ID, time.Time{})})
	}
	slices.SortFunc(out, func(a, b techniqueUser) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)), cmp.Compare(a.ID, b.ID))
	})
	return out, more, nil
}

// matrixRoutes are the matrix, technique and FIMI incident pages.
func (s *Server) matrixRoutes() {
	s.handle("GET /matrices", s.signedIn(s.matricesPage))
	s.handle("GET /matrices/{id}", s.signedIn(s.matrixPage))
	s.handle("GET /techniques/{id}", s.signedIn(s.techniquePage))
	s.fimiRoutes()
}

func (s *Server) fimiRoutes() {
	s.handle("GET /fimi/new", s.signedIn(s.fimiForm))
	s.handle("POST /fimi", s.pageFor(s.fimiRecord))
}
