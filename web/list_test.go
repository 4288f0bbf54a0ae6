package web

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

var (
	versionRE = regexp.MustCompile(`<tr data-version="([^"]+)"`)
	nextRE    = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// pageAll follows a list's Next links from path and returns every row's
// key, in order, and the number of pages.
func pageAll(t *testing.T, b *browser, path string) ([]string, int) {
	t.Helper()
	var all []string
	pages := 0
	for path != "" {
		pages++
		if pages > 1000 {
			t.Fatal("more than 1000 pages: the cursor does not advance")
		}
		status, _, body := b.get(path)
		if status != 200 {
			t.Fatalf("%s: %d\n%s", path, status, body)
		}
		all = append(all, keys(body)...)
		path = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	return all, pages
}

func hasID(ks []string, id string) bool {
	return slices.ContainsFunc(ks, func(k string) bool { return strings.HasPrefix(k, id+"@") })
}

// TestListsShowWhatEachMayRead checks the lists of one collection and of
// all of them, for readers of different organisations: each sees exactly
// what its markings release to it.
func TestListsShowWhatEachMayRead(t *testing.T) {
	l := newLibrary(t, 3)
	tests := []struct {
		user       string
		path       string
		see, notSe []string
	}{
		{"jpn", "/collections/" + l.cyber.ID + "/objects", []string{l.indA, l.indB, l.report}, []string{l.malM, l.rel, l.malN}},
		{"kor", "/collections/" + l.cyber.ID + "/objects", []string{l.indA, l.report}, []string{l.indB, l.malM, l.rel, l.malN}},
		{"usa", "/collections/" + l.cyber.ID + "/objects", []string{l.indA, l.indB, l.malM, l.rel, l.report}, []string{l.malN}},
		{"jpn", "/objects", []string{l.indA, l.indB, l.report}, []string{l.malM, l.rel, l.malN}},
		{"usa", "/objects", []string{l.indA, l.indB, l.malM, l.rel, l.report, l.malN}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.user+" "+tc.path, func(t *testing.T) {
			b := l.signedIn(t, tc.user)
			status, _, body := b.get(tc.path)
			if status != 200 {
				t.Fatalf("%d\n%s", status, body)
			}
			checkLayout(t, tc.path, body)
			ks := keys(body)
			for _, id := range tc.see {
				if !hasID(ks, id) {
					t.Errorf("%s does not see %s", tc.user, id)
				}
			}
			for _, id := range tc.notSe {
				if strings.Contains(body, id) {
					t.Errorf("LEAK: %s's page names %s", tc.user, id)
				}
			}
			if len(ks) != len(slices.Compact(slices.Clone(ks))) {
				t.Errorf("a version is listed twice: %v", ks)
			}
			if tc.user == "jpn" && strings.Contains(body, l.allies.ID) {
				t.Errorf("LEAK: jpn's page names the allies' collection")
			}
		})
	}
}

// TestListBanner checks the banner of lists against what they show.
func TestListBanner(t *testing.T) {
	l := newLibrary(t, 2)
	base := "/collections/" + l.cyber.ID + "/objects"
	tests := []struct{ user, query, want string }{
		{"jpn", "", "NATO RESTRICTED · REL TO NATO, JPN · TLP:AMBER"},
		{"kor", "", "TLP:AMBER"},
		{"usa", "", "NATO RESTRICTED · REL TO USA · TLP:AMBER"},
		{"jpn", "?tlp=green", "TLP:GREEN"},
		{"jpn", "?type=report", "TLP:CLEAR"},
		{"jpn", "?type=nothing-of-this-type", "UNMARKED"},
	}
	for _, tc := range tests {
		t.Run(tc.user+tc.query, func(t *testing.T) {
			_, _, body := l.signedIn(t, tc.user).get(base + tc.query)
			if b := banners(body); len(b) != 2 || b[0] != tc.want {
				t.Errorf("banner %q, want %q", b, tc.want)
			}
		})
	}
}

// TestListFilters checks each filter, on the store's side and on the
// page's, against the rows it must keep.
func TestListFilters(t *testing.T) {
	l := newLibrary(t, 6)
	b := l.signedIn(t, "usa")
	base := "/collections/" + l.cyber.ID + "/objects?limit=200&"
	everything, _ := pageAll(t, b, base+"version=all")
	tests := []struct {
		query string
		want  func(id, version string) bool
	}{
		{"type=indicator", func(id, _ string) bool { return strings.HasPrefix(id, "indicator--") }},
		{"type=malware,report", func(id, _ string) bool { return id == l.malM || id == l.report }},
		{"id=" + l.indB, func(id, _ string) bool { return id == l.indB }},
		{"version=all&id=" + l.indA, func(id, _ string) bool { return id == l.indA }},
		{"version=first&id=" + l.indA, func(id, v string) bool { return id == l.indA && v == l.aV1 }},
		{"tlp=green", func(id, _ string) bool { return id == l.indA }},
		{"tlp=clear", func(id, _ string) bool { return id == l.report }},
		{"classification=nato-restricted", func(id, _ string) bool { return id == l.indB }},
		{"label=ransomware", func(id, _ string) bool { return id == l.fillers[0] || id == l.fillers[3] }},
		{"originator=JPN", func(id, _ string) bool { return id == l.indA }},
		{"revoked=yes", func(id, _ string) bool { return id == l.fillers[1] }},
		// REL TO NATO, JPN releases to JPN, and to USA as a NATO member;
		// REL TO USA only to USA; NATO as a whole only where every list
		// names all of it.
		{"releasable_to=JPN", func(id, _ string) bool { return id == l.indB }},
		{"releasable_to=USA", func(id, _ string) bool { return id == l.indB || id == l.malM }},
		{"releasable_to=NATO", func(id, _ string) bool { return id == l.indB }},
		{"version=all&modified_after=2024-03-01T00:00:05Z&modified_before=2024-03-01T00:00:10Z", func(id, v string) bool {
			m, err := time.Parse(time.RFC3339Nano, v)
			return err == nil && m.After(time.Date(2024, 3, 1, 0, 0, 5, 0, time.UTC)) && m.Before(time.Date(2024, 3, 1, 0, 0, 10, 0, time.UTC))
		}},
		{"type=indicator&label=phishing&revoked=no", func(id, _ string) bool {
			return slices.Contains([]string{l.fillers[2], l.fillers[4], l.fillers[5]}, id)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, _ := pageAll(t, b, base+tc.query)
			pool := everything
			if !strings.Contains(tc.query, "version=") {
				pool, _ = pageAll(t, b, base)
			}
			if strings.Contains(tc.query, "version=first") {
				pool, _ = pageAll(t, b, base+"version=first")
			}
			var want []string
			for _, k := range pool {
				id, v, _ := strings.Cut(k, "@")
				if tc.want(id, v) {
					want = append(want, k)
				}
			}
			if !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("rows\n got %v\nwant %v", got, want)
			}
		})
	}
	// Added after and before: a window of the dates added.
	status, _, body := b.get(base + "version=all")
	if status != 200 {
		t.Fatal(status)
	}
	added := regexp.MustCompile(`data-added="(\d+)"`).FindAllStringSubmatch(body, -1)
	if len(added) < 6 {
		t.Fatalf("only %d rows", len(added))
	}
	us := func(i int) string { return added[i][1] }
	at := func(i int) string { return timeOfUS(t, us(i)) }
	got, _ := pageAll(t, b, base+"version=all&added_after="+url.QueryEscape(at(1))+"&added_before="+url.QueryEscape(at(4)))
	if want := everything[2:4]; !slices.Equal(got, want) {
		t.Errorf("added after row 1 and before row 4:\n got %v\nwant %v", got, want)
	}
}

// TestListBadInput checks that a malformed filter is a 400 page that
// names the field.
func TestListBadInput(t *testing.T) {
	l := newLibrary(t, 0)
	b := l.signedIn(t, "jpn")
	for _, tc := range []struct{ query, field string }{
		{"type=Not%20A%20Type", "field type"},
		{"id=indicator-1", "field id"},
		{"version=latest", "field version"},
		{"added_after=yesterday", "field added_after"},
		{"added_before=2024-13-01", "field added_before"},
		{"added_after=2024-03-02&added_before=2024-03-01", "field added_before"},
		{"tlp=purple", "field tlp"},
		{"classification=secret", "field classification"},
		{"originator=japan", "field originator"},
		{"releasable_to=japan", "field releasable_to"},
		{"modified_after=soon", "field modified_after"},
		{"modified_after=2024-03-02&modified_before=2024-03-01", "field modified_before"},
		{"revoked=maybe", "field revoked"},
		{"score_min=high", "field score_min"},
		{"score_max=-1", "field score_max"},
		{"score_min=50&score_max=20", "field score_max"},
		{"limit=0", "field limit"},
		{"limit=5000", "field limit"},
		{"cursor=garbage", "field cursor"},
		{"colour=red", "field colour"},
	} {
		for _, path := range []string{"/collections/" + l.cyber.ID + "/objects", "/objects", "/objects/export"} {
			status, _, body := b.get(path + "?" + tc.query)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.field) {
				t.Errorf("%s?%s: %d, want 400 naming %s", path, tc.query, status, tc.field)
			}
		}
	}
}

