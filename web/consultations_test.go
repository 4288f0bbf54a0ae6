package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"liaison"
)

var consultLocRE = regexp.MustCompile(`^/consultations/(\d+)`)

// TestConsultationPages runs a NATO–IP4 consultation through the pages'
// forms: created and opened by NATO-IS, contributed to by Korea with the
// reference picker (which lists only what Korea may read), the outcome
// recorded, concluded and published as a STIX report.
func TestConsultationPages(t *testing.T) {
	o := newOffice(t)
	ctx := context.Background()
	t0 := o.clk.Now()
	coll := liaison.Collection{Title: "Cyber", Topic: "cyber", Read: []string{"NATO", "IP4"}, Write: []string{"NATO", "IP4"}}
	if err := o.store.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	const (
		open    = "indicator--11111111-1111-4111-8111-111111111111"
		usaOnly = "indicator--22222222-2222-4222-8222-222222222222"
		relUSA  = "marking-definition--33333333-3333-4333-8333-333333333333"
	)
	res, err := o.store.AddObjects(ctx, o.users["usa"], coll.ID, []liaison.Candidate{
		{Index: 0, ID: relUSA, Type: "marking-definition", SpecVersion: "2.1", Created: t0, Raw: []byte(`{"type":"marking-definition","id":"` + relUSA + `"}`), Marking: &liaison.Marking{ReleasableTo: []string{"USA"}}},
		{Index: 1, ID: open, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(`{"type":"indicator","id":"` + open + `","name":"LanternLoader C2 domain"}`)},
		{Index: 2, ID: usaOnly, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(`{"type":"indicator","id":"` + usaOnly + `","name":"LanternLoader staging host"}`), MarkingRefs: []string{relUSA}},
	})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("seed: %v %+v", err, res.Rejected)
	}
	nis, kor, nzl := o.browser(t), o.browser(t), o.browser(t)
	nis.mustSignIn("nis", "nis-password")
	kor.mustSignIn("kor", "kor-password")
	nzl.mustSignIn("nzl", "nzl-password")

	_, _, list := nis.get("/consultations")
	checkLayout(t, "nis /consultations", list)
	status, h, body := nis.post("/consultations", url.Values{"csrf": {formCSRF(list, "/consultations")},
		"title": {"NATO–IP4 consultation on cyber threats"}, "topics": {"cyber"}, "participants": {"IP4, USA"},
		"format": {"meeting"}, "start": {"2026-03-04T10:00"}, "duration": {"90"}, "place": {"https://meet.example/nato-ip4"},
		"agenda": {"Threat picture\nInformation exchange"}, "classification": {""}, "releasable_to": {"NATO, JPN, KOR"}, "tlp": {"AMBER"}})
	m := consultLocRE.FindStringSubmatch(h.Get("Location"))
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q\n%s", status, h.Get("Location"), body)
	}
	path := "/consultations/" + m[1]
	if status, _, _ := kor.get(path); status != http.StatusNotFound {
		t.Fatalf("kor reads the draft: %d", status)
	}
	_, _, page := nis.get(path)
	checkLayout(t, "nis consultation", page)
	if b := banners(page); len(b) == 0 || b[0] != "REL TO NATO, JPN, KOR · TLP:AMBER" {
		t.Fatalf("banner %q", b)
	}
	if status, _, body := nis.post(path+"/open", url.Values{"csrf": {formCSRF(page, path+"/open")}}); status != http.StatusSeeOther {
		t.Fatalf("open: %d\n%s", status, body)
	}

	// Korea's picker lists the indicator it may read, not the other.
	_, _, kp := kor.get(path + "?pick=indicator")
	checkLayout(t, "kor consultation with picker", kp)
	if !strings.Contains(kp, `value="`+open+`"`) || strings.Contains(kp, usaOnly) || strings.Contains(kp, "staging host") {
		t.Fatalf("kor's picker:\n%s", kp)
	}
	if status, _, body := kor.post(path+"/contribute", url.Values{"csrf": {formCSRF(kp, path+"/contribute")}, "agenda_item": {"1"},
		"text": {"Korea saw the same domain."}, "refs": {open}}); status != http.StatusSeeOther {
		t.Fatalf("contribute: %d\n%s", status, body)
	}
	// NZL is IP4 but not released to: the consultation looks missing.
	if status, _, _ := nzl.get(path); status != http.StatusNotFound {
		t.Fatalf("nzl: %d", status)
	}

	// Outcome, then conclude and publish on it.
	_, _, page = nis.get(path)
	if !strings.Contains(page, "Korea saw the same domain.") || !strings.Contains(page, `data-ref="`+open+`"`) {
		t.Fatalf("nis does not see the contribution:\n%s", page)
	}
	if status, _, body := nis.post(path+"/outcome", url.Values{"csrf": {formCSRF(page, path+"/outcome")}, "summary": {"Agreed a weekly exchange of indicators."},
		"action_text": {"Set up the exchange", "", ""}, "action_owner": {"JPN", "JPN", "JPN"}, "action_due": {"2026-04-01", "", ""}}); status != http.StatusSeeOther {
		t.Fatalf("outcome: %d\n%s", status, body)
	}
	_, _, page = nis.get(path)
	if status, _, body := nis.post(path+"/conclude", url.Values{"csrf": {formCSRF(page, path+"/conclude")}, "publish": {"1"}, "collection": {coll.ID}, "kind": {"report"}}); status != http.StatusSeeOther {
		t.Fatalf("conclude: %d\n%s", status, body)
	}
	_, _, page = kor.get(path)
	if !strings.Contains(page, `data-status="concluded"`) || !strings.Contains(page, "Agreed a weekly exchange of indicators.") || !strings.Contains(page, `data-published="report--`) || !strings.Contains(page, `data-action="0"`) {
		t.Fatalf("after conclude:\n%s", page)
	}
	_, _, list = kor.get("/consultations")
	if !strings.Contains(list, `<tr data-consultation="`+m[1]+`">`) {
		t.Fatalf("kor's list lacks it")
	}
	_, _, list = nzl.get("/consultations")
	if strings.Contains(list, `data-consultation="`) {
		t.Fatalf("nzl's list shows a consultation not released to it")
	}
}
