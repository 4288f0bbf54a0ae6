package web

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/internal/httpguard"
)

// writeWorld is an office with something for every write route to act
// on: an open consultation with a contribution, and a proposal under a
// concurrence procedure, circulating.
type writeWorld struct {
	*office
	consultation, contribution, proposal string
}

func newWriteWorld(t *testing.T) *writeWorld {
	o := newOffice(t)
	t0 := o.clk.Now()
	c := o.call("nis", "POST", "/api/v1/consultations", map[string]any{
		"title": "Cyber", "topics": []string{"cyber"}, "participants": []string{"USA", "JPN"}, "format": "written",
		"deadline": t0.Add(48 * time.Hour), "agenda": []string{"Threats"}, "marking": map[string]any{"releasable_to": []string{"NATO", "JPN"}},
	}, http.StatusCreated)
	cid := jsonNum(c["id"])
	o.call("nis", "POST", "/api/v1/consultations/"+cid+"/open", nil, http.StatusOK)
	k := o.call("usa", "POST", "/api/v1/consultations/"+cid+"/contributions", map[string]any{"agenda_item": 1, "text": "Seen."}, http.StatusCreated)
	p := o.call("nis", "POST", "/api/v1/proposals", map[string]any{"title": "Exercise", "text": "Hold one.", "procedure": "concurrence", "marking": map[string]any{"releasable_to": []string{"NATO"}}}, http.StatusCreated)
	pid := jsonNum(p["id"])
	o.call("nis", "POST", "/api/v1/proposals/"+pid+"/circulate", map[string]any{"deadline": t0.Add(24 * time.Hour)}, http.StatusOK)
	return &writeWorld{office: o, consultation: cid, contribution: jsonNum(k["id"]), proposal: pid}
}

// writeRoute is one request to a route that may change state.
type writeRoute struct {
	method, path string
	user         string // who could make it, were it not refused
}

// writeRoutes expands every registered pattern whose method may change
// state into requests, with each {action} of a proposal spelled out. A
// pattern without a method (the /api/ fallback) is tried with POST. A new
// route is covered without touching this test; one whose path it cannot
// fill fails it.
// pageActions are the actions the pages' forms post, by the first part
// of their path.
var pageActions = map[string][]string{
	"decisions":     {"circulate", "break-silence", "concur", "object", "revise", "withdraw", "comment"},
	"consultations": {"open", "cancel", "outcome", "conclude", "publish", "contribute"},
	"contributions": {"edit", "withdraw"},
}

func (w *writeWorld) writeRoutes(t *testing.T) []writeRoute {
	t.Helper()
	actions := []liaison.DecisionActionKind{liaison.ActCirculate, liaison.ActBreakSilence, liaison.ActConcur, liaison.ActObject,
		liaison.ActRevise, liaison.ActWithdraw, liaison.ActComment, "actions"}
	var out []writeRoute
	for _, pat := range w.web.patterns {
		method, path, ok := strings.Cut(pat, " ")
		if !ok {
			method, path = "POST", pat+"nowhere"
		}
		if !httpguard.Unsafe(method) {
			continue
		}
		path = strings.TrimSuffix(path, "{$}")
		user := "nis"
		switch {
		case strings.HasPrefix(path, "/api/v1/consultations/{id}"):
			path = strings.Replace(path, "{id}", w.consultation, 1)
		case strings.HasPrefix(path, "/api/v1/contributions/{id}"):
			path, user = strings.Replace(path, "{id}", w.contribution, 1), "usa"
		case strings.HasPrefix(path, "/api/v1/proposals/{id}"):
			path, user = strings.Replace(path, "{id}", w.proposal, 1), "fra"
		case strings.HasPrefix(path, "/consultations/{id}"):
			path = strings.Replace(path, "{id}", w.consultation, 1)
		case strings.HasPrefix(path, "/contributions/{id}"):
			path, user = strings.Replace(path, "{id}", w.contribution, 1), "usa"
		case strings.HasPrefix(path, "/decisions/{id}"):
			path, user = strings.Replace(path, "{id}", w.proposal, 1), "fra"
		}
		path = strings.Replace(path, "{i}", "0", 1)
		// The accounts and collections forms: the refusal comes before
		// any of these is looked up.
		path = strings.NewReplacer("{name}", "kor", "{tid}", "0123456789abcdef", "{cid}", "00000000-0000-4000-8000-000000000001").Replace(path)
		if page, ok := pageActions[strings.SplitN(path, "/", 3)[1]]; ok && strings.Contains(path, "{action}") {
			for _, a := range page {
				out = append(out, writeRoute{method, strings.Replace(path, "{action}", a, 1), user})
			}
			continue
		}
		if strings.Contains(path, "{action}") {
			for _, a := range actions {
				out = append(out, writeRoute{method, strings.Replace(path, "{action}", string(a), 1), user})
			}
			continue
		}
		if strings.Contains(path, "{") {
			t.Fatalf("route %q: the test does not know how to fill %s", pat, path)
		}
		out = append(out, writeRoute{method, path, user})
	}
	if len(out) < 20 {
		t.Fatalf("only %d write routes found in %v", len(out), w.web.patterns)
	}
	return out
}

