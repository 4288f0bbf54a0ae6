package web

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"liaison"
	"liaison/edt"
	"liaison/internal/textsearch"
)

// The EDT pages: NATO's emerging and disruptive technology areas (package
// edt), and for each area what this reader may read that is tagged with
// it. Every part comes from a reader-filtered read: the collections the
// reader may read, the consultations it may see, the store's search as
// the reader, and programme objectives only for the readers the
// programme concerns.

// edtRecentScan bounds how many search hits an area's page reads to find
// its recent objects; edtRecentShown is how many it shows.
const (
	edtRecentScan  = 5 * liaison.MaxSearchLimit
	edtRecentShown = 25
)

type edtIndexView struct {
	Catalogue edt.Catalogue
}

type edtAreaView struct {
	Area          edt.Area
	Catalogue     edt.Catalogue
	Collections   []liaison.CollectionAccess
	Consultations []consultationRow
	Objectives    []edtObjective
	Objects       []hitView
	Scanned       bool // the scan stopped at edtRecentScan hits
	SearchHref    string
}

// edtObjective is one tagged objective of a partnership programme.
type edtObjective struct {
	Programme, Partner, Text string
}

// edtIndex serves /edt: the areas, with where the list comes from.
func (s *Server) edtIndex(p *page) error {
	return p.render(http.StatusOK, "edt.html", "Emerging and disruptive technologies", "edt", edtIndexView{Catalogue: edt.Shipped()})
}

// edtArea serves /edt/{area}.
func (s *Server) edtArea(p *page) error {
	ctx := p.r.Context()
	a, ok := edt.Find(p.r.PathValue("area"))
	if !ok {
		return liaison.Errorf(liaison.ENOTFOUND, "there is no EDT area %q: the areas are listed at /edt", truncate(p.r.PathValue("area"), 40))
	}
	v := edtAreaView{Area: a, Catalogue: edt.Shipped()}
	colls, err := s.readable(p)
	if err != nil {
		return err
	}
	title := map[string]string{}
	for _, c := range colls {
		title[c.ID] = c.Title
		if c.Topic == a.Label() {
			v.Collections = append(v.Collections, c)
		}
	}
	if s.consult != nil {
		list, err := s.consult.Consultations(ctx, *p.p, liaison.ConsultationFilter{Topic: a.Label()})
		if err != nil {
			return err
		}
		for _, c := range list {
			l := specLabel(c.Marking, c.Convenor)
			p.show(l)
			when := c.Start
			if c.Format == liaison.FormatWritten {
				when = c.Deadline
			}
			v.Consultations = append(v.Consultations, consultationRow{ID: c.ID, Title: c.Title, Convenor: c.Convenor, Status: string(c.Status),
				Format: string(c.Format), When: p.when(when), Badges: badges(l)})
		}
	}
	if v.Objectives, err = s.edtObjectives(p, a); err != nil {
		return err
	}
	if err := s.edtObjects(p, a, title, &v); err != nil {
		return err
	}
	v.SearchHref = "/search?" + url.Values{"q": {`"` + a.Label() + `"`}}.Encode()
	return p.render(http.StatusOK, "edt-area.html", a.Name, "edt", v)
}

// edtObjectives lists the tagged objectives of the partnership programmes
// in force that concern the reader: a programme is between NATO and one
// partner, so its objectives are shown to that partner and to allies and
// NATO bodies, never to another partner.
func (s *Server) edtObjectives(p *page, a edt.Area) ([]edtObjective, error) {
	ctx := p.r.Context()
	d, err := s.store.Directory(ctx)
	if err != nil {
		return nil, err
	}
	me, ok := d.Organisation(p.p.Org)
	if !ok {
		return nil, nil
	}
	ags, err := s.store.Agreements(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	var out []edtObjective
	for _, ag := range ags {
		if ag.Kind == liaison.SecurityAgreement || !ag.InForce(now) {
			continue
		}
		if me.Kind == liaison.Partner && ag.Partner != me.Code || me.Kind != liaison.Partner && me.Kind != liaison.Ally && me.Kind != liaison.NATOBody {
			continue
		}
		for _, o := range ag.Objectives {
			if a.InText(o) {
				out = append(out, edtObjective{Programme: ag.Name, Partner: ag.Partner, Text: o})
			}
		}
	}
	return out, nil
}

// edtObjects finds the reader's latest versions labelled with the area,
// through the store's search as the reader (the label is a tag there),
// keeps those whose labels hold it exactly, and shows the most recently
// added.
func (s *Server) edtObjects(p *page, a edt.Area, title map[string]string, v *edtAreaView) error {
	q := liaison.SearchQuery{Text: `"` + a.Label() + `"`, Limit: liaison.MaxSearchLimit}
	var found []liaison.Version
	for read := 0; ; {
		page, err := s.store.Search(p.r.Context(), *p.p, q)
		if err != nil {
			return err
		}
		for _, h := range page.Hits {
			if slices.Contains(fieldsOf(h.Raw).Labels, a.Label()) {
				found = append(found, h.Version)
			}
		}
		read += len(page.Hits)
		if !page.More {
			break
		}
		if read >= edtRecentScan {
			v.Scanned = true
			break
		}
		q.Next = page.Next
	}
	slices.SortStableFunc(found, func(x, y liaison.Version) int { return y.DateAdded.Compare(x.DateAdded) })
	for _, h := range found[:min(len(found), edtRecentShown)] {
		l, err := p.label(h)
		if err != nil {
			return err
		}
		f := fieldsOf(h.Raw)
		v.Objects = append(v.Objects, hitView{
			hitText: hitText{Title: plainSegments(f.title(h.Type))}, Key: h.ID + "@" + h.Modified.UTC().Format(time.RFC3339Nano), Type: h.Type,
			Href: objectHref(h.Collection, h.ID, h.Modified), CollID: h.Collection, CollTitle: title[h.Collection],
			Originator: h.Originator, Added: p.when(h.DateAdded), Version: p.when(h.Modified), Badges: badges(l),
		})
	}
	return nil
}

// plainSegments is text with nothing highlighted.
func plainSegments(s string) []textsearch.Segment { return []textsearch.Segment{{Text: s}} }
