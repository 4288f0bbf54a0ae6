package web

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"liaison"
)

var pickRE = regexp.MustCompile(`name="technique" value="([^"]+)"`)

// TestFIMIIncidentForm: the form offers only the DISARM techniques the
// recorder may read; an incident recorded through it is stored through
// the ordinary write path with the marking picked, so exactly its
// audience reads it; a technique the recorder may not read, or none, is
// refused by name; and the matrix counts it for its readers only.
func TestFIMIIncidentForm(t *testing.T) {
	l := newLibrary(t, 0)
	c := newCatalogue(t, l)
	b := l.signedIn(t, "kor")
	status, _, body := b.get("/fimi/new")
	if status != 200 {
		t.Fatalf("form: %d\n%s", status, body)
	}
	checkLayout(t, "fimi form", body)
	var offered []string
	for _, m := range pickRE.FindAllStringSubmatch(body, -1) {
		offered = append(offered, m[1])
	}
	slices.Sort(offered)
	// KOR may not read the USA-only tactic, so not its technique either.
	if want := []string{c.t1, c.t11}; !slices.Equal(offered, want) {
		t.Errorf("offered %v, want %v", offered, want)
	}
	csrf := formCSRF(body, "/fimi")
	form := func(techs ...string) url.Values {
		return url.Values{"csrf": {csrf}, "collection": {l.cyber.ID}, "name": {"Forged evacuation notice"}, "description": {"A forged notice spread on a messaging app."},
			"technique": techs, "targets": {"Residents of the port city\nLocal press"}, "channels": {"@harbour_news_now"}, "tlp": {"amber"}, "rel": {"KOR", "USA"}}
	}
	for _, tc := range []struct {
		name string
		f    url.Values
		word string
	}{
		{"hidden technique", form(c.t1, c.t2), "field techniques: \"" + c.t2 + "\" is not a technique of the DISARM matrix you may read"},
		{"missing technique", form("attack-pattern--00000000-0000-4000-8000-00000000dead"), "is not a technique of the DISARM matrix you may read"},
		{"no technique", form(), "field techniques: pick at least one"},
		{"no name", func() url.Values { f := form(c.t1); f.Set("name", " "); return f }(), "field name is empty"},
		{"bad release", func() url.Values { f := form(c.t1); f["rel"] = []string{"ZZZ"}; return f }(), "field releasable to"},
	} {
		status, _, body := b.post("/fimi", tc.f)
		if status != 400 || !strings.Contains(body, strings.ReplaceAll(tc.word, `"`, "&#34;")) {
			t.Errorf("%s: %d, want 400 naming %q\n%s", tc.name, status, tc.word, body)
		}
	}
	status, h, body := b.post("/fimi", form(c.t1, c.t11))
	if status != 303 {
		t.Fatalf("record: %d\n%s", status, body)
	}
	loc := h.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	if !strings.HasPrefix(id, "incident--") {
		t.Fatalf("sent to %s", loc)
	}
	// Readable exactly by KOR and USA, the audience picked.
	for _, u := range []struct {
		user string
		may  bool
	}{{"kor", true}, {"usa", true}, {"jpn", false}, {"fra", false}, {"nzl", false}} {
		status, _, _ := l.signedIn(t, u.user).get(loc)
		if (status == 200) != u.may {
			t.Errorf("%s reads the incident: %d, want may=%v", u.user, status, u.may)
		}
		counts := cells(func() string { _, _, body := l.signedIn(t, u.user).get("/matrices/" + c.matrix); return body }())
		want := map[string]string{"usa": "3", "kor": "2", "jpn": "1", "fra": "1", "nzl": "1"}[u.user]
		if counts[c.t1] != want {
			t.Errorf("%s counts %s users of T0001, want %s", u.user, counts[c.t1], want)
		}
	}
	// The incident and its links, as stored: the picked marking on each.
	pg, err := l.store.Objects(context.Background(), l.users["kor"], l.cyber.ID, liaison.ObjectQuery{Types: []string{"incident", "relationship", "identity", "infrastructure"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, v := range pg.Versions {
		f := fieldsOf(v.Raw)
		if v.ID == id || f.SourceRef == id || strings.Contains(string(v.Raw), "harbour_news_now") || strings.Contains(string(v.Raw), "Residents of the port city") || strings.Contains(string(v.Raw), "Local press") {
			kinds[v.Type+" "+f.RelationshipType]++
			if !strings.Contains(string(v.Raw), liaison.TLPAmberID) {
				t.Errorf("%s %s lacks TLP:AMBER", v.Type, v.ID)
			}
		}
	}
	if want := map[string]int{"incident ": 1, "relationship uses": 3, "relationship targets": 2, "identity ": 2, "infrastructure ": 1}; !mapsEqual(kinds, want) {
		t.Errorf("stored %v, want %v", kinds, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
