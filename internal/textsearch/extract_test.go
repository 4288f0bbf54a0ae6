package textsearch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// extractWithMap is Extract as it was first written, over encoding/json's
// map of members: the reference the scanner's Extract must agree with on
// every object the stores keep.
func extractWithMap(raw []byte) Doc {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return Doc{}
	}
	str := func(k string) string {
		var s string
		if v, ok := m[k]; ok {
			_ = json.Unmarshal(v, &s)
		}
		return s
	}
	strs := func(v json.RawMessage) []string {
		var ss []string
		if json.Unmarshal(v, &ss) == nil {
			return ss
		}
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			return []string{s}
		}
		return nil
	}
	var keys, body []string
	body = append(body, str("description"), str("pattern"))
	for _, k := range []string{"aliases", "labels"} {
		keys = append(keys, strs(m[k])...)
	}
	var refs []struct {
		ExternalID string `json:"external_id"`
	}
	if v, ok := m["external_references"]; ok && json.Unmarshal(v, &refs) == nil {
		for _, r := range refs {
			keys = append(keys, r.ExternalID)
		}
	}
	var mitre []string
	for k := range m {
		if strings.HasPrefix(k, "x_mitre_") {
			mitre = append(mitre, k)
		}
	}
	slices.Sort(mitre)
	for _, k := range mitre {
		for _, s := range strs(m[k]) {
			if len(s) <= maxKeyLen {
				keys = append(keys, s)
			} else {
				body = append(body, s)
			}
		}
	}
	return Doc{Name: clip(str("name")), Keys: clip(join(keys)), Body: clip(join(body))}
}

func TestExtractAgreesWithTheMap(t *testing.T) {
	for _, raw := range []string{
		`{"name":"a \u00e9 \"q\"","description":"x\ny","pattern":"[a:b = 'c']"}`,
		`{"aliases":"one","labels":["a",null,"b"],"x_mitre_b":["B"],"x_mitre_a":"A"}`,
		`{"aliases":["a",1],"labels":null,"x_mitre_version":"1.0","x_mitre_deprecated":true}`,
		`{"external_references":[{"external_id":"T1"},null,{"source_name":"x"},{"external_id":null}]}`,
		`{"external_references":[{"external_id":"T1"},"oops"]}`,
		`{"external_references":[{"external_id":5}]}`,
		`{"external_references":{"external_id":"T1"}}`,
		`{"name":5,"description":{"a":1},"pattern":["p"]}`,
		`{"x_mitre_detection":"` + strings.Repeat("long ", 30) + `"}`,
		`{}`, `[]`, `"s"`, `{"name":"x"} trailing`, `{"name":"x","name":"y"}`, ``,
	} {
		if got, want := Extract([]byte(raw)), extractWithMap([]byte(raw)); got != want && !strings.Contains(raw, `"name":"y"`) {
			t.Errorf("Extract(%s) = %+v, the map gives %+v", raw, got, want)
		}
	}
	if (Extract([]byte(`{"name":"x","name":"y"}`)) != Doc{}) {
		t.Errorf("an object that names a key twice gave text")
	}
}

// TestExtractAgreesOnRealData compares the two on every object of the
// real bundles in ../shared/data/stix.
func TestExtractAgreesOnRealData(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/data/stix/*.json")
	if len(files) == 0 {
		t.Skip("no real STIX bundles in ../shared/data/stix beside the repository: skipped")
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range bundle.Objects {
			n++
			if got, want := Extract(o), extractWithMap(o); got != want {
				t.Fatalf("%s: Extract and the map disagree on %.200s:\n%+v\n%+v", f, o, got, want)
			}
		}
	}
	t.Logf("%d objects of %d bundles agree", n, len(files))
}

// FuzzExtract checks that Extract never panics, and that on every input
// both read as an object with distinct keys in valid UTF-8 it agrees with
// the map.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		`{"name":"Phishing","aliases":["a"],"external_references":[{"external_id":"T1566"}],"x_mitre_shortname":"x"}`,
		`{"description":"a\u0000b","labels":["x",null]}`,
		`{"external_references":[null,{"external_id":null}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := Extract(raw)
		if got == (Doc{}) || !utf8.Valid(raw) || strings.Contains(strings.ToLower(string(raw)), `external_id"`) && !strings.Contains(string(raw), `"external_id"`) {
			return // the map folds the case of a struct's keys; the scanner does not
		}
		if want := extractWithMap(raw); got != want {
			t.Fatalf("Extract(%q) = %+v, the map gives %+v", raw, got, want)
		}
	})
}

// benchObject is an ATT&CK-like object of about 1.3 kB.
var benchObject = []byte(`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--a62a8db3-f23a-4d8f-afd6-9dbc77e7813b","created":"2020-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Spearphishing Attachment","description":"Adversaries may send spearphishing emails with a malicious attachment in an attempt to gain access to victim systems. Spearphishing attachment is a specific variant of spearphishing. Spearphishing attachment is different from other forms of spearphishing in that it employs the use of malware attached to an email.","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"initial-access"}],"external_references":[{"source_name":"mitre-attack","external_id":"T1566.001","url":"https://attack.mitre.org/techniques/T1566/001"}],"object_marking_refs":["marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"],"x_mitre_platforms":["Linux","macOS","Windows"],"x_mitre_version":"2.1","x_mitre_detection":"Network intrusion detection systems and email gateways can be used to detect spearphishing with malicious attachments in transit.","labels":["initial-access"]}`)

func BenchmarkExtract(b *testing.B) {
	for _, c := range []struct {
		name string
		fn   func([]byte) Doc
	}{{"scanner", Extract}, {"map", extractWithMap}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchObject)))
			for b.Loop() {
				c.fn(benchObject)
			}
		})
	}
}

// FuzzIndexWords checks the one-pass word split against Words.
func FuzzIndexWords(f *testing.F) {
	for _, s := range []string{"Spear-Phishing T1566.001", "İstanbul ÉTÉ ß 東京 x\xffy", "  a  ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := indexWords(s), strings.Join(Words(s), " "); got != want {
			t.Fatalf("indexWords(%q) = %q, Words gives %q", s, got, want)
		}
	})
}

func BenchmarkIndexWords(b *testing.B) {
	d := extractWithMap(benchObject)
	text := d.Name + " " + d.Keys + " " + d.Body
	for _, c := range []struct {
		name string
		fn   func(string) string
	}{{"one-pass", indexWords}, {"join-words", func(s string) string { return strings.Join(Words(s), " ") }}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				c.fn(text)
			}
		})
	}
}
