package match

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"liaison/stix/pattern"
)

// stamp is an instant as seconds and nanoseconds since the Unix epoch: it
// covers every STIX timestamp (years 0000 to 9999) without the overflow of
// UnixNano.
type stamp struct {
	s int64
	n int32
}

var (
	minStamp = stamp{s: math.MinInt64}
	maxStamp = stamp{s: math.MaxInt64, n: 999999999}
)

func toStamp(t time.Time) stamp { return stamp{s: t.Unix(), n: int32(t.Nanosecond())} }

func (a stamp) less(b stamp) bool { return a.s < b.s || a.s == b.s && a.n < b.n }

func (a stamp) cmp(b stamp) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// add returns a+d for a non-negative duration d, saturating at maxStamp.
func (a stamp) add(d stamp) stamp {
	if a.s > math.MaxInt64-d.s-1 {
		return maxStamp
	}
	r := stamp{s: a.s + d.s, n: a.n + d.n}
	if r.n >= 1e9 {
		r.s++
		r.n -= 1e9
	}
	return r
}

func minS(a, b stamp) stamp {
	if a.less(b) {
		return a
	}
	return b
}

func maxS(a, b stamp) stamp {
	if a.less(b) {
		return b
	}
	return a
}

// constant is a pattern constant made ready for comparison.
type constant struct {
	kind pattern.Kind
	b    bool
	// latin1 says every code point of a String is below U+0100, so that it
	// can stand for octets (section 9.2, string constants).
	latin1 bool
	ipOK   bool   // ip holds
	str    string // String
	i      int64  // Int
	f      float64
	bytes  []byte       // Binary and Hex; String on a binary property, when latin1 holds
	t      stamp        // Timestamp
	ip     netip.Prefix // String that reads as an IP address or CIDR block
}

func makeConstant(c pattern.Constant, binaryPath bool) constant {
	k := constant{kind: c.Kind}
	switch c.Kind {
	case pattern.String:
		k.str = c.Str
		if binaryPath {
			k.bytes, k.latin1 = latin1Bytes(c.Str)
		}
		k.ip, k.ipOK = parseIP(c.Str)
	case pattern.Int:
		k.i = c.Int
	case pattern.Float:
		k.f = c.Float
	case pattern.Bool:
		k.b = c.Bool
	case pattern.Binary, pattern.Hex:
		k.bytes = c.Bytes
		if k.bytes == nil {
			k.bytes = []byte{}
		}
	case pattern.Timestamp:
		k.t = toStamp(c.Time)
	}
	return k
}

