package web

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"liaison"
)

var (
	cellRE   = regexp.MustCompile(`data-technique="([^"]+)" data-count="(\d+)"`)
	tacticRE = regexp.MustCompile(`data-tactic="([^"]+)"`)
	userRE   = regexp.MustCompile(`data-user="([^"]+)"`)
)

// cells returns technique → count as a matrix page shows them.
func cells(body string) map[string]string {
	out := map[string]string{}
	for _, m := range cellRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// catalogue is a small matrix in the library: two tactics (the second
// for USA alone), techniques, a sub-technique, and users of them.
type catalogue struct {
	matrix, hidden, ta1, ta2, t1, t11, t2, t3 string
	camp1, camp2, is1, inc1                   string
}

func newCatalogue(t *testing.T, l *library) catalogue {
	id := func(typ string, n int) string { return fmt.Sprintf("%s--%08x-1111-4000-8000-%012x", typ, n, n) }
	c := catalogue{matrix: id("x-mitre-matrix", 1), hidden: id("x-mitre-matrix", 2), ta1: id("x-mitre-tactic", 1), ta2: id("x-mitre-tactic", 2),
		t1: id("attack-pattern", 1), t11: id("attack-pattern", 2), t2: id("attack-pattern", 3), t3: id("attack-pattern", 4),
		camp1: id("campaign", 1), camp2: id("campaign", 2), is1: id("intrusion-set", 1), inc1: id("incident", 1)}
	const when = `"created":"2024-11-22T16:43:58.308Z","modified":"2024-11-22T16:43:58.308Z"`
	obj := func(typ, id, rest string) string {
		return fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,%s,%s}`, typ, id, when, rest)
	}
	ext := func(eid string) string {
		return fmt.Sprintf(`"external_references":[{"source_name":"DISARM","external_id":%q,"url":"https://example.org/%s"}]`, eid, eid)
	}
	tech := func(id, name, eid, phase string, sub bool) string {
		return obj("attack-pattern", id, fmt.Sprintf(`"name":%q,"kill_chain_phases":[{"kill_chain_name":"disarm","phase_name":%q}],"x_mitre_is_subtechnique":%v,%s`, name, phase, sub, ext(eid)))
	}
	n := 0
	uses := func(src, dst string, marks ...string) string {
		n++
		m := ""
		if len(marks) > 0 {
			m = `,"object_marking_refs":["` + strings.Join(marks, `","`) + `"]`
		}
		return obj("relationship", fmt.Sprintf("relationship--%08x-2222-4000-8000-%012x", n, n), fmt.Sprintf(`"relationship_type":"uses","source_ref":%q,"target_ref":%q%s`, src, dst, m))
	}
	l.add(t, "usa", l.cyber.ID, []string{
		obj("x-mitre-matrix", c.matrix, fmt.Sprintf(`"name":"DISARM (small)","tactic_refs":[%q,%q,"x-mitre-tactic--00000000-0000-4000-8000-000000000099"],%s`, c.ta1, c.ta2, ext("DISARM"))),
		obj("x-mitre-matrix", c.hidden, fmt.Sprintf(`"name":"USA only matrix","tactic_refs":[%q],"object_marking_refs":[%q]`, c.ta1, markRelUSA)),
		obj("x-mitre-tactic", c.ta1, `"name":"Plan","x_mitre_shortname":"plan",`+ext("TA01")),
		obj("x-mitre-tactic", c.ta2, fmt.Sprintf(`"name":"Execute","x_mitre_shortname":"execute","object_marking_refs":[%q],%s`, markRelUSA, ext("TA02"))),
		tech(c.t1, "Create fake accounts", "T0001", "plan", false),
		tech(c.t11, "Create fake pages", "T0001.001", "plan", true),
		tech(c.t2, "Amplify", "T0002", "execute", false),
		tech(c.t3, "Elsewhere", "T0003", "elsewhere", false),
		obj("campaign", c.camp1, fmt.Sprintf(`"name":"Harbour lights","object_marking_refs":[%q]`, liaison.TLPClearID)),
		obj("campaign", c.camp2, fmt.Sprintf(`"name":"Quiet tide","object_marking_refs":[%q]`, markRelUSA)),
		obj("incident", c.inc1, fmt.Sprintf(`"name":"Forged ministry letter","object_marking_refs":[%q]`, liaison.TLPClearID)),
	})
	l.add(t, "fra", l.allies.ID, []string{obj("intrusion-set", c.is1, fmt.Sprintf(`"name":"Allied-only set","object_marking_refs":[%q]`, liaison.TLPGreenID))})
	l.add(t, "usa", l.cyber.ID, []string{uses(c.camp1, c.t1), uses(c.camp2, c.t1), uses(c.is1, c.t11), uses(c.inc1, c.t2), uses(c.camp1, c.t3)})
	return c
}

// TestMatrixCountsAreTheReaders: each reader sees the tactics they may
// read as columns, and each technique's count of the users they may read;
// the technique page lists exactly those users.
func TestMatrixCountsAreTheReaders(t *testing.T) {
	l := newLibrary(t, 0)
	c := newCatalogue(t, l)
	for _, tc := range []struct {
		user    string
		tactics []string
		counts  map[string]string
		t1Users []string
		hidden  []string
	}{
		{"usa", []string{c.ta1, c.ta2}, map[string]string{c.t1: "2", c.t11: "1", c.t2: "1"}, []string{c.camp1, c.camp2}, nil},
		// JPN: not the USA-only tactic, nor the USA-only campaign, nor
		// the intrusion set held in the allies' collection.
		{"jpn", []string{c.ta1}, map[string]string{c.t1: "1", c.t11: "0"}, []string{c.camp1}, []string{c.ta2, c.t2, c.camp2, c.is1, c.hidden}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			b := l.signedIn(t, tc.user)
			status, _, body := b.get("/matrices")
			if status != 200 || !strings.Contains(body, `data-matrix="`+c.matrix+`"`) {
				t.Fatalf("matrices: %d\n%s", status, body)
			}
			checkLayout(t, "matrices", body)
			if got := strings.Contains(body, c.hidden); got != (tc.user == "usa") {
				t.Errorf("matrices: lists the USA-only matrix: %v", got)
			}
			status, _, body = b.get("/matrices/" + c.matrix)
			if status != 200 {
				t.Fatalf("matrix: %d\n%s", status, body)
			}
			checkLayout(t, "matrix", body)
			var tactics []string
			for _, m := range tacticRE.FindAllStringSubmatch(body, -1) {
				tactics = append(tactics, m[1])
			}
			if !slices.Equal(tactics, tc.tactics) {
				t.Errorf("tactics %v, want %v", tactics, tc.tactics)
			}
			if got := cells(body); fmt.Sprint(got) != fmt.Sprint(tc.counts) {
				t.Errorf("counts %v, want %v", got, tc.counts)
			}
			for _, h := range append(tc.hidden, c.t3) {
				if strings.Contains(body, h) {
					t.Errorf("the matrix names %s", h)
				}
			}
			status, _, body = b.get(techniqueHref(c.t1, c.matrix))
			if status != 200 {
				t.Fatalf("technique: %d\n%s", status, body)
			}
			checkLayout(t, "technique", body)
			var users []string
			for _, m := range userRE.FindAllStringSubmatch(body, -1) {
				users = append(users, m[1])
			}
			slices.Sort(users)
			want := slices.Sorted(slices.Values(tc.t1Users))
			if !slices.Equal(users, want) {
				t.Errorf("technique users %v, want %v", users, want)
			}
			if !strings.Contains(body, `href="https://example.org/T0001"`) || !strings.Contains(body, `data-ext="T0001"`) {
				t.Error("technique page: no link to T0001 in its catalogue")
			}
			for _, h := range tc.hidden {
				if strings.Contains(body, h) {
					t.Errorf("the technique page names %s", h)
				}
			}
		})
	}
	// A hidden matrix or technique is a missing one; bad ids are named.
	b := l.signedIn(t, "jpn")
	_, _, missing := b.get("/matrices/x-mitre-matrix--00000000-0000-4000-8000-000000000042")
	for _, tc := range []struct {
		path   string
		status int
		word   string
	}{
		{"/matrices/" + c.hidden, 404, ""},
		{"/techniques/" + c.t2 + "x", 400, "attack-pattern"},
		{"/matrices/" + c.t1, 400, "x-mitre-matrix"},
		{"/matrices/" + c.matrix + "?x=1", 400, "no query"},
		{"/techniques/" + c.t1 + "?matrix=nope", 400, "field matrix"},
		{"/techniques/" + c.t1 + "?page=2", 400, "field page"},
	} {
		status, _, body := b.get(tc.path)
		if status != tc.status || !strings.Contains(body, tc.word) {
			t.Errorf("%s: %d, want %d naming %q\n%s", tc.path, status, tc.status, tc.word, body)
		}
		if tc.status == 404 && len(body) != len(missing)+len(c.hidden)-len("x-mitre-matrix--00000000-0000-4000-8000-000000000042") {
			t.Errorf("%s: the hidden matrix's page is %d bytes, a missing one's %d", tc.path, len(body), len(missing))
		}
	}
}
