package match

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unique"

	"golang.org/x/text/unicode/norm"

	"liaison/stix/pattern"
)

// Pattern is a compiled STIX pattern, ready to be matched. It is
// immutable, so any number of goroutines may match it at once.
type Pattern struct {
	src    string
	root   *onode
	leaves int // leaf observation expressions, numbered 0…leaves-1
}

// Error is a pattern that parses but cannot be compiled: a regular
// expression that RE2 cannot run, an address block that does not parse,
// a set of mixed types. Offset is the byte offset of the comparison in
// the pattern, Path the object path it tests.
type Error struct {
	Offset int
	Path   string
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("pattern byte %d (%s): %s", e.Offset, e.Path, e.Msg)
}

// Compile parses and compiles a STIX 2.1 pattern. It refuses, with an
// error naming the place, every pattern that the matcher could not run as
// the specification means it: a syntax error (a *pattern.Error, with line
// and column), or (a *Error, with the byte offset and object path) a
// MATCHES regular expression that Go's RE2 engine cannot run or would run
// with another meaning, an ISSUBSET or ISSUPERSET operand that is not an
// IP address or CIDR block, or an IN set of mixed types. A store calls it
// when an indicator is written, so that no stored pattern fails later.
func Compile(src string) (*Pattern, error) {
	ast, err := pattern.Parse(src)
	if err != nil {
		return nil, err
	}
	p := &Pattern{src: src}
	root, err := p.observation(ast.Expr)
	if err != nil {
		return nil, err
	}
	p.root = root
	return p, nil
}

// String returns the pattern as it was written.
func (p *Pattern) String() string { return p.src }

// Observation-expression node kinds.
const (
	oLeaf = iota
	oAnd
	oOr
	oFollowedBy
	oWithin
	oStartStop
	oRepeats
)

// onode is a compiled observation expression.
type onode struct {
	op     uint8
	l, r   *onode // l is the operand of a qualifier
	leaf   *cnode // oLeaf
	leafID int
	types  []string // oLeaf: the object types a root may have
	*qual           // qualifiers only, so that leaves stay small
}

// qual holds the operand of a qualifier.
type qual struct {
	window      stamp // oWithin
	start, stop stamp // oStartStop
	times       int64 // oRepeats
}

// Comparison-expression node kinds.
const (
	cTest = iota
	cExists
	cAnd
	cOr
)

// cnode is a compiled comparison expression.
type cnode struct {
	op   uint8
	l, r *cnode
	t    *test
}

// test is one compiled comparison (or EXISTS) on a path.
type test struct {
	path      *cpath
	op        pattern.Operator
	neg       bool
	c         constant
	*textTest // IN, LIKE and MATCHES only, so that = stays small
}

// textTest holds what IN, LIKE and MATCHES add to a test.
type textTest struct {
	set  []constant
	re   *regexp.Regexp // LIKE, MATCHES
	need []string       // literals every string re matches contains (needed)
	glob []string       // LIKE without _: the literal runs between the %s
}

// cpath is a compiled object path.
type cpath struct {
	typ   string
	steps []pattern.Step
	// binary says the last property name ends in _bin or _hex, so its value
	// is compared as octets (section 9.6.4); hex says _hex.
	binary, hex bool
	str         string // canonical form
}

// compiledPaths holds one compiled path per canonical form, shared by
// every pattern that names it (a path is immutable once compiled): an
// office's indicators name few distinct paths. It stops growing at
// maxSharedPaths, past which paths are compiled per pattern.
var compiledPaths sync.Map // canonical form → *cpath

var sharedPaths atomic.Int64

const maxSharedPaths = 1 << 16

func compilePath(p pattern.Path) *cpath {
	str := p.String()
	if cp, ok := compiledPaths.Load(str); ok {
		return cp.(*cpath)
	}
	cp := newPath(p, str)
	if sharedPaths.Load() < maxSharedPaths {
		if old, loaded := compiledPaths.LoadOrStore(cp.str, cp); loaded {
			return old.(*cpath)
		}
		sharedPaths.Add(1)
	}
	return cp
}

