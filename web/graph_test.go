package web

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"liaison"
)

var (
	graphNodeRE = regexp.MustCompile(`<a href="([^"]+)" class="node[^"]*" aria-label="[^"]*" data-node="([^"]+)">`)
	graphMoreRE = regexp.MustCompile(`data-more="([^"]+)"`)
	graphGrpRE  = regexp.MustCompile(`data-group="([^"]+)" data-count="(\d+)"`)
	graphNextRE = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// graphNodes returns the ids the graph draws, without the centre.
func graphNodes(body, center string) []string {
	var out []string
	for _, m := range graphNodeRE.FindAllStringSubmatch(body, -1) {
		if m[2] != center {
			out = append(out, m[2])
		}
	}
	return out
}

// TestGraphShowsWhatEachMayRead: the graph of indicator A draws malware
// M, through the relationship, only for USA, the one reader of both;
// JPN gets the page with no neighbours; a hidden object's graph is the
// page of a missing one.
func TestGraphShowsWhatEachMayRead(t *testing.T) {
	l := newLibrary(t, 0)
	for _, tc := range []struct {
		user  string
		nodes []string
	}{
		{"usa", []string{l.malM}},
		{"jpn", nil},
		{"kor", nil},
	} {
		t.Run(tc.user, func(t *testing.T) {
			b := l.signedIn(t, tc.user)
			for _, path := range []string{"/objects/" + l.indA + "/graph", "/objects/" + l.indA + "/graph?hops=2"} {
				status, _, body := b.get(path)
				if status != 200 {
					t.Fatalf("%s: %d\n%s", path, status, body)
				}
				checkLayout(t, "graph page", body)
				if got := graphNodes(body, l.indA); !slices.Equal(got, tc.nodes) {
					t.Errorf("%s: nodes %v, want %v", path, got, tc.nodes)
				}
				if !strings.Contains(body, `data-node="`+l.indA+`"`) {
					t.Errorf("%s: the centre is not drawn", path)
				}
				if tc.user != "usa" && strings.Contains(body, l.rel) {
					t.Errorf("%s: names the relationship %s, which %s may not read", path, l.rel, tc.user)
				}
				if tc.user == "usa" && !strings.Contains(body, `data-edge="`+l.rel+`"`) {
					t.Errorf("%s: does not list the relationship", path)
				}
			}
			// The object page draws the same neighbourhood, its nodes
			// linking to object pages.
			_, _, body := b.get("/collections/" + l.cyber.ID + "/objects/" + l.indA)
			if got := graphNodes(body, l.indA); !slices.Equal(got, tc.nodes) {
				t.Errorf("object page: nodes %v, want %v", got, tc.nodes)
			}
			if !strings.Contains(body, `data-graph="`+l.indA+`"`) {
				t.Error("object page: no link to the graph page")
			}
		})
	}
	b := l.signedIn(t, "jpn")
	missing := "malware--00000000-0000-4000-8000-000000000000"
	hs, _, hb := b.get("/objects/" + l.malM + "/graph")
	ms, _, mb := b.get("/objects/" + missing + "/graph")
	if hs != 404 || ms != 404 || strings.ReplaceAll(hb, l.malM, "<id>") != strings.ReplaceAll(mb, missing, "<id>") {
		t.Errorf("hidden graph %d, missing %d: the pages differ", hs, ms)
	}
	for _, bad := range []struct{ query, want string }{
		{"hops=3", "field hops"}, {"page=2", "field page"}, {"group=Bad!", "field group"},
		{"group=malware&page=x", "field page"}, {"zoom=2", "field zoom"},
	} {
		status, _, body := b.get("/objects/" + l.indA + "/graph?" + bad.query)
		if status != 400 || !strings.Contains(body, bad.want) {
			t.Errorf("?%s: %d, want 400 naming %q", bad.query, status, bad.want)
		}
	}
}

// dataDir is ../shared/data/stix beside the repository.
func dataDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(filepath.Dir(file)), "..", "shared", "data", "stix")
	if _, err := os.Stat(filepath.Join(dir, "mobile-attack-17.1.json")); err != nil {
		t.Skipf("real STIX data not found at %s (it sits beside the repository in the office's shared tree): %v", dir, err)
	}
	return dir
}

