package sqlite_test

import (
	"strings"
	"testing"
	"time"

	"liaison/core"
	"liaison/sqlite"
)

// TestIDLookupsSeekTheID checks that each of the write path's lookups by
// object id seeks the ids in versions_key and never walks a collection's
// dates or audiences: such a walk costs the collection's size per write,
// which made ingest quadratic when versions_key lost the collection.
func TestIDLookupsSeekTheID(t *testing.T) {
	s := open(t, t.TempDir(), time.Now)
	for name, q := range core.IDQueries {
		t.Run(name, func(t *testing.T) {
			plan := sqlite.Plan(t, s, q.Query, q.Args("USA", "c", core.Strings{"indicator--00000000-0000-4000-8000-000000000000"})...)
			seeks := false
			for _, step := range plan {
				if strings.Contains(step, "versions_added") || strings.Contains(step, "versions_audience_added") || strings.HasPrefix(step, "SCAN v") || step == "SCAN versions" {
					t.Errorf("walks versions: %q\n%s", step, strings.Join(plan, "\n"))
				}
				if strings.Contains(step, "USING INDEX versions_key (idk=?") {
					seeks = true
				}
			}
			if !seeks {
				t.Errorf("does not seek versions_key by the ids' keys:\n%s", strings.Join(plan, "\n"))
			}
		})
	}
}

// TestRelatedStartsFromTheEnds checks that the links of an object are read
// from the object's ends, each version looked up by its row, and never by
// walking the collection's dates: at 1M objects such a walk made the
// object and graph pages take a second.
func TestRelatedStartsFromTheEnds(t *testing.T) {
	s := open(t, t.TempDir(), time.Now)
	query, args := core.RelatedQuery("USA", "c", "attack-pattern--00000000-0000-4000-8000-000000000000")
	plan := sqlite.Plan(t, s, query, args...)
	if len(plan) == 0 || !strings.Contains(strings.Join(plan, "\n"), "ends") {
		t.Fatalf("no read of ends in the plan:\n%s", strings.Join(plan, "\n"))
	}
	for _, step := range plan {
		if strings.Contains(step, "versions_added") || strings.Contains(step, "versions_audience_added") || strings.HasPrefix(step, "SCAN v") {
			t.Errorf("walks the collection: %q\n%s", step, strings.Join(plan, "\n"))
		}
	}
	t.Log(strings.Join(plan, "\n"))
}

// TestSearchTestsTheAudienceFirst checks that a search window tests each
// match's audience on versions_vid_audience, an entry of a dozen bytes,
// before it reads the match's row in versions: a reader who may read 4%
// of the versions tests some 25 matches per one kept, and reading each
// row (a 4 KiB page for every two or three) made the narrow reader's
// search of a common word cost about ten thousand pages at 1M objects.
func TestSearchTestsTheAudienceFirst(t *testing.T) {
	s := open(t, t.TempDir(), time.Now)
	for _, text := range []string{"phishing", `"lateral movement"`, "exfil*", "T1059"} {
		t.Run(text, func(t *testing.T) {
			plan := sqlite.SearchPlan(t, s, "NZL", []string{"c"}, text)
			at := func(want string) int {
				for i, step := range plan {
					if strings.Contains(step, want) {
						return i
					}
				}
				return -1
			}
			fts, gate, row := at("SCAN search_fts VIRTUAL TABLE"), at("SEARCH a USING COVERING INDEX versions_vid_audience (vid=?)"), at("SEARCH v USING INTEGER PRIMARY KEY (rowid=?)")
			if fts < 0 || gate < 0 || row < 0 || !(fts < gate && gate < row) {
				t.Errorf("not the index, then the audience, then the row (at %d, %d, %d):\n%s", fts, gate, row, strings.Join(plan, "\n"))
			}
		})
	}
}
