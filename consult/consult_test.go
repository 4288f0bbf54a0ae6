package consult

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"liaison"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func officer(org string) liaison.Principal {
	return liaison.Principal{ID: int64(len(org)) + 1000, Name: strings.ToLower(org) + "-officer", Org: org, Roles: []liaison.Role{liaison.RoleOfficer}}
}

func reader(org string) liaison.Principal {
	return liaison.Principal{ID: 7, Name: strings.ToLower(org) + "-reader", Org: org, Roles: []liaison.Role{liaison.RoleReader}}
}

func meeting() liaison.Consultation {
	return liaison.Consultation{
		Title: "NATO–IP4 consultation on cyber threats", Topics: []string{"cyber"},
		Participants: []string{"IP4", "FRA"}, Format: liaison.FormatMeeting,
		Start: t0.Add(24 * time.Hour), Duration: 90 * time.Minute, Place: "https://meet.example/nato-ip4",
		Agenda: []liaison.AgendaItem{{Title: "Threat picture"}, {Title: "Exchange mechanisms"}},
	}
}

func created(t *testing.T, c liaison.Consultation) liaison.Consultation {
	t.Helper()
	c.ID = 1
	if err := Create(&c, officer("NATO-IS"), zoned(), t0); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateAndCreate(t *testing.T) {
	d := zoned()
	mod := func(f func(c *liaison.Consultation)) liaison.Consultation { c := meeting(); f(&c); return c }
	tests := []struct {
		name string
		by   liaison.Principal
		c    liaison.Consultation
		code string
		msg  string
	}{
		{"meeting", officer("NATO-IS"), meeting(), "", ""},
		{"written", officer("FRA"), mod(func(c *liaison.Consultation) {
			c.Format, c.Start, c.Duration, c.Place, c.Deadline = liaison.FormatWritten, time.Time{}, 0, "", t0.Add(72*time.Hour)
		}), "", ""},
		{"partner may not convene", officer("JPN"), meeting(), liaison.EINVALID, "partner"},
		{"convene for another org", officer("FRA"), mod(func(c *liaison.Consultation) { c.Convenor = "NATO-IS" }), liaison.EFORBIDDEN, "convene"},
		{"reader may not convene", reader("NATO-IS"), meeting(), liaison.EFORBIDDEN, "officer"},
		{"no title", officer("FRA"), mod(func(c *liaison.Consultation) { c.Title = " " }), liaison.EINVALID, "title"},
		{"no topic", officer("FRA"), mod(func(c *liaison.Consultation) { c.Topics = nil }), liaison.EINVALID, "topic"},
		{"bad topic", officer("FRA"), mod(func(c *liaison.Consultation) { c.Topics = []string{"cyber", "Cyber Threats"} }), liaison.EINVALID, "topics[1]"},
		{"no participants", officer("FRA"), mod(func(c *liaison.Consultation) { c.Participants = nil }), liaison.EINVALID, "participant"},
		{"unknown participant", officer("FRA"), mod(func(c *liaison.Consultation) { c.Participants = []string{"JPN", "XXX"} }), liaison.EINVALID, "participants[1]"},
		{"meeting without start", officer("FRA"), mod(func(c *liaison.Consultation) { c.Start = time.Time{} }), liaison.EINVALID, "start"},
		{"meeting without duration", officer("FRA"), mod(func(c *liaison.Consultation) { c.Duration = 0 }), liaison.EINVALID, "duration"},
		{"meeting without place", officer("FRA"), mod(func(c *liaison.Consultation) { c.Place = "" }), liaison.EINVALID, "place"},
		{"meeting with deadline", officer("FRA"), mod(func(c *liaison.Consultation) { c.Deadline = t0 }), liaison.EINVALID, "deadline"},
		{"written without deadline", officer("FRA"), mod(func(c *liaison.Consultation) {
			c.Format, c.Start, c.Duration = liaison.FormatWritten, time.Time{}, 0
		}), liaison.EINVALID, "deadline"},
		{"written with start", officer("FRA"), mod(func(c *liaison.Consultation) { c.Format, c.Deadline = liaison.FormatWritten, t0 }), liaison.EINVALID, "start"},
		{"bad format", officer("FRA"), mod(func(c *liaison.Consultation) { c.Format = "phone" }), liaison.EINVALID, "format"},
		{"empty agenda item", officer("FRA"), mod(func(c *liaison.Consultation) { c.Agenda[1].Title = "" }), liaison.EINVALID, "agenda[1]"},
		{"bad marking", officer("FRA"), mod(func(c *liaison.Consultation) { c.Marking.Classification = "SECRETish" }), liaison.EINVALID, "classification"},
		{"unknown releasee", officer("FRA"), mod(func(c *liaison.Consultation) { c.Marking.ReleasableTo = []string{"NATO", "MARS"} }), liaison.EINVALID, "releasable_to[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			err := Create(&c, tt.by, d, t0)
			if got := liaison.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("%v does not mention %q", err, tt.msg)
			}
			if err == nil && (c.Status != liaison.ConsultationDraft || c.Convenor != tt.by.Org || c.Agenda[len(c.Agenda)-1].Number != len(c.Agenda) && len(c.Agenda) > 0) {
				t.Fatalf("bad consultation %+v", c)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	nis, fra := officer("NATO-IS"), officer("FRA")
	out := liaison.Outcome{Summary: "Agreed to exchange indicators weekly.", Actions: []liaison.AgreedAction{{Text: "Set up the feed", Owner: "JPN", Due: t0.Add(30 * 24 * time.Hour)}}}
	type step struct {
		op   string // open, cancel, outcome, conclude, draft, concluded-status, bogus
		by   liaison.Principal
		code string
		want liaison.ConsultationStatus
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"draft → open → concluded", []step{{"open", nis, "", liaison.ConsultationOpen}, {"conclude", nis, "", liaison.ConsultationConcluded}}},
		{"draft → cancelled", []step{{"cancel", nis, "", liaison.ConsultationCancelled}}},
		{"open → cancelled", []step{{"open", nis, "", liaison.ConsultationOpen}, {"cancel", nis, "", liaison.ConsultationCancelled}}},
		{"outcome then conclude, outcome amended after", []step{{"open", nis, "", liaison.ConsultationOpen}, {"outcome", nis, "", liaison.ConsultationOpen}, {"conclude", nis, "", liaison.ConsultationConcluded}, {"outcome", nis, "", liaison.ConsultationConcluded}}},
		{"only the convenor opens", []step{{"open", fra, liaison.EFORBIDDEN, liaison.ConsultationDraft}}},
		{"a reader of the convenor may not open", []step{{"open", reader("NATO-IS"), liaison.EFORBIDDEN, liaison.ConsultationDraft}}},
		{"opening twice", []step{{"open", nis, "", liaison.ConsultationOpen}, {"open", nis, liaison.ECONFLICT, liaison.ConsultationOpen}}},
		{"concluding a draft", []step{{"conclude", nis, liaison.ECONFLICT, liaison.ConsultationDraft}}},
		{"outcome on a draft", []step{{"outcome", nis, liaison.ECONFLICT, liaison.ConsultationDraft}}},
		{"concluding twice", []step{{"open", nis, "", ""}, {"conclude", nis, "", ""}, {"conclude", nis, liaison.ECONFLICT, liaison.ConsultationConcluded}}},
		{"cancelling a concluded one", []step{{"open", nis, "", ""}, {"conclude", nis, "", ""}, {"cancel", nis, liaison.ECONFLICT, liaison.ConsultationConcluded}}},
		{"reopening a cancelled one", []step{{"cancel", nis, "", ""}, {"open", nis, liaison.ECONFLICT, liaison.ConsultationCancelled}}},
		{"only the convenor concludes", []step{{"open", nis, "", ""}, {"conclude", officer("JPN"), liaison.EFORBIDDEN, liaison.ConsultationOpen}}},
		{"back to draft", []step{{"open", nis, "", ""}, {"draft", nis, liaison.ECONFLICT, liaison.ConsultationOpen}}},
		{"concluded via status", []step{{"open", nis, "", ""}, {"concluded-status", nis, liaison.EINVALID, liaison.ConsultationOpen}}},
		{"unknown status", []step{{"bogus", nis, liaison.EINVALID, liaison.ConsultationDraft}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := created(t, meeting())
			for i, s := range tt.steps {
				var err error
				now := t0.Add(time.Duration(i+1) * time.Hour)
				switch s.op {
				case "open":
					err = Transition(&c, s.by, liaison.ConsultationOpen, "", now)
				case "cancel":
					err = Transition(&c, s.by, liaison.ConsultationCancelled, "postponed", now)
				case "draft":
					err = Transition(&c, s.by, liaison.ConsultationDraft, "", now)
				case "concluded-status":
					err = Transition(&c, s.by, liaison.ConsultationConcluded, "", now)
				case "bogus":
					err = Transition(&c, s.by, "paused", "", now)
				case "outcome":
					err = RecordOutcome(&c, s.by, zoned(), out, false, now)
				case "conclude":
					err = RecordOutcome(&c, s.by, zoned(), out, true, now)
				}
				if got := liaison.ErrorCode(err); got != s.code {
					t.Fatalf("step %d %s: code %q (%v), want %q", i, s.op, got, err, s.code)
				}
				if s.want != "" && c.Status != s.want {
					t.Fatalf("step %d %s: status %s, want %s", i, s.op, c.Status, s.want)
				}
			}
		})
	}
}

func TestOutcomeValidation(t *testing.T) {
	c := created(t, meeting())
	if err := Transition(&c, officer("NATO-IS"), liaison.ConsultationOpen, "", t0); err != nil {
		t.Fatal(err)
	}
	due := t0.Add(24 * time.Hour)
	tests := []struct {
		name string
		o    liaison.Outcome
		msg  string
	}{
		{"no summary", liaison.Outcome{}, "summary"},
		{"action text", liaison.Outcome{Summary: "s", Actions: []liaison.AgreedAction{{Owner: "JPN", Due: due}}}, "actions[0] needs a text"},
		{"owner", liaison.Outcome{Summary: "s", Actions: []liaison.AgreedAction{{Text: "x", Owner: "ZZZ", Due: due}}}, "owner"},
		{"due", liaison.Outcome{Summary: "s", Actions: []liaison.AgreedAction{{Text: "x", Owner: "JPN"}}}, "due date"},
		{"status", liaison.Outcome{Summary: "s", Actions: []liaison.AgreedAction{{Text: "x", Owner: "JPN", Due: due, Status: "late"}}}, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := c
			err := RecordOutcome(&cc, officer("NATO-IS"), zoned(), tt.o, true, t0)
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want invalid mentioning %q", err, tt.msg)
			}
			if cc.Status != liaison.ConsultationOpen || cc.Outcome != nil {
				t.Fatalf("a refused outcome changed the consultation")
			}
		})
	}
	o := liaison.Outcome{Summary: "ok", Actions: []liaison.AgreedAction{{Text: "x", Owner: "JPN", Due: due}}}
	if err := RecordOutcome(&c, officer("NATO-IS"), zoned(), o, true, t0); err != nil {
		t.Fatal(err)
	}
	if c.Outcome.Actions[0].Status != liaison.ActionOpen || c.Outcome.RecordedBy != "nato-is-officer" {
		t.Fatalf("outcome %+v", c.Outcome)
	}
	// Action status: the owner or the convenor, officers only.
	for _, s := range []struct {
		by   liaison.Principal
		i    int
		st   liaison.ActionStatus
		code string
	}{
		{officer("JPN"), 0, liaison.ActionDone, ""},
		{officer("NATO-IS"), 0, liaison.ActionDropped, ""},
		{officer("KOR"), 0, liaison.ActionDone, liaison.EFORBIDDEN},
		{reader("JPN"), 0, liaison.ActionDone, liaison.EFORBIDDEN},
		{officer("JPN"), 1, liaison.ActionDone, liaison.EINVALID},
		{officer("JPN"), 0, "finished", liaison.EINVALID},
	} {
		if err := SetActionStatus(&c, s.by, s.i, s.st, t0); liaison.ErrorCode(err) != s.code {
			t.Fatalf("%s sets %d to %s: %v, want %q", s.by.Name, s.i, s.st, err, s.code)
		}
	}
	if c.Outcome.Actions[0].Status != liaison.ActionDropped {
		t.Fatalf("status %s", c.Outcome.Actions[0].Status)
	}
	draft := created(t, meeting())
	if err := SetActionStatus(&draft, officer("NATO-IS"), 0, liaison.ActionDone, t0); liaison.ErrorCode(err) != liaison.ECONFLICT {
		t.Fatalf("no outcome: %v", err)
	}
}