// snapshot is everything the write routes could change, as the officers
// who took part see it.
func (w *writeWorld) snapshot() map[string]any {
	out := map[string]any{}
	for _, r := range []struct{ users, path string }{
		{"nis usa fra", "/api/v1/consultations"},
		{"nis usa", "/api/v1/consultations/" + w.consultation},
		{"nis usa", "/api/v1/consultations/" + w.consultation + "/contributions"},
		{"nis usa fra", "/api/v1/proposals"},
		{"nis usa fra", "/api/v1/proposals/" + w.proposal},
	} {
		for _, user := range strings.Fields(r.users) {
			out[user+" "+r.path] = w.call(user, "GET", r.path, nil, http.StatusOK)
		}
	}
	return out
}

// send makes a raw request with the user's token as a Basic password, as
// a browser holding cached Basic credentials would send it.
func (w *writeWorld) send(t *testing.T, rt writeRoute, contentType, body string, headers map[string]string) (int, apiError) {
	status, e, _ := w.sendRaw(t, rt, contentType, body, headers)
	return status, e
}

// sendRaw is send that also returns the body as received.
func (w *writeWorld) sendRaw(t *testing.T, rt writeRoute, contentType, body string, headers map[string]string) (int, apiError, string) {
	t.Helper()
	req, _ := http.NewRequest(rt.method, w.srv.URL+rt.path, strings.NewReader(body))
	req.SetBasicAuth(rt.user, w.tokens[rt.user])
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var e apiError
	_ = json.Unmarshal(raw, &e)
	return res.StatusCode, e, string(raw)
}

