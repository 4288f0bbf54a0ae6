package web

import (
	"cmp"
	"encoding/json"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/internal/objquery"
	"liaison/stix"
)

// The graph's sizes.
const (
	graphPerGroup = 8  // nodes of each type on the overview
	graphPageSize = 40 // nodes of one type on a page of that type
	graphHop2From = 16 // first-hop nodes whose own neighbours a two-hop graph draws
	graphHop2Each = 4  // second-hop nodes drawn around each of them
	// graphMaxLinks bounds the links one graph reads, a store page of
	// liaison.MaxRelated at a time: far above any ATT&CK object's.
	graphMaxLinks = 20 * liaison.MaxRelated
)

// graphNode is one object the graph draws: a neighbour, the centre or a
// second-hop neighbour, or a group's "more" node.
type graphNode struct {
	ID, Type, Title string
	Href            string // the node's link: its graph, or its object page
	ObjectHref      string
	GraphHref       string
	Kinds           []string   // how it is joined: relationship types, "sighting"
	Links           []linkView // the relationships and sightings joining it
	Children        []graphNode
	ChildMore       bool // it has more neighbours than the two-hop graph draws
	X, Y            float64
	More            int // a group's "more" node: how many are not drawn
	Group           string
}

// graphGroup is the neighbours of one type.
type graphGroup struct {
	Type    string
	Count   int
	Shown   int
	Href    string // the pages of this group
	Current bool
}

// graphView is what the graph page, and the object page's graph, show.
type graphView struct {
	Center     graphNode
	Coll       liaison.CollectionAccess
	Groups     []graphGroup
	Nodes      []graphNode
	SVG        template.HTML
	Neighbours int  // readable neighbours in all
	Links      int  // readable relationships and sightings naming the centre
	LinksMore  bool // more than graphMaxLinks: only the first are drawn
	Unheld     int  // ends of those links held in no collection the reader may read
	Hops       int
	Group      string
	Page       int
	Pages      int
	PrevURL    string
	NextURL    string
	AllURL     string
	HopsURL    string // the other hop count
	Path       string
}

// linkEnds are the ends a relationship or sighting names.
type linkEnds struct {
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
	RelationshipType string   `json:"relationship_type"`
	SightingOfRef    string   `json:"sighting_of_ref"`
	ObservedDataRefs []string `json:"observed_data_refs"`
	WhereSightedRefs []string `json:"where_sighted_refs"`
}

// edge is one link from the centre to one other end.
type edge struct {
	link liaison.Version
	kind string
}

// neighbourhood is what the store lets the reader read around one
// object: the links naming it and the objects at their other ends.
type neighbourhood struct {
	links  []liaison.Version
	more   bool
	byEnd  map[string][]edge // other end → the links joining it
	ends   []string
	nodes  map[string]liaison.Version // the ends the reader may read
	unheld int
}

// endsOf returns the ends a link names, in its order.
func endsOf(raw []byte) (kind string, ends []string) {
	var e linkEnds
	_ = json.Unmarshal(raw, &e) // stored links are valid; a mismatch names no end
	if e.RelationshipType != "" {
		return e.RelationshipType, []string{e.SourceRef, e.TargetRef}
	}
	return "sighting", append(append([]string{e.SightingOfRef}, e.ObservedDataRefs...), e.WhereSightedRefs...)
}

// neighbours reads the links naming id (RelatedAfter, as the reader, page
// after page up to limit links) and the
// objects at their other ends (Objects, as the reader, by id). Only what
// both reads return is drawn: the store decides what the reader sees.
func (s *Server) neighbours(p *page, id string, limit int) (*neighbourhood, error) {
	var links []liaison.Version
	more := false
	for after := ""; ; {
		page, next, err := s.store.RelatedAfter(p.r.Context(), *p.p, id, after, min(limit-len(links), liaison.MaxRelated))
		if err != nil {
			return nil, err
		}
		links = append(links, page...)
		if next == "" {
			break
		}
		if len(links) >= limit {
			more = true
			break
		}
		after = next
	}
	nb := &neighbourhood{links: links, more: more, byEnd: map[string][]edge{}}
	for _, l := range links {
		kind, ends := endsOf(l.Raw)
		seen := map[string]bool{}
		for _, e := range ends {
			if e == "" || e == id || seen[e] {
				continue
			}
			seen[e] = true
			if nb.byEnd[e] == nil {
				nb.ends = append(nb.ends, e)
			}
			nb.byEnd[e] = append(nb.byEnd[e], edge{link: l, kind: kind})
		}
	}
	nodes, err := s.latestOf(p, nb.ends)
	if err != nil {
		return nil, err
	}
	nb.nodes = nodes
	nb.unheld = len(nb.ends) - len(nb.nodes)
	return nb, nil
}

