package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"liaison/stix/internal/stixtime"
)

// Parse parses a STIX 2.1 pattern. The error, when not nil, is an *Error
// giving the byte offset, line and column of the fault and what was
// expected there.
func Parse(src string) (*Pattern, error) {
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.followedBy()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.expected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
	}
	return &Pattern{Expr: e}, nil
}

// String returns the pattern in canonical form; parsing it again yields
// the same tree.
func (p *Pattern) String() string { return p.Expr.String() }

type parser struct {
	lex   lexer
	tok   token
	depth int
}

// maxDepth bounds nesting of parentheses and brackets.
const maxDepth = 256

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errAt(off int, format string, args ...any) *Error {
	return newError(p.lex.src, off, format, args...)
}

func (p *parser) expected(what string) *Error {
	return p.errAt(p.tok.pos, "expected %s, found %s", what, p.tok.describe())
}

func (p *parser) isKeyword(k string) bool { return p.tok.kind == tKeyword && p.tok.text == k }

// expect consumes a token of kind k or fails naming what.
func (p *parser) expect(k tokKind, what string) (token, error) {
	if p.tok.kind != k {
		return token{}, p.expected(what)
	}
	t := p.tok
	return t, p.advance()
}

func (p *parser) expectKeyword(k string) error {
	if !p.isKeyword(k) {
		return p.expected(k)
	}
	return p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.tok.pos, "nesting deeper than %d", maxDepth)
	}
	return nil
}

// Observation expressions: FOLLOWEDBY binds loosest, then OR, then AND;
// qualifiers bind to the bracketed or parenthesised expression before them.

func (p *parser) followedBy() (Expression, error) {
	return p.obsChain(FollowedBy, "FOLLOWEDBY", p.obsOr)
}

func (p *parser) obsOr() (Expression, error) { return p.obsChain(ObsOr, "OR", p.obsAnd) }

func (p *parser) obsAnd() (Expression, error) { return p.obsChain(ObsAnd, "AND", p.qualified) }