// TestListPaging pages through lists with small pages: every version
// once, in date-added order, the same as one big page; with a filter on
// the page as well.
func TestListPaging(t *testing.T) {
	l := newLibrary(t, 23)
	b := l.signedIn(t, "jpn")
	for _, base := range []string{"/collections/" + l.cyber.ID + "/objects", "/objects"} {
		for _, q := range []string{"version=all", "", "label=phishing", "type=indicator&revoked=no"} {
			whole, _ := pageAll(t, b, base+"?limit=200&"+q)
			paged, pages := pageAll(t, b, base+"?limit=10&"+q)
			if !slices.Equal(whole, paged) {
				t.Errorf("%s?%s in pages of 10:\n got %v\nwant %v", base, q, paged, whole)
			}
			if pages < 2 {
				t.Errorf("%s?%s: %d pages of 10 for %d rows", base, q, pages, len(whole))
			}
		}
	}
	// A filter on the page says so.
	_, _, body := b.get("/objects?label=ransomware&limit=10")
	if !strings.Contains(body, "Filtered on the page") || !strings.Contains(body, `data-filtered="yes"`) {
		t.Errorf("a page filtered on the page does not say so")
	}
}

// TestHiddenCollectionIsMissing checks that a collection the reader may
// not see gives the same page as one that does not exist.
func TestHiddenCollectionIsMissing(t *testing.T) {
	l := newLibrary(t, 0)
	b := l.signedIn(t, "jpn")
	missing := "0b7c3e55-93f1-4f51-8a3e-2d6b9c1f0a77"
	for _, sub := range []string{"/objects", "/objects/export", "/objects/" + l.malN, "/objects/" + l.malN + "/diff?from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:00Z"} {
		hs, _, hb := b.get("/collections/" + l.allies.ID + sub)
		ms, _, mb := b.get("/collections/" + missing + sub)
		if hs != 404 || ms != 404 {
			t.Errorf("%s: hidden %d, missing %d, want 404", sub, hs, ms)
		}
		if strings.ReplaceAll(hb, l.allies.ID, "<id>") != strings.ReplaceAll(mb, missing, "<id>") {
			t.Errorf("%s: the hidden collection's page differs from the missing one's:\n%s\n---\n%s", sub, hb, mb)
		}
	}
}

