package leaktest

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// MatrixPaths are the matrix pages' read paths: the list of matrices, a
// matrix's columns and per-technique counts, a technique's users, and
// the FIMI form's technique picker.
func MatrixPaths() []ReadPath {
	return []ReadPath{webMatrix{}, webFIMIPicker{}}
}

var (
	matrixRowRE  = regexp.MustCompile(`data-matrix="([^"]+)"`)
	matrixColRE  = regexp.MustCompile(`data-tactic="([^"]+)"`)
	matrixCellRE = regexp.MustCompile(`data-technique="([^"]+)" data-count="(\d+)"`)
	techUserRE   = regexp.MustCompile(`data-user="([^"]+)"`)
	fimiPickRE   = regexp.MustCompile(`name="technique" value="([^"]+)"`)
)

// catalogueRef is what the reference lets one reader know of the world's
// catalogue.
type catalogueRef struct {
	readable map[string]bool            // every id r may read in some collection
	latest   map[string]*Obj            // the latest version r may read somewhere
	users    map[string]map[string]bool // technique → the users r may count
	hidden   map[string]int             // technique → users joined by links r may not read, or that r may not read
	matrices []string                   // the matrices r may read
}

func catalogueFor(e *Env, r *User) *catalogueRef {
	cr := &catalogueRef{readable: map[string]bool{}, latest: map[string]*Obj{}, users: map[string]map[string]bool{}, hidden: map[string]int{}}
	readLinks := map[string]bool{}
	var links []*Obj
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		for _, o := range e.Expected(r.Principal, c, All) {
			cr.readable[o.ID] = true
		}
		for _, o := range e.Expected(r.Principal, c, Last) {
			if cr.latest[o.ID] == nil {
				cr.latest[o.ID] = o
				if o.Type == "x-mitre-matrix" {
					cr.matrices = append(cr.matrices, o.ID)
				}
			}
			if o.Type == "relationship" {
				links = append(links, o)
				readLinks[o.ID] = true
			}
		}
	}
	for _, l := range links {
		src, dst := l.Ends[0], l.Ends[1]
		if typeOfID(dst) != "attack-pattern" || !slices.Contains(catalogueUserTypes, typeOfID(src)) || cr.latest[src] == nil {
			continue
		}
		if cr.users[dst] == nil {
			cr.users[dst] = map[string]bool{}
		}
		cr.users[dst][src] = true
	}
	for _, o := range e.World.Objs {
		if o.Type == "relationship" && e.World.stored(o) && typeOfID(o.Ends[1]) == "attack-pattern" && slices.Contains(catalogueUserTypes, typeOfID(o.Ends[0])) &&
			(!readLinks[o.ID] || cr.latest[o.Ends[0]] == nil) && !cr.users[o.Ends[1]][o.Ends[0]] {
			cr.hidden[o.Ends[1]]++
		}
	}
	return cr
}

// matrixWant returns the columns and cells the reader must see on a
// matrix page: the tactics of its latest readable version that the
// reader may read, in order, and every readable attack-pattern in one of
// them with its count.
func (cr *catalogueRef) matrixWant(id string) (cols []string, cells map[string]int) {
	var m struct {
		TacticRefs []string `json:"tactic_refs"`
	}
	_ = json.Unmarshal(cr.latest[id].Raw, &m)
	phases := map[string]bool{}
	for _, t := range m.TacticRefs {
		tv := cr.latest[t]
		if tv == nil {
			continue
		}
		var tac struct {
			Short string `json:"x_mitre_shortname"`
		}
		_ = json.Unmarshal(tv.Raw, &tac)
		if tac.Short == "" || phases[tac.Short] {
			continue
		}
		phases[tac.Short] = true
		cols = append(cols, t)
	}
	cells = map[string]int{}
	for tid, o := range cr.latest {
		if o.Type == "attack-pattern" && phases[phaseOf(tid)] {
			cells[tid] = len(cr.users[tid])
		}
	}
	return cols, cells
}

// disarm returns the DISARM matrix the reader may read, as the form picks
// it ("" for none).
func (cr *catalogueRef) disarm() string {
	best, bestName := "", ""
	for _, id := range cr.matrices {
		raw := string(cr.latest[id].Raw)
		if !strings.Contains(raw, `"external_id":"DISARM"`) {
			continue
		}
		var m struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(cr.latest[id].Raw, &m)
		if best == "" || m.Name < bestName || m.Name == bestName && id < best {
			best, bestName = id, m.Name
		}
	}
	return best
}

// webMatrix reads, as each reader, the list of matrices (exactly those
// the reader may read), each matrix (exactly the tactics the reader may
// read as columns, and each readable technique in them with the count of
// its users the reader may read, through links the reader may read),
// the technique pages of the busiest techniques and of those with the
// most users hidden from the reader (exactly the users counted), and the
// pages of hidden matrices and techniques (those of missing ones). No
// page names an id the reader may not read.
type webMatrix struct{}

func (webMatrix) Name() string { return "web/matrix" }