func TestReaders(t *testing.T) {
	d := zoned()
	c := created(t, meeting())
	if aud, _ := Readers(c, d); aud.Key() != "NATO-IS" {
		t.Fatalf("draft: %v", aud)
	}
	c.Status = liaison.ConsultationOpen
	if aud, _ := Readers(c, d); aud.Key() != "AUS,FRA,JPN,KOR,NATO-IS,NZL" {
		t.Fatalf("open: %v", aud)
	}
	// The marking narrows: REL TO NATO, JPN drops AUS, KOR and NZL; USA is
	// in the marking's audience but no participant.
	c.Marking = liaison.MarkingSpec{ReleasableTo: []string{"NATO", "JPN"}}
	if aud, _ := Readers(c, d); aud.Key() != "FRA,JPN,NATO-IS" {
		t.Fatalf("marked: %v", aud)
	}
	// Classified without an agreement: no partner.
	c.Marking = liaison.MarkingSpec{Classification: "NATO RESTRICTED", ReleasableTo: []string{"NATO", "IP4"}}
	if aud, _ := Readers(c, d); aud.Key() != "FRA,NATO-IS" {
		t.Fatalf("classified: %v", aud)
	}
}

func TestContributions(t *testing.T) {
	d := zoned()
	open := created(t, meeting())
	open.Status = liaison.ConsultationOpen
	written := created(t, liaison.Consultation{Title: "w", Topics: []string{"edt"}, Participants: []string{"JPN"}, Format: liaison.FormatWritten, Deadline: t0.Add(time.Hour)})
	written.Status = liaison.ConsultationOpen
	jpn := liaison.Principal{ID: 1, Name: "jpn-analyst", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}}
	ref := "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	tests := []struct {
		name string
		c    liaison.Consultation
		by   liaison.Principal
		k    liaison.Contribution
		at   time.Duration
		code string
	}{
		{"general", open, jpn, liaison.Contribution{Text: "hello", Refs: []string{ref, ref}}, 0, ""},
		{"on item 2", open, jpn, liaison.Contribution{AgendaItem: 2, Text: "x"}, 0, ""},
		{"convenor", open, officer("NATO-IS"), liaison.Contribution{Text: "x"}, 0, ""},
		{"non-participant", open, officer("USA"), liaison.Contribution{Text: "x"}, 0, liaison.EFORBIDDEN},
		{"reader role", open, reader("JPN"), liaison.Contribution{Text: "x"}, 0, liaison.EFORBIDDEN},
		{"unknown item", open, jpn, liaison.Contribution{AgendaItem: 3, Text: "x"}, 0, liaison.EINVALID},
		{"empty", open, jpn, liaison.Contribution{Text: "  "}, 0, liaison.EINVALID},
		{"bad ref", open, jpn, liaison.Contribution{Text: "x", Refs: []string{ref, "indicator--nope"}}, 0, liaison.EINVALID},
		{"draft", created(t, meeting()), officer("NATO-IS"), liaison.Contribution{Text: "x"}, 0, liaison.ECONFLICT},
		{"written before deadline", written, jpn, liaison.Contribution{Text: "x"}, 59 * time.Minute, ""},
		{"written at deadline", written, jpn, liaison.Contribution{Text: "x"}, time.Hour, liaison.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.k
			err := Contribute(tt.c, &k, tt.by, d, t0.Add(tt.at))
			if got := liaison.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			if err == nil && (k.Org != tt.by.Org || k.Consultation != tt.c.ID || len(k.Refs) > 1) {
				t.Fatalf("contribution %+v", k)
			}
		})
	}

	// Edit and withdraw keep history; only the author; nothing after withdrawal.
	k := liaison.Contribution{Text: "first", Refs: []string{ref}}
	if err := Contribute(open, &k, jpn, d, t0); err != nil {
		t.Fatal(err)
	}
	other := jpn
	other.ID = 2
	steps := []struct {
		op   string
		by   liaison.Principal
		c    liaison.Consultation
		code string
	}{
		{"edit", other, open, liaison.EFORBIDDEN},
		{"edit", jpn, open, ""},
		{"withdraw", officer("NATO-IS"), open, liaison.EFORBIDDEN},
		{"edit", jpn, liaison.Consultation{ID: 1, Status: liaison.ConsultationConcluded}, liaison.ECONFLICT},
		{"withdraw", jpn, open, ""},
		{"edit", jpn, open, liaison.ECONFLICT},
		{"withdraw", jpn, open, liaison.ECONFLICT},
	}
	for i, s := range steps {
		var err error
		now := t0.Add(time.Duration(i+1) * time.Minute)
		if s.op == "edit" {
			err = Edit(s.c, &k, s.by, "second", nil, now)
		} else {
			err = Withdraw(s.c, &k, s.by, "superseded", now)
		}
		if got := liaison.ErrorCode(err); got != s.code {
			t.Fatalf("step %d %s: %v, want %q", i, s.op, err, s.code)
		}
	}
	if !k.Withdrawn || k.Text != "second" || len(k.History) != 2 || k.History[0].Text != "first" || k.History[0].Refs[0] != ref ||
		k.History[0].Change != "edit" || k.History[1].Change != "withdraw" || k.History[1].Reason != "superseded" {
		t.Fatalf("contribution %+v", k)
	}
	ks := []liaison.Contribution{k}
	if got := AllRefs(ks); len(got) != 1 || got[0] != ref {
		t.Fatalf("all refs %v", got)
	}
	FilterRefs(ks, map[string]bool{})
	if len(ks[0].History[0].Refs) != 0 || ks[0].Refs == nil {
		t.Fatalf("filtered %+v", ks[0])
	}
}

