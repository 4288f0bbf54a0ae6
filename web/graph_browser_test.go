package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"liaison"
	"liaison/auth"
)

// serveLibrary serves a library's office, on the library's clock, as
// the demo serves its own.
func serveLibrary(t *testing.T, l *library) string {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := NewServer(Services{Store: l.store, Consultations: l.store, Decisions: l.store}, auth.New(l.store, auth.Options{Logger: logger}),
		Config{Logger: logger, Now: l.clk.Now, Office: liaison.Organisation{Code: "NATO-LO-TOKYO", Name: "NATO Liaison Office Tokyo", Kind: liaison.NATOBody}, TAXIIPath: "/taxii2/", APIRoot: "/taxii2/tokyo/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserGraph opens ATT&CK's busiest technique (grown past 300
// links), its graph from the object page, a large group of it and that
// group's next page, then follows a node to its own graph, from the
// keyboard's reach of the picture's links.
func TestBrowserGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("loading ATT&CK Mobile takes seconds; skipped in -short mode")
	}
	start := time.Now()
	g := newAttackGraph(t)
	base := serveLibrary(t, g.library)
	b := newTab(t, base)
	b.signIn("usa", "usa-password")
	b.open("/collections/" + g.cyber.ID + "/objects/" + g.tech)
	if n := eval[int](b, `document.querySelectorAll("section.neighbourhood svg.graph a[data-node]").length`); n < 10 {
		t.Errorf("the object page's graph draws %d nodes", n)
	}
	b.click(`a[data-graph]`)
	if h := b.text("h1"); h != "The neighbourhood of SMS Messages" {
		t.Fatalf("heading %q", h)
	}
	// Every node is a link that the keyboard reaches, with a title.
	focusable := eval[bool](b, `(function () { var a = document.querySelector("svg.graph a[data-node]"); a.focus(); return document.activeElement === a && !!a.querySelector("title").textContent; })()`)
	if !focusable {
		t.Error("a node of the graph cannot take the keyboard's focus, or has no title")
	}
	b.fits(390, "the graph page")
	b.shot("graph", 1400)
	// A large group, paged.
	group := eval[string](b, `document.querySelector("svg.graph a[data-more]").dataset.more`)
	b.click(`svg.graph a[data-more="` + group + `"]`)
	if !strings.Contains(eval[string](b, `location.search`), "group="+group) {
		t.Fatalf("the 'more' node led to %s", eval[string](b, `location.href`))
	}
	firstPage := eval[[]string](b, `Array.from(document.querySelectorAll("svg.graph a[data-node]")).map(function (a) { return a.dataset.node; })`)
	if eval[bool](b, `!!document.querySelector("a[rel=next]")`) {
		b.click(`a[rel=next]`)
		second := eval[[]string](b, `Array.from(document.querySelectorAll("svg.graph a[data-node]")).map(function (a) { return a.dataset.node; })`)
		for _, id := range second {
			if id != g.tech && strings.Contains(strings.Join(firstPage, " "), id) {
				t.Errorf("%s is on both pages of %s", id, group)
			}
		}
	} else if len(firstPage) < 20 {
		t.Errorf("group %s has one page of %d", group, len(firstPage))
	}
	// Follow a node: its own graph.
	node := eval[string](b, `Array.from(document.querySelectorAll("svg.graph a[data-node]")).map(function (a) { return a.dataset.node; }).filter(function (id) { return id !== "`+g.tech+`"; })[0]`)
	b.click(`svg.graph a[data-node="` + node + `"]`)
	if p := eval[string](b, `location.pathname`); p != "/objects/"+node+"/graph" {
		t.Errorf("following a node led to %s", p)
	}
	if c := eval[string](b, `document.querySelector("[data-center]").dataset.center`); c != node {
		t.Errorf("the followed node's graph is centred on %s", c)
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserActivity opens the activity page from the navigation and
// switches its split with the form.
func TestBrowserActivity(t *testing.T) {
	start := time.Now()
	l := newLibrary(t, 30)
	base := serveLibrary(t, l)
	b := newTab(t, base)
	b.signIn("usa", "usa-password")
	b.click(`nav a[href="/activity"]`)
	if h := b.text("h1"); h != "Activity" {
		t.Fatalf("heading %q", h)
	}
	if n := eval[int](b, `document.querySelectorAll("svg.timeline rect").length`); n == 0 {
		t.Error("the timeline draws no bar")
	}
	series := func() []string {
		return eval[[]string](b, `Array.from(document.querySelectorAll("ul.series li[data-series]")).map(function (li) { return li.dataset.series; })`)
	}
	if s := series(); len(s) != 2 {
		t.Errorf("by collection: series %v, want the two collections", s)
	}
	b.fits(390, "the activity page")
	b.do("split by type", chromedp.SetValue(chromedp.ID("a-split"), "type"))
	b.click(`.activity-form button[type=submit]`)
	if s := strings.Join(series(), " "); !strings.Contains(s, "indicator") || !strings.Contains(s, "malware") {
		t.Errorf("by type: series %s", s)
	}
	b.shot("activity", 1400)
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
