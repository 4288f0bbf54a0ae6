package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// SearchTests are the conformance tests of full-text search; Run runs
// them with the others.
var searchTests = []struct {
	name string
	fn   func(t *testing.T, open Opener)
}{
	{"SearchFields", testSearchFields},
	{"SearchAudience", testSearchAudience},
	{"SearchLastPerReader", testSearchLastPerReader},
	{"SearchPaging", testSearchPaging},
	{"SearchRankIgnoresHidden", testSearchRankIgnoresHidden},
	{"SearchDelete", testSearchDelete},
	{"SearchBadInput", testSearchBadInput},
	{"SearchWindows", testSearchWindows},
	{"SearchFilters", testSearchFilters},
}

// RunSearch runs the search conformance tests alone.
func RunSearch(t *testing.T, open Opener) {
	for _, tc := range searchTests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// textObj returns a candidate of id and modified time whose other
// properties are the JSON members fields (without braces).
func textObj(id string, modified time.Time, fields string, refs ...string) liaison.Candidate {
	c := sdo(id, modified, refs...)
	c.Raw = []byte(strings.Replace(string(c.Raw), `"name":"x"`, fields, 1))
	return c
}

// search runs one search as org's analyst, failing on an error.
func (w *world) search(org string, q liaison.SearchQuery) liaison.SearchPage {
	w.t.Helper()
	p, err := w.s.Search(w.ctx, w.user[org], q)
	if err != nil {
		w.t.Fatalf("Search %+v as %s: %v", q, org, err)
	}
	return p
}

// found returns the ids of a search's hits, in order, following every page.
func (w *world) found(org string, q liaison.SearchQuery) []string {
	w.t.Helper()
	var out []string
	for range 1000 {
		p := w.search(org, q)
		for _, h := range p.Hits {
			out = append(out, h.ID)
		}
		if !p.More {
			return out
		}
		if p.Next == "" {
			w.t.Fatal("more without a next cursor")
		}
		q.Next = p.Next
	}
	w.t.Fatal("search paging did not end")
	return nil
}

func testSearchFields(t *testing.T, open Opener) {
	w := newWorld(t, open)
	phishing := oid("attack-pattern", 1)
	mention := oid("attack-pattern", 2)
	tactic := oid("x-mitre-tactic", 3)
	ind := oid("indicator", 4)
	w.add("USA", w.shared,
		textObj(phishing, day(0), `"name":"Phishing","aliases":["Spam campaign"],"labels":["initial-access"],"external_references":[{"source_name":"mitre-attack","external_id":"T1566"}]`),
		textObj(mention, day(0), `"name":"Drive-by Compromise","description":"Often follows phishing; see T1566.001 for spearphishing attachments."`),
		textObj(tactic, day(0), `"name":"Initial Access","x_mitre_shortname":"initial-access","x_mitre_aliases":["Entry"]`),
		textObj(ind, day(0), `"name":"Bad domain","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"`),
	)
	for _, tc := range []struct {
		q     string
		types []string
		want  []string
	}{
		{"phishing", nil, []string{phishing, mention}}, // the name outranks the description
		{"PHISH*", nil, []string{phishing, mention}},
		{"T1566", nil, []string{phishing, mention}},
		{`"t1566 001"`, nil, []string{mention}},
		{"T1566.001", nil, []string{mention}},
		{"spam", nil, []string{phishing}},
		{"entry", nil, []string{tactic}},
		{"initial-access", []string{"x-mitre-tactic"}, []string{tactic}},
		{"evil.example", nil, []string{ind}},
		{"phishing compromise", nil, []string{mention}},
		{"nowhere", nil, nil},
	} {
		if got := w.found("FRA", liaison.SearchQuery{Text: tc.q, Types: tc.types}); !slices.Equal(got, tc.want) {
			t.Errorf("search %q (types %v) = %v, want %v", tc.q, tc.types, got, tc.want)
		}
	}
	p := w.search("FRA", liaison.SearchQuery{Text: "phishing"})
	if len(p.Hits) != 2 || p.Hits[0].Rank <= p.Hits[1].Rank || p.Hits[0].Collection != w.shared || len(p.Hits[0].Raw) == 0 {
		t.Errorf("hits %+v: want two, ranked, with their collection and bytes", p.Hits)
	}
}

func testSearchAudience(t *testing.T, open Opener) {
	w := newWorld(t, open)
	open1, red, nato := oid("malware", 1), oid("malware", 2), oid("malware", 3)
	w.add("USA", w.shared, textObj(open1, day(0), `"name":"Sandworm tool"`), textObj(red, day(0), `"name":"Sandworm secret"`, liaison.TLPRedID))
	w.add("USA", w.nato, textObj(nato, day(0), `"name":"Sandworm alliance"`))
	for _, tc := range []struct {
		org, coll string
		want      []string
	}{
		{"USA", "", []string{open1, red, nato}},
		{"FRA", "", []string{open1, nato}},
		{"JPN", "", []string{open1}},
		{"FRA", w.nato, []string{nato}},
	} {
		got := w.found(tc.org, liaison.SearchQuery{Text: "sandworm", Collection: tc.coll})
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s searching %q in %q = %v, want %v", tc.org, "sandworm", tc.coll, got, want)
		}
	}
	if got := w.found("JPN", liaison.SearchQuery{Text: "secret"}); len(got) != 0 {
		t.Errorf("JPN finds %v by the words of a TLP:RED object", got)
	}
	// A collection the reader may not read and one that does not exist
	// are the same: not found.
	_, errHidden := w.s.Search(w.ctx, w.user["JPN"], liaison.SearchQuery{Text: "sandworm", Collection: w.nato})
	_, errMissing := w.s.Search(w.ctx, w.user["JPN"], liaison.SearchQuery{Text: "sandworm", Collection: "00000000-0000-4000-8000-000000000000"})
	wantCode(t, errHidden, liaison.ENOTFOUND)
	wantCode(t, errMissing, liaison.ENOTFOUND)
	if liaison.ErrorMessage(errHidden) == "" || strings.Contains(liaison.ErrorMessage(errHidden), "Alliance") {
		t.Errorf("hidden collection error %q", liaison.ErrorMessage(errHidden))
	}
}