func TestPublishOutcome(t *testing.T) {
	c := created(t, meeting())
	c.Status = liaison.ConsultationOpen
	c.Marking = liaison.MarkingSpec{Classification: "NATO UNCLASSIFIED", TLP: "amber"}
	if _, err := Outcome(c, "report", []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, t0, nil); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Fatalf("no outcome: %v", err)
	}
	if err := RecordOutcome(&c, officer("NATO-IS"), zoned(), liaison.Outcome{Summary: "Agreed.", Actions: []liaison.AgreedAction{{Text: "Share", Owner: "JPN", Due: t0}}}, true, t0); err != nil {
		t.Fatal(err)
	}
	refs := []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}
	for _, bad := range []struct {
		kind string
		refs []string
	}{{"opinion", refs}, {"report", nil}} {
		if _, err := Outcome(c, bad.kind, bad.refs, t0, nil); liaison.ErrorCode(err) != liaison.EINVALID {
			t.Fatalf("%s/%v: %v", bad.kind, bad.refs, err)
		}
	}
	for _, kind := range []string{"", "note"} {
		cands, err := Outcome(c, kind, refs, t0, bytes.NewReader(bytes.Repeat([]byte{0xab}, 32)))
		if err != nil {
			t.Fatal(err)
		}
		var md, obj map[string]any
		if err := json.Unmarshal(cands[0].Raw, &md); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(cands[1].Raw, &obj); err != nil {
			t.Fatal(err)
		}
		ext := md["extensions"].(map[string]any)[liaison.HubMarkingExtensionID].(map[string]any)
		if md["type"] != "marking-definition" || md["id"] != cands[0].ID || ext["classification"] != "NATO UNCLASSIFIED" ||
			ext["extension_type"] != "property-extension" || len(ext["releasable_to"].([]any)) != 3 {
			t.Fatalf("marking-definition %s", cands[0].Raw)
		}
		if cands[0].Marking == nil || cands[0].Marking.Classification != liaison.NATOUnclassified || len(cands[0].Marking.ReleasableTo) != 3 {
			t.Fatalf("candidate marking %+v", cands[0].Marking)
		}
		wantType := "report"
		if kind == "note" {
			wantType = "note"
		}
		mrefs := obj["object_marking_refs"].([]any)
		if obj["type"] != wantType || cands[1].Type != wantType || len(mrefs) != 2 || mrefs[0] != cands[0].ID || mrefs[1] != liaison.TLPAmberID ||
			obj["created"] != "2026-04-01T08:00:00.000Z" || len(obj["object_refs"].([]any)) != 1 || !strings.HasPrefix(cands[1].ID, wantType+"--abababab-abab-4bab-abab-") {
			t.Fatalf("%s: %s", kind, cands[1].Raw)
		}
		text, _ := obj["description"].(string)
		if kind == "note" {
			text, _ = obj["content"].(string)
		}
		if !strings.Contains(text, "Agreed.") || !strings.Contains(text, "owner JPN") {
			t.Fatalf("text %q", text)
		}
	}
}

