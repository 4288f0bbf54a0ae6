package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDirectory runs the directory story in Chromium: an admin
// adds a security agreement for KOR up to NATO RESTRICTED, sees in the
// preview that KOR would gain the three restricted indicators, confirms,
// follows the recompute's progress, and KOR's analyst then reads them.
func TestBrowserDirectory(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	ids := addDirectoryWorld(t, l)
	b := newTab(t, base)
	obj := "/collections/" + l.cyber.ID + "/objects/" + ids[0]
	b.signIn("kor", "kor-password")
	b.open(obj)
	if h := b.text("h1"); !strings.Contains(h, "Not found") {
		t.Fatalf("before the agreement KOR's analyst sees %q", h)
	}
	b.signOut()

	b.signIn("admin", "admin-password")
	b.open("/")
	b.click(`nav[aria-label=Main] a[href="/office/organisations"]`)
	b.shot("office-organisations", 1400)
	b.click(`nav.office-tabs a[href="/office/agreements"]`)
	b.do("fill the agreement",
		chromedp.SetValue(chromedp.ID("sa-partner"), "KOR"),
		chromedp.SendKeys(chromedp.ID("sa-name"), "NATO-Korea security agreement"),
		chromedp.SetValue(chromedp.ID("sa-level"), "NATO RESTRICTED"))
	b.shot("office-agreements", 1400)
	b.click(`#security-add button[type=submit]`)
	if gain := b.text(`tr[data-org="KOR"] td.gain`); gain != "+3" {
		t.Fatalf("the preview gives KOR %q, want +3", gain)
	}
	if n := eval[int](b, `document.querySelectorAll("table.effect tr.changed").length`); n != 1 {
		t.Errorf("the preview shows %d organisations changed, want 1 (KOR)", n)
	}
	b.shot("office-preview", 1400)
	b.fits(390, "the effect preview")
	b.click(`#confirm button[value=confirm]`)
	if p := eval[string](b, `location.pathname`); !strings.HasPrefix(p, "/office/jobs/") {
		t.Fatalf("after confirming the page is %s", p)
	}
	for deadline := time.Now().Add(20 * time.Second); !eval[bool](b, `!!document.getElementById("job-back")`); time.Sleep(50 * time.Millisecond) {
		if v, m := eval[float64](b, `Number(document.getElementById("job-bar") ? document.getElementById("job-bar").value : 0)`), 1000.0; v > m {
			t.Fatalf("the bar is at %v of %v", v, m)
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not finish in 20 s")
		}
	}
	if s := b.text("#job-text"); !strings.HasPrefix(s, "Done in") {
		t.Fatalf("the job says %q", s)
	}
	b.shot("office-job", 1400)
	b.click("#job-back")
	if row := b.text(`tr[data-partner="KOR"]`); !strings.Contains(row, "NATO RESTRICTED") || !strings.Contains(row, "in force") {
		t.Errorf("the agreements list shows %q", row)
	}
	b.signOut()

	b.signIn("kor", "kor-password")
	b.open(obj)
	if h := b.text("h1"); !strings.Contains(h, "Restricted maritime indicator 0") {
		t.Errorf("after the agreement KOR's analyst sees %q", h)
	}
	b.open("/search?q=maritime")
	if n := eval[int](b, `document.querySelectorAll("main a[href*='indicator--7e57']").length`); n < 3 {
		t.Errorf("KOR's search finds %d of the three gained indicators", n)
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
