package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSearch types in the header's search box, reads the ranked,
// highlighted results, narrows them by type in the form, and pages
// through them.
func TestBrowserSearch(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("jpn", "jpn-password")
	b.do("type in the search box", chromedp.SendKeys(chromedp.ID("nav-q"), "phishing"))
	b.click(`form.nav-search button[type=submit]`)
	if h := b.text("h1"); h != "Search" {
		t.Errorf("heading %q", h)
	}
	hits := func() []string {
		return eval[[]string](b, `Array.from(document.querySelectorAll("li.hit")).map(function (h) { return h.dataset.version; })`)
	}
	first := hits()
	if len(first) != 25 {
		t.Fatalf("%d results on the first page, want 25", len(first))
	}
	marks := eval[[]string](b, `Array.from(document.querySelectorAll("li.hit .hit-title mark")).map(function (m) { return m.textContent; })`)
	if len(marks) < 25 || !strings.EqualFold(marks[0], "phishing") {
		t.Errorf("highlighted in the titles: %v", marks)
	}
	b.fits(390, "the results")
	b.shot("search", 1400)
	// More results, to the end: every landing page once.
	seen := map[string]bool{}
	all := first
	for pages := 1; eval[bool](b, `!!document.querySelector("a[rel=next]")`); pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages")
		}
		b.click(`a[rel=next]`)
		all = append(all, hits()...)
	}
	for _, k := range all {
		if seen[k] {
			t.Errorf("%s on two pages", k)
		}
		seen[k] = true
	}
	if len(all) != len(l.fillers) {
		t.Errorf("%d results over the pages, want the %d landing pages", len(all), len(l.fillers))
	}
	// A prefix and a type in the form: the indicators whose words start
	// with lantern, of which jpn reads two.
	b.open("/search?q=lantern*")
	b.do("open the filters", chromedp.Click(chromedp.CSS("details.filters summary")))
	b.do("set the type", chromedp.SendKeys(chromedp.ID("s-type"), "indicator"))
	b.click(`.search-form button[type=submit]`)
	got := hits()
	if len(got) != 1 || !strings.HasPrefix(got[0], l.indA+"@") {
		t.Errorf("lantern* in indicators: %v, want only %s", got, l.indA)
	}
	if m := b.text("li.hit .hit-title mark"); m != "LanternLoader" {
		t.Errorf("the prefix highlights %q", m)
	}
	// A bad query: the form again, saying what is wrong with q.
	b.open("/search?q=%22unclosed")
	if msg := b.text("#s-error"); !strings.Contains(msg, "field q") {
		t.Errorf("a bad query says %q", msg)
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