// TestExport checks the download of a list: one STIX bundle of exactly
// the rows of the list, every page of it, each object's bytes as stored.
func TestExport(t *testing.T) {
	l := newLibrary(t, 12)
	for _, tc := range []struct {
		user, list string
	}{
		{"jpn", "/collections/" + l.cyber.ID + "/objects?version=all"},
		{"kor", "/collections/" + l.cyber.ID + "/objects?type=indicator"},
		{"jpn", "/objects?label=phishing"},
		{"usa", "/objects?version=all"},
		{"kor", "/objects?type=nothing-of-this-type"},
	} {
		t.Run(tc.user+" "+tc.list, func(t *testing.T) {
			b := l.signedIn(t, tc.user)
			want, _ := pageAll(t, b, tc.list+"&limit=5")
			path, query, _ := strings.Cut(tc.list, "?")
			status, h, body := b.get(path + "/export?" + query)
			if status != 200 {
				t.Fatalf("%d\n%s", status, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/stix+json;version=2.1" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
				t.Errorf("Content-Type %q, Content-Disposition %q", ct, h.Get("Content-Disposition"))
			}
			var bundle struct {
				Type    string            `json:"type"`
				ID      string            `json:"id"`
				Objects []json.RawMessage `json:"objects"`
			}
			if err := json.Unmarshal([]byte(body), &bundle); err != nil || bundle.Type != "bundle" {
				t.Fatalf("not a bundle: %v\n%s", err, body)
			}
			var got []string
			for i, raw := range bundle.Objects {
				c, err := stix.Decode(i, raw)
				if err != nil {
					t.Fatalf("object %d: %v", i, err)
				}
				got = append(got, c.ID+"@"+c.Version().UTC().Format("2006-01-02T15:04:05Z07:00"))
				// The bytes as stored.
				pg, err := l.store.Objects(context.Background(), l.users[tc.user], l.cyber.ID, liaison.ObjectQuery{IDs: []string{c.ID}, Versions: []string{c.Version().Format("2006-01-02T15:04:05.000Z")}})
				if err == nil && len(pg.Versions) == 1 && !bytes.Equal(pg.Versions[0].Raw, raw) {
					t.Errorf("object %s: bytes differ from the store's", c.ID)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("bundle\n got %v\nwant %v", got, want)
			}
		})
	}
}

// timeOfUS spells a date added in µs as a filter takes it.
func timeOfUS(t *testing.T, us string) string {
	t.Helper()
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.UnixMicro(n).UTC().Format(time.RFC3339Nano)
}