func (p *parser) obsChain(op ObservationOp, kw string, sub func() (Expression, error)) (Expression, error) {
	left, err := sub()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := sub()
		if err != nil {
			return nil, err
		}
		left = &Combination{Offset: left.Pos(), Op: op, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) qualified() (Expression, error) {
	e, err := p.obsPrimary()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for p.tok.kind == tKeyword && (p.tok.text == "WITHIN" || p.tok.text == "REPEATS" || p.tok.text == "START") {
		kw, at := p.tok.text, p.tok.pos
		if seen[kw] {
			return nil, p.errAt(at, "a second %s qualifier on the same expression: put the first in parentheses", kw)
		}
		seen[kw] = true
		if err := p.advance(); err != nil {
			return nil, err
		}
		var q Qualifier
		switch kw {
		case "WITHIN":
			q, err = p.within()
		case "REPEATS":
			q, err = p.repeats()
		default:
			q, err = p.startStop()
		}
		if err != nil {
			return nil, err
		}
		e = &Qualified{Offset: e.Pos(), Expr: e, Qualifier: q}
	}
	return e, nil
}

func (p *parser) within() (Qualifier, error) {
	t := p.tok
	if (t.kind != tInt && t.kind != tFloat) || strings.HasPrefix(t.text, "-") {
		return nil, p.expected("a positive number of seconds after WITHIN")
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return nil, p.errAt(t.pos, "WITHIN needs a positive number of seconds, not %s", t.text)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("SECONDS"); err != nil {
		return nil, err
	}
	return &Within{Seconds: f, Literal: strings.TrimPrefix(t.text, "+")}, nil
}

func (p *parser) repeats() (Qualifier, error) {
	t := p.tok
	if t.kind != tInt || strings.HasPrefix(t.text, "-") {
		return nil, p.expected("a positive integer after REPEATS")
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(t.text, "+"), 10, 64)
	if err != nil || n <= 0 {
		return nil, p.errAt(t.pos, "REPEATS needs a positive integer, not %s", t.text)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("TIMES"); err != nil {
		return nil, err
	}
	return &Repeats{Times: n}, nil
}

func (p *parser) startStop() (Qualifier, error) {
	start, err := p.timestamp("START")
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("STOP"); err != nil {
		return nil, err
	}
	stopAt := p.tok.pos
	stop, err := p.timestamp("STOP")
	if err != nil {
		return nil, err
	}
	if !stop.Time.After(start.Time) {
		return nil, p.errAt(stopAt, "STOP t'%s' must be later than START t'%s'", stop.Raw, start.Raw)
	}
	return &StartStop{Start: start.Time, Stop: stop.Time, StartLiteral: start.Raw, StopLiteral: stop.Raw}, nil
}

func (p *parser) timestamp(after string) (Constant, error) {
	if p.tok.kind != tTimestamp {
		return Constant{}, p.expected("a timestamp t'YYYY-MM-DDTHH:MM:SSZ' after " + after)
	}
	c, err := p.constant()
	return c, err
}

func (p *parser) obsPrimary() (Expression, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch p.tok.kind {
	case tLBrack:
		at := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.compOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBrack, "AND, OR or ]"); err != nil {
			return nil, err
		}
		return &Observation{Offset: at, Comparison: c}, nil
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.followedBy()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "AND, OR, FOLLOWEDBY, a qualifier or )"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return nil, p.expected("[ or ( to start an observation expression")
}

// Comparison expressions: OR binds looser than AND.

func (p *parser) compOr() (Comparison, error) { return p.compChain(Or, "OR", p.compAnd) }

func (p *parser) compAnd() (Comparison, error) { return p.compChain(And, "AND", p.propTest) }

func (p *parser) compChain(op BoolOp, kw string, sub func() (Comparison, error)) (Comparison, error) {
	left, err := sub()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := sub()
		if err != nil {
			return nil, err
		}
		left = &BoolExpr{Offset: left.Pos(), Op: op, Left: left, Right: right}
	}
	return left, nil
}

var operators = map[string]Operator{
	"=": Equal, "==": Equal, "!=": NotEqual, "<>": NotEqual,
	"<": Less, "<=": LessEqual, ">": Greater, ">=": GreaterEqual,
	"IN": In, "LIKE": Like, "MATCHES": Matches, "ISSUBSET": IsSubset, "ISSUPERSET": IsSuperset,
}

func (p *parser) propTest() (Comparison, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	at := p.tok.pos
	if p.tok.kind == tLParen {
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.compOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "AND, OR or )"); err != nil {
			return nil, err
		}
		return c, nil
	}
	if p.isKeyword("EXISTS") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		return &Exists{Offset: at, Path: path}, nil
	}
	if p.tok.kind != tIdent {
		return nil, p.expected("an object path such as file:name, EXISTS or (")
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	t := &Test{Offset: at, Path: path}
	if p.isKeyword("NOT") {
		t.Negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	op, ok := operators[p.tok.text]
	if !ok || (p.tok.kind != tOp && p.tok.kind != tKeyword) {
		return nil, p.expected("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	t.Op = op
	switch op {
	case In:
		if _, err := p.expect(tLParen, "( to start the set after IN"); err != nil {
			return nil, err
		}
		t.Set = []Constant{}
		for p.tok.kind != tRParen {
			if len(t.Set) > 0 {
				if _, err := p.expect(tComma, ", or )"); err != nil {
					return nil, err
				}
			}
			c, err := p.constant()
			if err != nil {
				return nil, err
			}
			t.Set = append(t.Set, c)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	case Like, Matches, IsSubset, IsSuperset:
		if p.tok.kind != tString {
			return nil, p.expected("a string constant after " + op.String())
		}
		if t.Value, err = p.constant(); err != nil {
			return nil, err
		}
	default:
		if t.Value, err = p.constant(); err != nil {
			return nil, err
		}
		if t.Value.Kind == Bool && op != Equal && op != NotEqual {
			return nil, p.errAt(t.Value.Offset, "%s cannot compare with a boolean", op)
		}
	}
	return t, nil
}

// path parses objectType:first(.step|[i])*.
func (p *parser) path() (Path, error) {
	at := p.tok.pos
	if p.tok.kind != tIdent {
		return Path{}, p.expected("an object type such as file")
	}
	path := Path{Offset: at, ObjectType: p.tok.text}
	if err := p.advance(); err != nil {
		return Path{}, err
	}
	if _, err := p.expect(tColon, ": after the object type "+path.ObjectType); err != nil {
		return Path{}, err
	}
	name, err := p.component("a property name after :")
	if err != nil {
		return Path{}, err
	}
	path.Steps = append(path.Steps, Step{Kind: Property, Name: name})
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.advance(); err != nil {
				return Path{}, err
			}
			name, err := p.component("a property name after .")
			if err != nil {
				return Path{}, err
			}
			path.Steps = append(path.Steps, Step{Kind: Property, Name: name})
		case tLBrack:
			if err := p.advance(); err != nil {
				return Path{}, err
			}
			switch p.tok.kind {
			case tStar:
				path.Steps = append(path.Steps, Step{Kind: AnyIndex})
			case tInt:
				n, err := strconv.ParseInt(strings.TrimPrefix(p.tok.text, "+"), 10, 64)
				if err != nil {
					return Path{}, p.errAt(p.tok.pos, "list index %s is out of range", p.tok.text)
				}
				path.Steps = append(path.Steps, Step{Kind: Index, Index: n})
			default:
				return Path{}, p.expected("a list index (an integer or *)")
			}
			if err := p.advance(); err != nil {
				return Path{}, err
			}
			if _, err := p.expect(tRBrack, "] after the list index"); err != nil {
				return Path{}, err
			}
		default:
			return path, nil
		}
	}
}

// component reads a path component: an identifier without hyphens, or a
// quoted string (needed for names such as 'SHA-256').
func (p *parser) component(what string) (string, error) {
	t := p.tok
	switch t.kind {
	case tString:
		return t.text, p.advance()
	case tIdent:
		if strings.IndexByte(t.text, '-') >= 0 {
			return "", p.errAt(t.pos, "path component %s contains a hyphen: quote it as '%s'", t.text, t.text)
		}
		return t.text, p.advance()
	case tKeyword:
		return "", p.errAt(t.pos, "path component %s is a keyword: quote it as '%s'", t.text, t.text)
	}
	return "", p.expected(what)
}

// constant reads any constant.
func (p *parser) constant() (Constant, error) {
	t := p.tok
	c := Constant{Offset: t.pos, Raw: t.text}
	switch t.kind {
	case tString:
		c.Kind, c.Str = String, t.text
	case tInt:
		n, err := strconv.ParseInt(strings.TrimPrefix(t.text, "+"), 10, 64)
		if err != nil {
			return c, p.errAt(t.pos, "integer %s is out of range", t.text)
		}
		c.Kind, c.Int = Int, n
	case tFloat:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return c, p.errAt(t.pos, "float %s is out of range", t.text)
		}
		c.Kind, c.Float = Float, f
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true":
			c.Kind, c.Bool = Bool, true
		case "false":
			c.Kind, c.Bool = Bool, false
		default:
			return c, p.expected("a constant (string, number, boolean, b'…', h'…' or t'…')")
		}
	case tBinary:
		if len(t.text)%4 != 0 || strings.Trim(t.text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
			return c, p.errAt(t.pos, "b'%s' is not valid base64", t.text)
		}
		b, err := base64.StdEncoding.Strict().DecodeString(t.text)
		if err != nil {
			return c, p.errAt(t.pos, "b'%s' is not valid base64", t.text)
		}
		c.Kind, c.Bytes = Binary, b
	case tHex:
		b, err := hex.DecodeString(t.text)
		if err != nil {
			return c, p.errAt(t.pos, "h'%s' is not an even number of hex digits", t.text)
		}
		c.Kind, c.Bytes = Hex, b
	case tTimestamp:
		ts, ok := stixtime.Parse(t.text)
		if !ok {
			return c, p.errAt(t.pos, "t'%s' is not an RFC 3339 timestamp in UTC (want YYYY-MM-DDTHH:MM:SS[.sss]Z)", t.text)
		}
		c.Kind, c.Time = Timestamp, ts
	default:
		return c, p.expected("a constant (string, number, boolean, b'…', h'…' or t'…')")
	}
	return c, p.advance()
}
