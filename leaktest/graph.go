package leaktest

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// overviewPerGroup is how many of each type the graph's overview draws
// (web's graphPerGroup); larger groups are read page by page.
const overviewPerGroup = 8

var (
	graphNodeRE  = regexp.MustCompile(`data-node="([^"]+)"`)
	graphEdgeRE  = regexp.MustCompile(`data-edge="([^"]+)"`)
	graphGroupRE = regexp.MustCompile(`data-group="([^"]+)" data-count="(\d+)"`)
	graphNextRE  = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// webGraph opens the graph page (/objects/{id}/graph) of objects that
// links name, as each reader, and pages through every group of it: the
// nodes drawn are exactly the objects at the other ends of the links the
// reader may read, that the reader may read somewhere; the edges listed
// are exactly those links; the page names no id the reader may not read,
// at one hop or two. The graph of an object hidden from the reader
// everywhere is the page of a missing one.
type webGraph struct{}

func (webGraph) Name() string { return "web/graph" }

func (webGraph) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	b := browserFor(e, r)
	readable := map[string]bool{} // every id r may read in some collection
	var links []*Obj              // the latest versions of links r may read
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		for _, o := range e.Expected(r.Principal, c, All) {
			readable[o.ID] = true
		}
		for _, o := range e.Expected(r.Principal, c, Last) {
			if o.IsLink() {
				links = append(links, o)
			}
		}
	}
	// The objects to draw: some the reader may read that links name
	// (whether or not the reader may read those links), the busiest of
	// them, and one that no link names.
	count := map[string]int{}
	for _, o := range e.World.Objs {
		if o.IsLink() && e.World.stored(o) {
			for _, end := range o.Ends {
				if readable[end] {
					count[end]++
				}
			}
		}
	}
	var ids []string
	for id := range count {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	e.rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	n := 4
	if raceEnabled && len(e.World.Objs) > 1000 {
		n = 1
	}
	ids = ids[:min(len(ids), n)]
	// The busiest, and the one with the most links hidden from the reader:
	// where a graph that read around the store's filter would show most.
	hiddenLinks := map[string]int{}
	readLinks := map[string]bool{}
	for _, l := range links {
		readLinks[l.ID] = true
	}
	for _, o := range e.World.Objs {
		if o.IsLink() && e.World.stored(o) && !readLinks[o.ID] {
			for _, end := range o.Ends {
				if readable[end] {
					hiddenLinks[end]++
				}
			}
		}
	}
	for _, by := range []map[string]int{count, hiddenLinks} {
		top := ""
		for id, k := range by {
			if top == "" || k > by[top] || k == by[top] && id < top {
				top = id
			}
		}
		if top != "" && !slices.Contains(ids, top) {
			ids = append(ids, top)
		}
	}
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		if all := e.Expected(r.Principal, c, Last); len(all) > 0 && count[all[0].ID] == 0 {
			ids = append(ids, all[0].ID)
			break
		}
	}
	for i, id := range ids {
		wantNodes, wantEdges := map[string]bool{}, map[string]bool{}
		for _, l := range links {
			if !slices.Contains(l.Ends, id) {
				continue
			}
			for _, end := range l.Ends {
				if end != id && readable[end] {
					wantNodes[end] = true
					wantEdges[l.ID] = true
				}
			}
		}
		gotNodes, gotEdges, bodies, ok := b.pageGraph(e, r, id)
		if !ok {
			continue
		}
		noStrangers(e, r, "web graph of "+id, bodies, readable)
		for k := range gotNodes {
			if !wantNodes[k] {
				e.Errorf(r, "LEAK web graph of %s: draws %s, which the reader may not read, or no link to it they may read", id, k)
			}
		}
		for k := range wantNodes {
			if !gotNodes[k] {
				e.Errorf(r, "web graph of %s: does not draw %s, joined to it by a link the reader may read", id, k)
			}
		}
		for k := range gotEdges {
			if !wantEdges[k] {
				e.Errorf(r, "LEAK web graph of %s: lists the link %s, which the reference hides", id, k)
			}
		}
		for k := range wantEdges {
			if !gotEdges[k] {
				e.Errorf(r, "web graph of %s: does not list the link %s, which the reader may read", id, k)
			}
		}
		if i == 0 {
			status, _, body, err := b.get(e, "/objects/"+id+"/graph?hops=2")
			if err != nil || status != http.StatusOK {
				e.Errorf(r, "web graph of %s, two hops: status %d err %v", id, status, err)
			} else {
				noStrangers(e, r, "web graph of "+id+", two hops", []string{body}, readable)
			}
		}
	}
	// Hidden everywhere: the page of a missing object.
	probes, maxProbes := 0, 6
	if raceEnabled && len(e.World.Objs) > 1000 {
		maxProbes = 4
	}
	for _, c := range e.World.Collections {
		hidden, elsewhere := e.Hidden(r.Principal, c, 2)
		for _, h := range append(hidden, elsewhere...) {
			if readable[h] || probes == maxProbes {
				continue
			}
			probes++
			m := e.Missing(h)
			b.samePage(e, r, "web graph", "/objects/"+h+"/graph", h, "/objects/"+m+"/graph", m)
		}
	}
}

// pageGraph reads the graph of id and every page of each of its groups,
// and returns the nodes drawn (without the centre) and the links listed.
func (b *webBrowser) pageGraph(e *Env, r *User, id string) (nodes, edges map[string]bool, bodies []string, ok bool) {
	nodes, edges = map[string]bool{}, map[string]bool{}
	path := "/objects/" + id + "/graph"
	status, _, body, err := b.get(e, path)
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web graph of %s: status %d err %v: %s", id, status, err, truncateBody([]byte(body)))
		return nil, nil, nil, false
	}
	bodies = append(bodies, body)
	for _, nm := range graphNodeRE.FindAllStringSubmatch(body, -1) {
		if nm[1] != id {
			nodes[nm[1]] = true
		}
	}
	for _, em := range graphEdgeRE.FindAllStringSubmatch(body, -1) {
		edges[em[1]] = true
	}
	for _, m := range graphGroupRE.FindAllStringSubmatch(body, -1) {
		want, _ := strconv.Atoi(m[2])
		if want <= overviewPerGroup {
			continue // drawn whole on the overview
		}
		next := path + "?group=" + m[1]
		got := 0
		for pages := 0; next != ""; pages++ {
			if pages > 100 {
				e.Errorf(r, "web graph of %s: group %s has more than 100 pages", id, m[1])
				break
			}
			status, _, pb, err := b.get(e, next)
			if err != nil || status != http.StatusOK {
				e.Errorf(r, "web graph of %s: %s: status %d err %v", id, next, status, err)
				break
			}
			bodies = append(bodies, pb)
			for _, nm := range graphNodeRE.FindAllStringSubmatch(pb, -1) {
				if nm[1] != id {
					nodes[nm[1]] = true
					got++
				}
			}
			for _, em := range graphEdgeRE.FindAllStringSubmatch(pb, -1) {
				edges[em[1]] = true
			}
			next = ""
			if nm := graphNextRE.FindStringSubmatch(pb); nm != nil {
				next = html.UnescapeString(nm[1])
			}
		}
		if got != want {
			e.Errorf(r, "web graph of %s: group %s counts %d, its pages draw %d", id, m[1], want, got)
		}
	}
	return nodes, edges, bodies, true
}
