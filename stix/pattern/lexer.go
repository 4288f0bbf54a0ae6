package pattern

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a syntax or semantic error in a pattern, at a position.
type Error struct {
	Offset int    // byte offset of the fault, from 0
	Line   int    // line of the fault, from 1
	Column int    // column of the fault in characters, from 1
	Msg    string // what was expected or what is wrong
}

func (e *Error) Error() string {
	if e.Line > 1 {
		return fmt.Sprintf("pattern line %d column %d (byte %d): %s", e.Line, e.Column, e.Offset, e.Msg)
	}
	return fmt.Sprintf("pattern column %d (byte %d): %s", e.Column, e.Offset, e.Msg)
}

func newError(src string, off int, format string, args ...any) *Error {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &Error{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
	tOp // comparison operator symbol: = == != <> < <= > >=
	tIdent
	tKeyword
	tString
	tInt
	tFloat
	tBinary
	tHex
	tTimestamp
)

type token struct {
	kind tokKind
	pos  int
	text string // as written; for tString the decoded value; for literals the content between quotes
}

// describe names a token for "found …" messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tString:
		return "string '" + t.text + "'"
	case tBinary:
		return "binary constant"
	case tHex:
		return "hex constant"
	case tTimestamp:
		return "timestamp constant"
	case tInt, tFloat:
		return "number " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "FOLLOWEDBY": true, "LIKE": true, "MATCHES": true,
	"ISSUPERSET": true, "ISSUBSET": true, "EXISTS": true, "LAST": true, "IN": true,
	"START": true, "STOP": true, "SECONDS": true, "WITHIN": true, "REPEATS": true, "TIMES": true,
}

type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' || c == '-' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// skip passes white space (including the Unicode spaces the grammar lists)
// and comments.
func (l *lexer) skip() *Error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			l.pos++
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return newError(l.src, l.pos, "unterminated comment: expected */")
			}
			l.pos += end + 4
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "//"):
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			switch r {
			case 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
				0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
				l.pos += n
			default:
				return nil
			}
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token.
func (l *lexer) next() (token, *Error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	single := func(k tokKind) (token, *Error) {
		l.pos++
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	switch c {
	case '[':
		return single(tLBrack)
	case ']':
		return single(tRBrack)
	case '(':
		return single(tLParen)
	case ')':
		return single(tRParen)
	case ':':
		return single(tColon)
	case ',':
		return single(tComma)
	case '*':
		return single(tStar)
	case '=':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '=' {
			l.pos++
		}
		return token{kind: tOp, pos: start, text: l.src[start:l.pos]}, nil
	case '!':
		if strings.HasPrefix(l.src[start:], "!=") {
			l.pos += 2
			return token{kind: tOp, pos: start, text: "!="}, nil
		}
		return token{}, newError(l.src, start, "unexpected '!': expected !=")
	case '<', '>':
		l.pos++
		if l.pos < len(l.src) && (l.src[l.pos] == '=' || c == '<' && l.src[l.pos] == '>') {
			l.pos++
		}
		return token{kind: tOp, pos: start, text: l.src[start:l.pos]}, nil
	case '\'':
		s, err := l.quoted(start)
		return token{kind: tString, pos: start, text: s}, err
	case '.':
		if start+1 < len(l.src) && isDigit(l.src[start+1]) {
			return l.number()
		}
		return single(tDot)
	case '+', '-':
		return l.number()
	}
	if isDigit(c) {
		return l.number()
	}
	if (c == 'b' || c == 'h' || c == 't') && start+1 < len(l.src) && l.src[start+1] == '\'' {
		end := strings.IndexByte(l.src[start+2:], '\'')
		if end < 0 {
			return token{}, newError(l.src, start, "unterminated %c'…' constant: expected closing quote", c)
		}
		l.pos = start + 2 + end + 1
		k := map[byte]tokKind{'b': tBinary, 'h': tHex, 't': tTimestamp}[c]
		return token{kind: k, pos: start, text: l.src[start+2 : start+2+end]}, nil
	}
	if isIdentStart(c) {
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		text := l.src[start:l.pos]
		if keywords[text] {
			return token{kind: tKeyword, pos: start, text: text}, nil
		}
		return token{kind: tIdent, pos: start, text: text}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	return token{}, newError(l.src, start, "unexpected character %q", r)
}

// quoted reads a string constant starting at the quote at start. Only \'
// and \\ are escapes.
func (l *lexer) quoted(start int) (string, *Error) {
	var b strings.Builder
	i := start + 1
	for i < len(l.src) {
		c := l.src[i]
		switch c {
		case '\'':
			l.pos = i + 1
			return b.String(), nil
		case '\\':
			if i+1 < len(l.src) && (l.src[i+1] == '\'' || l.src[i+1] == '\\') {
				b.WriteByte(l.src[i+1])
				i += 2
				continue
			}
			return "", newError(l.src, i, "invalid escape in string: only \\' and \\\\ are allowed")
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", newError(l.src, start, "unterminated string: expected closing '")
}

// number reads an integer or float constant, with an optional sign.
func (l *lexer) number() (token, *Error) {
	start := l.pos
	i := start
	if l.src[i] == '+' || l.src[i] == '-' {
		i++
	}
	ds := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	intDigits := l.src[ds:i]
	if i < len(l.src) && l.src[i] == '.' {
		i++
		fs := i
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
		if i == fs {
			return token{}, newError(l.src, i, "expected a digit after the decimal point")
		}
		l.pos = i
		return token{kind: tFloat, pos: start, text: l.src[start:i]}, nil
	}
	if intDigits == "" {
		return token{}, newError(l.src, start, "expected a number after %q", l.src[start:ds])
	}
	if len(intDigits) > 1 && intDigits[0] == '0' {
		return token{}, newError(l.src, ds, "integer %s has a leading zero", intDigits)
	}
	l.pos = i
	return token{kind: tInt, pos: start, text: l.src[start:i]}, nil
}