// attackGraph is ATT&CK Mobile 17.1 in the cyber collection, with the
// links an office adds to its busiest technique (SMS Messages, 74 links
// in ATT&CK): a "related-to" from every other technique and a "uses"
// from every piece of software ATT&CK does not link already, so that it
// has more than 300. Every third added link is REL TO USA.
type attackGraph struct {
	*library
	tech     string
	all, usa map[string]bool // the technique's neighbours each reads
}

func newAttackGraph(t *testing.T) *attackGraph {
	dir := dataDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "mobile-attack-17.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Fatal(err)
	}
	l := newLibrary(t, 0)
	g := &attackGraph{library: l, tech: "attack-pattern--c6421411-ae61-42bb-9098-73fddb315002", all: map[string]bool{}, usa: map[string]bool{}}
	type obj struct {
		ID, Type, SourceRef, TargetRef string
		Revoked                        bool
		Deprecated                     bool `json:"x_mitre_deprecated"`
	}
	var objs []string
	var kinds []obj
	for _, r := range bundle.Objects {
		var o obj
		var f struct {
			SourceRef string `json:"source_ref"`
			TargetRef string `json:"target_ref"`
		}
		_ = json.Unmarshal(r, &o)
		_ = json.Unmarshal(r, &f)
		o.SourceRef, o.TargetRef = f.SourceRef, f.TargetRef
		if o.Type == "marking-definition" {
			objs = append([]string{string(r)}, objs...) // written before what it marks
		} else {
			objs = append(objs, string(r))
		}
		kinds = append(kinds, o)
	}
	linked := map[string]bool{}
	for _, o := range kinds {
		if o.Type == "relationship" && (o.SourceRef == g.tech || o.TargetRef == g.tech) {
			other := o.SourceRef
			if other == g.tech {
				other = o.TargetRef
			}
			linked[other] = true
		}
	}
	for id := range linked {
		g.all[id], g.usa[id] = true, true
	}
	stamp := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
	n := 0
	for _, o := range kinds {
		if o.ID == g.tech || linked[o.ID] || (o.Type != "attack-pattern" && o.Type != "malware" && o.Type != "tool") {
			continue
		}
		kind := "related-to"
		if o.Type != "attack-pattern" {
			kind = "uses"
		}
		marking := liaison.TLPGreenID
		if n%3 == 0 {
			marking = markRelUSA
		} else {
			g.all[o.ID] = true
		}
		g.usa[o.ID] = true
		objs = append(objs, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%08d-0000-4000-8000-000000000000","created":"%s","modified":"%s","relationship_type":"%s","source_ref":"%s","target_ref":"%s","object_marking_refs":["%s"]}`,
			n, stamp, stamp, kind, o.ID, g.tech, marking))
		n++
	}
	for start := 0; start < len(objs); start += 500 {
		l.add(t, "usa", l.cyber.ID, objs[start:min(len(objs), start+500)])
	}
	return g
}

