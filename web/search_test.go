package web

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	hitRE     = regexp.MustCompile(`<li class="hit" data-version="([^"]+)"`)
	hitNextRE = regexp.MustCompile(`<a href="([^"]+)" rel="next">More results`)
)

func hitKeys(body string) []string {
	var out []string
	for _, m := range hitRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestSearchShowsWhatEachMayRead: the results page holds, for each
// reader, exactly the latest readable versions whose words match.
func TestSearchShowsWhatEachMayRead(t *testing.T) {
	l := newLibrary(t, 3)
	for _, tc := range []struct {
		user, q   string
		see, notS []string
	}{
		{"jpn", "lanternloader", []string{l.indA + "@" + l.aV2, l.report}, []string{l.malM, l.indA + "@" + l.aV1}},
		{"usa", "lanternloader", []string{l.indA + "@" + l.aV2, l.report, l.malM}, nil},
		{"kor", "sea japan", nil, []string{l.indB}},
		{"jpn", "sea japan", []string{l.indB}, nil},
		{"jpn", "allied", nil, []string{l.malN}},
		{"fra", "allied", []string{l.malN}, nil},
		{"usa", "LL-1", nil, []string{l.indA}},            // an external id of an older version only: the latest has none
		{"jpn", "update.lantern*", []string{l.indA}, nil}, // a pattern, as a phrase with a prefix
	} {
		t.Run(tc.user+" "+tc.q, func(t *testing.T) {
			b := l.signedIn(t, tc.user)
			path := "/search?q=" + url.QueryEscape(tc.q)
			status, _, body := b.get(path)
			if status != 200 {
				t.Fatalf("%d\n%s", status, body)
			}
			checkLayout(t, path, body)
			ks := hitKeys(body)
			for _, want := range tc.see {
				if !slices.ContainsFunc(ks, func(k string) bool { return strings.HasPrefix(k, want) }) {
					t.Errorf("%s does not find %s: %v", tc.user, want, ks)
				}
			}
			for _, not := range tc.notS {
				if slices.ContainsFunc(ks, func(k string) bool { return strings.HasPrefix(k, not) }) {
					t.Errorf("%s finds %s, which it may not read: %v", tc.user, not, ks)
				}
			}
			if len(tc.see) == 0 && !strings.Contains(body, "Nothing your organisation may read matches") {
				t.Errorf("no results, but the page does not say so")
			}
		})
	}
}

// TestSearchHighlightsSafely: matched words are marked by the template,
// and the object's own text is escaped, markup and all.
func TestSearchHighlightsSafely(t *testing.T) {
	l := newLibrary(t, 0)
	l.add(t, "usa", l.cyber.ID, []string{`{"type":"malware","spec_version":"2.1","id":"malware--6a7b8c9d-0e1f-4a2b-8c3d-5e6f7a8b9c0d","created":"2024-03-01T00:00:00.000Z","modified":"2024-03-01T00:00:00.000Z","name":"<script>alert(1)</script> Phisher","description":"<img src=x onerror=alert(2)> sends phishing mail","is_family":true,"object_marking_refs":["` + "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" + `"]}`})
	b := l.signedIn(t, "jpn")
	status, _, body := b.get("/search?q=phish*")
	if status != 200 {
		t.Fatalf("%d\n%s", status, body)
	}
	for _, want := range []string{`&lt;script&gt;alert(1)&lt;/script&gt; <mark>Phisher</mark>`, `&lt;img src=x onerror=alert(2)&gt; sends <mark>phishing</mark> mail`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Error("the object's markup reached the page unescaped")
	}
}

// TestSearchPaging follows More results to the end: every match once.
func TestSearchPaging(t *testing.T) {
	l := newLibrary(t, 23)
	b := l.signedIn(t, "jpn")
	var all []string
	path := "/search?q=phishing&limit=10"
	for pages := 0; path != ""; pages++ {
		if pages > 10 {
			t.Fatal("the pages do not end")
		}
		status, _, body := b.get(path)
		if status != 200 {
			t.Fatalf("%s: %d\n%s", path, status, body)
		}
		all = append(all, hitKeys(body)...)
		path = ""
		if m := hitNextRE.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	want := map[string]bool{}
	for _, id := range l.fillers {
		want[id] = true
	}
	seen := map[string]bool{}
	for _, k := range all {
		id, _, _ := strings.Cut(k, "@")
		if seen[id] || !want[id] {
			t.Errorf("result %s: repeated or not a match", k)
		}
		seen[id] = true
	}
	if len(seen) != len(want) {
		t.Errorf("found %d of %d", len(seen), len(want))
	}
}

// TestSearchBadInput: a bad query is a 400 naming the field, on the page
// (with the form again) and in the API; the bare page is just the form.
func TestSearchBadInput(t *testing.T) {
	l := newLibrary(t, 0)
	b := l.signedIn(t, "jpn")
	if status, _, body := b.get("/search"); status != 200 || !strings.Contains(body, `id="s-q"`) || strings.Contains(body, `role="alert"`) {
		t.Errorf("bare /search: %d", status)
	}
	for _, tc := range []struct{ query, field string }{
		{"q=", "field q"},
		{"q=%22open", "field q"},
		{"q=" + strings.Repeat("x", 300), "field q"},
		{"q=a*", "field q"},
		{"q=x&next=bogus", "field next"},
		{"q=x&limit=0", "field limit"},
		{"q=x&type=Not+A+Type", "field type"},
		{"q=x&collection=nope", "field collection"},
		{"q=x&colour=red", "field colour is unknown"},
		{"q=x&originator=japan", "field originator"},
		{"q=x&added_after=yesterday", "field added_after"},
		{"q=x&modified_before=2024-13-01", "field modified_before"},
		{"q=x&added_after=2024-03-02&added_before=2024-03-01", "field added_before"},
		{"q=x&modified_after=2024-03-02&modified_before=2024-03-01", "field modified_before"},
	} {
		status, _, body := b.get("/search?" + tc.query)
		if status != 400 || !strings.Contains(html.UnescapeString(body), tc.field) || !strings.Contains(body, `id="s-q"`) {
			t.Errorf("page %s: %d, want 400 naming %s with the form", tc.query, status, tc.field)
		}
		m := l.call("jpn", "GET", "/api/v1/search?"+tc.query, nil, 400)
		if !strings.Contains(errMessage(m), tc.field) {
			t.Errorf("API %s: %q, want it to name %s", tc.query, errMessage(m), tc.field)
		}
	}
	// A collection JPN may not read is as missing as one that is not there.
	hidden := l.call("jpn", "GET", "/api/v1/search?q=x&collection="+l.allies.ID, nil, 404)
	missing := l.call("jpn", "GET", "/api/v1/search?q=x&collection=00000000-0000-4000-8000-000000000000", nil, 404)
	if strings.Replace(errMessage(hidden), l.allies.ID, "ID", 1) != strings.Replace(errMessage(missing), "00000000-0000-4000-8000-000000000000", "ID", 1) {
		t.Errorf("hidden %q and missing %q differ", errMessage(hidden), errMessage(missing))
	}
	if strings.Contains(errMessage(hidden), l.allies.Title) {
		t.Errorf("the hidden collection's error names it: %q", errMessage(hidden))
	}
}

// TestSearchAPI: GET /api/v1/search answers with hits, their highlights
// and the objects, paged.
func TestSearchAPI(t *testing.T) {
	l := newLibrary(t, 5)
	m := l.call("usa", "GET", "/api/v1/search?q=lanternloader&limit=2", nil, 200)
	hits, _ := m["hits"].([]any)
	if len(hits) != 2 || m["more"] != true || m["next"] == "" {
		t.Fatalf("first page %v", m)
	}
	seen := map[string]bool{}
	next, _ := m["next"].(string)
	for _, h := range hits {
		seen[h.(map[string]any)["id"].(string)] = true
	}
	m = l.call("usa", "GET", "/api/v1/search?q=lanternloader&limit=2&next="+url.QueryEscape(next), nil, 200)
	for _, h := range m["hits"].([]any) {
		id := h.(map[string]any)["id"].(string)
		if seen[id] {
			t.Errorf("%s on both pages", id)
		}
		seen[id] = true
	}
	for _, id := range []string{l.indA, l.malM, l.report} {
		if !seen[id] {
			t.Errorf("usa does not find %s: %v", id, seen)
		}
	}
	first := hits[0].(map[string]any)
	hl := first["highlights"].(map[string]any)
	title := ""
	for _, s := range hl["title"].([]any) {
		seg := s.(map[string]any)
		if seg["hit"] == true {
			title += fmt.Sprint(seg["text"])
		}
	}
	if !strings.EqualFold(title, "lanternloader") {
		t.Errorf("the first hit's title highlights %q", title)
	}
	if obj, ok := first["object"].(map[string]any); !ok || obj["id"] != first["id"] {
		t.Errorf("the hit carries object %v", first["object"])
	}
	jpn := l.call("jpn", "GET", "/api/v1/search?q=lanternloader", nil, 200)
	for _, h := range jpn["hits"].([]any) {
		if h.(map[string]any)["id"] == l.malM {
			t.Errorf("jpn finds %s over the API", l.malM)
		}
	}
}

// TestSearchFilters: the originator and date filters narrow the results
// in the store, and the page keeps them in its form and its links.
func TestSearchFilters(t *testing.T) {
	l := newLibrary(t, 3)
	b := l.signedIn(t, "usa")
	_, _, all := b.get("/search?q=lanternloader")
	if len(hitKeys(all)) == 0 {
		t.Fatal("lanternloader finds nothing for usa")
	}
	for _, tc := range []struct {
		query string
		none  bool
	}{
		{"originator=USA", false},
		{"originator=KOR", true},
		{"added_after=2999-01-01", true},
		{"added_before=2999-01-01", false},
		{"modified_before=1990-01-01", true},
		{"modified_after=1990-01-01", false},
	} {
		status, _, body := b.get("/search?q=lanternloader&" + tc.query)
		if status != 200 {
			t.Fatalf("%s: %d", tc.query, status)
		}
		if got := len(hitKeys(body)); (got == 0) != tc.none {
			t.Errorf("%s: %d hits, want none: %v", tc.query, got, tc.none)
		}
		field, _, _ := strings.Cut(tc.query, "=")
		if !strings.Contains(body, `name="`+field+`" value="`) || strings.Contains(body, `name="`+field+`" value=""`) {
			t.Errorf("%s: the form does not show the filter back", tc.query)
		}
	}
}
