package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"liaison"
)

// mispEvent is a MISP event of distribution 1 with an attribute shared
// with a sharing group: an import that maps neither is refused.
const mispEvent = `{"Event": {"uuid": "5e1a9b2c-0f3d-4c6e-9a71-2b8d4e6f1a77", "info": "Phishing wave", "timestamp": "1772443200",
  "published": true, "distribution": "1", "Orgc": {"name": "CERT-EXAMPLE"}, "Tag": [{"name": "tlp:amber"}],
  "Attribute": [
    {"uuid": "a0000001-0000-4000-8000-0000000000e1", "type": "ip-dst", "value": "198.51.100.9", "to_ids": true, "distribution": "5"},
    {"uuid": "a0000001-0000-4000-8000-0000000000e2", "type": "url", "value": "https://login.example/", "to_ids": true,
     "distribution": "4", "SharingGroup": {"name": "Ministries SG"}}]}}`

// TestBrowserImportMISP uploads a MISP event through the import page:
// with no mappings it is refused, naming what to map in the command
// line's words; with distribution 1 and the sharing group mapped it
// imports, and the sharing group's attribute is read only by those it
// was mapped to.
func TestBrowserImportMISP(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	file := filepath.Join(t.TempDir(), "misp-event.json")
	if err := os.WriteFile(file, []byte(mispEvent), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, base)
	b.signIn("kor", "kor-password")
	b.open("/import")
	if eval[bool](b, `!document.getElementById("misp-fields").hidden`) {
		t.Errorf("the MISP mappings show while a STIX bundle is chosen")
	}
	b.do("choose MISP", chromedp.Click(chromedp.ID("i-format-misp")))
	b.fits(390, "the import form with MISP events chosen")
	wait := func(what, js string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !eval[bool](b, js); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 30 s", what)
			}
		}
	}
	upload := func(dist, groups string) {
		t.Helper()
		b.open("/import")
		b.do("choose MISP", chromedp.SetValue(chromedp.ID("i-coll"), l.cyber.ID), chromedp.Click(chromedp.ID("i-format-misp")))
		if eval[bool](b, `document.getElementById("misp-fields").hidden`) {
			t.Fatalf("the MISP mappings stay hidden once MISP events are chosen")
		}
		eval[bool](b, `document.getElementById("i-dist").value = `+strconv.Quote(dist)+`; document.getElementById("i-sg").value = `+strconv.Quote(groups)+`; true`)
		b.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("i-file"), []string{file}))
		b.do("import", chromedp.Click(chromedp.ID("i-submit")))
		wait("the result", `!!document.getElementById("import-counts") || document.title.startsWith("Error") || !!document.querySelector("main h1.error, main .error-page")`)
	}
	count := func(k string) int {
		t.Helper()
		n, err := strconv.Atoi(b.text(`[data-count=` + k + `]`))
		if err != nil {
			t.Fatalf("count %s: %v", k, err)
		}
		return n
	}

	// Nothing mapped: refused whole, with the CLI's messages.
	upload("", "")
	refused := eval[string](b, `Array.from(document.querySelectorAll("[data-refused]")).map(e => e.textContent).join("\n")`)
	for _, want := range []string{"--distribution 1=COMMUNITY", `sharing group "Ministries SG", which has no mapping`, "--sharing-group 'Ministries SG'=COMMUNITY"} {
		if !strings.Contains(refused, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, refused)
		}
	}
	if n := count("added"); n != 0 {
		t.Errorf("a refused event added %d objects", n)
	}
	if s := b.text("#misp-summary"); !strings.Contains(s, "0 events converted") || !strings.Contains(s, "1 refused") {
		t.Errorf("the summary of a refused event says %q", s)
	}
	b.checkPolicy("the refusal")
	b.shot("import-misp-refused", 1200)

	// A mapping naming no organisation of the hub is refused before
	// anything is read, naming it.
	upload("1=NATO", "Ministries SG=USA,XXX")
	if msg := b.text("main .error-page .message"); !strings.Contains(msg, `--sharing-group Ministries SG=USA,XXX: "XXX" is neither an organisation nor a community of this hub`) {
		t.Errorf("an unknown code in a mapping says %q", msg)
	}

	// Both mapped: the event imports.
	upload("1=NATO", "'Ministries SG'=USA,FRA") // as the refusal quotes it
	if added, rejected := count("added"), count("rejected"); added < 4 || rejected != 0 {
		t.Errorf("the mapped event: %d added, %d rejected", added, rejected)
	}
	if s := b.text("#misp-summary"); !strings.Contains(s, "1 events converted (2 attributes") || !strings.Contains(s, "0 refused") {
		t.Errorf("the summary says %q", s)
	}
	b.shot("import-misp", 1200)

	// The event went to NATO (distribution 1) and KOR, who imported it;
	// the URL only to those of NATO in the sharing group (USA, FRA).
	reads := func(user, value string) bool {
		t.Helper()
		page, err := l.store.Objects(context.Background(), l.users[user], l.cyber.ID, liaison.ObjectQuery{Types: []string{"indicator"}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			if strings.Contains(string(v.Raw), value) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		user    string
		ip, url bool
	}{{"kor", true, true}, {"fra", true, true}, {"deu", true, false}, {"jpn", false, false}, {"nzl", false, false}} {
		if ip, url := reads(c.user, "198.51.100.9"), reads(c.user, "login.example"); ip != c.ip || url != c.url {
			t.Errorf("%s reads the ip: %v, the URL: %v; want %v, %v", c.user, ip, url, c.ip, c.url)
		}
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
