package web

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

func TestMatchOverHTTP(t *testing.T) {
	o := newOffice(t)
	ctx := context.Background()
	shared := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := o.store.CreateCollection(ctx, &shared); err != nil {
		t.Fatal(err)
	}
	var cands []liaison.Candidate
	for i, raw := range []string{
		`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--00000000-0000-4000-8000-0000000000aa","created":"2026-01-01T00:00:00.000Z","extensions":{"` + liaison.HubMarkingExtensionID + `":{"extension_type":"property-extension","releasable_to":["NATO"]}}}`,
		`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--00000000-0000-4000-8000-0000000000bb","created":"2026-01-01T00:00:00.000Z","extensions":{"` + liaison.HubMarkingExtensionID + `":{"extension_type":"property-extension","releasable_to":["USA"]}}}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000005","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.9']","valid_from":"2026-01-01T00:00:00Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.7']","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--00000000-0000-4000-8000-0000000000aa"]}`,
	} {
		c, err := stix.Decode(i, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, c)
	}
	if res, err := o.store.AddObjects(ctx, o.users["fra"], shared.ID, cands); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("write indicator: %v %+v", err, res.Rejected)
	}
	obs := func(ip string, marks ...string) []any {
		od := map[string]any{"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-000000000002",
			"created": "2026-03-02T08:00:00Z", "modified": "2026-03-02T08:00:00Z", "first_observed": "2026-03-02T08:00:00Z", "last_observed": "2026-03-02T08:00:00Z",
			"number_observed": 3, "object_refs": []string{"ipv4-addr--00000000-0000-4000-8000-000000000003"}}
		if len(marks) > 0 {
			od["object_marking_refs"] = marks
		}
		return []any{od,
			map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000003", "value": ip},
		}
	}
	for _, tc := range []struct {
		name, user string
		body       map[string]any
		status     int
		matches    int
		message    string // in the error, for a 4xx
	}{
		{"ally reads the indicator", "usa", map[string]any{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": obs("198.51.100.7")}, 200, 1, ""},
		{"no such address", "usa", map[string]any{"objects": obs("198.51.100.8")}, 200, 0, ""},
		{"partner may not read it", "jpn", map[string]any{"objects": obs("198.51.100.7")}, 200, 0, ""},
		{"limited to its collection", "usa", map[string]any{"objects": obs("198.51.100.7"), "collection": shared.ID}, 200, 1, ""},
		{"hidden or missing collection", "usa", map[string]any{"objects": obs("198.51.100.7"), "collection": "nowhere"}, 404, 0, "nowhere"},
		{"record without a collection", "usa", map[string]any{"objects": obs("198.51.100.7"), "record": true}, 400, 0, "collection"},
		{"not a bundle", "usa", map[string]any{"type": "indicator", "objects": obs("198.51.100.7")}, 400, 0, "bundle"},
		{"no objects", "usa", map[string]any{}, 400, 0, "objects"},
		{"unknown field", "usa", map[string]any{"objects": obs("x"), "recrod": true}, 400, 0, "recrod"},
		{"bad observation", "usa", map[string]any{"objects": []any{map[string]any{"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000002", "first_observed": "yesterday", "last_observed": "2026-03-02T08:00:00Z"}}}, 400, 0, `object 0 (observed-data--00000000-0000-4000-8000-000000000002): property "first_observed"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := o.call(tc.user, "POST", "/api/v1/match", tc.body, tc.status)
			if tc.status != 200 {
				if m := errMessage(out); !strings.Contains(m, tc.message) {
					t.Errorf("error %q does not name %q", m, tc.message)
				}
				return
			}
			if ms, _ := out["matches"].([]any); len(ms) != tc.matches {
				t.Errorf("matches %v, want %d", out["matches"], tc.matches)
			}
		})
	}
	// Recording writes the observation and the day's sighting, which the
	// caller then reads; a partner that may not read the indicator does
	// not read the sighting either.
	out := o.call("usa", "POST", "/api/v1/match", map[string]any{"objects": obs("198.51.100.7"), "collection": shared.ID, "record": true}, 200)
	ms := out["matches"].([]any)
	sid, _ := ms[0].(map[string]any)["sighting"].(string)
	if !strings.HasPrefix(sid, "sighting--") || len(out["written"].([]any)) != 3 {
		t.Fatalf("record: %v", out)
	}
	for user, want := range map[string]int{"usa": 1, "jpn": 0} {
		page, err := o.store.Objects(ctx, o.users[user], shared.ID, liaison.ObjectQuery{IDs: []string{sid}})
		if err != nil || len(page.Versions) != want {
			t.Errorf("%s reads %d versions of the sighting (%v), want %d", user, len(page.Versions), err, want)
		}
	}

	// The score on the indicator's page restarts at a sighting only for
	// those who may read the sighting: recorded by USA from an observation
	// released to USA alone, JPN reads the indicator but not the sighting.
	o.clk.Set(o.clk.Now().Add(30 * 24 * time.Hour))
	out = o.call("usa", "POST", "/api/v1/match", map[string]any{"objects": obs("198.51.100.9", "marking-definition--00000000-0000-4000-8000-0000000000bb"), "collection": shared.ID, "record": true}, 200)
	if ms := out["matches"].([]any); len(ms) != 1 {
		t.Fatalf("record the second: %v", out)
	}
	page := "/collections/" + shared.ID + "/objects/indicator--00000000-0000-4000-8000-000000000005"
	for _, tc := range []struct{ user, want, not string }{
		{"usa", "restarted at the last sighting you may read", "started at valid_from"},
		{"jpn", "started at valid_from", "restarted at the last sighting"},
	} {
		status, _, body := o.get(t, page, tc.user, tc.user+"-password")
		if status != 200 {
			t.Fatalf("%s: the indicator's page: %d", tc.user, status)
		}
		if !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) || !strings.Contains(body, `<svg class="score-history"`) {
			i := strings.Index(body, `id="score-h"`)
			t.Errorf("%s: the score section says %q, want %q", tc.user, body[max(i, 0):min(len(body), max(i, 0)+600)], tc.want)
		}
	}

	// The score is a filter on the lists, computed from the same sightings:
	// the one USA may read lifts the indicator above JPN's score, and a
	// bound between the two shows it to USA alone.
	list := "/collections/" + shared.ID + "/objects?"
	score := map[string]int{}
	for _, user := range []string{"usa", "jpn"} {
		status, _, body := o.get(t, list+"score_min=0", user, user+"-password")
		if status != 200 {
			t.Fatalf("%s: score_min=0: %d", user, status)
		}
		m := regexp.MustCompile(`data-version="(indicator--00000000-0000-4000-8000-000000000005)@[^"]*"[^>]*>(?s:.*?)data-score="(\d+)" data-sightings="(\d+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: score_min=0 does not list indicator 5 with its score", user)
		}
		score[user], _ = strconv.Atoi(m[2])
		if want := map[string]string{"usa": "1", "jpn": "0"}[user]; m[3] != want {
			t.Errorf("%s: the list's score counts %s sightings, want %s", user, m[3], want)
		}
		if strings.Contains(body, "observed-data--") || strings.Contains(body, "sighting--") {
			t.Errorf("%s: a score filter lists objects that are not indicators", user)
		}
	}
	if score["usa"] <= score["jpn"] {
		t.Fatalf("scores usa %d, jpn %d: the sighting USA reads should lift it", score["usa"], score["jpn"])
	}
	for _, tc := range []struct {
		user, query string
		shown       bool
	}{
		{"usa", "score_min=" + strconv.Itoa(score["usa"]), true},
		{"jpn", "score_min=" + strconv.Itoa(score["jpn"]+1), false},
		{"jpn", "score_max=" + strconv.Itoa(score["jpn"]), true},
		{"usa", "score_max=" + strconv.Itoa(score["usa"]-1), false},
	} {
		_, _, body := o.get(t, list+tc.query, tc.user, tc.user+"-password")
		if got := strings.Contains(body, `data-version="indicator--00000000-0000-4000-8000-000000000005@`); got != tc.shown {
			t.Errorf("%s %s: indicator 5 listed %v, want %v", tc.user, tc.query, got, tc.shown)
		}
	}
}
