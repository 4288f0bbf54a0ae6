package web

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"liaison"
	"liaison/internal/objquery"
	"liaison/stix"
)

// maxVersions bounds the versions of one object a page lists.
const maxVersions = 1000

// maxRefChecks bounds the references of one object checked for links;
// beyond it they are shown as text.
const maxRefChecks = 500

// objectView is what the object page shows.
type objectView struct {
	Coll     liaison.CollectionAccess
	ID, Type string
	Title    string
	Shown    versionView
	Props    []propView
	Raw      string
	Versions []versionView
	Capped   bool // more versions than maxVersions
	Revoked  bool
	Who      whoView
	Links    []linkView
	MoreLink bool       // more links than the page lists
	Score    *scoreView // for an indicator: its decay score (web/score.go)
	Graph    graphView
	// Received is "Who received this", from the audit (web/audit.go),
	// shown when ShowReceived.
	Received     []receiptView
	ShowReceived bool
}

// whoView is "who can read this, and why": the audience in three groups
// and the rules that made it.
type whoView struct {
	Allies, Bodies, Partners, Others []string
	Count                            int
	Steps                            []stepView
}

type stepView struct {
	Rule    int
	Text    string
	Removed []string
	Added   []string
}

// linkView is one relationship or sighting naming the object.
type linkView struct {
	ID, Type, Kind, Href string
}

// versionView is one version of the object in its list of versions.
type versionView struct {
	Key      string
	Version  timeView
	Added    timeView
	Param    string // the version as the URL spells it
	Href     string
	DiffHref string // compare with the version shown
	Badges   []badge
	Current  bool
	Latest   bool
	Default  bool // the collection's default marking applies
	Orig     string
}

// versionsOf returns every version of id in the collection that the
// reader may read, oldest first, at most maxVersions (capped says more
// exist). The id is not known to be visible until this returns some.
func (s *Server) versionsOf(p *page, coll, id string) (vs []liaison.Version, capped bool, err error) {
	q := liaison.ObjectQuery{IDs: []string{id}, Versions: []string{liaison.VersionAll}, Limit: objquery.MaxPageSize}
	for {
		pg, err := s.store.Objects(p.r.Context(), *p.p, coll, q)
		if err != nil {
			return nil, false, err
		}
		vs = append(vs, pg.Versions...)
		if !pg.More {
			break
		}
		if len(vs) >= maxVersions {
			capped = true
			break
		}
		q.Next = pg.Next
	}
	slices.SortStableFunc(vs, func(a, b liaison.Version) int { return a.Modified.Compare(b.Modified) })
	return vs, capped, nil
}

// objectIn finds the collection and the object's readable versions for
// an object page: the same not-found error for an object that is hidden
// and one that does not exist.
func (s *Server) objectIn(p *page) (liaison.CollectionAccess, []liaison.Version, bool, error) {
	cid, id := p.r.PathValue("cid"), p.r.PathValue("id")
	c, err := s.store.Collection(p.r.Context(), *p.p, cid)
	if err != nil {
		return c, nil, false, err
	}
	if !c.CanRead {
		return c, nil, false, liaison.Errorf(liaison.EFORBIDDEN, "your organisation may write to collection %q but not read it", c.Title)
	}
	if _, _, ok := stix.SplitID(id); !ok {
		return c, nil, false, liaison.Errorf(liaison.EINVALID, "the path's object id %q is not a STIX id (type--UUID)", truncate(id, 80))
	}
	vs, capped, err := s.versionsOf(p, c.ID, id)
	if err != nil {
		return c, nil, false, err
	}
	if len(vs) == 0 {
		return c, nil, false, liaison.NotFound("object", id)
	}
	return c, vs, capped, nil
}

// pick returns the version of vs the field names, or the latest when it
// is empty. A version the reader may not read is as missing as one that
// never was.
func pick(vs []liaison.Version, field, value, id string) (liaison.Version, error) {
	if value == "" {
		return vs[len(vs)-1], nil
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return liaison.Version{}, liaison.Errorf(liaison.EINVALID, "field %s: %q is not an RFC 3339 timestamp", field, truncate(value, 60))
	}
	for _, v := range vs {
		if v.Modified.UnixMicro() == t.UnixMicro() {
			return v, nil
		}
	}
	return liaison.Version{}, liaison.NotFound("object", id)
}