// TestCrossSiteWritesRefused sends every route that may change state the
// way another site's page can make a signed-in browser send it: a form or
// text/plain POST (or any method) carrying the user's cached credentials,
// marked as cross-site by Origin, Sec-Fetch-Site or Referer. Each must be
// refused with 403 before it does anything, and nothing may change.
func TestCrossSiteWritesRefused(t *testing.T) {
	w := newWriteWorld(t)
	before := w.snapshot()
	signals := []struct {
		name    string
		headers map[string]string
	}{
		{"Origin of another site", map[string]string{"Origin": "http://evil.example"}},
		{"Origin of another port", map[string]string{"Origin": "http://" + strings.Split(w.srv.Listener.Addr().String(), ":")[0] + ":1"}},
		{"Origin null", map[string]string{"Origin": "null"}},
		{"Origin beats Sec-Fetch-Site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"}},
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"Referer of another site", map[string]string{"Referer": "http://evil.example/page.html"}},
	}
	bodies := []struct{ contentType, body string }{
		{"application/x-www-form-urlencoded", ""},
		{"application/x-www-form-urlencoded", "reason=x"},
		{"text/plain", `{"reason":"x","text":"x"}`},
		{"multipart/form-data; boundary=x", "--x--\r\n"},
		{"application/json", `{}`},
		{"", ""},
	}
	routes := w.writeRoutes(t)
	for _, rt := range routes {
		for _, sig := range signals {
			for _, b := range bodies {
				status, e, raw := w.sendRaw(t, rt, b.contentType, b.body, sig.headers)
				if !strings.HasPrefix(rt.path, "/api/") {
					// A page's form: refused with an error page.
					if status != http.StatusForbidden || !strings.Contains(raw, "cross-site request refused") || !strings.Contains(raw, "<main") {
						t.Errorf("%s %s, %s, %q body %q: %d, want a 403 page saying cross-site", rt.method, rt.path, sig.name, b.contentType, b.body, status)
					}
					continue
				}
				if status != http.StatusForbidden || e.Error.Code != liaison.EFORBIDDEN || !strings.Contains(e.Error.Message, "cross-site") {
					t.Errorf("%s %s, %s, %q body %q: %d %+v, want 403 cross-site", rt.method, rt.path, sig.name, b.contentType, b.body, status, e)
				}
			}
		}
	}
	if after := w.snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("refused requests changed something:\nbefore %v\nafter  %v", before, after)
	}
}

// TestSameSiteWritesPass checks that the guard lets through what is not
// cross-site: clients without Origin, Sec-Fetch-Site or Referer (curl,
// scripts) and this server's own pages.
func TestSameSiteWritesPass(t *testing.T) {
	w := newWriteWorld(t)
	own := w.srv.URL
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"no browser headers", nil},
		{"own Origin", map[string]string{"Origin": own}},
		{"own Origin, upper case", map[string]string{"Origin": strings.ToUpper(own)}},
		{"Sec-Fetch-Site same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"Sec-Fetch-Site none", map[string]string{"Sec-Fetch-Site": "none"}},
		{"own Referer", map[string]string{"Referer": own + "/"}},
	}
	rt := writeRoute{"POST", "/api/v1/proposals/" + w.proposal + "/comment", "fra"}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, e := w.send(t, rt, "application/json; charset=utf-8", `{"text":"comment `+jsonNum(float64(i))+`"}`, tc.headers)
			if status != http.StatusOK {
				t.Fatalf("%d %+v", status, e)
			}
		})
	}
	p := w.call("fra", "GET", "/api/v1/proposals/"+w.proposal, nil, http.StatusOK)
	if n := len(p["record"].([]any)); n != 2+len(tests) {
		t.Errorf("record has %d entries, want create, circulate and %d comments", n, len(tests))
	}
}

// TestWritesNeedJSONContentType checks that every API route that may
// change state refuses with 415, and without acting, a body not declared as
// JSON, the empty body included; the empty body passes once declared.
func TestWritesNeedJSONContentType(t *testing.T) {
	w := newWriteWorld(t)
	before := w.snapshot()
	for _, rt := range w.writeRoutes(t) {
		if !strings.HasPrefix(rt.path, "/api/") {
			continue // the pages' forms are forms, each with its CSRF token
		}
		for _, ct := range []string{"", "application/x-www-form-urlencoded", "text/plain", "application/jsonx", "application/json-seq"} {
			status, e := w.send(t, rt, ct, "", nil)
			if status != http.StatusUnsupportedMediaType || e.Error.Code != "unsupported_media_type" || !strings.Contains(e.Error.Message, "Content-Type") {
				t.Errorf("%s %s with Content-Type %q: %d %+v, want 415 naming Content-Type", rt.method, rt.path, ct, status, e)
			}
		}
	}
	if after := w.snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("refused requests changed something")
	}
	// Declared JSON, an empty body is an action without arguments.
	status, e := w.send(t, writeRoute{"POST", "/api/v1/proposals/" + w.proposal + "/concur", "fra"}, "application/json", "", nil)
	if status != http.StatusOK {
		t.Errorf("concur with an empty JSON body: %d %+v", status, e)
	}
}