// latestOf returns, for each id the reader may read, its latest version
// that the reader may read in the first collection (in the order of
// Collections) that holds one. Ids left out are hidden or missing alike.
func (s *Server) latestOf(p *page, ids []string) (map[string]liaison.Version, error) {
	out := map[string]liaison.Version{}
	if len(ids) == 0 {
		return out, nil
	}
	colls, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	left := ids
	for _, c := range colls {
		for start := 0; start < len(left); start += objquery.MaxPageSize {
			chunk := left[start:min(len(left), start+objquery.MaxPageSize)]
			q := liaison.ObjectQuery{IDs: chunk, Limit: objquery.MaxPageSize}
			for {
				pg, err := s.store.Objects(p.r.Context(), *p.p, c.ID, q)
				if code := liaison.ErrorCode(err); code == liaison.ENOTFOUND || code == liaison.EFORBIDDEN {
					break // the collection went since it was listed
				}
				if err != nil {
					return nil, err
				}
				for _, v := range pg.Versions {
					if _, ok := out[v.ID]; !ok {
						out[v.ID] = v
					}
				}
				if !pg.More {
					break
				}
				q.Next = pg.Next
			}
		}
		left = slices.DeleteFunc(slices.Clone(left), func(id string) bool { _, ok := out[id]; return ok })
		if len(left) == 0 {
			break
		}
	}
	return out, nil
}

// graphQuery is the graph page's query.
type graphQuery struct {
	Hops  int
	Group string
	Page  int
}

func parseGraphQuery(v url.Values) (graphQuery, error) {
	q := graphQuery{Hops: 1, Page: 1}
	for k := range v {
		if k != "hops" && k != "group" && k != "page" {
			return q, liaison.Errorf(liaison.EINVALID, "field %s is unknown: a graph takes hops, group and page", truncate(k, 40))
		}
	}
	switch h := v.Get("hops"); h {
	case "", "1":
	case "2":
		q.Hops = 2
	default:
		return q, liaison.Errorf(liaison.EINVALID, "field hops: %q is not 1 or 2", truncate(h, 40))
	}
	if g := v.Get("group"); g != "" {
		if !typeRE.MatchString(g) {
			return q, liaison.Errorf(liaison.EINVALID, "field group: %q is not a STIX type name (lower-case letters, digits and hyphens)", truncate(g, 60))
		}
		q.Group = g
	}
	if pg := v.Get("page"); pg != "" {
		n, err := strconv.Atoi(pg)
		if err != nil || n < 1 || n > 1000 {
			return q, liaison.Errorf(liaison.EINVALID, "field page: %q is not a page number from 1 to 1000", truncate(pg, 40))
		}
		if q.Group == "" && n != 1 {
			return q, liaison.Errorf(liaison.EINVALID, "field page: pages are of one group; give group too")
		}
		q.Page = n
	}
	return q, nil
}

