// Package textsearch is the part of full-text search that both stores and
// the web share: it parses what a person types into a safe query (terms,
// "phrases" and prefix*), writes that query for SQLite FTS5 and for
// PostgreSQL's tsquery, takes the searchable text out of a STIX object,
// ranks a document against a query using that document alone, and
// splits text into highlighted and plain segments.
//
// Words are runs of letters and digits, lower-cased; everything else
// separates them. The query forms hold nothing but such words, quoted,
// so no input can reach either engine's query syntax.
package textsearch

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"liaison"
)

// Limits of a query.
const (
	MaxQueryBytes = 256 // longer queries are EINVALID
	MaxWords      = 16  // words in all its terms
	MinPrefix     = 2   // letters or digits before a *
)

// Term is one thing a result must contain: a word, or a phrase of words
// in order. Prefix says the last word may be the start of a longer one.
type Term struct {
	Words  []string
	Prefix bool
}

// Query is a parsed query: every term must match.
type Query struct {
	Terms []Term
}

func invalid(format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, "field q: "+format, args...)
}

// Parse reads a query as a person types it: words, "quoted phrases", and
// a * after a word (or a phrase) for a prefix. Anything that is not a
// letter or digit separates words, so T1566.001 is the phrase "t1566 001"
// and spear-phishing is "spear phishing". EINVALID, naming the field q,
// for an empty query, a too long one, an unclosed quotation mark or a
// prefix too short.
func Parse(s string) (Query, error) {
	var q Query
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return q, invalid("the search is not valid UTF-8 text")
	}
	if len(s) > MaxQueryBytes {
		return q, invalid("the search is %d bytes long; it takes at most %d", len(s), MaxQueryBytes)
	}
	if strings.TrimSpace(s) == "" {
		return q, invalid("type a word to search for")
	}
	words := 0
	add := func(chunk string, quoted bool) error {
		prefix := false
		if strings.HasSuffix(chunk, "*") && !quoted {
			prefix = true
			chunk = strings.TrimRight(chunk, "*")
		}
		ws := Words(chunk)
		if len(ws) == 0 {
			return nil
		}
		if prefix && len([]rune(ws[len(ws)-1])) < MinPrefix {
			return invalid("a prefix needs at least %d letters or digits before the * (as in phish*)", MinPrefix)
		}
		words += len(ws)
		if words > MaxWords {
			return invalid("the search has more than %d words", MaxWords)
		}
		q.Terms = append(q.Terms, Term{Words: ws, Prefix: prefix})
		return nil
	}
	rest := s
	for rest != "" {
		r, size := utf8.DecodeRuneInString(rest)
		switch {
		case unicode.IsSpace(r):
			rest = rest[size:]
		case r == '"':
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return Query{}, invalid("a quotation mark is not closed")
			}
			phrase := rest[1 : 1+end]
			rest = rest[2+end:]
			// A * right after the closing mark makes the phrase's last
			// word a prefix.
			if strings.HasPrefix(rest, "*") {
				phrase += "*"
				rest = strings.TrimLeft(rest, "*")
				if err := add(phrase, false); err != nil {
					return Query{}, err
				}
				continue
			}
			if err := add(phrase, true); err != nil {
				return Query{}, err
			}
		default:
			end := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
			if end < 0 {
				end = len(rest)
			}
			if err := add(rest[:end], false); err != nil {
				return Query{}, err
			}
			rest = rest[end:]
		}
	}
	if len(q.Terms) == 0 {
		return q, invalid("the search has no word to look for: use letters or digits")
	}
	return q, nil
}

// isWordRune says whether r belongs to a word.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// eachWord calls fn with the byte range of every word of s.
func eachWord(s string, fn func(start, end int) bool) {
	start := -1
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if !fn(start, i) {
				return
			}
			start = -1
		}
	}
	if start >= 0 {
		fn(start, len(s))
	}
}

// Words returns the words of s, lower-cased.
func Words(s string) []string {
	var out []string
	eachWord(s, func(a, b int) bool { out = append(out, strings.ToLower(s[a:b])); return true })
	return out
}

