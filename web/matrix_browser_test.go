package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"liaison"
	"liaison/internal/ingest"
	"liaison/stix"
)

// The real bundles the matrix browser test loads; it skips without them.
const (
	disarmBundle = "../../shared/data/stix/disarm.json"
	icsBundle    = "../../shared/data/stix/ics-attack-18.1.json"
)

// realUsers returns, for the technique with the external id ext in a
// bundle, its id and the distinct users (of liaison.UserTypes, not
// revoked) that a non-revoked uses relationship of the bundle joins to it:
// the bundle's own answer, read here without the store.
func realUsers(t *testing.T, file, ext string) (string, []string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []struct {
			ID, Type           string
			Revoked            bool
			RelationshipType   string `json:"relationship_type"`
			SourceRef          string `json:"source_ref"`
			TargetRef          string `json:"target_ref"`
			ExternalReferences []struct {
				ExternalID string `json:"external_id"`
			} `json:"external_references"`
		}
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	users, id := map[string]bool{}, ""
	for _, o := range b.Objects {
		if slices.Contains(liaison.UserTypes, o.Type) && !o.Revoked {
			users[o.ID] = true
		}
		if o.Type == "attack-pattern" && len(o.ExternalReferences) > 0 && o.ExternalReferences[0].ExternalID == ext {
			id = o.ID
		}
	}
	var out []string
	for _, o := range b.Objects {
		if o.Type == "relationship" && o.RelationshipType == "uses" && o.TargetRef == id && !o.Revoked && users[o.SourceRef] && !slices.Contains(out, o.SourceRef) {
			out = append(out, o.SourceRef)
		}
	}
	return id, out
}