func (q graphQuery) values() url.Values {
	v := url.Values{}
	if q.Hops != 1 {
		v.Set("hops", strconv.Itoa(q.Hops))
	}
	if q.Group != "" {
		v.Set("group", q.Group)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

// graphPage shows an object's neighbourhood on a page of its own,
// /objects/{id}/graph: the object as the reader may read it in the first
// of their collections that holds it.
func (s *Server) graphPage(p *page) error {
	id := p.r.PathValue("id")
	if _, _, ok := stix.SplitID(id); !ok {
		return liaison.Errorf(liaison.EINVALID, "the path's object id %q is not a STIX id (type--UUID)", truncate(id, 80))
	}
	q, err := parseGraphQuery(p.r.URL.Query())
	if err != nil {
		return err
	}
	center, err := s.latestOf(p, []string{id})
	if err != nil {
		return err
	}
	v, ok := center[id]
	if !ok {
		return liaison.NotFound("object", id)
	}
	c, err := s.store.Collection(p.r.Context(), *p.p, v.Collection)
	if err != nil {
		return err
	}
	gv, err := s.graph(p, c, v, q, true)
	if err != nil {
		return err
	}
	return p.render(http.StatusOK, "graph.html", "Graph: "+gv.Center.Title, "objects", gv)
}

// graph builds the view of v's neighbourhood. onGraph says whether the
// nodes link to their own graphs (the graph page) or to their object
// pages (the object page).
func (s *Server) graph(p *page, c liaison.CollectionAccess, v liaison.Version, q graphQuery, onGraph bool) (graphView, error) {
	nb, err := s.neighbours(p, v.ID, graphMaxLinks)
	if err != nil {
		return graphView{}, err
	}
	return s.graphOf(p, c, v, nb, q, onGraph)
}

func graphHref(id string, q graphQuery) string {
	return withValues("/objects/"+id+"/graph", q.values())
}

// graphOf lays out a neighbourhood the store returned.
func (s *Server) graphOf(p *page, c liaison.CollectionAccess, v liaison.Version, nb *neighbourhood, q graphQuery, onGraph bool) (graphView, error) {
	if _, err := p.label(v); err != nil {
		return graphView{}, err
	}
	path := "/objects/" + v.ID + "/graph"
	gv := graphView{Coll: c, Hops: q.Hops, Group: q.Group, Page: q.Page, Links: len(nb.links), LinksMore: nb.more,
		Unheld: nb.unheld, Neighbours: len(nb.nodes), Path: path}
	gv.Center = graphNode{ID: v.ID, Type: v.Type, Title: fieldsOf(v.Raw).title(v.Type), ObjectHref: objectHref(v.Collection, v.ID, time.Time{}), GraphHref: path}
	other := q
	other.Hops, other.Group, other.Page = 3-q.Hops, q.Group, q.Page
	gv.HopsURL = graphHref(v.ID, other)
	gv.AllURL = graphHref(v.ID, graphQuery{Hops: q.Hops, Page: 1})

	// The neighbours, grouped by type, each group in a stable order.
	byType := map[string][]graphNode{}
	for _, id := range nb.ends {
		nv, ok := nb.nodes[id]
		if !ok {
			continue
		}
		n := graphNode{ID: id, Type: nv.Type, Title: fieldsOf(nv.Raw).title(nv.Type), ObjectHref: objectHref(nv.Collection, id, time.Time{}),
			GraphHref: graphHref(id, graphQuery{Hops: q.Hops, Page: 1}), Group: nv.Type}
		for _, e := range nb.byEnd[id] {
			if !slices.Contains(n.Kinds, e.kind) {
				n.Kinds = append(n.Kinds, e.kind)
			}
			n.Links = append(n.Links, linkView{ID: e.link.ID, Type: e.link.Type, Kind: e.kind, Href: objectHref(e.link.Collection, e.link.ID, time.Time{})})
		}
		byType[nv.Type] = append(byType[nv.Type], n)
	}
	types := make([]string, 0, len(byType))
	for t, ns := range byType {
		types = append(types, t)
		slices.SortFunc(ns, func(a, b graphNode) int {
			return cmp.Or(cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)), cmp.Compare(a.ID, b.ID))
		})
	}
	slices.Sort(types)
	if q.Group != "" && len(byType[q.Group]) == 0 && q.Page > 1 {
		return graphView{}, liaison.Errorf(liaison.EINVALID, "field page: %d is past the last page of %s (there are none)", q.Page, q.Group)
	}
	if q.Group != "" && len(byType[q.Group]) > 0 {
		ns := byType[q.Group]
		gv.Pages = (len(ns) + graphPageSize - 1) / graphPageSize
		if q.Page > gv.Pages {
			return graphView{}, liaison.Errorf(liaison.EINVALID, "field page: %d is past the last page of %s (%d)", q.Page, q.Group, gv.Pages)
		}
		lo := (q.Page - 1) * graphPageSize
		gv.Nodes = slices.Clone(ns[lo:min(len(ns), lo+graphPageSize)])
		if q.Page > 1 {
			pq := q
			pq.Page--
			gv.PrevURL = graphHref(v.ID, pq)
		}
		if q.Page < gv.Pages {
			nq := q
			nq.Page++
			gv.NextURL = graphHref(v.ID, nq)
		}
	}
	for _, t := range types {
		ns := byType[t]
		g := graphGroup{Type: t, Count: len(ns), Href: graphHref(v.ID, graphQuery{Hops: q.Hops, Group: t, Page: 1}), Current: t == q.Group}
		if q.Group == "" {
			g.Shown = min(len(ns), graphPerGroup)
			gv.Nodes = append(gv.Nodes, ns[:g.Shown]...)
			if len(ns) > graphPerGroup {
				gv.Nodes = append(gv.Nodes, graphNode{Type: t, Group: t, More: len(ns) - graphPerGroup, Title: strconv.Itoa(len(ns)-graphPerGroup) + " more " + t, Href: g.Href})
			}
		} else if g.Current {
			g.Shown = len(gv.Nodes)
		}
		gv.Groups = append(gv.Groups, g)
	}
	if q.Hops == 2 {
		if err := s.secondHop(p, v.ID, &gv, q); err != nil {
			return graphView{}, err
		}
	}
	for i := range gv.Nodes {
		n := &gv.Nodes[i]
		if n.More > 0 {
			continue
		}
		n.Href = n.ObjectHref
		if onGraph {
			n.Href = n.GraphHref
		}
		for j := range n.Children {
			n.Children[j].Href = n.Children[j].ObjectHref
			if onGraph {
				n.Children[j].Href = n.Children[j].GraphHref
			}
		}
	}
	if err := s.showGraphLabels(p, nb, gv.Nodes); err != nil {
		return graphView{}, err
	}
	gv.Center.Href = gv.Center.ObjectHref
	layoutGraph(&gv)
	gv.SVG = drawGraph(gv)
	return gv, nil
}

