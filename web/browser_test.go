package web

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"liaison"
	"liaison/audit"
	"liaison/auth"
)

// screenshots, when set, is where the browser tests save screenshots of
// the pages (docs/screenshots for the README):
//
//	go test ./web/ -run Browser -args -screenshots=../docs/screenshots
var screenshots = flag.String("screenshots", "", "browser tests: save screenshots of the pages into this folder")

// chromium finds a Chromium or Chrome to drive. Without one the browser
// tests skip, except under CI=true, where a missing browser fails them:
// .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LIAISON_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found: the browser tests need one under CI (apt-get install -y chromium, or set LIAISON_CHROME)")
	}
	t.Skip("no Chromium found (chromium, google-chrome or LIAISON_CHROME): the browser tests skip; apt-get install -y chromium to run them")
	return ""
}

// tab is one headless browser tab on an office's pages.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newTab starts a headless Chromium (one per test) and opens a tab. Every
// page it loads records the Content-Security-Policy violations it meets,
// through a script DevTools injects (the pages' own policy allows no
// inline script, so only DevTools can).
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.DisableGPU, chromedp.NoSandbox,
		chromedp.WindowSize(1400, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });`,
		})
		return err
	})); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	return &tab{t: t, ctx: ctx, base: base}
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a path and checks the page kept to its policy.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.checkPolicy(path)
}

// click clicks and waits for the page it leads to.
func (b *tab) click(sel string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	b.checkPolicy(sel)
}

func (b *tab) checkPolicy(where string) {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.__csp`))
	if err != nil || v == nil {
		b.t.Fatalf("%s: read policy violations (%v): the watch on the policy is not in the page", where, err)
	}
	if len(v) > 0 {
		b.t.Errorf("%s: the page broke its Content-Security-Policy: %v", where, v)
	}
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// shot saves a screenshot of what the window shows of the page, at a
// width, when -screenshots is set.
func (b *tab) shot(name string, width int64) {
	b.t.Helper()
	if *screenshots == "" {
		return
	}
	b.do("viewport", chromedp.EmulateViewport(width, 820))
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do("viewport", chromedp.EmulateViewport(1400, 900))
}

// fits checks that the page needs no sideways scrolling at a width: wide
// tables scroll inside their own box.
func (b *tab) fits(width int64, where string) {
	b.t.Helper()
	b.do("viewport", chromedp.EmulateViewport(width, 800))
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(width) {
		b.t.Errorf("%s at %d px: the page is %d px wide", where, width, w)
	}
	b.do("viewport", chromedp.EmulateViewport(1400, 900))
}

