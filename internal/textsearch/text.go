package textsearch

import (
	"slices"
	"strings"
	"unicode/utf8"

	"liaison/stix"
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
// object that is not a JSON object (or names a key twice) gives an empty
// Doc. It reads the bytes once with the stix package's scanner: it runs
// for every version written, on the writer's path.
func Extract(raw []byte) Doc {
	var name string
	var desc, pattern []string
	var keys, body []string
	var aliases, labels, extIDs []string
	type mitreMember struct {
		key string
		val []byte
	}
	var mitre []mitreMember
	err := stix.Members(raw, func(k string, v []byte) {
		switch {
		case k == "name":
			name, _ = stix.String(v)
		case k == "description":
			desc = oneString(v)
		case k == "pattern":
			pattern = oneString(v)
		case k == "aliases":
			aliases = strs(v)
		case k == "labels":
			labels = strs(v)
		case k == "external_references":
			extIDs = externalIDs(v)
		case strings.HasPrefix(k, "x_mitre_"):
			mitre = append(mitre, mitreMember{k, v})
		}
	})
	if err != nil {
		return Doc{}
	}
	body = append(body, desc...)
	body = append(body, pattern...)
	keys = append(keys, aliases...)
	keys = append(keys, labels...)
	keys = append(keys, extIDs...)
	// A stable order, so the same object gives the same Doc whatever the
	// order of its members.
	slices.SortFunc(mitre, func(a, b mitreMember) int { return strings.Compare(a.key, b.key) })
	for _, m := range mitre {
		for _, s := range strs(m.val) {
			if len(s) <= maxKeyLen {
				keys = append(keys, s)
			} else {
				body = append(body, s)
			}
		}
	}
	return Doc{Name: clip(name), Keys: clip(join(keys)), Body: clip(join(body))}
}

// oneString is v's text as a list of one, or nothing when v is not a
// string.
func oneString(v []byte) []string {
	if s, ok := stix.String(v); ok {
		return []string{s}
	}
	return nil
}

// strs reads a list of strings, or one non-empty string; anything else,
// or a list with anything but strings in it, gives nothing.
func strs(v []byte) []string {
	var out []string
	all := true
	isList := stix.Elements(v, func(e []byte) {
		s, ok := stix.String(e)
		if !ok && string(e) != "null" {
			all = false
		}
		out = append(out, s)
	})
	if isList {
		if !all {
			return nil
		}
		return out
	}
	if s, ok := stix.String(v); ok && s != "" {
		return []string{s}
	}
	return nil
}

// externalIDs reads the external_id of each external reference. A list
// with anything but objects (or null) in it, or an external_id that is not
// a string (or null), gives nothing.
func externalIDs(v []byte) []string {
	var out []string
	bad := false
	isList := stix.Elements(v, func(e []byte) {
		id := ""
		if string(e) != "null" {
			err := stix.Members(e, func(k string, ev []byte) {
				if k != "external_id" || string(ev) == "null" {
					return
				}
				s, ok := stix.String(ev)
				bad = bad || !ok
				id = s
			})
			bad = bad || err != nil
		}
		out = append(out, id)
	})
	if !isList || bad {
		return nil
	}
	return out
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
	return Doc{Name: indexWords(d.Name), Keys: indexWords(d.Keys), Body: indexWords(d.Body)}
}

// indexWords is strings.Join(Words(s), " ") in one pass, lower-casing an
// ASCII word byte by byte: it runs over every version written.
func indexWords(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start, ascii := -1, true
	word := func(end int) {
		w := s[start:end]
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if !ascii {
			b.WriteString(strings.ToLower(w))
			return
		}
		for i := 0; i < len(w); i++ {
			c := w[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
	}
	for i := 0; i < len(s); {
		in, size := false, 1
		if c := s[i]; c < utf8.RuneSelf {
			in = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			in = isWordRune(r)
		}
		switch {
		case in && start < 0:
			start, ascii = i, size == 1
		case in:
			ascii = ascii && size == 1
		case start >= 0:
			word(i)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		word(len(s))
	}
	return b.String()
}

// Empty says whether the doc has no word at all.
func (d Doc) Empty() bool { return d.Name == "" && d.Keys == "" && d.Body == "" }
