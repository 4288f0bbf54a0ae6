package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"liaison"
)

// TestEDTPages: the areas list cites NATO; an area's page lists, for each
// reader, the collections, consultations, programme objectives and
// objects tagged with the area that the reader may read, and nothing
// else; an unknown area is the not-found page.
func TestEDTPages(t *testing.T) {
	l := newLibrary(t, 0)
	ctx := context.Background()
	stamp := func(i int) string {
		return time.Date(2024, 4, 1, 0, 0, i, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
	}
	q1, q2, q3 := "indicator--e0000000-0000-4000-8000-000000000001", "indicator--e0000000-0000-4000-8000-000000000002", "malware--e0000000-0000-4000-8000-000000000003"
	obj := func(id, typ, name, label, marking string, i int) string {
		extra := `"pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"` + stamp(i) + `",`
		if typ == "malware" {
			extra = `"is_family":false,`
		}
		return fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":%q,%s"labels":[%q],"object_marking_refs":[%q]}`,
			typ, id, stamp(i), stamp(i), name, extra, label, marking)
	}
	// q1 is for everyone on the collection; q2 for USA alone; q3 is
	// labelled another area; and a later version of q1 drops the label.
	l.add(t, "usa", l.cyber.ID, []string{
		obj(q1, "indicator", "Quantum key relay", "edt-quantum", liaison.TLPGreenID, 1),
		obj(q2, "indicator", "Post-quantum trial", "edt-quantum", markRelUSA, 2),
		obj(q3, "malware", "Orbital implant", "edt-space", liaison.TLPGreenID, 3),
	})
	quantumColl := liaison.Collection{Title: "Quantum watch", Topic: "edt-quantum", Read: []string{"NATO"}, Write: []string{"NATO"}}
	if err := l.store.CreateCollection(ctx, &quantumColl); err != nil {
		t.Fatal(err)
	}
	c := liaison.Consultation{Title: "Quantum-safe communications", Topics: []string{"edt-quantum"}, Participants: []string{"JPN"},
		Format: liaison.FormatMeeting, Start: l.clk.Now().Add(48 * time.Hour), Duration: time.Hour, Place: "https://meet.example/q", Agenda: []liaison.AgendaItem{{Title: "Pilots"}}}
	if err := l.store.CreateConsultation(ctx, l.users["nis"], &c); err != nil {
		t.Fatal(err)
	}
	if _, err := l.store.SetConsultationStatus(ctx, l.users["nis"], c.ID, liaison.ConsultationOpen, ""); err != nil {
		t.Fatal(err)
	}
	if err := l.store.CreateAgreement(ctx, &liaison.Agreement{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP 2023–2026",
		Objectives: []string{"Quantum-safe cryptography pilots (edt-quantum)", "Maritime security exercises"}}); err != nil {
		t.Fatal(err)
	}

	idx := l.signedIn(t, "kor")
	status, _, body := idx.get("/edt")
	if status != http.StatusOK || !strings.Contains(body, `href="https://www.nato.int/cps/en/natohq/topics_184303.htm"`) || !strings.Contains(body, `href="/edt/quantum"`) {
		t.Fatalf("/edt: %d\n%s", status, body)
	}
	for _, c := range []struct {
		user                          string
		objects, absent               []string
		coll, consultation, objective bool
	}{
		{"usa", []string{q1, q2}, []string{q3}, true, false, true},
		{"jpn", []string{q1}, []string{q2, q3}, false, true, true},
		{"kor", []string{q1}, []string{q2, q3}, false, false, false},
		{"nzl", []string{q1}, []string{q2, q3}, false, false, false},
		{"nis", []string{q1}, []string{q2, q3}, true, true, true},
	} {
		b := l.signedIn(t, c.user)
		status, _, body := b.get("/edt/quantum")
		if status != http.StatusOK {
			t.Fatalf("%s: /edt/quantum: %d\n%s", c.user, status, body)
		}
		for _, id := range c.objects {
			if !strings.Contains(body, `data-version="`+id+`@`) {
				t.Errorf("%s does not see %s on the quantum page", c.user, id)
			}
		}
		for _, id := range c.absent {
			if strings.Contains(body, id) {
				t.Errorf("%s sees %s on the quantum page", c.user, id)
			}
		}
		if got := strings.Contains(body, "Quantum watch"); got != c.coll {
			t.Errorf("%s sees the tagged collection: %v", c.user, got)
		}
		if got := strings.Contains(body, "Quantum-safe communications"); got != c.consultation {
			t.Errorf("%s sees the tagged consultation: %v", c.user, got)
		}
		if got := strings.Contains(body, "Quantum-safe cryptography pilots"); got != c.objective {
			t.Errorf("%s sees JPN's programme objective: %v", c.user, got)
		}
		if strings.Contains(body, "Maritime security") {
			t.Errorf("%s sees an objective not tagged quantum", c.user)
		}
	}
	// A later version of q1 without the label takes q1 off the page.
	later := obj(q1, "indicator", "Quantum key relay", "relay", liaison.TLPGreenID, 9)
	l.add(t, "usa", l.cyber.ID, []string{strings.Replace(later, `"created":"2024-04-01T00:00:09.000Z"`, `"created":"2024-04-01T00:00:01.000Z"`, 1)})
	if _, _, body := idx.get("/edt/quantum"); strings.Contains(body, q1) {
		t.Errorf("an older labelled version is listed under a newer unlabelled one")
	}
	if status, _, body := idx.get("/edt/nanobots"); status != http.StatusNotFound || !strings.Contains(body, "no EDT area") {
		t.Errorf("/edt/nanobots: %d", status)
	}
}