// TestGraphOfABusyTechnique draws ATT&CK's SMS Messages with more than
// 300 links: grouped by type, never blank, and paging through each group
// reaches every neighbour the reader may read exactly once, the same on
// every drawing.
func TestGraphOfABusyTechnique(t *testing.T) {
	if testing.Short() {
		t.Skip("loading ATT&CK Mobile takes seconds; skipped in -short mode")
	}
	g := newAttackGraph(t)
	if len(g.usa) < 300 {
		t.Fatalf("the technique has %d neighbours; the test wants more than 300", len(g.usa))
	}
	for _, tc := range []struct {
		user string
		want map[string]bool
	}{{"usa", g.usa}, {"kor", g.all}} {
		t.Run(tc.user, func(t *testing.T) {
			b := g.signedIn(t, tc.user)
			path := "/objects/" + g.tech + "/graph"
			status, _, body := b.get(path)
			if status != 200 {
				t.Fatalf("%d\n%s", status, body)
			}
			if _, _, again := b.get(path); again != body {
				t.Error("two drawings of the same neighbourhood differ")
			}
			drawn := graphNodes(body, g.tech)
			if len(drawn) == 0 || len(drawn) > 8*len(graphGrpRE.FindAllString(body, -1)) {
				t.Fatalf("the overview draws %d nodes", len(drawn))
			}
			total := 0
			seen := map[string]int{}
			for _, m := range graphGrpRE.FindAllStringSubmatch(body, -1) {
				n, _ := strconv.Atoi(m[2])
				total += n
				next := path + "?group=" + m[1]
				pages := 0
				for next != "" {
					status, _, pb := b.get(next)
					if status != 200 {
						t.Fatalf("%s: %d", next, status)
					}
					pages++
					for _, id := range graphNodes(pb, g.tech) {
						seen[id]++
					}
					next = ""
					if nm := graphNextRE.FindStringSubmatch(pb); nm != nil {
						next = html.UnescapeString(nm[1])
					}
				}
				if want := (n + graphPageSize - 1) / graphPageSize; pages != want {
					t.Errorf("group %s: %d pages, want %d", m[1], pages, want)
				}
			}
			if total != len(tc.want) {
				t.Errorf("the groups count %d neighbours, the reader may read %d", total, len(tc.want))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s is drawn on %d pages", id, n)
				}
				if !tc.want[id] {
					t.Errorf("%s is drawn, but %s may not read the link to it", id, tc.user)
				}
			}
			for id := range tc.want {
				if seen[id] == 0 {
					t.Errorf("%s is on no page of its group", id)
				}
			}
			if len(graphMoreRE.FindAllString(body, -1)) == 0 {
				t.Error("the overview has no 'more' node for its large groups")
			}
			if status, _, _ := b.get(path + "?hops=2"); status != 200 {
				t.Errorf("two hops: %d", status)
			}
		})
	}
}

// TestGraphPastOneStorePage: an object named by more links than one
// store read returns (liaison.MaxRelated) is drawn with all of them,
// counted in its groups, none dropped.
func TestGraphPastOneStorePage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2,400 objects; skipped in -short mode")
	}
	l := newLibrary(t, 0)
	center := "malware--9a000000-0000-4000-8000-000000000000"
	n := liaison.MaxRelated + 150
	objs := []string{`{"type":"malware","spec_version":"2.1","id":"` + center + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Hub","is_family":true}`}
	for i := range n {
		typ := []string{"indicator", "tool"}[i%2]
		end := fmt.Sprintf("%s--9b%06x-0000-4000-8000-000000000000", typ, i)
		if typ == "indicator" {
			objs = append(objs, `{"type":"indicator","spec_version":"2.1","id":"`+end+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"I`+strconv.Itoa(i)+`","pattern":"[file:name = 'x']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`)
		} else {
			objs = append(objs, `{"type":"tool","spec_version":"2.1","id":"`+end+`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"T`+strconv.Itoa(i)+`"}`)
		}
		objs = append(objs, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--9c%06x-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"related-to","source_ref":"%s","target_ref":"%s"}`, i, end, center))
	}
	for lo := 0; lo < len(objs); lo += 500 {
		l.add(t, "usa", l.cyber.ID, objs[lo:min(len(objs), lo+500)])
	}
	b := l.signedIn(t, "usa")
	status, _, body := b.get("/objects/" + center + "/graph")
	if status != 200 {
		t.Fatalf("%d\n%s", status, body)
	}
	total := 0
	for _, m := range graphGrpRE.FindAllStringSubmatch(body, -1) {
		c, _ := strconv.Atoi(m[2])
		total += c
	}
	if total != n {
		t.Errorf("the groups count %d neighbours, want all %d", total, n)
	}
	if strings.Contains(body, "the graph groups the first") {
		t.Error("the page says links were left out")
	}
}
