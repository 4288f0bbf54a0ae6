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

// vectorWord is one occurrence of a word while a vector is made.
type vectorWord struct {
	word string
	pos  pgtype.TSVectorPosition
}

// searchVector returns the tsvector PostgreSQL makes of a document (see
// above), and true, when the document is words of ASCII lower-case letters
// and digits, each separated from the next by one space, within the
// limits above; otherwise false, and the database makes the vector.
func searchVector(name, tags, body string) (pgtype.TSVector, bool) {
	if len(name)+len(tags)+len(body) > vectorMaxDocBytes {
		return pgtype.TSVector{}, false
	}
	words := make([]vectorWord, 0, 16+(len(name)+len(tags)+len(body))/6)
	pos := 0
	for _, part := range [...]struct {
		text   string
		weight pgtype.TSVectorWeight
	}{{name, pgtype.TSVectorWeightA}, {tags, pgtype.TSVectorWeightB}, {body, pgtype.TSVectorWeightC}} {
		s := part.text
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
			pos++
			if pos > vectorMaxPos {
				return pgtype.TSVector{}, false
			}
			words = append(words, vectorWord{w, pgtype.TSVectorPosition{Position: uint16(pos), Weight: part.weight}})
		}
	}
	// Lexemes in PostgreSQL's order (bytes, a prefix first, as Go's string
	// order), each with its positions ascending: a stable sort by word
	// keeps them in the order they were numbered.
	slices.SortStableFunc(words, func(a, b vectorWord) int { return strings.Compare(a.word, b.word) })
	positions := make([]pgtype.TSVectorPosition, len(words))
	v := pgtype.TSVector{Valid: true}
	for i := 0; i < len(words); {
		j := i + 1
		for j < len(words) && words[j].word == words[i].word {
			j++
		}
		if j-i > vectorMaxRepeats {
			return pgtype.TSVector{}, false
		}
		for k := i; k < j; k++ {
			positions[k] = words[k].pos
		}
		v.Lexemes = append(v.Lexemes, pgtype.TSVectorLexeme{Word: words[i].word, Positions: positions[i:j:j]})
		i = j
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