// object shows one object: a version's properties for people, its raw
// JSON, and every version the reader may read.
func (s *Server) object(p *page) error {
	c, vs, capped, err := s.objectIn(p)
	if err != nil {
		return err
	}
	for k := range p.r.URL.Query() {
		if k != "version" {
			return liaison.Errorf(liaison.EINVALID, "field %s is unknown: an object page takes version", truncate(k, 40))
		}
	}
	shown, err := pick(vs, "version", p.r.URL.Query().Get("version"), vs[0].ID)
	if err != nil {
		return err
	}
	ms, err := members(shown.Raw)
	if err != nil {
		return err
	}
	links, err := s.readableRefs(p, c, refIDs(ms))
	if err != nil {
		return err
	}
	f := fieldsOf(shown.Raw)
	ov := objectView{Coll: c, ID: shown.ID, Type: shown.Type, Title: f.title(shown.Type), Revoked: f.Revoked, Capped: capped, Raw: indentJSON(shown.Raw)}
	ov.Props = p.props(ms, func(id string) string { return links[id] })
	for i, v := range vs {
		l, err := p.label(v)
		if err != nil {
			return err
		}
		vv := p.versionOf(c.ID, v, l)
		vv.Latest = i == len(vs)-1
		if v.Modified.Equal(shown.Modified) {
			vv.Current = true
			ov.Shown = vv
		} else {
			dq := url.Values{"from": {vv.Param}, "to": {shown.Modified.UTC().Format(time.RFC3339Nano)}}
			if v.Modified.After(shown.Modified) {
				dq = url.Values{"from": {shown.Modified.UTC().Format(time.RFC3339Nano)}, "to": {vv.Param}}
			}
			vv.DiffHref = withValues("/collections/"+c.ID+"/objects/"+v.ID+"/diff", dq)
		}
		ov.Versions = append(ov.Versions, vv)
	}
	if err := s.explain(p, c, shown, &ov); err != nil {
		return err
	}
	if !capped {
		if ov.Received, ov.ShowReceived, err = s.whoReceived(p, shown.ID, vs); err != nil {
			return err
		}
	}
	return p.render(http.StatusOK, "object.html", ov.Title, "objects", ov)
}

func (p *page) versionOf(coll string, v liaison.Version, l label) versionView {
	param := v.Modified.UTC().Format(time.RFC3339Nano)
	return versionView{
		Key: v.ID + "@" + param, Version: p.when(v.Modified), Added: p.when(v.DateAdded), Param: param,
		Href: objectHref(coll, v.ID, v.Modified), Badges: badges(l), Default: l.Default, Orig: v.Originator,
	}
}

// readableRefs returns, for each id the reader may read (in this
// collection first, else in another they may read), the link to it. It
// asks the store, as the reader, for exactly these ids: an id left out
// is hidden or missing, and both are shown as plain text.
func (s *Server) readableRefs(p *page, here liaison.CollectionAccess, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) > maxRefChecks {
		ids = ids[:maxRefChecks]
	}
	if len(ids) == 0 {
		return out, nil
	}
	colls := []liaison.CollectionAccess{here}
	others, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	for _, c := range others {
		if c.ID != here.ID {
			colls = append(colls, c)
		}
	}
	left := ids
	for _, c := range colls {
		if len(left) == 0 {
			break
		}
		q := liaison.ObjectQuery{IDs: left, Manifest: true, Limit: objquery.MaxPageSize}
		for {
			pg, err := s.store.Objects(p.r.Context(), *p.p, c.ID, q)
			if liaison.ErrorCode(err) == liaison.ENOTFOUND || liaison.ErrorCode(err) == liaison.EFORBIDDEN {
				break
			}
			if err != nil {
				return nil, err
			}
			for _, v := range pg.Versions {
				if _, ok := out[v.ID]; !ok {
					out[v.ID] = objectHref(c.ID, v.ID, time.Time{})
				}
			}
			if !pg.More {
				break
			}
			q.Next = pg.Next
		}
		left = slices.DeleteFunc(slices.Clone(left), func(id string) bool { _, ok := out[id]; return ok })
	}
	return out, nil
}

// maxLinks bounds the relationships and sightings the page lists.
const maxLinks = 100

// explain fills in who may read the version shown and why, and the links
// naming the object, both from the store's reader-filtered reads
// (ExplainAudience, Related): the same computation that enforces the
// audience, never a second copy of the rules.
func (s *Server) explain(p *page, c liaison.CollectionAccess, shown liaison.Version, ov *objectView) error {
	ctx := p.r.Context()
	ex, err := s.store.ExplainAudience(ctx, *p.p, c.ID, shown.ID, shown.Modified)
	if err != nil {
		return err
	}
	d, err := s.store.Directory(ctx)
	if err != nil {
		return err
	}
	ov.Who = groupAudience(d, ex.Audience, ex.Steps)
	nb, err := s.neighbours(p, shown.ID, graphMaxLinks)
	if err != nil {
		return err
	}
	links := nb.links
	ov.MoreLink = nb.more || len(links) > maxLinks
	if len(links) > maxLinks {
		links = links[:maxLinks]
	}
	if ov.Graph, err = s.graphOf(p, c, shown, nb, graphQuery{Hops: 1, Page: 1}, false); err != nil {
		return err
	}
	for _, l := range links {
		f := fieldsOf(l.Raw)
		kind := f.RelationshipType
		if kind == "" {
			kind = l.Type
		}
		ov.Links = append(ov.Links, linkView{ID: l.ID, Type: l.Type, Kind: kind, Href: objectHref(l.Collection, l.ID, time.Time{})})
	}
	if shown.Type == "indicator" {
		// Every sighting the reader may read restarts the clock: all
		// the neighbourhood's links, not the page's.
		ov.Score = p.scoreOf(s.cfg.Decay, shown.ID, shown.Raw, nb.links, s.cfg.Now())
	}
	return nil
}
