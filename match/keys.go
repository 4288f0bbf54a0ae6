package match

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"liaison/stix/pattern"
)

// Key kinds. A value key is (path, kind, value); a type key is the object
// type of a root.
const (
	kString = iota // a string value, as it is
	kAddr          // the value of an ipv4-addr or ipv6-addr, as a masked block
	kBytes         // the octets of a binary (_bin, _hex) property
	kNumber        // a number, integers and integral floats alike
	kBool
	kTime // a timestamp, as an instant
	kNet  // an address block that holds the value (ISSUBSET)
	kLit  // a literal that a LIKE or MATCHES needs (keyLiteral): filed under its text, found among the value's substrings
	kType // a type key: val is the object type
	nKinds
)

// ikey is a key an indicator is filed under. An observation is tried
// against an indicator only when the observation produces one of the
// indicator's keys, so the keys must be necessary: an observation that
// satisfies the pattern produces one of them, whatever else it holds.
type ikey struct {
	path string // canonical object path; "" for a type key
	kind uint8
	val  string
}

// Key costs, to choose between two necessary sets: a type key lets
// through every object of the type, a value key only the objects with
// that value, and a value of a small domain (a port, a flag) is shared by
// many objects. An address key stands beside the string key of the same
// constant, so it adds nothing.
var keyCost = [nKinds]int{kString: 2, kAddr: 0, kBytes: 2, kNumber: 8, kBool: 100, kTime: 4, kNet: 6, kLit: 50, kType: 2000}

// keySet is a necessary set of keys: an observation that matches produces
// at least one. An empty set means nothing can match.
type keySet []ikey

func (s keySet) cost() int {
	c := 0
	for _, k := range s {
		c += keyCost[k.kind]
	}
	return c
}

func union(a, b keySet) keySet {
	out := append(keySet(nil), a...)
	for _, k := range b {
		dup := false
		for _, o := range out {
			if o == k {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, k)
		}
	}
	return out
}

func cheaper(a, b keySet) keySet {
	if b.cost() < a.cost() {
		return b
	}
	return a
}

// keys returns the necessary keys of a whole pattern over a batch.
//
//   - [C]: the necessary keys of C on one root object, or, when C has none
//     (it is only !=, LIKE, MATCHES, ranges, EXISTS, NOT …), the type keys
//     of the types its root may have: every comparison names its type.
//   - A OR B: the union, since either side may be the one that matches.
//   - A AND B, A FOLLOWEDBY B: both sides must match, so the keys of
//     either side are necessary; take the cheaper.
//   - Qualifiers only narrow what matches: the keys of the operand.
func (n *onode) keys() keySet {
	switch n.op {
	case oLeaf:
		if ks, ok := n.leaf.keys(); ok {
			return ks
		}
		var out keySet
		for _, t := range n.types {
			out = append(out, ikey{kind: kType, val: t})
		}
		return out
	case oOr:
		return union(n.l.keys(), n.r.keys())
	case oAnd, oFollowedBy:
		return cheaper(n.l.keys(), n.r.keys())
	}
	return n.l.keys()
}

// keys returns keys of which one is produced by any root object on which
// the comparison holds; ok is false when there is no such set short of
// every object (a comparison that holds for values the index cannot
// enumerate).
func (c *cnode) keys() (keySet, bool) {
	switch c.op {
	case cAnd:
		l, lok := c.l.keys()
		r, rok := c.r.keys()
		switch {
		case lok && rok:
			return cheaper(l, r), true
		case lok:
			return l, true
		case rok:
			return r, true
		}
		return nil, false
	case cOr:
		l, lok := c.l.keys()
		r, rok := c.r.keys()
		if lok && rok {
			return union(l, r), true
		}
		return nil, false
	case cExists:
		return nil, false
	}
	t := c.t
	if t.neg {
		return nil, false
	}
	switch t.op {
	case pattern.Equal:
		return constKeys(t.path, &t.c)
	case pattern.Like, pattern.Matches:
		if lit := t.keyLiteral(); lit != "" {
			return keySet{{path: t.path.str, kind: kLit, val: lit}}, true
		}
		return nil, false
	case pattern.IsSubset:
		// a ISSUBSET b holds when a is no wider than b and a, cut to b's
		// length, is b: the value files under each of its own widenings
		// to the lengths the index holds (valueKeys).
		return keySet{{path: t.path.str, kind: kNet, val: t.c.ip.String()}}, true
	case pattern.In:
		var out keySet
		for i := range t.set {
			ks, ok := constKeys(t.path, &t.set[i])
			if !ok {
				return nil, false
			}
			out = union(out, ks)
		}
		return out, true
	}
	return nil, false
}

