package match

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// PCRE features that RE2 lacks, by the text that Go's regexp/syntax names
// in its error. Each says what the construct is and, where one exists,
// what to write instead.
var re2Missing = []struct{ prefix, what string }{
	{`(?<=`, "a lookbehind assertion, which RE2 does not support"},
	{`(?<!`, "a negative lookbehind assertion, which RE2 does not support"},
	{`(?=`, "a lookahead assertion, which RE2 does not support"},
	{`(?!`, "a negative lookahead assertion, which RE2 does not support"},
	{`(?>`, "an atomic group, which RE2 does not support (RE2 never backtracks, so (?:…) matches the same strings)"},
	{`(?R`, "recursion, which RE2 does not support"},
	{`(?&`, "a subroutine call, which RE2 does not support"},
	{`(?P>`, "a subroutine call, which RE2 does not support"},
	{`(?P=`, "a named backreference, which RE2 does not support"},
	{`(?(`, "a conditional group, which RE2 does not support"},
	{`(?#`, "an inline comment, which RE2 does not support"},
	{`(?|`, "a branch-reset group, which RE2 does not support"},
	{`(?'`, "a named group written (?'name'…), which RE2 does not support: write (?P<name>…)"},
	{`(?x`, "extended mode (?x), which RE2 does not support: remove the flag and the white space"},
	{`(?J`, "the (?J) flag, which RE2 does not support"},
	{`(?X`, "the (?X) flag, which RE2 does not support"},
	{`\k`, "a named backreference, which RE2 does not support"},
	{`\g`, "a backreference or subroutine call, which RE2 does not support"},
	{`\G`, `the \G anchor, which RE2 does not support`},
	{`\Z`, `the \Z anchor, which RE2 does not support: write \n?\z`},
	{`\K`, `\K (reset the match start), which RE2 does not support`},
	{`\R`, `\R (any line break), which RE2 does not support: write (?:\r\n|[\n\x0b\f\r\x85\x{2028}\x{2029}])`},
	{`\X`, `\X (an extended grapheme cluster), which RE2 does not support`},
	{`\h`, `\h (horizontal white space), which RE2 does not support: write [\t \xa0]`},
	{`\H`, `\H (not horizontal white space), which RE2 does not support: write [^\t \xa0]`},
	{`\V`, `\V (not vertical white space), which RE2 does not support: write [^\n\x0b\f\r\x85\x{2028}\x{2029}]`},
	{`\N`, `\N (not a newline), which RE2 does not support: write [^\n]`},
	{`\C`, `\C (one byte), which RE2 does not support`},
	{`\e`, `\e (escape), which RE2 does not support: write \x1b`},
	{`\c`, `a control-character escape \cX, which RE2 does not support: write \x followed by the code`},
	{`\o`, `an octal escape \o{…}, which RE2 does not support: write \x{…}`},
	{`\u`, `a \u escape, which RE2 does not support: write \x{…}`},
}

// re2Check reports whether expr, a PCRE regular expression as MATCHES
// takes it, can run on Go's RE2 engine with the same meaning, and compiles
// it with the DOTALL flag the specification requires. The error says
// which construct is at fault and why.
func re2Compile(expr string) (*regexp.Regexp, error) {
	if at := vEscape(expr); at >= 0 {
		return nil, fmt.Errorf(`it uses \v at byte %d of the expression: in PCRE \v is any vertical white space, in RE2 only the vertical tab, so refuse rather than match differently: write [\n\x0b\f\r\x85\x{2028}\x{2029}] or \x0b`, at)
	}
	if i := strings.Index(expr, "(*"); i >= 0 && !escapedAt(expr, i) {
		return nil, fmt.Errorf("it uses a PCRE verb %q, which RE2 does not support", clip(expr[i:], 12))
	}
	re, err := regexp.Compile("(?s)" + expr)
	if err == nil {
		return re, nil
	}
	var se *syntax.Error
	if !errors.As(err, &se) {
		return nil, fmt.Errorf("RE2 cannot compile it: %v", err)
	}
	frag := se.Expr
	switch se.Code {
	case syntax.ErrInvalidRepeatOp:
		if len(frag) >= 2 && strings.HasSuffix(frag, "+") {
			return nil, fmt.Errorf("it uses a possessive quantifier %q, which RE2 does not support (RE2 never backtracks: drop the final +)", frag)
		}
	case syntax.ErrInvalidRepeatSize:
		return nil, fmt.Errorf("it uses the repeat count %q: RE2 allows at most 1000 repetitions", frag)
	case syntax.ErrLarge:
		return nil, fmt.Errorf("it is too large for RE2 once compiled (nested repeat counts multiply)")
	case syntax.ErrInvalidEscape:
		if len(frag) == 2 && frag[1] >= '1' && frag[1] <= '9' {
			return nil, fmt.Errorf("it uses the backreference %q, which RE2 does not support", frag)
		}
	case syntax.ErrInvalidPerlOp:
		if len(frag) >= 3 && (frag[2] >= '0' && frag[2] <= '9' || frag[2] == '+' || frag[2] == '-') {
			return nil, fmt.Errorf("it uses a subroutine call %q, which RE2 does not support", frag)
		}
	}
	for _, m := range re2Missing {
		if strings.HasPrefix(frag, m.prefix) {
			return nil, fmt.Errorf("it uses %q, %s", clip(frag, 16), m.what)
		}
	}
	return nil, fmt.Errorf("RE2 cannot compile it: %s: %q", se.Code, frag)
}

// vEscape returns the byte offset of a \v escape outside \Q…\E, or -1.
func vEscape(expr string) int {
	for i := 0; i < len(expr); i++ {
		if expr[i] != '\\' || i+1 >= len(expr) {
			continue
		}
		switch expr[i+1] {
		case 'v':
			return i
		case 'Q':
			end := strings.Index(expr[i+2:], `\E`)
			if end < 0 {
				return -1
			}
			i += 2 + end + 1
			continue
		}
		i++
	}
	return -1
}

// escapedAt reports whether the byte at i is preceded by an odd number of
// backslashes.
func escapedAt(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// likeCompile turns a LIKE pattern into an anchored regular expression:
// % is any run of characters, _ is one character (one code point), and
// every other character stands for itself. STIX gives LIKE no escape
// character. The pattern is NFC-normalised first, as section 9.6.1
// requires.
func likeCompile(like string) (*regexp.Regexp, error) {
	like = norm.NFC.String(like)
	var b strings.Builder
	b.WriteString(`^(?s:`)
	lit := 0
	flush := func(i int) {
		if i > lit {
			b.WriteString(regexp.QuoteMeta(like[lit:i]))
		}
	}
	for i := 0; i < len(like); i++ {
		switch like[i] {
		case '%':
			flush(i)
			b.WriteString(`.*`)
			lit = i + 1
		case '_':
			flush(i)
			b.WriteString(`.`)
			lit = i + 1
		}
	}
	flush(len(like))
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("the LIKE pattern is too large to compile: %v", err)
	}
	return re, nil
}