func (webMatrix) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	b := browserFor(e, r)
	cr := catalogueFor(e, r)
	status, _, body, err := b.get(e, "/matrices")
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web matrices: status %d err %v: %s", status, err, truncateBody([]byte(body)))
		return
	}
	noStrangers(e, r, "web matrices", []string{body}, cr.readable)
	var listed []string
	for _, m := range matrixRowRE.FindAllStringSubmatch(body, -1) {
		listed = append(listed, m[1])
	}
	for _, id := range listed {
		if cr.latest[id] == nil {
			e.Errorf(r, "LEAK web matrices: lists %s, which the reader may not read", id)
		}
	}
	for _, id := range cr.matrices {
		if !slices.Contains(listed, id) {
			e.Errorf(r, "web matrices: does not list %s, which the reader may read", id)
		}
	}
	for _, id := range cr.matrices {
		status, _, body, err := b.get(e, "/matrices/"+id)
		if err != nil || status != http.StatusOK {
			e.Errorf(r, "web matrix %s: status %d err %v: %s", id, status, err, truncateBody([]byte(body)))
			continue
		}
		noStrangers(e, r, "web matrix "+id, []string{body}, cr.readable)
		wantCols, wantCells := cr.matrixWant(id)
		var cols []string
		for _, m := range matrixColRE.FindAllStringSubmatch(body, -1) {
			cols = append(cols, m[1])
		}
		if !slices.Equal(cols, wantCols) {
			e.Errorf(r, "web matrix %s: columns %v, want %v", id, cols, wantCols)
		}
		got := map[string]int{}
		for _, m := range matrixCellRE.FindAllStringSubmatch(body, -1) {
			got[m[1]], _ = strconv.Atoi(m[2])
		}
		for t, n := range got {
			want, ok := wantCells[t]
			switch {
			case !ok:
				e.Errorf(r, "LEAK web matrix %s: shows the technique %s, which the reader may not read in one of its tactics", id, t)
			case n > want:
				e.Errorf(r, "LEAK web matrix %s: counts %d users of %s, the reference %d: it counts what the reader may not read", id, n, t, want)
			case n < want:
				e.Errorf(r, "web matrix %s: counts %d users of %s, the reference %d", id, n, t, want)
			}
		}
		for t := range wantCells {
			if _, ok := got[t]; !ok {
				e.Errorf(r, "web matrix %s: does not show %s, which the reader may read", id, t)
			}
		}
	}
	// Technique pages: the busiest, the most hidden, one with none.
	var techs []string
	for id, o := range cr.latest {
		if o.Type == "attack-pattern" {
			techs = append(techs, id)
		}
	}
	slices.Sort(techs)
	var probe []string
	for _, by := range []func(string) int{func(t string) int { return len(cr.users[t]) }, func(t string) int { return cr.hidden[t] }} {
		top := ""
		for _, t := range techs {
			if top == "" || by(t) > by(top) {
				top = t
			}
		}
		if top != "" && !slices.Contains(probe, top) {
			probe = append(probe, top)
		}
	}
	if len(techs) > 0 {
		if t := techs[e.Intn(len(techs))]; !slices.Contains(probe, t) {
			probe = append(probe, t)
		}
	}
	for _, t := range probe {
		status, _, body, err := b.get(e, "/techniques/"+t)
		if err != nil || status != http.StatusOK {
			e.Errorf(r, "web technique %s: status %d err %v: %s", t, status, err, truncateBody([]byte(body)))
			continue
		}
		noStrangers(e, r, "web technique "+t, []string{body}, cr.readable)
		got := map[string]bool{}
		for _, m := range techUserRE.FindAllStringSubmatch(body, -1) {
			got[html.UnescapeString(m[1])] = true
			if !cr.users[t][m[1]] {
				e.Errorf(r, "LEAK web technique %s: lists %s as a user, which the reader may not read, or no link of it they may read", t, m[1])
			}
		}
		for u := range cr.users[t] {
			if !got[u] {
				e.Errorf(r, "web technique %s: does not list the user %s", t, u)
			}
		}
	}
	// Hidden matrices and techniques: the pages of missing ones.
	probes := 0
	for _, o := range e.World.Objs {
		if (o.Type != "x-mitre-matrix" && o.Type != "attack-pattern") || !e.World.stored(o) || cr.latest[o.ID] != nil || probes == 4 {
			continue
		}
		probes++
		m := e.Missing(o.ID)
		path := map[string]string{"x-mitre-matrix": "/matrices/", "attack-pattern": "/techniques/"}[o.Type]
		b.samePage(e, r, "web "+o.Type, path+o.ID, o.ID, path+m, m)
	}
}

// webFIMIPicker opens the FIMI incident form as each reader: it offers
// exactly the techniques of the DISARM matrix the reader may read (none
// to a reader who may write nowhere), and names no id the reader may not
// read.
type webFIMIPicker struct{}

func (webFIMIPicker) Name() string { return "web/fimi-picker" }

func (webFIMIPicker) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	b := browserFor(e, r)
	cr := catalogueFor(e, r)
	status, _, body, err := b.get(e, "/fimi/new")
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web FIMI form: status %d err %v: %s", status, err, truncateBody([]byte(body)))
		return
	}
	noStrangers(e, r, "web FIMI form", []string{body}, cr.readable)
	want := map[string]int{}
	writes := false
	for _, c := range e.World.Collections {
		writes = writes || e.MayWriteCollection(r.Principal, c)
	}
	if d := cr.disarm(); d != "" && writes {
		_, want = cr.matrixWant(d)
	}
	got := map[string]bool{}
	for _, m := range fimiPickRE.FindAllStringSubmatch(body, -1) {
		got[m[1]] = true
		if _, ok := want[m[1]]; !ok {
			e.Errorf(r, "LEAK web FIMI form: offers the technique %s, which the reader may not read in a tactic of the DISARM matrix", m[1])
		}
	}
	for t := range want {
		if !got[t] {
			e.Errorf(r, "web FIMI form: does not offer %s, a technique of the DISARM matrix the reader may read", t)
		}
	}
}
