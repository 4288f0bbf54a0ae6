package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"liaison"
)

// TestConsultationOverHTTP runs a NATO–IP4 consultation: draft, open,
// contributions whose references each reader sees only when they may read
// the object, edit and withdrawal with history, outcome, conclusion and
// publication as a STIX report that participants then read from the store.
func TestConsultationOverHTTP(t *testing.T) {
	o := newOffice(t)
	ctx := context.Background()
	t0 := o.clk.Now()
	coll := liaison.Collection{Title: "Cyber", Topic: "cyber", Read: []string{"NATO", "IP4"}, Write: []string{"NATO", "IP4"}}
	if err := o.store.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	const (
		open    = "indicator--11111111-1111-4111-8111-111111111111" // no marking: all readers of the collection
		usaOnly = "indicator--22222222-2222-4222-8222-222222222222" // REL TO USA
		relUSA  = "marking-definition--33333333-3333-4333-8333-333333333333"
	)
	res, err := o.store.AddObjects(ctx, o.users["usa"], coll.ID, []liaison.Candidate{
		{Index: 0, ID: relUSA, Type: "marking-definition", SpecVersion: "2.1", Created: t0, Raw: []byte(`{"type":"marking-definition","id":"` + relUSA + `"}`), Marking: &liaison.Marking{ReleasableTo: []string{"USA"}}},
		{Index: 1, ID: open, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(`{"type":"indicator","id":"` + open + `"}`)},
		{Index: 2, ID: usaOnly, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(`{"type":"indicator","id":"` + usaOnly + `"}`), MarkingRefs: []string{relUSA}},
	})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("seed: %v %+v", err, res.Rejected)
	}

	c := o.call("nis", "POST", "/api/v1/consultations", map[string]any{
		"title": "NATO–IP4 consultation on cyber threats", "topics": []string{"cyber"},
		"participants": []string{"IP4", "USA"}, "format": "meeting",
		"start": t0.Add(48 * time.Hour), "duration_minutes": 90, "place": "https://meet.example/nato-ip4",
		"agenda":  []string{"Threat picture", "Information exchange"},
		"marking": map[string]any{"releasable_to": []string{"NATO", "JPN", "KOR"}, "tlp": "amber"},
	}, http.StatusCreated)
	id := jsonNum(c["id"])
	path := "/api/v1/consultations/" + id
	if c["status"] != "draft" || c["duration_minutes"] != float64(90) {
		t.Fatalf("created %v", c)
	}
	o.call("nis", "POST", "/api/v1/consultations", map[string]any{"title": "x"}, http.StatusBadRequest)
	o.call("jpn", "POST", "/api/v1/consultations", map[string]any{"title": "x", "unknown": 1}, http.StatusBadRequest)
	// A draft is hidden from participants.
	o.call("jpn", "GET", path, nil, http.StatusNotFound)
	o.call("jpn", "POST", path+"/open", nil, http.StatusNotFound)
	o.call("nis", "POST", path+"/open", nil, http.StatusOK)
	o.call("nis", "POST", path+"/open", nil, http.StatusConflict)

	// JPN and KOR are in the marking's audience; AUS and NZL are IP4 but
	// not released to; FRA may read the marking but does not take part.
	o.call("jpn", "GET", path, nil, http.StatusOK)
	o.call("kor", "GET", path, nil, http.StatusOK)
	hidden := o.call("nzl", "GET", path, nil, http.StatusNotFound)
	missing := o.call("nzl", "GET", "/api/v1/consultations/999", nil, http.StatusNotFound)
	if strings.Replace(errMessage(hidden), id, "999", 1) != errMessage(missing) {
		t.Fatalf("hidden %q, missing %q", errMessage(hidden), errMessage(missing))
	}
	o.call("fra", "GET", path, nil, http.StatusNotFound)
	if l := o.call("nzl", "GET", "/api/v1/consultations", nil, http.StatusOK); len(l["consultations"].([]any)) != 0 {
		t.Fatalf("nzl lists %v", l)
	}
	if l := o.call("kor", "GET", "/api/v1/consultations?topic=cyber&status=open", nil, http.StatusOK); len(l["consultations"].([]any)) != 1 {
		t.Fatalf("kor lists %v", l)
	}
	if l := o.call("kor", "GET", "/api/v1/consultations?topic=edt", nil, http.StatusOK); len(l["consultations"].([]any)) != 0 {
		t.Fatalf("kor lists by topic %v", l)
	}

	// Contributions.
	k := o.call("usa", "POST", path+"/contributions", map[string]any{"agenda_item": 1, "text": "Two indicators of LanternLoader.", "refs": []string{open, usaOnly}}, http.StatusCreated)
	kpath := "/api/v1/contributions/" + jsonNum(k["id"])
	o.call("kor", "POST", path+"/contributions", map[string]any{"agenda_item": 9, "text": "x"}, http.StatusBadRequest)
	o.call("kor", "POST", path+"/contributions", map[string]any{"text": "x", "refs": []string{"not-an-id"}}, http.StatusBadRequest)
	o.call("nzl", "POST", path+"/contributions", map[string]any{"text": "x"}, http.StatusNotFound)
	o.call("usa-reader", "POST", path+"/contributions", map[string]any{"text": "x"}, http.StatusForbidden)
	o.call("kor", "POST", path+"/contributions", map[string]any{"text": "Korea saw the same domain."}, http.StatusCreated)

	refsOf := func(user string) []any {
		l := o.call(user, "GET", path+"/contributions", nil, http.StatusOK)
		ks := l["contributions"].([]any)
		if len(ks) != 2 {
			t.Fatalf("%s sees %d contributions", user, len(ks))
		}
		return ks[0].(map[string]any)["refs"].([]any)
	}
	if r := refsOf("usa"); len(r) != 2 {
		t.Fatalf("usa refs %v", r)
	}
	if r := refsOf("jpn"); len(r) != 1 || r[0] != open {
		t.Fatalf("jpn refs %v: the REL TO USA indicator leaked", r)
	}

	// Edit and withdraw keep history, filtered the same way.
	o.call("jpn", "PUT", kpath, map[string]any{"text": "x"}, http.StatusForbidden)
	o.call("nzl", "PUT", kpath, map[string]any{"text": "x"}, http.StatusNotFound)
	o.call("usa", "PUT", kpath, map[string]any{"text": "One indicator of LanternLoader.", "refs": []string{open}}, http.StatusOK)
	w := o.call("usa", "POST", kpath+"/withdraw", map[string]any{"reason": "superseded by the joint report"}, http.StatusOK)
	if w["withdrawn"] != true || len(w["history"].([]any)) != 2 {
		t.Fatalf("withdrawn %v", w)
	}
	o.call("usa", "PUT", kpath, map[string]any{"text": "again"}, http.StatusConflict)
	l := o.call("jpn", "GET", path+"/contributions", nil, http.StatusOK)
	h := l["contributions"].([]any)[0].(map[string]any)["history"].([]any)
	if first := h[0].(map[string]any); len(first["refs"].([]any)) != 1 || first["text"] != "Two indicators of LanternLoader." {
		t.Fatalf("jpn history %v", h)
	}
	// A live contribution to publish.
	o.call("jpn", "POST", path+"/contributions", map[string]any{"agenda_item": 2, "text": "Japan proposes a weekly exchange.", "refs": []string{open}}, http.StatusCreated)

	// Slots for the consultation's participants, in each local time.
	sl := o.call("nis", "POST", "/api/v1/slots", map[string]any{"consultation": jsonInt(c["id"]), "from": t0, "to": t0.Add(7 * 24 * time.Hour), "limit": 3}, http.StatusOK)
	slots := sl["slots"].([]any)
	if len(slots) != 3 || len(slots[0].(map[string]any)["local"].([]any)) != 4 {
		t.Fatalf("slots %v", sl)
	}
	o.call("nzl", "POST", "/api/v1/slots", map[string]any{"consultation": jsonInt(c["id"]), "from": t0, "to": t0.Add(24 * time.Hour)}, http.StatusNotFound)
	o.call("nis", "POST", "/api/v1/slots", map[string]any{"participants": []string{"JPN"}, "duration_minutes": 60, "from": t0, "to": t0.Add(24 * time.Hour), "work_start": "8h"}, http.StatusBadRequest)

	// Outcome, conclusion and publication.
	outcome := map[string]any{"summary": "Agreed a weekly exchange of indicators.", "actions": []map[string]any{{"text": "Set up the exchange", "owner": "JPN", "due": t0.Add(30 * 24 * time.Hour)}}}
	o.call("jpn", "POST", path+"/conclude", outcome, http.StatusForbidden)
	o.call("nis", "POST", path+"/publish", map[string]any{"collection": coll.ID}, http.StatusConflict)
	// The outcome is recorded first; the conclude then carries only the
	// publication and keeps what was recorded.
	o.call("nis", "PUT", path+"/outcome", outcome, http.StatusOK)
	done := o.call("nis", "POST", path+"/conclude", map[string]any{"publish": map[string]any{"collection": coll.ID, "kind": "report"}}, http.StatusOK)
	pub := done["published"].(map[string]any)
	if done["status"] != "concluded" || !strings.HasPrefix(pub["object_id"].(string), "report--") {
		t.Fatalf("concluded %v", done)
	}
	if got := done["outcome"].(map[string]any); got["summary"] != outcome["summary"] || len(got["actions"].([]any)) != 1 {
		t.Fatalf("conclude lost the recorded outcome: %v", got)
	}
	o.call("jpn", "PUT", path+"/outcome/actions/0", map[string]any{"status": "done"}, http.StatusOK)
	o.call("kor", "PUT", path+"/outcome/actions/0", map[string]any{"status": "open"}, http.StatusForbidden)
	o.call("nis", "POST", path+"/publish", map[string]any{"collection": coll.ID}, http.StatusConflict)
	o.call("jpn", "POST", path+"/contributions", map[string]any{"text": "late"}, http.StatusConflict)

	// The report flows to readers in the marking's audience only.
	q := liaison.ObjectQuery{IDs: []string{pub["object_id"].(string)}}
	for org, want := range map[string]int{"jpn": 1, "kor": 1, "usa": 1, "nis": 1, "nzl": 0, "fra": 1} {
		page, err := o.store.Objects(ctx, o.users[org], coll.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Versions) != want {
			t.Errorf("%s reads %d copies of the published report, want %d", org, len(page.Versions), want)
		}
	}
}

func jsonInt(v any) int64 { f, _ := v.(float64); return int64(f) }