// TestBrowserMatrices loads the real DISARM and ATT&CK for ICS bundles,
// opens both matrices from the nav in Chromium, checks a technique's page
// and the per-reader counts (a campaign for USA alone adds one for USA),
// then records a FIMI incident through the form and checks that exactly
// its audience reads it. axe-core checks the new pages.
func TestBrowserMatrices(t *testing.T) {
	var files []string
	for _, f := range []string{disarmBundle, icsBundle} {
		abs, err := filepath.Abs(f)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			t.Skipf("no real bundle at %s (../shared/data/stix beside the repository): %v", f, err)
		}
		files = append(files, abs)
	}
	axe := axeSource(t)
	l, base := browserOffice(t)
	ctx := context.Background()
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ingest.Bundle(ctx, l.store, l.users["usa"], l.cyber.ID, fh, ingest.Options{})
		fh.Close()
		if err != nil || len(sum.Rejected) > 0 {
			t.Fatalf("import %s: %v, rejected %v", f, err, sum.Rejected)
		}
	}
	// T0859 Valid Accounts: its users in the bundle, and a campaign of
	// USA's own, readable by USA alone, that uses it too.
	t0859, real := realUsers(t, icsBundle, "T0859")
	if t0859 == "" || len(real) == 0 {
		t.Fatalf("T0859 in %s: %q with users %v", icsBundle, t0859, real)
	}
	mine := "campaign--9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
	l.add(t, "usa", l.allies.ID, []string{
		fmt.Sprintf(`{"type":"campaign","spec_version":"2.1","id":%q,"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Pipeline login sweep","object_marking_refs":[%q]}`, mine, markRelUSA),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2e","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":%q,"target_ref":%q,"object_marking_refs":[%q]}`, mine, t0859, markRelUSA),
	})

	b := newTab(t, base)
	for _, who := range []struct {
		user  string
		count int
	}{{"jpn", len(real)}, {"usa", len(real) + 1}} {
		b.signIn(who.user, who.user+"-password")
		b.click(`nav a[href="/matrices"]`)
		if h := b.text("h1"); h != "Matrices" {
			t.Fatalf("%s: heading %q", who.user, h)
		}
		if who.user == "jpn" {
			b.axeCheck(axe, "matrices")
			b.shot("matrices", 1200)
		}
		b.click(`tr[data-matrix]:nth-child(1) a`)
		// The list is sorted by name: ATT&CK for ICS, then DISARM.
		if h := b.text("h1"); h != "ATT&CK for ICS" {
			t.Fatalf("%s: first matrix %q", who.user, h)
		}
		if n := eval[int](b, `document.querySelectorAll("section.tactic").length`); n != 12 {
			t.Errorf("%s: the ICS matrix has %d tactics, want 12", who.user, n)
		}
		got := eval[string](b, `document.querySelector('li[data-technique="`+t0859+`"]').dataset.count`)
		if got != strconv.Itoa(who.count) {
			t.Errorf("%s: T0859 counts %s users, want %d", who.user, got, who.count)
		}
		if who.user == "jpn" {
			b.axeCheck(axe, "ICS matrix")
			b.shot("matrix", 1400)
		}
		b.click(`li[data-technique="` + t0859 + `"] > a`)
		if h := b.text("h1"); h != "Valid Accounts" {
			t.Fatalf("%s: technique heading %q", who.user, h)
		}
		if href := eval[string](b, `document.querySelector("a[data-ext]").href`); href != "https://attack.mitre.org/techniques/T0859" {
			t.Errorf("%s: the technique links to %q", who.user, href)
		}
		if n := eval[int](b, `document.querySelectorAll("tr[data-user]").length`); n != who.count {
			t.Errorf("%s: the technique page lists %d users, want %d", who.user, n, who.count)
		}
		if mineShown := eval[bool](b, `!!document.querySelector('tr[data-user="`+mine+`"]')`); mineShown != (who.user == "usa") {
			t.Errorf("%s: USA's own campaign listed: %v", who.user, mineShown)
		}
		if who.user == "jpn" {
			b.axeCheck(axe, "technique")
			b.shot("technique", 1200)
		}
		// DISARM: 16 tactics, every one of its 391 techniques placed.
		b.open("/matrices")
		b.click(`tr[data-matrix]:nth-child(2) a`)
		if h := b.text("h1"); h != "DISARM Framework" {
			t.Fatalf("%s: second matrix %q", who.user, h)
		}
		if n := eval[int](b, `document.querySelectorAll("section.tactic").length`); n != 16 {
			t.Errorf("%s: DISARM has %d tactics, want 16", who.user, n)
		}
		if n := eval[int](b, `document.querySelectorAll("li[data-technique]").length`); n < 391 {
			t.Errorf("%s: DISARM shows %d technique cells, want at least 391", who.user, n)
		}
		b.click("form.signout button")
	}

	// A FIMI incident through the form, as KOR, for KOR and USA alone.
	b.signIn("kor", "kor-password")
	b.open("/fimi/new")
	b.axeCheck(axe, "FIMI form")
	flood := eval[string](b, `(function () { for (const l of document.querySelectorAll("label.check")) { if (l.textContent.includes("T0049 ")) return l.querySelector("input").value; } return ""; })()`)
	if flood == "" {
		t.Fatal("the form does not offer T0049")
	}
	eval[bool](b, `document.querySelectorAll(".fimi-techniques details").forEach(function (d) { d.open = true; }); true`)
	b.do("fill the form",
		chromedp.SetValue(chromedp.ID("f-coll"), l.cyber.ID),
		chromedp.SendKeys(chromedp.ID("f-name"), "Fake evacuation alerts"),
		chromedp.SendKeys(chromedp.ID("f-targets"), "Coastal residents"),
		chromedp.SendKeys(chromedp.ID("f-channels"), "Spoofed emergency-alert account"),
		chromedp.Click(chromedp.CSS(`input[name=technique][value="`+flood+`"]`)),
		chromedp.SetValue(chromedp.ID("f-tlp"), "amber"),
		chromedp.Click(chromedp.CSS(`input[name=rel][value=KOR]`)),
		chromedp.Click(chromedp.CSS(`input[name=rel][value=USA]`)))
	b.shot("fimi", 1200)
	b.click("#f-submit")
	if h := b.text("h1"); h != "Fake evacuation alerts" {
		t.Fatalf("after recording: heading %q", h)
	}
	var id string
	for _, v := range eval[[]string](b, `Array.from(document.querySelectorAll("code")).map(function (c) { return c.textContent; })`) {
		if typ, _, ok := stix.SplitID(v); ok && typ == "incident" {
			id = v
		}
	}
	if id == "" {
		t.Fatal("the incident page names no incident id")
	}
	for _, u := range []struct {
		user string
		may  bool
	}{{"kor", true}, {"usa", true}, {"jpn", false}, {"fra", false}, {"nzl", false}, {"nis", false}} {
		pg, err := l.store.Objects(ctx, l.users[u.user], l.cyber.ID, liaison.ObjectQuery{IDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(pg.Versions) == 1; got != u.may {
			t.Errorf("%s reads the incident: %v, want %v", u.user, got, u.may)
		}
	}
	uses, err := l.store.CountUses(ctx, l.users["kor"], liaison.UseQuery{Targets: []string{flood}, SourceTypes: liaison.UserTypes})
	if err != nil || uses[flood] != 1 {
		t.Errorf("KOR counts %v users of T0049 (%v), want 1", uses, err)
	}
}
