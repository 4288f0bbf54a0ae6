package web

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var seriesRE = regexp.MustCompile(`data-series="([^"]+)" data-total="(\d+)"`)

// activityTotals reads the series of an activity page.
func activityTotals(body string) map[string]int {
	out := map[string]int{}
	for _, m := range seriesRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// TestActivityCountsWhatEachMayRead: the timeline counts, per
// collection, type and originator, the versions each reader may read,
// the same number the list of every version shows them.
func TestActivityCountsWhatEachMayRead(t *testing.T) {
	l := newLibrary(t, 3)
	for _, user := range []string{"usa", "jpn", "kor"} {
		t.Run(user, func(t *testing.T) {
			b := l.signedIn(t, user)
			status, _, body := b.get("/activity?days=7&to=2026-03-02")
			if status != 200 {
				t.Fatalf("%d\n%s", status, body)
			}
			checkLayout(t, "activity page", body)
			if !strings.Contains(body, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 260" class="timeline" role="img"`) {
				t.Error("no timeline drawn")
			}
			got := activityTotals(body)
			colls := []string{l.cyber.ID}
			if user == "usa" {
				colls = append(colls, l.allies.ID)
			}
			for _, c := range colls {
				ks, _ := pageAll(t, b, "/collections/"+c+"/objects?version=all&limit=200")
				if got[c] != len(ks) {
					t.Errorf("collection %s: counted %d, the list shows %d", c, got[c], len(ks))
				}
			}
			if user != "usa" && got[l.allies.ID] != 0 {
				t.Errorf("counts the allies' collection for %s", user)
			}
			sum := func(m map[string]int) (n int) {
				for _, v := range m {
					n += v
				}
				return n
			}
			all := sum(got)
			for _, split := range []string{"type", "originator"} {
				_, _, body := b.get("/activity?days=7&to=2026-03-02&split=" + split)
				if n := sum(activityTotals(body)); n != all {
					t.Errorf("split by %s: %d in all, by collection %d", split, n, all)
				}
			}
			_, _, body = b.get("/activity?days=7&to=2026-03-02&split=type")
			if tt := activityTotals(body); user == "kor" && tt["malware"] != 0 {
				t.Errorf("KOR counts %d malware, which it may not read", tt["malware"])
			}
			// Earlier days: nothing.
			_, _, body = b.get("/activity?days=30&to=2025-01-31")
			if len(activityTotals(body)) != 0 || !strings.Contains(body, "Nothing you may read was added") {
				t.Error("a month with nothing added counts something")
			}
		})
	}
	b := l.signedIn(t, "kor")
	for _, bad := range []struct{ query, want string }{
		{"split=colour", "field split"}, {"days=0", "field days"}, {"days=400", "field days"},
		{"to=yesterday", "field to"}, {"from=2024-01-01", "field from"},
	} {
		status, _, body := b.get("/activity?" + bad.query)
		if status != 400 || !strings.Contains(body, bad.want) {
			t.Errorf("?%s: %d, want 400 naming %q", bad.query, status, bad.want)
		}
	}
}