// FTS5 returns the query as an SQLite FTS5 MATCH expression: each term a
// quoted phrase (with * for a prefix), all of them required.
func (q Query) FTS5() string {
	parts := make([]string, 0, len(q.Terms))
	for _, t := range q.Terms {
		p := `"` + strings.Join(t.Words, " ") + `"`
		if t.Prefix {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// TSQuery returns the query as PostgreSQL to_tsquery text: each word
// quoted, phrases joined by <->, a prefix marked :*, all terms joined by &.
func (q Query) TSQuery() string {
	parts := make([]string, 0, len(q.Terms))
	for _, t := range q.Terms {
		ws := make([]string, len(t.Words))
		for i, w := range t.Words {
			ws[i] = "'" + w + "'"
		}
		if t.Prefix {
			ws[len(ws)-1] += ":*"
		}
		p := strings.Join(ws, " <-> ")
		if len(ws) > 1 {
			p = "(" + p + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " & ")
}

// Key returns the query's words for Rank: space-separated, a prefix word
// ending in *.
func (q Query) Key() string {
	var ws []string
	for _, t := range q.Terms {
		for i, w := range t.Words {
			if t.Prefix && i == len(t.Words)-1 {
				w += "*"
			}
			ws = append(ws, w)
		}
	}
	return strings.Join(ws, " ")
}

// String returns the query as it could be typed again.
func (q Query) String() string {
	parts := make([]string, 0, len(q.Terms))
	for _, t := range q.Terms {
		p := strings.Join(t.Words, " ")
		if len(t.Words) > 1 {
			p = `"` + p + `"`
		}
		if t.Prefix {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// matcher tells whether a word of a document is one of the query's.
type matcher struct {
	exact  map[string]bool
	prefix []string
}

func newMatcher(key string) matcher {
	m := matcher{exact: map[string]bool{}}
	for _, w := range strings.Fields(key) {
		if p, ok := strings.CutSuffix(w, "*"); ok {
			m.prefix = append(m.prefix, p)
		} else {
			m.exact[w] = true
		}
	}
	return m
}

func (m matcher) match(word string) bool {
	w := strings.ToLower(word)
	if m.exact[w] {
		return true
	}
	for _, p := range m.prefix {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// Weights of a matched word in each part of a document, as Rank counts
// them; PostgreSQL's ts_rank is given the same proportions (A, B, C).
const (
	NameWeight = 10
	KeysWeight = 4
	BodyWeight = 1
	maxCounted = 8 // occurrences of words counted per part
)

// Rank scores a document (its three parts) against a query's Key, from
// the document alone: how many of its words are the query's, weighted by
// part, at most maxCounted per part. Nothing about other documents, and
// so nothing about versions a reader may not read, enters the score.
// Parts are read as Doc.Indexed writes them (lower-case words separated
// by spaces); other text is lower-cased first.
func Rank(key, name, keys, body string) int64 {
	m := cachedMatcher(key)
	var score int64
	for _, part := range []struct {
		text   string
		weight int64
	}{{name, NameWeight}, {keys, KeysWeight}, {body, BodyWeight}} {
		score += int64(m.count(part.text, maxCounted)) * part.weight
	}
	return score
}

// count returns how many words of text (at most limit) the matcher
// matches. Indexed text (lower-case ASCII words and spaces) is split on
// spaces without decoding; any other text word by word.
func (m matcher) count(text string, limit int) int {
	n := 0
	if !indexedASCII(text) {
		eachWord(text, func(a, b int) bool {
			if m.match(text[a:b]) {
				n++
			}
			return n < limit
		})
		return n
	}
	for text != "" && n < limit {
		w := text
		if i := strings.IndexByte(text, ' '); i >= 0 {
			w, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if w != "" && m.matchLower(w) {
			n++
		}
	}
	return n
}

// indexedASCII says whether s holds only lower-case ASCII letters,
// digits and spaces.
func indexedASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' ') {
			return false
		}
	}
	return true
}

func (m matcher) matchLower(w string) bool {
	if m.exact[w] {
		return true
	}
	for _, p := range m.prefix {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// matchers caches the matchers of recent keys: a search calls Rank once
// per matching document with the same key.
var matchers struct {
	sync.Mutex
	m map[string]matcher
}

func cachedMatcher(key string) matcher {
	matchers.Lock()
	defer matchers.Unlock()
	if m, ok := matchers.m[key]; ok {
		return m
	}
	if matchers.m == nil || len(matchers.m) >= 256 {
		matchers.m = map[string]matcher{}
	}
	m := newMatcher(key)
	matchers.m[key] = m
	return m
}