func testSearchLastPerReader(t *testing.T, open Opener) {
	w := newWorld(t, open)
	id := oid("report", 1)
	w.add("USA", w.shared, textObj(id, day(0), `"name":"alpha report"`), textObj(id, day(1), `"name":"bravo report"`, liaison.TLPRedID))
	for _, tc := range []struct {
		org, q string
		want   []string // id@version
	}{
		{"JPN", "alpha", []string{id + "@" + day(0).Format(time.RFC3339Nano)}},
		{"JPN", "bravo", nil}, // the text of a version JPN may not read
		{"USA", "alpha", nil}, // USA's latest is bravo: an old version's words do not match
		{"USA", "bravo", []string{id + "@" + day(1).Format(time.RFC3339Nano)}},
		{"JPN", "report", []string{id + "@" + day(0).Format(time.RFC3339Nano)}},
		{"USA", "report", []string{id + "@" + day(1).Format(time.RFC3339Nano)}},
	} {
		var got []string
		for _, h := range w.search(tc.org, liaison.SearchQuery{Text: tc.q}).Hits {
			got = append(got, key(h.Version))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s searching %q = %v, want %v", tc.org, tc.q, got, tc.want)
		}
	}
}

func testSearchPaging(t *testing.T, open Opener) {
	w := newWorld(t, open)
	var want []string
	var cs []liaison.Candidate
	for i := range 23 {
		id := oid("campaign", i)
		// Ranks in tiers: the name, the aliases, the description.
		field := []string{`"name":"Harbour %d"`, `"name":"c%d","aliases":["harbour"]`, `"name":"c%d","description":"near the harbour"`}[i%3]
		if strings.Contains(field, "%d") {
			field = fmt.Sprintf(field, i)
		}
		cs = append(cs, textObj(id, day(0), field))
		if i%5 == 0 {
			cs = append(cs, textObj(oid("campaign", 100+i), day(0), `"name":"elsewhere"`, liaison.TLPRedID))
		}
		want = append(want, id)
	}
	w.add("USA", w.shared, cs...)
	var got []string
	var ranks []int64
	q := liaison.SearchQuery{Text: "harbour", Limit: 4}
	for pages := 0; ; pages++ {
		p := w.search("JPN", q)
		if len(p.Hits) > 4 || (p.More && len(p.Hits) != 4) {
			t.Fatalf("page %d has %d hits, more %v", pages, len(p.Hits), p.More)
		}
		for _, h := range p.Hits {
			got = append(got, h.ID)
			ranks = append(ranks, h.Rank)
		}
		if !p.More {
			break
		}
		q.Next = p.Next
		if pages == 2 {
			// A write between pages neither repeats nor drops a hit.
			w.add("USA", w.shared, textObj(oid("campaign", 999), day(0), `"name":"unrelated"`))
		}
	}
	if !slices.IsSortedFunc(ranks, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("ranks are not best first: %v", ranks)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("paged search found %d: %v, want %d", len(got), got, len(want))
	}
}