func FuzzParseRefs(f *testing.F) {
	f.Add("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
	f.Add("x--")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseRefs([]string{s, s})
		if err == nil && len(out) != 1 {
			t.Fatalf("%q: %v", s, out)
		}
		if err != nil && liaison.ErrorCode(err) != liaison.EINVALID {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

// TestConcludeUsesRecordedOutcome: concluding after the outcome was
// recorded needs no second copy of it. What a conclude leaves out is taken
// from the recorded outcome; what it carries replaces it.
func TestConcludeUsesRecordedOutcome(t *testing.T) {
	due := t0.Add(30 * 24 * time.Hour)
	recorded := liaison.Outcome{Summary: "Agreed a weekly exchange.", Actions: []liaison.AgreedAction{{Text: "Set up the exchange", Owner: "JPN", Due: due}}}
	tests := []struct {
		name        string
		conclude    liaison.Outcome
		wantSummary string
		wantActions int
	}{
		{"nothing sent keeps all", liaison.Outcome{}, recorded.Summary, 1},
		{"summary only keeps actions", liaison.Outcome{Summary: "Agreed a daily exchange."}, "Agreed a daily exchange.", 1},
		{"empty action list clears actions", liaison.Outcome{Actions: []liaison.AgreedAction{}}, recorded.Summary, 0},
		{"both replace", liaison.Outcome{Summary: "New.", Actions: []liaison.AgreedAction{{Text: "a", Owner: "KOR", Due: due}, {Text: "b", Owner: "AUS", Due: due}}}, "New.", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := created(t, meeting())
			if err := Transition(&c, officer("NATO-IS"), liaison.ConsultationOpen, "", t0); err != nil {
				t.Fatal(err)
			}
			if err := RecordOutcome(&c, officer("NATO-IS"), zoned(), recorded, false, t0); err != nil {
				t.Fatal(err)
			}
			c.Outcome.Actions[0].Status = liaison.ActionDone // an update since it was recorded
			if err := RecordOutcome(&c, officer("NATO-IS"), zoned(), tt.conclude, true, t0.Add(time.Hour)); err != nil {
				t.Fatalf("conclude: %v", err)
			}
			if c.Status != liaison.ConsultationConcluded || c.Outcome.Summary != tt.wantSummary || len(c.Outcome.Actions) != tt.wantActions {
				t.Fatalf("concluded %s with %+v", c.Status, c.Outcome)
			}
			if tt.conclude.Actions == nil && c.Outcome.Actions[0].Status != liaison.ActionDone {
				t.Fatalf("kept actions lost their status: %+v", c.Outcome.Actions)
			}
		})
	}
	// With nothing recorded, a conclude still needs a summary.
	c := created(t, meeting())
	if err := Transition(&c, officer("NATO-IS"), liaison.ConsultationOpen, "", t0); err != nil {
		t.Fatal(err)
	}
	if err := RecordOutcome(&c, officer("NATO-IS"), zoned(), liaison.Outcome{}, true, t0); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Fatalf("conclude with no outcome at all: %v", err)
	}
}