// typeLists holds the one-type lists of leaves, shared as paths are.
var typeLists sync.Map // type → []string

// internTypes returns a shared copy of a one-type list. The lists are
// only read, never appended to.
func internTypes(ts []string) []string {
	if len(ts) != 1 || sharedPaths.Load() >= maxSharedPaths {
		return ts
	}
	if l, ok := typeLists.Load(ts[0]); ok {
		return l.([]string)
	}
	l, _ := typeLists.LoadOrStore(ts[0], ts[:1:1])
	return l.([]string)
}

func newPath(p pattern.Path, str string) *cpath {
	cp := &cpath{typ: unique.Make(p.ObjectType).Value(), steps: slices.Clone(p.Steps), str: unique.Make(str).Value()}
	for i := len(p.Steps) - 1; i >= 0; i-- {
		if p.Steps[i].Kind == pattern.Property {
			n := p.Steps[i].Name
			cp.binary = strings.HasSuffix(n, "_bin") || strings.HasSuffix(n, "_hex")
			cp.hex = strings.HasSuffix(n, "_hex")
			break
		}
	}
	return cp
}

func (p *Pattern) observation(e pattern.Expression) (*onode, error) {
	switch x := e.(type) {
	case *pattern.Observation:
		c, err := p.comparison(x.Comparison)
		if err != nil {
			return nil, err
		}
		n := &onode{op: oLeaf, leaf: c, leafID: p.leaves, types: internTypes(rootTypes(c))}
		p.leaves++
		return n, nil
	case *pattern.Combination:
		l, err := p.observation(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := p.observation(x.Right)
		if err != nil {
			return nil, err
		}
		op := map[pattern.ObservationOp]uint8{pattern.ObsAnd: oAnd, pattern.ObsOr: oOr, pattern.FollowedBy: oFollowedBy}[x.Op]
		return &onode{op: op, l: l, r: r}, nil
	case *pattern.Qualified:
		in, err := p.observation(x.Expr)
		if err != nil {
			return nil, err
		}
		switch q := x.Qualifier.(type) {
		case *pattern.Within:
			return &onode{op: oWithin, l: in, qual: &qual{window: windowOf(q)}}, nil
		case *pattern.StartStop:
			return &onode{op: oStartStop, l: in, qual: &qual{start: toStamp(q.Start), stop: toStamp(q.Stop)}}, nil
		case *pattern.Repeats:
			return &onode{op: oRepeats, l: in, qual: &qual{times: q.Times}}, nil
		}
	}
	return nil, &Error{Offset: e.Pos(), Path: "-", Msg: "unknown observation expression"}
}

// windowOf reads a WITHIN literal exactly, rounding up below a
// nanosecond, so that "span < window" holds exactly when it holds for the
// decimal as written. Windows beyond 2^40 seconds (34,000 years) are
// clamped: no two STIX timestamps are further apart.
func windowOf(q *pattern.Within) stamp {
	lit := q.Literal
	ip, fp, _ := strings.Cut(lit, ".")
	var w stamp
	if len(ip) > 13 {
		return stamp{s: 1 << 40}
	}
	if ip != "" {
		n, err := strconv.ParseInt(ip, 10, 64)
		if err != nil {
			return stamp{s: 1 << 40}
		}
		w.s = n
	}
	if w.s > 1<<40 {
		return stamp{s: 1 << 40}
	}
	frac := fp
	if len(frac) > 9 {
		if strings.Trim(frac[9:], "0") != "" {
			w = w.add(stamp{n: 1})
		}
		frac = frac[:9]
	}
	if frac != "" {
		n, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		w = w.add(stamp{n: int32(n)})
	}
	if w.s == 0 && w.n == 0 && q.Seconds > 0 {
		w.n = 1
	}
	return w
}

// rootTypes returns the object types that a root object may have for the
// comparison to be true: each comparison is false on an object of another
// type, so AND intersects and OR unites.
func rootTypes(c *cnode) []string {
	switch c.op {
	case cTest, cExists:
		return []string{c.t.path.typ}
	case cOr:
		out := rootTypes(c.l)
		for _, t := range rootTypes(c.r) {
			if !contains1(out, t) {
				out = append(out, t)
			}
		}
		return out
	}
	var out []string
	r := rootTypes(c.r)
	for _, t := range rootTypes(c.l) {
		if contains1(r, t) {
			out = append(out, t)
		}
	}
	return out
}

func contains1(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (p *Pattern) comparison(c pattern.Comparison) (*cnode, error) {
	switch x := c.(type) {
	case *pattern.BoolExpr:
		l, err := p.comparison(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := p.comparison(x.Right)
		if err != nil {
			return nil, err
		}
		op := uint8(cOr)
		if x.Op == pattern.And {
			op = cAnd
		}
		return &cnode{op: op, l: l, r: r}, nil
	case *pattern.Exists:
		return &cnode{op: cExists, t: &test{path: compilePath(x.Path)}}, nil
	case *pattern.Test:
		t, err := compileTest(x)
		if err != nil {
			return nil, err
		}
		return &cnode{op: cTest, t: t}, nil
	}
	return nil, &Error{Offset: c.Pos(), Path: "-", Msg: "unknown comparison expression"}
}

func compileTest(x *pattern.Test) (*test, error) {
	path := compilePath(x.Path)
	t := &test{path: path, op: x.Op, neg: x.Negated}
	fail := func(format string, args ...any) error {
		return &Error{Offset: x.Offset, Path: path.str, Msg: fmt.Sprintf(format, args...)}
	}
	switch x.Op {
	case pattern.In:
		t.textTest = &textTest{}
		t.set = make([]constant, len(x.Set))
		for i, c := range x.Set {
			if i > 0 && !sameFamily(x.Set[0].Kind, c.Kind) {
				return nil, fail("IN mixes a %s (%s) and a %s (%s): section 9.6.1 wants constants of one type", x.Set[0].Kind, x.Set[0], c.Kind, c)
			}
			t.set[i] = makeConstant(c, path.binary)
		}
	case pattern.Like:
		re, err := likeCompile(x.Value.Str)
		if err != nil {
			return nil, fail("%v", err)
		}
		t.textTest = &textTest{}
		t.re, t.need = re, needed(re)
		if like := norm.NFC.String(x.Value.Str); !strings.Contains(like, "_") {
			t.glob = strings.Split(like, "%")
		}
	case pattern.Matches:
		re, err := re2Compile(x.Value.Str)
		if err != nil {
			return nil, fail("MATCHES regular expression %s cannot run on Go's RE2 engine: %v", x.Value, err)
		}
		t.textTest = &textTest{}
		t.re, t.need = re, needed(re)
	case pattern.IsSubset, pattern.IsSuperset:
		t.c = makeConstant(x.Value, false)
		if !t.c.ipOK {
			return nil, fail("%s needs an IPv4 or IPv6 address or CIDR block such as '198.51.100.0/24', not %s", x.Op, x.Value)
		}
	default:
		t.c = makeConstant(x.Value, path.binary)
		if x.Value.Kind == pattern.Float && (math.IsInf(x.Value.Float, 0) || math.IsNaN(x.Value.Float)) {
			return nil, fail("float %s is out of range", x.Value.Raw)
		}
	}
	return t, nil
}

// sameFamily reports whether two constant kinds may share an IN set:
// integers with floats (both numbers), binary with hex (both octets).
func sameFamily(a, b pattern.Kind) bool {
	fam := func(k pattern.Kind) pattern.Kind {
		switch k {
		case pattern.Float:
			return pattern.Int
		case pattern.Hex:
			return pattern.Binary
		}
		return k
	}
	return fam(a) == fam(b)
}
