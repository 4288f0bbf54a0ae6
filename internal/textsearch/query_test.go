package textsearch

import (
	"strings"
	"testing"
	"unicode/utf8"

	"liaison"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in              string
		fts, tsq, again string
		err             string // a fragment of the EINVALID message
	}{
		{in: "phishing", fts: `"phishing"`, tsq: `'phishing'`, again: "phishing"},
		{in: "  Spear  PHISHING ", fts: `"spear" "phishing"`, tsq: `'spear' & 'phishing'`, again: "spear phishing"},
		{in: "T1566.001", fts: `"t1566 001"`, tsq: `('t1566' <-> '001')`, again: `"t1566 001"`},
		{in: `"remote access" phish*`, fts: `"remote access" "phish"*`, tsq: `('remote' <-> 'access') & 'phish':*`, again: `"remote access" phish*`},
		{in: `"spear phish"*`, fts: `"spear phish"*`, tsq: `('spear' <-> 'phish':*)`, again: `"spear phish"*`},
		{in: `it's "x) OR (y" NEAR(a b) col:z`, fts: `"it s" "x or y" "near a" "b" "col z"`, tsq: `('it' <-> 's') & ('x' <-> 'or' <-> 'y') & ('near' <-> 'a') & 'b' & ('col' <-> 'z')`, again: `"it s" "x or y" "near a" b "col z"`},
		{in: `'; DROP TABLE versions; --`, fts: `"drop" "table" "versions"`, tsq: `'drop' & 'table' & 'versions'`, again: "drop table versions"},
		{in: "Émile ÖSTERREICH", fts: `"émile" "österreich"`, tsq: `'émile' & 'österreich'`, again: "émile österreich"},
		{in: "", err: "field q: type a word"},
		{in: "   ", err: "field q: type a word"},
		{in: `"never closed`, err: "field q: a quotation mark is not closed"},
		{in: "*** --- !!", err: "field q: the search has no word"},
		{in: "a*", err: "field q: a prefix needs at least 2"},
		{in: strings.Repeat("x", MaxQueryBytes+1), err: "field q: the search is 257 bytes long"},
		{in: strings.Repeat("w ", MaxWords+1), err: "more than 16 words"},
		{in: "bad\xff", err: "field q: the search is not valid UTF-8"},
		{in: "nul\x00", err: "field q: the search is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := Parse(tt.in)
			if tt.err != "" {
				if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(liaison.ErrorMessage(err), tt.err) {
					t.Fatalf("Parse(%q) = %v, want EINVALID saying %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := q.FTS5(); got != tt.fts {
				t.Errorf("FTS5 = %s, want %s", got, tt.fts)
			}
			if got := q.TSQuery(); got != tt.tsq {
				t.Errorf("TSQuery = %s, want %s", got, tt.tsq)
			}
			if got := q.String(); got != tt.again {
				t.Errorf("String = %s, want %s", got, tt.again)
			}
		})
	}
}

func TestRank(t *testing.T) {
	q, _ := Parse("phish*")
	k := q.Key()
	tests := []struct {
		name             string
		n, keys, body    string
		higherThan       string // the name of a case this one outranks
		nameB, keysB, bB string
	}{
		{name: "name over keys", n: "Phishing", keys: "", body: "", nameB: "", keysB: "phishing", bB: ""},
		{name: "keys over body", n: "", keys: "spearphishing phishing", body: "", nameB: "", keysB: "", bB: "phishing phishing"},
		{name: "more over fewer", n: "", keys: "", body: "phishing and phishers", nameB: "", keysB: "", bB: "phishing"},
	}
	for _, tt := range tests {
		a, b := Rank(k, tt.n, tt.keys, tt.body), Rank(k, tt.nameB, tt.keysB, tt.bB)
		if a <= b {
			t.Errorf("%s: %d, not above %d", tt.name, a, b)
		}
	}
	if got := Rank(k, "nothing", "here", "at all"); got != 0 {
		t.Errorf("no match ranked %d", got)
	}
	if a, b := Rank(k, "", "", strings.Repeat("phishing ", 100)), Rank(k, "", "", strings.Repeat("phishing ", maxCounted)); a != b {
		t.Errorf("occurrences are not capped: %d and %d", a, b)
	}
}

