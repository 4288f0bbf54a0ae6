package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// attackBundle is the real ATT&CK bundle the import test uploads; the
// test skips without it.
const attackBundle = "../../shared/data/stix/mobile-attack-17.0.json"

// TestBrowserImportAndExport imports a real ATT&CK bundle through the
// upload form, with a marking picked and its audience previewed by the
// page's script, sees the progress and the result, then exports the
// collection's list of attack patterns and checks the downloaded bundle.
func TestBrowserImportAndExport(t *testing.T) {
	file, err := filepath.Abs(attackBundle)
	if err == nil {
		_, err = os.Stat(file)
	}
	if err != nil {
		t.Skipf("no ATT&CK bundle at %s (../shared/data/stix beside the repository): %v", attackBundle, err)
	}
	start := time.Now()
	l, base := browserOffice(t)
	b := newTab(t, base)
	b.signIn("kor", "kor-password")
	b.click(`nav a[href="/import"]`)
	if h := b.text("h1"); h != "Import a bundle" {
		t.Fatalf("heading %q", h)
	}
	// Pick TLP:AMBER, NATO RESTRICTED, releasable to NATO and JPN: the
	// script redraws the preview at each change.
	b.do("pick a marking",
		chromedp.SetValue(chromedp.ID("i-coll"), l.cyber.ID),
		chromedp.SetValue(chromedp.ID("i-tlp"), "amber"),
		chromedp.SetValue(chromedp.ID("i-class"), "nato-restricted"),
		chromedp.Click(chromedp.CSS(`input[name=rel][value=NATO]`)),
		chromedp.Click(chromedp.CSS(`input[name=rel][value=JPN]`)))
	wait := func(what, js string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !eval[bool](b, js); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 30 s", what)
			}
		}
	}
	wait("the preview", `(document.querySelector("#preview [data-chosen]") || {}).dataset !== undefined && document.querySelector("#preview [data-chosen]").dataset.chosen === "NATO RESTRICTED REL TO JPN, NATO TLP:AMBER"`)
	// JPN's agreement covers NATO RESTRICTED; KOR reads as originator.
	if partners := eval[string](b, `document.querySelectorAll("#preview table.audience tbody tr")[2].textContent`); partners != "Partners2JPN KOR " {
		t.Errorf("the preview of REL TO NATO, JPN by KOR lists the partners %q", partners)
	}
	b.checkPolicy("the preview")
	eval[bool](b, `document.querySelector("fieldset.rel-group:last-of-type").scrollIntoView(); true`)
	b.shot("import", 1400)
	b.fits(390, "the import form")

	b.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("i-file"), []string{file}))
	b.do("import", chromedp.Click(chromedp.ID("i-submit")))
	wait("the result", `!!document.getElementById("import-counts")`)
	if sent := eval[string](b, `document.documentElement.getAttribute("data-upload-sent") || ""`); sent != "100" {
		t.Errorf("the upload's progress ended at %q%%", sent)
	}
	count := func(k string) int {
		n, err := strconv.Atoi(b.text(`[data-count=` + k + `]`))
		if err != nil {
			t.Fatalf("count %s: %v", k, err)
		}
		return n
	}
	added, rejected := count("added"), count("rejected")
	if added < 2000 || rejected != 0 {
		t.Errorf("ATT&CK mobile 17.0: %d added, %d rejected; want over 2000 and none", added, rejected)
	}
	if h := b.text("h1"); h != "Import result" {
		t.Errorf("after the upload the page is %q", h)
	}
	b.checkPolicy("the result")
	b.shot("import-result", 1400)

	// Export the list of attack patterns just imported, as KOR sees it.
	b.open("/collections/" + l.cyber.ID + "/objects?type=attack-pattern&limit=10")
	raw := b.download("p.export a")
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
	if len(bundle.Objects) < 100 {
		t.Errorf("the export holds %d attack patterns", len(bundle.Objects))
	}
	for _, o := range bundle.Objects {
		if o.Type != "attack-pattern" {
			t.Errorf("a %s in the export of attack patterns", o.Type)
		}
	}
	// Every ATT&CK object carries its own marking (MITRE's statement),
	// so none took the picked one: NZL, outside REL TO NATO, JPN, still
	// reads them, byte for byte.
	nzl := newTab(t, base)
	nzl.signIn("nzl", "nzl-password")
	nzl.open("/collections/" + l.cyber.ID + "/objects?type=attack-pattern&limit=10")
	if n := eval[int](nzl, `document.querySelectorAll("tr[data-version]").length`); n != 10 {
		t.Errorf("NZL lists %d attack patterns, want a page of 10: their own marking does not narrow", n)
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// download clicks a link that downloads a file and returns the file.
func (b *tab) download(sel string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	progress := chromedp.Events(b.ctx, cdpbrowser.DownloadProgress)
	b.do("download",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			yes := true
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
			})
			return err
		}),
		chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			b.t.Fatal(err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			raw, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				b.t.Fatal(err)
			}
			return raw
		case cdpbrowser.DownloadProgressStateCanceled:
			b.t.Fatal("the download was cancelled")
		}
	}
	b.t.Fatal("the download never ended")
	return nil
}
