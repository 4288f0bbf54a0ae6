package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var locRE = regexp.MustCompile(`^/decisions/(\d+)$`)

// TestDecisionPages runs the silence procedure through the pages' forms:
// NATO-IS tables and circulates, Japan may only comment (a forged
// break-silence is refused), France breaks silence and the grid shows
// it, the proposal is revised, circulated again and adopted at the
// deadline. A proposal hidden from a reader looks like a missing one.
func TestDecisionPages(t *testing.T) {
	o := newOffice(t)
	nis, fra, jpn, nzl := o.browser(t), o.browser(t), o.browser(t), o.browser(t)
	nis.mustSignIn("nis", "nis-password")
	fra.mustSignIn("fra", "fra-password")
	jpn.mustSignIn("jpn", "jpn-password")
	nzl.mustSignIn("nzl", "nzl-password")

	// Partners see the list but no form to table a draft.
	_, _, list := jpn.get("/decisions")
	checkLayout(t, "jpn /decisions", list)
	if strings.Contains(list, `action="/decisions"`) {
		t.Fatal("a partner is offered the form to table a draft")
	}
	_, _, list = nis.get("/decisions")
	csrf := formCSRF(list, "/decisions")
	if csrf == "" {
		t.Fatalf("NATO-IS has no form to table a draft:\n%s", list)
	}
	// A bad marking is a 400 page naming it; nothing is tabled.
	if status, _, body := nis.post("/decisions", url.Values{"csrf": {csrf}, "title": {"x"}, "text": {"y"}, "procedure": {"silence"}, "classification": {"TOP"}}); status != http.StatusBadRequest || !strings.Contains(body, "classification") {
		t.Fatalf("bad classification: %d\n%s", status, body)
	}
	status, h, body := nis.post("/decisions", url.Values{"csrf": {csrf}, "title": {"Open a NATO liaison office in Tokyo"},
		"text": {"The Council agrees to open a NATO liaison office in Tokyo."}, "procedure": {"silence"},
		"classification": {"NATO UNCLASSIFIED"}, "releasable_to": {"NATO, IP4"}})
	m := locRE.FindStringSubmatch(h.Get("Location"))
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("table: %d %q\n%s", status, h.Get("Location"), body)
	}
	path := "/decisions/" + m[1]

	// Before circulation only NATO-IS sees it.
	_, _, hidden := jpn.get(path)
	_, _, missing := jpn.get("/decisions/987654")
	if strings.ReplaceAll(hidden, "&#34;"+m[1]+"&#34;", "<id>") != strings.ReplaceAll(missing, "&#34;987654&#34;", "<id>") {
		t.Fatalf("a hidden draft and a missing proposal give different pages:\n%s\n%s", hidden, missing)
	}
	if status, _, _ := jpn.get(path); status != http.StatusNotFound {
		t.Fatalf("jpn reads the draft: %d", status)
	}

	_, _, page := nis.get(path)
	checkLayout(t, "nis proposal", page)
	if b := banners(page); len(b) == 0 || b[0] != "NATO UNCLASSIFIED · REL TO NATO, IP4" {
		t.Fatalf("banner %q", b)
	}
	deadline := o.clk.Now().Add(48 * time.Hour).In(mustZone(t, "Europe/Brussels")).Format("2006-01-02T15:04")
	if status, _, body := nis.post(path+"/circulate", url.Values{"csrf": {formCSRF(page, path+"/circulate")}, "deadline": {"next week"}}); status != http.StatusBadRequest || !strings.Contains(body, "deadline: want a date and time") {
		t.Fatalf("bad deadline: %d\n%s", status, body)
	}
	if status, _, body := nis.post(path+"/circulate", url.Values{"csrf": {formCSRF(page, path+"/circulate")}, "deadline": {deadline}}); status != http.StatusSeeOther {
		t.Fatalf("circulate: %d\n%s", status, body)
	}
	_, _, page = nis.get(path)
	if n := strings.Count(page, `" data-state="silent"><rect`); n != 3 {
		t.Fatalf("%d silent allies in the grid, want FRA, DEU and USA:\n%s", n, page)
	}
	if !strings.Contains(page, "2 days left") {
		t.Errorf("the page does not say the time left")
	}

	// Japan: comment box only; a forged break-silence is refused.
	_, _, jp := jpn.get(path)
	for _, control := range []string{"/break-silence", "/concur", "/object", "/circulate", "/revise", "/withdraw"} {
		if strings.Contains(jp, path+control) {
			t.Errorf("a partner is offered %s", control)
		}
	}
	jcsrf := formCSRF(jp, path+"/comment")
	if jcsrf == "" {
		t.Fatal("a partner has no comment box")
	}
	if status, _, body := jpn.post(path+"/comment", url.Values{"csrf": {jcsrf}, "text": {"Japan welcomes the proposal."}}); status != http.StatusSeeOther {
		t.Fatalf("jpn comments: %d\n%s", status, body)
	}
	if status, _, _ := jpn.post(path+"/break-silence", url.Values{"csrf": {jcsrf}, "reason": {"forged"}}); status != http.StatusForbidden {
		t.Fatalf("a forged break-silence from a partner: %d, want 403", status)
	}
	if status, _, _ := jpn.post(path+"/comment", url.Values{"text": {"no token"}}); status != http.StatusForbidden {
		t.Fatalf("a form without the CSRF token: %d, want 403", status)
	}
	// New Zealand is IP4 too; USA, an ally, is offered break silence.
	_, _, fr := fra.get(path)
	fcsrf := formCSRF(fr, path+"/break-silence")
	if fcsrf == "" {
		t.Fatal("France is not offered break silence")
	}
	if status, _, body := fra.post(path+"/break-silence", url.Values{"csrf": {fcsrf}, "reason": {"NATO's scope is the North Atlantic area"}}); status != http.StatusSeeOther {
		t.Fatalf("fra breaks silence: %d\n%s", status, body)
	}
	_, _, page = nis.get(path)
	if !strings.Contains(page, `<g data-org="FRA" data-state="broke silence">`) || !strings.Contains(page, `data-status="blocked"`) {
		t.Fatalf("the grid does not show France breaking silence:\n%s", page)
	}
	if !strings.Contains(page, "NATO&#39;s scope is the North Atlantic area") || !strings.Contains(page, "Japan welcomes the proposal.") {
		t.Errorf("the record lacks the reason or the comment")
	}

	// Revise, circulate again, adopted at the deadline.
	if status, _, body := nis.post(path+"/revise", url.Values{"csrf": {formCSRF(page, path+"/revise")}, "title": {"Open a NATO liaison office in Tokyo"}, "text": {"The Council agrees to open a liaison office in Tokyo for consultations with the IP4."}}); status != http.StatusSeeOther {
		t.Fatalf("revise: %d\n%s", status, body)
	}
	_, _, page = nis.get(path)
	if status, _, body := nis.post(path+"/circulate", url.Values{"csrf": {formCSRF(page, path+"/circulate")}, "deadline": {deadline}}); status != http.StatusSeeOther {
		t.Fatalf("circulate again: %d\n%s", status, body)
	}
	o.clk.Set(o.clk.Now().Add(72 * time.Hour))
	fra.mustSignIn("fra", "fra-password") // the session ended while idle
	nzl.mustSignIn("nzl", "nzl-password")
	_, _, page = fra.get(path)
	if !strings.Contains(page, `data-status="adopted"`) || !strings.Contains(page, `data-round="2"`) || strings.Contains(page, path+"/break-silence") {
		t.Fatalf("after the deadline:\n%s", page)
	}
	_, _, list = fra.get("/decisions")
	if !strings.Contains(list, fmt.Sprintf(`<tr data-proposal="%s">`, m[1])) || !strings.Contains(list, "Adopted (1)") {
		t.Fatalf("list:\n%s", list)
	}
	// NZL sees it (IP4) but has nothing to decide.
	if status, _, _ := nzl.get(path); status != http.StatusOK {
		t.Fatalf("nzl: %d", status)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