// testSearchRankIgnoresHidden: the rank and order a reader sees do not
// change when versions that reader may not read are added that hold the
// same words.
func testSearchRankIgnoresHidden(t *testing.T, open Opener) {
	w := newWorld(t, open)
	a, b := oid("tool", 1), oid("tool", 2)
	w.add("USA", w.shared, textObj(a, day(0), `"name":"Lantern","description":"lantern lantern relay"`), textObj(b, day(0), `"name":"Relay","description":"a relay and a lantern"`))
	before := w.search("JPN", liaison.SearchQuery{Text: "lantern relay"})
	var hidden []liaison.Candidate
	for i := range 40 {
		hidden = append(hidden, textObj(oid("tool", 10+i), day(0), `"name":"relay relay relay","description":"relay"`, liaison.TLPRedID))
	}
	w.add("USA", w.shared, hidden...)
	after := w.search("JPN", liaison.SearchQuery{Text: "lantern relay"})
	if len(before.Hits) != 2 || len(after.Hits) != 2 {
		t.Fatalf("hits before %d, after %d; want 2", len(before.Hits), len(after.Hits))
	}
	for i := range before.Hits {
		if before.Hits[i].ID != after.Hits[i].ID || before.Hits[i].Rank != after.Hits[i].Rank {
			t.Errorf("hit %d was %s rank %d, is %s rank %d after hidden writes", i, before.Hits[i].ID, before.Hits[i].Rank, after.Hits[i].ID, after.Hits[i].Rank)
		}
	}
}

