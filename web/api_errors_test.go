package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"liaison"
)

// TestAPIErrorsNameTheField sends every JSON endpoint a body with a value
// of the wrong form: each answers 400 with a message that names the
// field by its JSON path and the form wanted, in words, never a Go type
// or time layout.
func TestAPIErrorsNameTheField(t *testing.T) {
	o := newOffice(t)
	tests := []struct {
		method, path string
		body         any
		want         string
	}{
		{"POST", "/api/v1/slots", map[string]any{"participants": []string{"JPN"}, "duration_minutes": 60, "from": "2026-03-02", "to": "2026-03-03T00:00:00Z"}, `from: want a date and time such as 2026-03-02T09:00:00Z, not "2026-03-02"`},
		{"POST", "/api/v1/slots", map[string]any{"to": 5}, "to: want a date and time such as 2026-03-02T09:00:00Z, not 5"},
		{"POST", "/api/v1/slots", map[string]any{"duration_minutes": "sixty"}, `duration_minutes: want a whole number, not "sixty"`},
		{"POST", "/api/v1/slots", map[string]any{"duration_minutes": 1.5}, "duration_minutes: want a whole number, not 1.5"},
		{"POST", "/api/v1/slots", map[string]any{"participants": "JPN"}, `participants: want a list of strings, not "JPN"`},
		{"POST", "/api/v1/slots", map[string]any{"holidays": map[string]any{"JPN": []any{20}}}, "holidays.JPN[0]: want a string, not 20"},
		{"POST", "/api/v1/consultations", map[string]any{"title": "x", "start": "tomorrow"}, `start: want a date and time such as 2026-03-02T09:00:00Z, not "tomorrow"`},
		{"POST", "/api/v1/consultations", map[string]any{"title": "x", "deadline": "2026-03-02 09:00"}, `deadline: want a date and time`},
		{"POST", "/api/v1/consultations", map[string]any{"marking": map[string]any{"releasable_to": "NATO"}}, `marking.releasable_to: want a list of strings, not "NATO"`},
		{"POST", "/api/v1/consultations", map[string]any{"agenda": []any{"a", 2}}, "agenda[1]: want a string, not 2"},
		{"POST", "/api/v1/consultations", map[string]any{"title": true}, "title: want a string, not true or false"},
		{"POST", "/api/v1/consultations/1/open", map[string]any{"reason": []string{}}, "reason: want a string, not a list"},
		{"POST", "/api/v1/consultations/1/cancel", map[string]any{"reason": 1}, "reason: want a string, not 1"},
		{"PUT", "/api/v1/consultations/1/outcome", map[string]any{"summary": "s", "actions": []any{map[string]any{"text": "t", "owner": "JPN", "due": "2026-04-01"}}}, `actions[0].due: want a date and time such as 2026-03-02T09:00:00Z, not "2026-04-01"`},
		{"PUT", "/api/v1/consultations/1/outcome", map[string]any{"actions": map[string]any{}}, "actions: want a list of objects, not an object"},
		{"POST", "/api/v1/consultations/1/conclude", map[string]any{"publish": map[string]any{"collection": 7}}, "publish.collection: want a string, not 7"},
		{"POST", "/api/v1/consultations/1/publish", map[string]any{"kind": []string{"report"}}, "kind: want a string, not a list"},
		{"PUT", "/api/v1/consultations/1/outcome/actions/0", map[string]any{"status": false}, "status: want a string, not true or false"},
		{"POST", "/api/v1/consultations/1/contributions", map[string]any{"agenda_item": "one"}, `agenda_item: want a whole number, not "one"`},
		{"PUT", "/api/v1/contributions/1", map[string]any{"refs": []any{map[string]any{}}}, "refs[0]: want a string, not an object"},
		{"POST", "/api/v1/contributions/1/withdraw", map[string]any{"reason": 3}, "reason: want a string, not 3"},
		{"POST", "/api/v1/proposals", map[string]any{"procedure": 1}, "procedure: want a string, not 1"},
		{"POST", "/api/v1/proposals", map[string]any{"marking": []any{}}, "marking: want an object, not a list"},
		{"POST", "/api/v1/proposals/1/circulate", map[string]any{"deadline": "in a week"}, `deadline: want a date and time such as 2026-03-02T09:00:00Z, not "in a week"`},
		{"POST", "/api/v1/proposals/1/object", map[string]any{"reason": 9}, "reason: want a string, not 9"},
		{"POST", "/api/v1/consultations", map[string]any{"titel": "x"}, `"titel" is not a field of this request`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.want, func(t *testing.T) {
			o.t = t
			msg := errMessage(o.call("nis", tt.method, tt.path, tt.body, http.StatusBadRequest))
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("message %q, want it to contain %q", msg, tt.want)
			}
			for _, goSpeak := range []string{"2006-01-02", "15:04:05", "Go ", "json:", "int64", "[]string", "time.Time", "liaison."} {
				if strings.Contains(msg, goSpeak) {
					t.Fatalf("message %q speaks Go (%q)", msg, goSpeak)
				}
			}
		})
	}
}

// FuzzDecodeBody: whatever the body, decoding into any request type
// succeeds or gives an invalid-input error in words; it never panics.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"from":"2026-03-02"}`, `{"actions":[{"due":1}]}`, `{"holidays":{"JPN":[1]}}`, `[`, ``, `null`, `{"marking":{"releasable_to":null}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&slotsIn{}, &consultationIn{}, &outcomeIn{}, &proposalIn{}, &actIn{}, &contributionIn{}} {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			err := decodeJSON(httptest.NewRecorder(), r, v)
			if err != nil && liaison.ErrorCode(err) != liaison.EINVALID && liaison.ErrorCode(err) != liaison.ETOOLARGE {
				t.Fatalf("%T from %q: %v", v, body, err)
			}
			if err != nil && strings.Contains(err.Error(), "2006-01-02") {
				t.Fatalf("%T from %q: %v speaks Go", v, body, err)
			}
		}
	})
}