// showGraphLabels records, for the banner, the labels of what the graph
// draws: its nodes and the links joining them.
func (s *Server) showGraphLabels(p *page, nb *neighbourhood, nodes []graphNode) error {
	for _, n := range nodes {
		if n.More > 0 {
			continue
		}
		if nv, ok := nb.nodes[n.ID]; ok {
			if _, err := p.label(nv); err != nil {
				return err
			}
		}
		for _, e := range nb.byEnd[n.ID] {
			if _, err := p.label(e.link); err != nil {
				return err
			}
		}
	}
	return nil
}

// secondHop adds, to the first graphHop2From nodes drawn, up to
// graphHop2Each of their own neighbours that the graph does not draw
// already, read as the reader like the first hop.
func (s *Server) secondHop(p *page, center string, gv *graphView, q graphQuery) error {
	drawn := map[string]bool{center: true}
	for _, n := range gv.Nodes {
		drawn[n.ID] = true
	}
	expanded := 0
	for i := range gv.Nodes {
		n := &gv.Nodes[i]
		if n.More > 0 || expanded == graphHop2From {
			continue
		}
		expanded++
		nb, err := s.neighbours(p, n.ID, 4*graphHop2Each)
		if err != nil {
			return err
		}
		n.ChildMore = nb.more
		for _, id := range nb.ends {
			nv, ok := nb.nodes[id]
			if !ok || drawn[id] {
				continue
			}
			if len(n.Children) == graphHop2Each {
				n.ChildMore = true
				break
			}
			drawn[id] = true
			ch := graphNode{ID: id, Type: nv.Type, Title: fieldsOf(nv.Raw).title(nv.Type), ObjectHref: objectHref(nv.Collection, id, time.Time{}),
				GraphHref: graphHref(id, graphQuery{Hops: q.Hops, Page: 1}), Group: nv.Type}
			if _, err := p.label(nv); err != nil {
				return err
			}
			for _, e := range nb.byEnd[id] {
				if !slices.Contains(ch.Kinds, e.kind) {
					ch.Kinds = append(ch.Kinds, e.kind)
				}
				ch.Links = append(ch.Links, linkView{ID: e.link.ID, Type: e.link.Type, Kind: e.kind, Href: objectHref(e.link.Collection, e.link.ID, time.Time{})})
				if _, err := p.label(e.link); err != nil {
					return err
				}
			}
			n.Children = append(n.Children, ch)
		}
	}
	return nil
}

// Layout: the centre in the middle, the nodes on a ring in group order
// (alternating between two radii when they are many, so labels do not
// overlap), second-hop nodes on an outer ring beside their parent. It
// depends only on the nodes and their order, so the same neighbourhood
// is always drawn the same.
const (
	graphMargin = 150.0
	nodeR       = 9.0
	centerR     = 16.0
)

func graphRadius(n int) float64 {
	return math.Max(200, math.Min(380, float64(n)*64/(2*math.Pi)))
}