func TestExtract(t *testing.T) {
	raw := `{"type":"attack-pattern","id":"attack-pattern--1","name":"Phishing","description":"Adversaries send <b>mail</b>.",
		"aliases":["Spam"],"labels":["initial-access"],"pattern":"[email-message:subject = 'x']",
		"external_references":[{"source_name":"mitre-attack","external_id":"T1566"},{"source_name":"x"}],
		"x_mitre_shortname":"initial-access","x_mitre_aliases":["Phish"],"x_mitre_detection":"` + strings.Repeat("d", 150) + `","x_mitre_deprecated":false}`
	d := Extract([]byte(raw))
	if d.Name != "Phishing" {
		t.Errorf("name %q", d.Name)
	}
	for _, want := range []string{"Spam", "initial-access", "T1566", "Phish"} {
		if !strings.Contains(d.Keys, want) {
			t.Errorf("keys %q lack %q", d.Keys, want)
		}
	}
	for _, want := range []string{"<b>mail</b>", "email-message:subject", "ddd"} {
		if !strings.Contains(d.Body, want) {
			t.Errorf("body %q lacks %q", d.Body, want)
		}
	}
	if strings.Contains(d.Keys, "ddd") {
		t.Errorf("a long x_mitre_ text went to the keys")
	}
	if (Extract([]byte(`[1,2]`)) != Doc{}) {
		t.Errorf("a non-object gave text")
	}
}

func TestHighlight(t *testing.T) {
	q, _ := Parse(`phish* "t1566"`)
	segs := Highlight("<i>Phishing</i> (T1566) and phishers; not tphish", q)
	var hits []string
	var all strings.Builder
	for _, s := range segs {
		all.WriteString(s.Text)
		if s.Hit {
			hits = append(hits, s.Text)
		}
	}
	if all.String() != "<i>Phishing</i> (T1566) and phishers; not tphish" {
		t.Errorf("segments do not rebuild the text: %q", all.String())
	}
	if strings.Join(hits, ",") != "Phishing,T1566,phishers" {
		t.Errorf("hits %v", hits)
	}
	long := strings.Repeat("filler words here ", 40) + "the Phishing part " + strings.Repeat("more text ", 40)
	sn := Snippet(long, q, 120)
	var b strings.Builder
	hit := false
	for _, s := range sn {
		b.WriteString(s.Text)
		hit = hit || s.Hit
	}
	if !hit || !strings.HasPrefix(b.String(), "…") || !strings.HasSuffix(b.String(), "…") || len(b.String()) > 130 {
		t.Errorf("snippet %q", b.String())
	}
}

// FuzzParse: no input panics; an accepted query holds only words (so its
// FTS5 and tsquery forms cannot carry engine syntax), and parses again to
// the same query.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"phishing", `"a b"* c*`, `T1566.001`, `"`, `NEAR(a b)`, `x:y OR -z`, "é*", `''`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.HasPrefix(liaison.ErrorMessage(err), "field q: ") {
				t.Fatalf("Parse(%q) error %v is not EINVALID naming q", s, err)
			}
			return
		}
		n := 0
		for _, term := range q.Terms {
			if len(term.Words) == 0 {
				t.Fatalf("Parse(%q): an empty term", s)
			}
			for _, w := range term.Words {
				n++
				if !utf8.ValidString(w) || w == "" || len(Words(w)) != 1 || Words(w)[0] != w {
					t.Fatalf("Parse(%q): word %q is not one lower-case word", s, w)
				}
			}
		}
		if n > MaxWords {
			t.Fatalf("Parse(%q): %d words", s, n)
		}
		again, err := Parse(q.String())
		if err != nil || again.FTS5() != q.FTS5() {
			t.Fatalf("Parse(%q) = %s; again %s, %v", s, q.FTS5(), again.FTS5(), err)
		}
	})
}