func testSearchDelete(t *testing.T, open Opener) {
	w := newWorld(t, open)
	id := oid("malware", 1)
	w.add("USA", w.shared, textObj(id, day(0), `"name":"Ephemeral"`))
	if got := w.found("USA", liaison.SearchQuery{Text: "ephemeral"}); len(got) != 1 {
		t.Fatalf("found %v before delete", got)
	}
	if _, err := w.s.DeleteObject(w.ctx, w.user["USA"], w.shared, id, liaison.ObjectQuery{Versions: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	if got := w.found("USA", liaison.SearchQuery{Text: "ephemeral"}); len(got) != 0 {
		t.Errorf("found %v after delete", got)
	}
}

func testSearchBadInput(t *testing.T, open Opener) {
	w := newWorld(t, open)
	w.add("USA", w.shared, textObj(oid("tool", 1), day(0), `"name":"x"`))
	for _, tc := range []struct {
		q    liaison.SearchQuery
		want string
	}{
		{liaison.SearchQuery{Text: ""}, "field q"},
		{liaison.SearchQuery{Text: `"open`}, "field q"},
		{liaison.SearchQuery{Text: strings.Repeat("a", 300)}, "field q"},
		{liaison.SearchQuery{Text: "a*"}, "field q"},
		{liaison.SearchQuery{Text: "x", Next: "garbage"}, "field next"},
		{liaison.SearchQuery{Text: "x", Limit: -1}, "field limit"},
	} {
		_, err := w.s.Search(w.ctx, w.user["USA"], tc.q)
		if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(liaison.ErrorMessage(err), tc.want) {
			t.Errorf("Search(%+v) = %v, want EINVALID naming %s", tc.q, err, tc.want)
		}
	}
	// FTS5 and tsquery syntax is only words to the search.
	for _, q := range []string{`NEAR(x x)`, `x OR y`, `xx:*`, `'x' & !y`, `{name}: x`, `x AND NOT`} {
		if _, err := w.s.Search(w.ctx, w.user["USA"], liaison.SearchQuery{Text: q}); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
}

// testSearchWindows: more matches than one window ranks are paged window
// after window, each hit exactly once, hidden versions among them never
// counted; a write between pages does not move the windows.
func testSearchWindows(t *testing.T, open Opener) {
	w := newWorld(t, open)
	n := 2*liaison.SearchWindow + 37
	var want []string
	var batch []liaison.Candidate
	flush := func() {
		if len(batch) > 0 {
			w.add("USA", w.shared, batch...)
			batch = nil
		}
	}
	for i := range n {
		id := oid("campaign", i)
		field := []string{`"name":"Harbour %d"`, `"name":"c%d","aliases":["harbour"]`, `"name":"c%d","description":"near the harbour"`}[i%3]
		batch = append(batch, textObj(id, day(0), fmt.Sprintf(field, i)))
		want = append(want, id)
		if i%4 == 0 {
			batch = append(batch, textObj(oid("campaign", 10_000+i), day(0), `"name":"harbour hidden"`, liaison.TLPRedID))
		}
		if len(batch) >= 200 {
			flush()
		}
	}
	flush()
	q := liaison.SearchQuery{Text: "harbour", Limit: 70}
	seen := map[string]bool{}
	var got []string
	for pages := 0; ; pages++ {
		p := w.search("JPN", q)
		if !p.Windowed {
			t.Errorf("page %d: %d matches, but the page does not say it was ranked in windows", pages, n)
		}
		if len(p.Hits) > 70 || (p.More && len(p.Hits) != 70) {
			t.Fatalf("page %d has %d hits, more %v", pages, len(p.Hits), p.More)
		}
		for _, h := range p.Hits {
			if seen[h.ID] {
				t.Fatalf("page %d repeats %s", pages, h.ID)
			}
			seen[h.ID] = true
			got = append(got, h.ID)
		}
		if !p.More {
			break
		}
		if pages == 3 {
			w.add("USA", w.shared, textObj(oid("campaign", 99_999), day(0), `"name":"Harbour newcomer"`))
		}
		q.Next = p.Next
		if pages > 100 {
			t.Fatal("paging did not end")
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("windowed search found %d, want %d", len(got), len(want))
	}
	// The first page is the best of the newest window: names first.
	p := w.search("JPN", liaison.SearchQuery{Text: "harbour", Limit: 10})
	for _, h := range p.Hits {
		if !strings.Contains(string(h.Raw), `"name":"Harbour `) {
			t.Errorf("first page holds %s, not a name match", h.ID)
		}
	}
	// A few matches are one window, and not said to be windowed.
	if p := w.search("JPN", liaison.SearchQuery{Text: "newcomer"}); p.Windowed || len(p.Hits) != 1 {
		t.Errorf("newcomer: %d hits, windowed %v; want 1, false", len(p.Hits), p.Windowed)
	}
}

// testSearchFilters: originator, date added and modified narrow a search
// in the store.
func testSearchFilters(t *testing.T, open Opener) {
	w := newWorld(t, open)
	w.add("USA", w.shared, textObj(oid("tool", 1), day(0), `"name":"Anchor one"`), textObj(oid("tool", 2), day(5), `"name":"Anchor two"`))
	mid := w.clock.Now()
	w.clock.Advance(time.Hour)
	w.add("FRA", w.shared, textObj(oid("tool", 3), day(10), `"name":"Anchor three"`))
	ids := func(q liaison.SearchQuery) []string {
		got := w.found("JPN", q)
		slices.Sort(got)
		return got
	}
	for _, tc := range []struct {
		name string
		q    liaison.SearchQuery
		want []string
	}{
		{"originator", liaison.SearchQuery{Text: "anchor", Originator: "FRA"}, []string{oid("tool", 3)}},
		{"added after", liaison.SearchQuery{Text: "anchor", AddedAfter: mid.Add(time.Minute)}, []string{oid("tool", 3)}},
		{"added before", liaison.SearchQuery{Text: "anchor", AddedBefore: mid.Add(time.Minute)}, []string{oid("tool", 1), oid("tool", 2)}},
		{"modified after", liaison.SearchQuery{Text: "anchor", ModifiedAfter: day(4)}, []string{oid("tool", 2), oid("tool", 3)}},
		{"modified before", liaison.SearchQuery{Text: "anchor", ModifiedBefore: day(5)}, []string{oid("tool", 1)}},
		{"none", liaison.SearchQuery{Text: "anchor", Originator: "KOR"}, nil},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: found %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := w.s.Search(w.ctx, w.user["JPN"], liaison.SearchQuery{Text: "anchor", AddedAfter: day(3), AddedBefore: day(1)}); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("added_before before added_after: %v, want EINVALID", err)
	}
}