// latin1Bytes maps a string whose code points are all below U+0100 to one
// octet per code point (section 9.2); ok is false for any other string.
func latin1Bytes(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0x100 {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

// widen maps octets to the string of the code points U+0000…U+00FF with
// the same values, so that a regular expression such as \xd4 matches the
// octet 0xd4 (section 9.6.1: binary properties are matched without the
// UNICODE flag).
func widen(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 2)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// parseIP reads an IPv4 or IPv6 address or CIDR block, as the value of an
// ipv4-addr or ipv6-addr object holds it. A single address is the block of
// that one address. The block is masked: 198.51.100.7/24 is 198.51.100.0/24.
func parseIP(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// contains reports whether block a wholly contains block b; blocks of
// different address families contain nothing of each other.
func contains(a, b netip.Prefix) bool {
	return a.Addr().BitLen() == b.Addr().BitLen() && a.Bits() <= b.Bits() && a.Contains(b.Addr())
}

// isIPHolder reports whether an object is an ipv4-addr or ipv6-addr, whose
// value property is an address or block and is compared as one.
func isIPHolder(holder map[string]any) bool {
	t, _ := holder["type"].(string)
	return t == "ipv4-addr" || t == "ipv6-addr"
}

// numeric reads an observation value as a number.
func numeric(v any) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, 0, true, true
	case float64:
		return 0, x, false, true
	case int:
		return int64(x), 0, true, true
	case json.Number:
		switch n := number(x).(type) {
		case int64:
			return n, 0, true, true
		case float64:
			return 0, n, false, true
		}
	}
	return 0, 0, false, false
}

// cmpIntFloat compares an integer with a float exactly, without rounding
// either (section 9.2: 1 and 1.5 are not equal).
func cmpIntFloat(i int64, f float64) int {
	switch {
	case math.IsNaN(f):
		return 0 // not reached: JSON has no NaN
	case f < -9.223372036854775808e18:
		return 1
	case f >= 9.223372036854775808e18:
		return -1
	}
	t := math.Trunc(f)
	ti := int64(t)
	switch {
	case i < ti:
		return -1
	case i > ti:
		return 1
	case f > t:
		return -1
	case f < t:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// binValue decodes the string value of a binary property: base64 for a
// name ending in _bin, hex for one ending in _hex.
func binValue(s string, hexPath bool) ([]byte, bool) {
	if hexPath {
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// order compares an observation value v, reached by path p, with constant
// c. It returns -1, 0 or +1, and ok false when the two are of types that do
// not compare (section 9.6.1), for example a string property and an
// integer constant.
func order(v any, p *cpath, c *constant) (int, bool) {
	if s, isStr := v.(string); isStr {
		if p.binary {
			b, ok := binValue(s, p.hex)
			if !ok {
				return 0, false
			}
			switch c.kind {
			case pattern.Binary, pattern.Hex:
				return bytes.Compare(b, c.bytes), true
			case pattern.String:
				if !c.latin1 {
					return 0, false
				}
				return bytes.Compare(b, c.bytes), true
			}
			return 0, false
		}
		switch c.kind {
		case pattern.String:
			return strings.Compare(s, c.str), true
		case pattern.Binary, pattern.Hex:
			b, ok := latin1Bytes(s)
			if !ok {
				return 0, false
			}
			return bytes.Compare(b, c.bytes), true
		case pattern.Timestamp:
			t, ok := pattern.ParseTimestamp(s)
			if !ok {
				return 0, false
			}
			return toStamp(t).cmp(c.t), true
		}
		return 0, false
	}
	if b, isBool := v.(bool); isBool {
		if c.kind != pattern.Bool {
			return 0, false
		}
		switch {
		case b == c.b:
			return 0, true
		case !b:
			return -1, true
		}
		return 1, true
	}
	i, f, isInt, ok := numeric(v)
	if !ok {
		return 0, false
	}
	switch c.kind {
	case pattern.Int:
		if isInt {
			return cmpInt(i, c.i), true
		}
		return -cmpIntFloat(c.i, f), true
	case pattern.Float:
		if isInt {
			return cmpIntFloat(i, c.f), true
		}
		return cmpFloat(f, c.f), true
	}
	return 0, false
}

// equal is the = of section 9.6.1 for one value. The value of an
// ipv4-addr or ipv6-addr object is also equal to a constant naming the
// same address or block in another spelling (198.51.100.1 and
// 198.51.100.1/32), as the specification's own examples expect.
func equal(v any, holder map[string]any, p *cpath, c *constant) bool {
	if o, ok := order(v, p, c); ok && o == 0 {
		return true
	}
	if c.ipOK && !p.binary {
		if s, ok := v.(string); ok && isIPHolder(holder) {
			if a, ok := parseIP(s); ok && a == c.ip {
				return true
			}
		}
	}
	return false
}

// textOf returns the text that LIKE and MATCHES see for a value: a string
// property NFC-normalised (section 9.6.1), a binary property as its octets
// widened to code points; ok is false for anything else.
func textOf(v any, p *cpath) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	if p.binary {
		b, ok := binValue(s, p.hex)
		if !ok {
			return "", false
		}
		return widen(b), true
	}
	if !isASCII(s) && !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	return s, true
}

// holds evaluates one comparison, without NOT, on one value.
func (t *test) holds(v any, holder map[string]any) bool {
	switch t.op {
	case pattern.Equal:
		return equal(v, holder, t.path, &t.c)
	case pattern.NotEqual:
		return !equal(v, holder, t.path, &t.c)
	case pattern.Less, pattern.LessEqual, pattern.Greater, pattern.GreaterEqual:
		o, ok := order(v, t.path, &t.c)
		if !ok {
			return false
		}
		switch t.op {
		case pattern.Less:
			return o < 0
		case pattern.LessEqual:
			return o <= 0
		case pattern.Greater:
			return o > 0
		}
		return o >= 0
	case pattern.In:
		for i := range t.set {
			if equal(v, holder, t.path, &t.set[i]) {
				return true
			}
		}
		return false
	case pattern.Like, pattern.Matches:
		s, ok := textOf(v, t.path)
		if !ok {
			return false
		}
		if t.glob != nil {
			return globMatch(t.glob, s)
		}
		for _, n := range t.need {
			if !strings.Contains(s, n) {
				return false
			}
		}
		return t.re.MatchString(s)
	case pattern.IsSubset, pattern.IsSuperset:
		s, ok := v.(string)
		if !ok {
			return false
		}
		a, ok := parseIP(s)
		if !ok {
			return false
		}
		if t.op == pattern.IsSubset {
			return contains(t.c.ip, a)
		}
		return contains(a, t.c.ip)
	}
	return false
}

// globMatch is LIKE for a pattern without _: parts are the literal runs
// between its %s. The first run must begin s, the last end it, and the
// others follow in order between; taking each at its leftmost place
// leaves the most room for the rest, so no backtracking is needed.
func globMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}

// isASCII reports whether s is all ASCII, and so already in NFC.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
