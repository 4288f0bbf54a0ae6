package postgres

import (
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// A search document's tsvector is
//
//	setweight(to_tsvector('simple', name), 'A') ||
//	setweight(to_tsvector('simple', tags), 'B') ||
//	setweight(to_tsvector('simple', body), 'C')
//
// (migration 1100). Made by PostgreSQL, from the text, it was most of the
// database's work in an ingest: its parser reads every character of every
// document, some 55 µs of server CPU an object against 25 µs for writing
// the text itself (migration 2500). The writer already holds each
// document as lower-case words separated by single spaces
// (textsearch.Indexed), and for such words the parser and the simple
// dictionary do nothing but number them, so searchVector makes the same
// vector here and sends it in binary, which PostgreSQL takes without
// parsing. A document it cannot vouch for goes without one, and the
// search_docs_doc trigger makes it there from the text as before.

// Limits within which searchVector's vector is exactly PostgreSQL's; past
// them PostgreSQL drops or clamps positions (MAXENTRYPOS, MAXNUMPOS), skips
// long words (MAXSTRLEN) or refuses the vector (MAXSTRPOS). searchVector
// stays well inside each rather than copying how each is handled.
const (
	vectorMaxPos      = 16000   // positions (words) in a document; PostgreSQL clamps at 16383
	vectorMaxRepeats  = 255     // positions of one word; PostgreSQL keeps at most 255 from to_tsvector
	vectorMaxWordLen  = 255     // bytes of a word; PostgreSQL skips words of 2047 or more
	vectorMaxDocBytes = 1 << 19 // bytes of text; PostgreSQL refuses lexemes beyond 1 MiB
)

// searchVector returns the tsvector PostgreSQL makes of a document (see
// above), and true, when the document is words of ASCII lower-case letters
// and digits, each separated from the next by one space, within the
// limits above; otherwise false, and the database makes the vector.
func searchVector(name, tags, body string) (pgtype.TSVector, bool) {
	if len(name)+len(tags)+len(body) > vectorMaxDocBytes {
		return pgtype.TSVector{}, false
	}
	// The words in order (word i is at position i+1), each numbered by
	// its lexeme, lexemes numbered as first met.
	words := make([]string, 0, 16+(len(name)+len(tags)+len(body))/6)
	var ends [3]int // words of each part end here
	for k, s := range [3]string{name, tags, body} {
		for len(s) > 0 {
			end := strings.IndexByte(s, ' ')
			w := s
			if end >= 0 {
				w, s = s[:end], s[end+1:]
				if s == "" {
					return pgtype.TSVector{}, false // a trailing space
				}
			} else {
				s = ""
			}
			if !plainWord(w) {
				return pgtype.TSVector{}, false
			}
			words = append(words, w)
		}
		ends[k] = len(words)
	}
	if len(words) > vectorMaxPos {
		return pgtype.TSVector{}, false
	}
	lexeme := make(map[string]int32, len(words))
	lexemeOf := make([]int32, len(words))
	var lexemes []string
	var count []int32
	for i, w := range words {
		l, ok := lexeme[w]
		if !ok {
			l = int32(len(lexemes))
			lexeme[w] = l
			lexemes = append(lexemes, w)
			count = append(count, 0)
		}
		count[l]++
		if count[l] > vectorMaxRepeats {
			return pgtype.TSVector{}, false
		}
		lexemeOf[i] = l
	}
	// Lexemes in PostgreSQL's order (bytes, a prefix first: Go's string
	// order), each with its positions ascending.
	order := make([]int32, len(lexemes))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(lexemes[a], lexemes[b]) })
	at := make([]int32, len(lexemes)) // where each lexeme's positions start
	next := int32(0)
	for _, l := range order {
		at[l] = next
		next += count[l]
	}
	positions := make([]pgtype.TSVectorPosition, len(words))
	fill := slices.Clone(at)
	for i, l := range lexemeOf {
		weight := pgtype.TSVectorWeightC
		switch {
		case i < ends[0]:
			weight = pgtype.TSVectorWeightA
		case i < ends[1]:
			weight = pgtype.TSVectorWeightB
		}
		positions[fill[l]] = pgtype.TSVectorPosition{Position: uint16(i + 1), Weight: weight}
		fill[l]++
	}
	v := pgtype.TSVector{Valid: true, Lexemes: make([]pgtype.TSVectorLexeme, len(order))}
	for i, l := range order {
		v.Lexemes[i] = pgtype.TSVectorLexeme{Word: lexemes[l], Positions: positions[at[l] : at[l]+count[l] : at[l]+count[l]]}
	}
	return v, true
}

// plainWord reports whether w is a word PostgreSQL's default parser reads
// as one token, itself: 1 to vectorMaxWordLen bytes of a-z and 0-9, not
// starting with digits, an e and a digit. The parser reads such a start
// as a number in scientific notation and ends the token after its
// exponent, so that it splits the hash 9e9b83… into 9e9 and b83….
func plainWord(w string) bool {
	if len(w) == 0 || len(w) > vectorMaxWordLen {
		return false
	}
	digits := 0
	for digits < len(w) && '0' <= w[digits] && w[digits] <= '9' {
		digits++
	}
	if digits > 0 && digits+1 < len(w) && w[digits] == 'e' && '0' <= w[digits+1] && w[digits+1] <= '9' {
		return false
	}
	for i := digits; i < len(w); i++ {
		if c := w[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
