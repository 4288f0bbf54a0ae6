package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signOut signs the tab out with the header's button.
func (b *tab) signOut() {
	b.t.Helper()
	b.click(`form.signout button[type=submit]`)
}

// TestBrowserDecision runs the story of the seeds in Chromium: NATO-IS
// tables and circulates the Tokyo-office proposal; Japan comments and has
// no break-silence button, and a forged request gets 403; France breaks
// silence with its reason and the grid shows it; the proposal is revised,
// circulated again and adopted at the deadline.
func TestBrowserDecision(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("nis", "nis-password")
	b.open("/decisions")
	b.do("fill the draft",
		chromedp.SendKeys(chromedp.ID("p-title"), "Open a NATO liaison office in Tokyo"),
		chromedp.SendKeys(chromedp.ID("p-text"), "The Council agrees to open a NATO liaison office in Tokyo."))
	b.shot("decisions", 1400)
	b.click(`form[action="/decisions"] button[type=submit]`)
	path := eval[string](b, `location.pathname`)
	if !strings.HasPrefix(path, "/decisions/") {
		t.Fatalf("after tabling the page is %s", path)
	}
	b.do("set the deadline", chromedp.SetValue(chromedp.ID("a-dl"), "2026-03-04T18:00"))
	b.click(`form[action$="/circulate"] button[type=submit]`)
	if s := b.text("[data-status]"); s != "circulating" {
		t.Fatalf("after circulating the status is %q", s)
	}
	b.shot("decision-circulating", 1400)
	b.signOut()

	b.signIn("jpn", "jpn-password")
	b.open(path)
	if n := eval[int](b, `document.querySelectorAll('form[action$="/break-silence"], form[action$="/concur"], form[action$="/object"]').length`); n != 0 {
		t.Fatalf("Japan is offered %d decision controls", n)
	}
	b.do("comment", chromedp.SendKeys(chromedp.ID("a-cm"), "Japan welcomes the proposal."))
	b.click(`form[action$="/comment"] button[type=submit]`)
	if rec := b.text("#record"); !strings.Contains(rec, "Japan welcomes the proposal.") {
		t.Fatalf("the record lacks the comment: %q", rec)
	}
	b.shot("decision-partner", 1400)
	forged := eval[int](b, `(function () {
		var x = new XMLHttpRequest();
		x.open("POST", location.pathname + "/break-silence", false);
		x.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
		x.send("csrf=" + encodeURIComponent(document.querySelector('input[name=csrf]').value) + "&reason=forged");
		return x.status;
	})()`)
	if forged != 403 {
		t.Fatalf("a forged break-silence from Japan got %d, want 403", forged)
	}
	b.signOut()

	b.signIn("fra", "fra-password")
	b.open(path)
	b.do("give the reason", chromedp.SendKeys(chromedp.ID("a-bs"), "NATO's scope is the North Atlantic area (Articles 5 and 6)"))
	b.click(`form[action$="/break-silence"] button[type=submit]`)
	if st := eval[string](b, `document.querySelector('svg.grid g[data-org="FRA"]').getAttribute("data-state")`); st != "broke silence" {
		t.Fatalf("the grid shows France as %q", st)
	}
	if fill := eval[string](b, `document.querySelector('svg.grid g[data-org="FRA"] rect').getAttribute("fill")`); fill != gridStyle[stateBrokeSilence].fill {
		t.Errorf("France's cell is filled %q", fill)
	}
	if leg := b.text(`ul.legend li[data-state="broke silence"]`); !strings.Contains(leg, "FRA") {
		t.Errorf("the legend says %q", leg)
	}
	b.shot("decision", 1400)
	b.fits(390, "the proposal page")
	b.signOut()

	b.signIn("nis", "nis-password")
	b.open(path)
	b.do("revise", chromedp.SetValue(chromedp.ID("a-rx"), "The Council agrees to open a liaison office in Tokyo for consultations with the IP4."))
	b.click(`form[action$="/revise"] button[type=submit]`)
	b.do("set the deadline", chromedp.SetValue(chromedp.ID("a-dl"), "2026-03-05T18:00"))
	b.click(`form[action$="/circulate"] button[type=submit]`)
	l.office.clk.Set(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC))
	b.open(path)
	if s := b.text("[data-status]"); s != "adopted" {
		t.Fatalf("after the deadline the status is %q", s)
	}
	if rounds := b.text("#rounds"); !strings.Contains(rounds, "FRA") || !strings.Contains(rounds, "adopted") {
		t.Errorf("the rounds say %q", rounds)
	}
	b.shot("decision-adopted", 1400)
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserConsultation runs a NATO–IP4 consultation on cyber threats
// in Chromium: created and opened by NATO-IS, contributed to by Korea
// (whose reference picker lacks what Korea may not read), concluded and
// published; then the planner for it.
func TestBrowserConsultation(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("nis", "nis-password")
	b.open("/consultations")
	b.do("fill the consultation",
		chromedp.SendKeys(chromedp.ID("c-title"), "NATO–IP4 consultation on cyber threats"),
		chromedp.SetValue(chromedp.ID("c-parts"), "IP4, USA"),
		chromedp.SetValue(chromedp.ID("c-start"), "2026-03-04T10:00"),
		chromedp.SetValue(chromedp.ID("c-place"), "https://meet.example/nato-ip4"),
		chromedp.SetValue(chromedp.ID("c-agenda"), "Threat picture\nInformation exchange"),
		chromedp.SetValue(chromedp.ID("m-class"), ""),
		chromedp.SetValue(chromedp.ID("m-rel"), "NATO, JPN, KOR"),
		chromedp.SetValue(chromedp.ID("m-tlp"), "AMBER"))
	b.click(`form[method=post][action="/consultations"] button[type=submit]`)
	path := eval[string](b, `location.pathname`)
	if !strings.HasPrefix(path, "/consultations/") {
		t.Fatalf("after creating, %s says %q", path, b.text("main"))
	}
	b.click(`form[action$="/open"] button[type=submit]`)
	b.signOut()

	b.signIn("kor", "kor-password")
	b.open(path + "?pick=indicator")
	picked := b.text("fieldset.refs")
	if !strings.Contains(picked, l.indA) || strings.Contains(picked, l.indB) {
		t.Fatalf("Korea's picker: %q (it must list %s and not %s)", picked, l.indA, l.indB)
	}
	b.do("contribute", chromedp.SetValue(chromedp.ID("k-item"), "1"),
		chromedp.SendKeys(chromedp.ID("k-text"), "Korea saw the same C2 domain."),
		chromedp.Click(chromedp.CSS(`input[name=refs][value="`+l.indA+`"]`)))
	b.shot("consultation-contribute", 1400)
	b.click(`form[action$="/contribute"] button[type=submit]`)
	if s := b.text("#contributions"); !strings.Contains(s, "Korea saw the same C2 domain.") || !strings.Contains(s, l.indA) {
		t.Fatalf("after contributing: %q", s)
	}
	b.signOut()

	b.signIn("nis", "nis-password")
	b.open(path)
	b.do("record the outcome", chromedp.SendKeys(chromedp.ID("o-sum"), "Agreed a weekly exchange of indicators."),
		chromedp.SendKeys(chromedp.ID("at-0"), "Set up the exchange"), chromedp.SetValue(chromedp.ID("ao-0"), "KOR"),
		chromedp.SetValue(chromedp.ID("ad-0"), "2026-04-01"))
	b.click(`form[action$="/outcome"] button[type=submit]`)
	b.click(`form[action$="/conclude"] button[type=submit]`)
	if s := b.text("#outcome"); !strings.Contains(s, "Published as report--") || !strings.Contains(s, "Set up the exchange") {
		t.Fatalf("after concluding: %q", s)
	}
	if s := b.text("[data-status]"); s != "concluded" {
		t.Fatalf("status %q", s)
	}
	b.shot("consultation", 1400)
	b.fits(390, "the consultation page")

	b.open("/planner?participants=NATO-IS,USA,JPN,AUS&duration=60&from=2026-03-02&to=2026-03-07&weeks=12")
	if n := eval[int](b, `document.querySelectorAll('svg.bands rect.slot').length`); n != 1 {
		t.Fatalf("the planner draws %d slot stripes", n)
	}
	if first := b.text(`tr[data-slot="1"]`); !strings.Contains(first, "Mon 22:00") {
		t.Errorf("the top slot reads %q", first)
	}
	b.open("/planner?participants=NATO-IS,USA,JPN,AUS&duration=60&from=2026-03-02&to=2026-03-07&weeks=12#slots")
	b.shot("planner", 1400)
	b.fits(390, "the planner")
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