// constKeys returns the keys of the values v for which equal(v, …, c)
// holds on path p: that the key of v (valueKeys) is among them is
// necessary and sufficient for equality.
func constKeys(p *cpath, c *constant) (keySet, bool) {
	k := func(kind uint8, val string) ikey { return ikey{path: p.str, kind: kind, val: val} }
	switch c.kind {
	case pattern.String:
		if p.binary {
			if !c.latin1 {
				return keySet{}, true // no octets equal a string beyond U+00FF
			}
			return keySet{k(kBytes, string(c.bytes))}, true
		}
		ks := keySet{k(kString, c.str)}
		if c.ipOK {
			ks = append(ks, k(kAddr, c.ip.String()))
		}
		return ks, true
	case pattern.Binary, pattern.Hex:
		if p.binary {
			return keySet{k(kBytes, string(c.bytes))}, true
		}
		// A string property equals octets when its code points, all below
		// U+0100, are those octets: when it is their widened string.
		return keySet{k(kString, widen(c.bytes))}, true
	case pattern.Int:
		return keySet{k(kNumber, intKey(c.i))}, true
	case pattern.Float:
		return keySet{k(kNumber, floatKey(c.f))}, true
	case pattern.Bool:
		return keySet{k(kBool, boolKey(c.b))}, true
	case pattern.Timestamp:
		if p.binary {
			return keySet{}, true // octets are never a timestamp
		}
		return keySet{k(kTime, stampKey(c.t))}, true
	}
	return nil, false
}

func intKey(i int64) string { return strconv.FormatInt(i, 10) }

// floatKey gives an integral float the key of the integer it equals, so
// that 1 and 1.0 meet.
func floatKey(f float64) string {
	if t := math.Trunc(f); t == f && f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 {
		return intKey(int64(f))
	}
	return "f" + strconv.FormatFloat(f, 'g', -1, 64)
}

func boolKey(b bool) string {
	if b {
		return "t"
	}
	return "f"
}

func stampKey(s stamp) string {
	return strconv.FormatInt(s.s, 10) + "." + strconv.FormatInt(int64(s.n), 10)
}

// valueKeys calls fn with the key of value v, reached on path ip.p inside
// holder, for each kind of key the index holds for that path.
func valueKeys(ip *ipath, v any, holder map[string]any, fn func(ikey)) {
	p, mask := ip.p, ip.mask
	if s, ok := v.(string); ok {
		// A literal a LIKE or MATCHES needs is a substring of the text it
		// runs on (textOf), of one of the lengths the index holds.
		if mask&(1<<kLit) != 0 && !p.binary {
			text := s
			if !isASCII(text) && !norm.NFC.IsNormalString(text) {
				text = norm.NFC.String(text)
			}
			for l := range ip.litLens {
				for i := 0; i+l <= len(text); i++ {
					fn(ikey{path: p.str, kind: kLit, val: text[i : i+l]})
				}
			}
		}
		// ISSUBSET reads the string as it stands, on any path.
		if mask&(1<<kNet) != 0 {
			if a, ok := parseIP(s); ok {
				for l := range ip.netLens {
					if l <= a.Bits() {
						if w, err := a.Addr().Prefix(l); err == nil {
							fn(ikey{path: p.str, kind: kNet, val: w.String()})
						}
					}
				}
			}
		}
		if p.binary {
			if mask&(1<<kBytes) != 0 {
				if b, ok := binValue(s, p.hex); ok {
					fn(ikey{path: p.str, kind: kBytes, val: string(b)})
				}
			}
			return
		}
		if mask&(1<<kString) != 0 {
			fn(ikey{path: p.str, kind: kString, val: s})
		}
		if mask&(1<<kAddr) != 0 && isIPHolder(holder) {
			if a, ok := parseIP(s); ok {
				fn(ikey{path: p.str, kind: kAddr, val: a.String()})
			}
		}
		if mask&(1<<kTime) != 0 {
			if t, ok := pattern.ParseTimestamp(s); ok {
				fn(ikey{path: p.str, kind: kTime, val: stampKey(toStamp(t))})
			}
		}
		return
	}
	if b, ok := v.(bool); ok {
		if mask&(1<<kBool) != 0 {
			fn(ikey{path: p.str, kind: kBool, val: boolKey(b)})
		}
		return
	}
	if mask&(1<<kNumber) == 0 {
		return
	}
	if i, f, isInt, ok := numeric(v); ok {
		if isInt {
			fn(ikey{path: p.str, kind: kNumber, val: intKey(i)})
		} else {
			fn(ikey{path: p.str, kind: kNumber, val: floatKey(f)})
		}
	}
}

// maxKeyLiteral bounds the length of a literal key, so that an
// observation's value is looked up under at most that many substring
// lengths per path.
const maxKeyLiteral = 8

// keyLiteral returns the literal a LIKE or MATCHES test is filed under,
// or "" when it has none: one of the literals every text it holds for
// contains (needed), preferring one with a digit (a name's number tells
// more than its letters: every URL holds "http"), then the longest, then
// the last, cut to its first maxKeyLiteral bytes. Binary paths compare
// widened octets and are not filed so.
func (t *test) keyLiteral() string {
	if t.textTest == nil || t.path.binary {
		return ""
	}
	best, bestDigit := "", false
	for _, l := range t.need {
		d := strings.ContainsAny(l, "0123456789")
		if best == "" || d && !bestDigit || d == bestDigit && len(l) >= len(best) {
			best, bestDigit = l, d
		}
	}
	if len(best) > maxKeyLiteral {
		best = best[:maxKeyLiteral]
	}
	return best
}
