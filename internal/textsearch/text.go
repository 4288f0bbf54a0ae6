package textsearch

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// Doc is the searchable text of one object version, in three parts that
// rank differently: its name; its keys (aliases, labels, external ids
// such as T1566, and the short x_mitre_* values such as
// x_mitre_shortname); and its body (description, pattern, and the longer
// x_mitre_* texts).
type Doc struct {
	Name, Keys, Body string
}

// maxKeyLen is the longest x_mitre_* string kept with the keys; longer
// ones are prose and go to the body.
const maxKeyLen = 100

// maxPart bounds each part of a Doc (bytes), so one huge object cannot
// bloat the index.
const maxPart = 64 << 10

// Extract takes the searchable text out of a STIX object's bytes. An
// object that is not a JSON object gives an empty Doc.
func Extract(raw []byte) Doc {
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
	slices.Sort(mitre) // a stable order, so the same bytes give the same Doc
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

func join(ss []string) string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

// clip cuts s to at most maxPart bytes, on a rune boundary.
func clip(s string) string {
	if len(s) <= maxPart {
		return s
	}
	s = s[:maxPart]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Segment is a piece of text, matched by the query or not. A page writes
// each segment escaped, and wraps the matched ones in a mark element.
type Segment struct {
	Text string
	Hit  bool
}

// Highlight splits text into segments, the words the query matches
// marked as hits.
func Highlight(text string, q Query) []Segment {
	m := newMatcher(q.Key())
	var out []Segment
	last := 0
	eachWord(text, func(a, b int) bool {
		if m.match(text[a:b]) {
			if a > last {
				out = append(out, Segment{Text: text[last:a]})
			}
			out = append(out, Segment{Text: text[a:b], Hit: true})
			last = b
		}
		return true
	})
	if last < len(text) {
		out = append(out, Segment{Text: text[last:]})
	}
	return out
}

// Snippet returns about width bytes of text around its first word the
// query matches (the start of text if none does), highlighted, with an
// ellipsis where text was cut.
func Snippet(text string, q Query, width int) []Segment {
	if len(text) <= width {
		return Highlight(text, q)
	}
	m := newMatcher(q.Key())
	first := -1
	eachWord(text, func(a, b int) bool {
		if m.match(text[a:b]) {
			first = a
			return false
		}
		return true
	})
	start := 0
	if first > width/3 {
		start = first - width/3
	}
	end := min(len(text), start+width)
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	segs := Highlight(text[start:end], q)
	if start > 0 {
		segs = append([]Segment{{Text: "…"}}, segs...)
	}
	if end < len(text) {
		segs = append(segs, Segment{Text: "…"})
	}
	return segs
}

// Indexed returns the doc as the stores index it: each part reduced to
// its lower-case words, separated by spaces, so that both engines see the
// same words as Parse makes of a query.
func (d Doc) Indexed() Doc {
	w := func(s string) string { return strings.Join(Words(s), " ") }
	return Doc{Name: w(d.Name), Keys: w(d.Keys), Body: w(d.Body)}
}

// Empty says whether the doc has no word at all.
func (d Doc) Empty() bool { return d.Name == "" && d.Keys == "" && d.Body == "" }