// browserOffice is the library behind a server that names the office, as
// the demo does.
func browserOffice(t *testing.T) (*library, string) {
	l := newLibrary(t, 30)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Audited as serve wires it: the audit page and "Who received this".
	al := audit.New(l.store.DB(), audit.Options{FlushEvery: 10 * time.Millisecond, Logger: logger})
	t.Cleanup(func() { al.Close() })
	st := audit.NewStore(l.store, al)
	s, err := NewServer(Services{Store: st, Consultations: st, Decisions: st, Audit: l.store.DB()}, auth.New(st, auth.Options{Logger: logger}),
		Config{Logger: logger, Office: liaison.Organisation{Code: "NATO-LO-TOKYO", Name: "NATO Liaison Office Tokyo", Kind: liaison.NATOBody}, TAXIIPath: "/taxii2/", APIRoot: "/taxii2/tokyo/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(audit.Paths(s))
	t.Cleanup(srv.Close)
	return l, srv.URL
}

// signIn fills the sign-in form as a person would.
func (b *tab) signIn(user, password string) {
	b.t.Helper()
	b.open("/signin")
	b.do("fill the form", chromedp.SendKeys(chromedp.ID("user"), user), chromedp.SendKeys(chromedp.ID("password"), password))
	b.click(`form.signin button[type=submit]`)
}

// TestBrowserSignInAndOut signs in with the form, checks the session
// cookie as the browser holds it, and signs out.
func TestBrowserSignInAndOut(t *testing.T) {
	start := time.Now()
	_, base := browserOffice(t)
	b := newTab(t, base)
	b.open("/signin")
	b.fits(390, "the sign-in form")
	// A wrong password: the form again, saying so, with the name kept.
	b.do("fill the form", chromedp.SendKeys(chromedp.ID("user"), "jpn"), chromedp.SendKeys(chromedp.ID("password"), "wrong"))
	b.click(`form.signin button[type=submit]`)
	if msg := b.text("#signin-error"); !strings.Contains(msg, "wrong") {
		t.Errorf("after a wrong password the form says %q", msg)
	}
	if v := eval[string](b, `document.getElementById("user").value`); v != "jpn" {
		t.Errorf("the user name was not kept: %q", v)
	}
	b.do("fill the password", chromedp.SendKeys(chromedp.ID("password"), "jpn-password"))
	b.click(`form.signin button[type=submit]`)
	if me := b.text(".me"); !strings.Contains(me, "Signed in as jpn of JPN") {
		t.Fatalf("after sign-in the header says %q", me)
	}
	// The session cookie: HttpOnly (no script reads it), SameSite=Lax.
	if c := eval[string](b, `document.cookie`); strings.Contains(c, sessionCookie) {
		t.Errorf("a script can read the session cookie: %q", c)
	}
	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range cookies.Cookies {
		if c.Name == sessionCookie {
			found = true
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
				t.Errorf("session cookie %+v", c)
			}
		}
	}
	if !found {
		t.Error("no session cookie in the browser")
	}
	b.open("/?since=2024-01-01")
	b.shot("home", 1400)
	b.fits(390, "the home page")
	b.click(`form.signout button[type=submit]`)
	if s := b.text("main"); !strings.Contains(s, "You are signed out") {
		t.Errorf("after sign-out the page says %q", s)
	}
	b.open("/objects")
	if loc := eval[string](b, `location.pathname`); loc != "/signin" {
		t.Errorf("after sign-out /objects shows %s, want the sign-in form", loc)
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserBrowseFilterPage browses the lists: the banner, a filter set
// in the form, and the pages that follow.
func TestBrowserBrowseFilterPage(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("jpn", "jpn-password")
	b.click(`nav a[href="/objects"]`)
	if h := b.text("h1"); h != "Every object you may read" {
		t.Errorf("heading %q", h)
	}
	if ban := b.text(".banner"); ban != "NATO RESTRICTED · REL TO NATO, JPN · TLP:AMBER" {
		t.Errorf("banner %q", ban)
	}
	b.fits(390, "the list")
	b.fits(1400, "the list")
	// Filter: indicators, ten a page.
	b.do("open the filters", chromedp.Click(chromedp.CSS("details.filters summary")))
	b.do("set the filters",
		chromedp.SendKeys(chromedp.ID("f-type"), "indicator"),
		chromedp.SetValue(chromedp.ID("f-limit"), "10"))
	b.click(`.filter-form button[type=submit]`)
	rows := func() []string {
		return eval[[]string](b, `Array.from(document.querySelectorAll("tr[data-version]")).map(function (r) { return r.dataset.version; })`)
	}
	first := rows()
	if len(first) != 10 {
		t.Fatalf("%d rows on a page of 10", len(first))
	}
	for _, k := range first {
		if !strings.HasPrefix(k, "indicator--") {
			t.Errorf("row %s on a list of indicators", k)
		}
	}
	seen := map[string]bool{}
	all := first
	for pages := 1; eval[bool](b, `!!document.querySelector("a[rel=next]")`); pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages")
		}
		b.click(`a[rel=next]`)
		all = append(all, rows()...)
	}
	for _, k := range all {
		if seen[k] {
			t.Errorf("%s on two pages", k)
		}
		seen[k] = true
	}
	if want := 2 + len(l.fillers); len(all) != want {
		t.Errorf("%d indicators over the pages, want %d", len(all), want)
	}
	if !seen[l.indB+"@2024-03-01T00:00:02Z"] {
		t.Errorf("jpn does not see indicator B")
	}
	// A filter on the page: labelled rows, said so.
	b.open("/collections/" + l.cyber.ID + "/objects?label=ransomware&limit=10")
	if n := b.text(`[data-filtered]`); !strings.Contains(n, "Filtered on the page") {
		t.Errorf("the filtered page says %q", n)
	}
	b.open("/collections/" + l.cyber.ID + "/objects?limit=25")
	b.shot("list", 1400)
	b.shot("list-390", 390)
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserObjectAndVersions opens an object from the list, a version
// of it, and the comparison of the two, with the script's switch.
func TestBrowserObjectAndVersions(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("jpn", "jpn-password")
	b.open("/collections/" + l.cyber.ID + "/objects?type=indicator&limit=200")
	b.click(`a[href^="/collections/` + l.cyber.ID + `/objects/` + l.indA + `"]`)
	if h := b.text("h1"); h != "LanternLoader C2 domain (updated)" {
		t.Errorf("heading %q", h)
	}
	if n := eval[int](b, `document.querySelectorAll("table.versions tr[data-version]").length`); n != 2 {
		t.Errorf("%d versions, want 2", n)
	}
	// Who can read it, and why: JPN is among the partners, and the trace
	// names the rules.
	if who := b.text("section.who"); !strings.Contains(who, "Partners") || !strings.Contains(who, "JPN") {
		t.Errorf("who can read this: %q", who)
	}
	if n := eval[int](b, `document.querySelectorAll("section.who table.audience tbody tr").length`); n < 3 {
		t.Errorf("the audience table has %d rows, want allies, NATO bodies and partners", n)
	}
	// The raw JSON is behind a toggle.
	if open := eval[bool](b, `document.querySelector("details.raw").open`); open {
		t.Error("the raw JSON is open by default")
	}
	b.fits(390, "the object page")
	b.click(`table.versions a[href*="version="]`)
	if p := b.text("pre.pattern"); !strings.Contains(p, "\nAND\n") {
		t.Errorf("the first version's pattern is not pretty-printed: %q", p)
	}
	b.shot("object", 1400)
	b.click(`table.versions a[href*="/diff"]`)
	if h := b.text("h1"); !strings.HasPrefix(h, "Changes to") {
		t.Fatalf("heading %q", h)
	}
	same := eval[int](b, `document.querySelectorAll("table.diff tr.op-same").length`)
	visible := `Array.from(document.querySelectorAll("table.diff tbody tr")).filter(function (r) { return r.offsetParent !== null; }).length`
	all := eval[int](b, visible)
	b.do("hide unchanged lines", chromedp.Click(chromedp.ID("only-changes")))
	if n := eval[int](b, visible); n != all-same || same == 0 {
		t.Errorf("with only the changes: %d rows shown of %d (%d unchanged)", n, all, same)
	}
	b.shot("diff", 1400)
	// A hidden object is a missing one.
	b.open("/collections/" + l.cyber.ID + "/objects/" + l.malM)
	if h := b.text("h1"); h != "Not found" {
		t.Errorf("jpn opening malware M sees %q", h)
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserExport downloads a filtered list as a bundle.
func TestBrowserExport(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("kor", "kor-password")
	b.open("/collections/" + l.cyber.ID + "/objects?type=indicator,report&limit=10")
	dir := t.TempDir()
	progress := chromedp.Events(b.ctx, cdpbrowser.DownloadProgress)
	b.do("download",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			yes := true
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
			})
			return err
		}),
		chromedp.Click(chromedp.CSS("p.export a")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Type    string `json:"type"`
		Objects []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(raw, &bundle); err != nil || bundle.Type != "bundle" {
		t.Fatalf("the download is not a bundle: %v", err)
	}
	ids := map[string]bool{}
	for _, o := range bundle.Objects {
		ids[o.ID] = true
		if o.Type != "indicator" && o.Type != "report" {
			t.Errorf("a %s in a bundle of indicators and reports", o.Type)
		}
	}
	// Every page of the list, not only the first ten; nothing KOR may not read.
	if want := 2 + len(l.fillers); len(bundle.Objects) != want {
		t.Errorf("%d objects, want %d", len(bundle.Objects), want)
	}
	if ids[l.indB] || ids[l.malM] {
		t.Error("LEAK: the bundle holds what KOR may not read")
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