func layoutGraph(gv *graphView) {
	n := len(gv.Nodes)
	r := graphRadius(n)
	hop2 := 0.0
	if gv.Hops == 2 {
		hop2 = 95
	}
	cx, cy := r+hop2+graphMargin, r+hop2+60
	gv.Center.X, gv.Center.Y = cx, cy
	for i := range gv.Nodes {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(max(n, 1))
		ri := r
		if n > 24 && i%2 == 1 {
			ri = r * 0.8
		}
		nd := &gv.Nodes[i]
		nd.X, nd.Y = cx+ri*math.Cos(a), cy+ri*math.Sin(a)
		k := len(nd.Children)
		for j := range nd.Children {
			spread := 2 * math.Pi / float64(max(n, 1)) * 0.8
			aj := a + spread*(float64(j)-float64(k-1)/2)/float64(max(k, 1))
			nd.Children[j].X, nd.Children[j].Y = cx+(r+hop2)*math.Cos(aj), cy+(r+hop2)*math.Sin(aj)
		}
	}
}

// drawGraph draws the laid-out graph. Each node is a link with a title,
// reachable from the keyboard; the list beside the picture says the same
// in words.
func drawGraph(gv graphView) template.HTML {
	r := graphRadius(len(gv.Nodes))
	hop2 := 0.0
	if gv.Hops == 2 {
		hop2 = 95
	}
	w, h := 2*(r+hop2+graphMargin), 2*(r+hop2+60)
	var s svg
	s.open("svg", "xmlns", "http://www.w3.org/2000/svg", "viewBox", "0 0 "+num(w)+" "+num(h), "class", "graph",
		"role", "group", "aria-labelledby", "graph-svg-title")
	s.elem("title", "The neighbourhood of "+gv.Center.Title+": "+strconv.Itoa(len(gv.Nodes))+" nodes drawn of "+strconv.Itoa(gv.Neighbours)+" neighbours", "id", "graph-svg-title")
	s.open("g", "class", "edges")
	for _, n := range gv.Nodes {
		cls := "edge"
		if n.More > 0 {
			cls = "edge more"
		}
		s.open("line", "x1", num(gv.Center.X), "y1", num(gv.Center.Y), "x2", num(n.X), "y2", num(n.Y), "class", cls)
		if len(n.Kinds) > 0 {
			s.elem("title", strings.Join(n.Kinds, ", "))
		}
		s.close("line")
		for _, ch := range n.Children {
			s.open("line", "x1", num(n.X), "y1", num(n.Y), "x2", num(ch.X), "y2", num(ch.Y), "class", "edge hop2")
			s.elem("title", strings.Join(ch.Kinds, ", "))
			s.close("line")
		}
	}
	s.close("g")
	node := func(n graphNode, radius float64, cls string) {
		label := n.Type + ": " + n.Title
		if n.More > 0 {
			label = n.Title + ": show them"
		} else if len(n.Kinds) > 0 {
			label += " (" + strings.Join(n.Kinds, ", ") + ")"
		}
		attrs := []string{"href", n.Href, "class", cls, "aria-label", label}
		if n.ID != "" {
			attrs = append(attrs, "data-node", n.ID)
		} else {
			attrs = append(attrs, "data-more", n.Group)
		}
		s.open("a", attrs...)
		s.elem("title", label)
		fill := colourOf(n.Type)
		if n.More > 0 {
			s.empty("circle", "cx", num(n.X), "cy", num(n.Y), "r", num(radius+3), "fill", "#fff", "stroke", fill, "stroke-dasharray", "3 2", "stroke-width", "2")
		} else {
			s.empty("circle", "cx", num(n.X), "cy", num(n.Y), "r", num(radius), "fill", fill)
		}
		anchor, dx := "start", radius+4
		if n.X < gv.Center.X-1 {
			anchor, dx = "end", -radius-4
		}
		if n.ID == gv.Center.ID {
			anchor, dx = "middle", 0
			s.elem("text", shorten(n.Title, 40), "x", num(n.X), "y", num(n.Y+radius+16), "text-anchor", anchor, "class", "label center")
		} else {
			s.elem("text", shorten(n.Title, 22), "x", num(n.X+dx), "y", num(n.Y+4), "text-anchor", anchor, "class", "label")
		}
		s.close("a")
	}
	s.open("g", "class", "nodes")
	for _, n := range gv.Nodes {
		for _, ch := range n.Children {
			node(ch, nodeR-3, "node hop2")
		}
	}
	for _, n := range gv.Nodes {
		node(n, nodeR, "node")
	}
	node(gv.Center, centerR, "node center")
	s.close("g")
	s.close("svg")
	return s.html()
}
