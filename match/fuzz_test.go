package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison/stix/pattern"
)

// bytesSource turns fuzz bytes into choices; past the end it yields 0.
type bytesSource struct {
	b []byte
	i int
}

func (s *bytesSource) pick(n int) int {
	if n <= 1 {
		return 0
	}
	if s.i >= len(s.b) {
		return 0
	}
	c := int(s.b[s.i])
	s.i++
	return c % n
}

// The fuzz vocabulary: few types, paths and values, so that matches
// happen.
var (
	fuzzPaths = map[string][]string{
		"ipv4-addr":       {"value"},
		"domain-name":     {"value", "resolves_to_refs[*].value", "resolves_to_refs[0].value"},
		"file":            {"name", "size", "hashes.MD5", "hashes.'SHA-256'"},
		"artifact":        {"payload_bin"},
		"network-traffic": {"dst_ref.value", "src_ref.value", "dst_port", "protocols[*]", "protocols[0]", "protocols"},
	}
	fuzzTypes  = []string{"ipv4-addr", "domain-name", "file", "artifact", "network-traffic"}
	fuzzConsts = []string{`'a'`, `'b'`, `'10.0.0.1'`, `'10.0.0.1/32'`, `'10.0.0.0/8'`, `'a.exe'`, `'tcp'`, `1`, `2`, `80`, `1.0`, `1.5`, `true`,
		`b'YQ=='`, `h'61'`, `t'2019-10-20T00:00:00Z'`}
	// constants of one type each, for IN sets
	fuzzFamilies = [][]string{fuzzConsts[0:7], fuzzConsts[7:12], fuzzConsts[12:13], fuzzConsts[13:15], fuzzConsts[15:16]}
	fuzzStrs     = []string{"a", "b", "10.0.0.1", "10.0.0.1/32", "10.1.2.3", "a.exe", "tcp", "YQ==", "Yg==", "2019-10-20T00:00:00.000Z"}
	fuzzNums     = []any{int64(1), int64(2), int64(80), float64(1.5), float64(1)}
	fuzzLikes    = []string{`'a%'`, `'_'`, `'%.exe'`, `'10.%'`, `'%0.0%'`, `'%é%'`, `'x%1_'`}
	fuzzRegexp   = []string{`'^a'`, `'b$'`, `'1'`, `'^(t|u)c'`, `'0\\.0+1'`, `'(?i)ab'`, `'é'`}
	fuzzNets     = []string{`'10.0.0.0/8'`, `'10.0.0.1'`, `'10.0.0.0/31'`}
)

func genComparison(s *bytesSource, typ string, depth int) string {
	if depth < 2 {
		switch s.pick(6) {
		case 0:
			return "(" + genComparison(s, typ, depth+1) + " AND " + genComparison(s, typ, depth+1) + ")"
		case 1:
			t2 := typ
			if s.pick(3) == 0 {
				t2 = fuzzTypes[s.pick(len(fuzzTypes))]
			}
			return "(" + genComparison(s, typ, depth+1) + " OR " + genComparison(s, t2, depth+1) + ")"
		}
	}
	ps := fuzzPaths[typ]
	path := typ + ":" + ps[s.pick(len(ps))]
	if s.pick(8) == 0 {
		return "EXISTS " + path
	}
	not := ""
	if s.pick(5) == 0 {
		not = " NOT"
	}
	switch s.pick(12) {
	case 0, 1, 2:
		return path + not + " = " + fuzzConsts[s.pick(len(fuzzConsts))]
	case 3:
		return path + not + " != " + fuzzConsts[s.pick(len(fuzzConsts))]
	case 4:
		ops := []string{"<", "<=", ">", ">="}
		return path + not + " " + ops[s.pick(4)] + " " + fuzzConsts[s.pick(6)+6]
	case 5, 6:
		fam := fuzzFamilies[s.pick(len(fuzzFamilies))]
		var set []string
		for i := s.pick(4); i > 0; i-- {
			set = append(set, fam[s.pick(len(fam))])
		}
		return path + not + " IN (" + strings.Join(set, ", ") + ")"
	case 7:
		return path + not + " LIKE " + fuzzLikes[s.pick(len(fuzzLikes))]
	case 8:
		return path + not + " MATCHES " + fuzzRegexp[s.pick(len(fuzzRegexp))]
	case 9:
		return path + not + " ISSUBSET " + fuzzNets[s.pick(len(fuzzNets))]
	case 10:
		return path + not + " ISSUPERSET " + fuzzNets[s.pick(len(fuzzNets))]
	}
	return path + not + " = " + fuzzConsts[s.pick(3)]
}

func genObservation(s *bytesSource, depth int) string {
	if depth < 2 {
		switch s.pick(9) {
		case 0:
			return "(" + genObservation(s, depth+1) + " AND " + genObservation(s, depth+1) + ")"
		case 1:
			return "(" + genObservation(s, depth+1) + " OR " + genObservation(s, depth+1) + ")"
		case 2:
			return "(" + genObservation(s, depth+1) + " FOLLOWEDBY " + genObservation(s, depth+1) + ")"
		case 3:
			return "(" + genObservation(s, depth+1) + ") WITHIN " + []string{"1", "10", "25.5", "100"}[s.pick(4)] + " SECONDS"
		case 4:
			return "(" + genObservation(s, depth+1) + ") REPEATS " + fmt.Sprint(s.pick(3)+1) + " TIMES"
		case 5:
			return "(" + genObservation(s, depth+1) + ") START t'2019-10-20T00:00:" + fmt.Sprintf("%02d", s.pick(3)*10) + "Z' STOP t'2019-10-20T00:00:" + fmt.Sprintf("%02d", s.pick(3)*10+30) + "Z'"
		}
	}
	return "[" + genComparison(s, fuzzTypes[s.pick(len(fuzzTypes))], 0) + "]"
}

func genSCO(s *bytesSource, key string, refs map[string]Object, keys []string) Object {
	str := func() string { return fuzzStrs[s.pick(len(fuzzStrs))] }
	typ := fuzzTypes[s.pick(len(fuzzTypes))]
	o := Object{"type": typ}
	switch typ {
	case "ipv4-addr":
		o["value"] = str()
	case "domain-name":
		o["value"] = str()
		if len(keys) > 0 && s.pick(2) == 0 {
			l := []any{keys[s.pick(len(keys))]}
			if s.pick(2) == 0 {
				l = append(l, keys[s.pick(len(keys))])
			}
			o["resolves_to_refs"] = l
		}
	case "file":
		if s.pick(3) > 0 {
			o["name"] = str()
		}
		if s.pick(2) == 0 {
			o["size"] = fuzzNums[s.pick(len(fuzzNums))]
		}
		if s.pick(2) == 0 {
			o["hashes"] = map[string]any{"MD5": str(), "SHA-256": str()}
		}
	case "artifact":
		o["payload_bin"] = str()
	case "network-traffic":
		if len(keys) > 0 {
			o["dst_ref"] = keys[s.pick(len(keys))]
			if s.pick(2) == 0 {
				o["src_ref"] = keys[s.pick(len(keys))]
			}
		}
		if s.pick(2) == 0 {
			o["dst_port"] = fuzzNums[s.pick(len(fuzzNums))]
		}
		if s.pick(2) == 0 {
			l := []any{str()}
			if s.pick(2) == 0 {
				l = append(l, "tcp")
			}
			o["protocols"] = l
		}
	}
	refs[key] = o
	return o
}

func genBatch(s *bytesSource) []Observation {
	n := s.pick(4) + 1
	out := make([]Observation, n)
	for i := range out {
		first := t0.Add(time.Duration(s.pick(6)*10) * time.Second)
		ob := Observation{ID: fmt.Sprintf("observed-data--%d", i), First: first, Last: first.Add(time.Duration(s.pick(3)*10) * time.Second),
			Count: int64(s.pick(2) + 1), Refs: map[string]Object{}}
		var keys []string
		for j := s.pick(3) + 1; j > 0; j-- {
			k := fmt.Sprint(len(keys))
			ob.Objects = append(ob.Objects, genSCO(s, k, ob.Refs, keys))
			keys = append(keys, k)
		}
		out[i] = ob
	}
	return out
}

// plain is an evaluator written apart from the package's: it walks the
// pattern's syntax tree, and for the observation operators it searches
// every multiset of the batch's observations (each observed-data
// offering number_observed of them) for one that the pattern can use
// exactly. Only the comparison of one value with one constant (test.holds)
// is shared, and that has its own table tests.
type plain struct {
	batch []Observation
	memo  map[string]bool // sat results by expression and multiset
}

func (pl *plain) matches(p *pattern.Pattern) bool {
	pl.memo = map[string]bool{}
	found := false
	pl.each(func(u []int64) bool {
		if pl.sat(p.Expr, u) {
			found = true
		}
		return found
	})
	return found
}

// each calls fn with every multiset of units (a count per observation, at
// most its number_observed), until fn returns true.
func (pl *plain) each(fn func([]int64) bool) {
	u := make([]int64, len(pl.batch))
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == len(u) {
			return fn(slices.Clone(u))
		}
		for n := int64(0); n <= max(pl.batch[i].Count, 1); n++ {
			u[i] = n
			if rec(i + 1) {
				return true
			}
		}
		return false
	}
	rec(0)
}

// splits calls fn with every way of writing u as a+b, until fn returns
// true.
func splits(u []int64, fn func(a, b []int64) bool) bool {
	a := make([]int64, len(u))
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == len(u) {
			b := make([]int64, len(u))
			for j := range u {
				b[j] = u[j] - a[j]
			}
			return fn(slices.Clone(a), b)
		}
		for n := int64(0); n <= u[i]; n++ {
			a[i] = n
			if rec(i + 1) {
				return true
			}
		}
		return false
	}
	return rec(0)
}

func units(u []int64) (n int64) {
	for _, c := range u {
		n += c
	}
	return n
}

// window returns the earliest first_observed and latest last_observed of
// the observations used.
func (pl *plain) window(u []int64) (lo, hi time.Time) {
	first := true
	for i, c := range u {
		if c == 0 {
			continue
		}
		o := pl.batch[i]
		if first || o.First.Before(lo) {
			lo = o.First
		}
		if first || o.Last.After(hi) {
			hi = o.Last
		}
		first = false
	}
	return lo, hi
}

// sat reports whether expression e can be satisfied using exactly the
// observations u.
func (pl *plain) sat(e pattern.Expression, u []int64) bool {
	k := fmt.Sprintf("%p%v", e, u)
	if r, ok := pl.memo[k]; ok {
		return r
	}
	r := pl.sat1(e, u)
	pl.memo[k] = r
	return r
}

func (pl *plain) sat1(e pattern.Expression, u []int64) bool {
	switch x := e.(type) {
	case *pattern.Observation:
		if units(u) != 1 {
			return false
		}
		for i, c := range u {
			if c == 1 {
				return pl.leaf(x.Comparison, &pl.batch[i])
			}
		}
	case *pattern.Combination:
		if x.Op == pattern.ObsOr {
			return pl.sat(x.Left, u) || pl.sat(x.Right, u)
		}
		return splits(u, func(a, b []int64) bool {
			if units(a) == 0 || units(b) == 0 {
				return false
			}
			if x.Op == pattern.FollowedBy {
				_, ahi := pl.window(a)
				blo, _ := pl.window(b)
				if blo.Before(ahi) {
					return false
				}
			}
			return pl.sat(x.Left, a) && pl.sat(x.Right, b)
		})
	case *pattern.Qualified:
		switch q := x.Qualifier.(type) {
		case *pattern.Within:
			if !pl.sat(x.Expr, u) {
				return false
			}
			lo, hi := pl.window(u)
			return units(u) <= 1 || float64(hi.Sub(lo))/1e9 < q.Seconds
		case *pattern.StartStop:
			lo, hi := pl.window(u)
			return !lo.Before(q.Start) && hi.Before(q.Stop) && pl.sat(x.Expr, u)
		case *pattern.Repeats:
			return pl.repeats(x.Expr, u, q.Times)
		}
	}
	return false
}

func (pl *plain) repeats(e pattern.Expression, u []int64, n int64) bool {
	if n == 1 {
		return pl.sat(e, u)
	}
	k := fmt.Sprintf("r%d%p%v", n, e, u)
	if r, ok := pl.memo[k]; ok {
		return r
	}
	r := splits(u, func(a, b []int64) bool {
		return units(a) > 0 && units(b) > 0 && pl.sat(e, a) && pl.repeats(e, b, n-1)
	})
	pl.memo[k] = r
	return r
}

func (pl *plain) leaf(c pattern.Comparison, o *Observation) bool {
	for _, r := range o.Objects {
		if pl.cmp(c, r, o.Refs) {
			return true
		}
	}
	return false
}

func (pl *plain) cmp(c pattern.Comparison, root Object, refs map[string]Object) bool {
	switch x := c.(type) {
	case *pattern.BoolExpr:
		if x.Op == pattern.And {
			return pl.cmp(x.Left, root, refs) && pl.cmp(x.Right, root, refs)
		}
		return pl.cmp(x.Left, root, refs) || pl.cmp(x.Right, root, refs)
	case *pattern.Exists:
		return root["type"] == x.Path.ObjectType && len(plainValues(root, x.Path.Steps, refs)) > 0
	case *pattern.Test:
		if root["type"] != x.Path.ObjectType {
			return false
		}
		vs := plainValues(root, x.Path.Steps, refs)
		if len(vs) == 0 {
			return false
		}
		t, err := compileTest(x)
		if err != nil {
			panic(err)
		}
		any := false
		for _, v := range vs {
			if t.holds(v.v, v.holder) {
				any = true
			}
		}
		return any != x.Negated
	}
	return false
}

type heldValue struct {
	v      any
	holder map[string]any
}

// plainValues lists every value a path reaches, following a _ref or _refs
// property into refs when the path goes on past it.
func plainValues(root map[string]any, steps []pattern.Step, refs map[string]Object) []heldValue {
	type state struct {
		v      any
		holder map[string]any
		ref    bool
	}
	cur := []state{{v: root, holder: root}}
	for _, s := range steps {
		var next []state
		for _, st := range cur {
			switch s.Kind {
			case pattern.Property:
				m, ok := st.v.(map[string]any)
				if o, isObj := st.v.(Object); isObj {
					m, ok = o, true
				}
				if str, isStr := st.v.(string); isStr && st.ref {
					o, found := refs[str]
					m, ok = o, found
				}
				if !ok {
					continue
				}
				if e, ok := m[s.Name]; ok && e != nil {
					next = append(next, state{v: e, holder: m, ref: strings.HasSuffix(s.Name, "_ref") || strings.HasSuffix(s.Name, "_refs")})
				}
			default:
				l, ok := st.v.([]any)
				if !ok {
					continue
				}
				for i, e := range l {
					idx := s.Index
					if idx < 0 {
						idx += int64(len(l))
					}
					if (s.Kind == pattern.AnyIndex || int64(i) == idx) && e != nil {
						next = append(next, state{v: e, holder: st.holder, ref: st.ref})
					}
				}
			}
		}
		cur = next
	}
	out := make([]heldValue, len(cur))
	for i, st := range cur {
		out[i] = heldValue{st.v, st.holder}
	}
	return out
}

// FuzzIndexAgreesWithPlain: for random patterns and observations over a
// small vocabulary, the index (candidates, then the compiled evaluator)
// and the plain evaluator above find the same indicators, for the whole
// batch and for each observation alone, with some indicators invisible;
// so do Pattern.Match and the index's plain loop. Every hit names
// observations of the batch.
func FuzzIndexAgreesWithPlain(f *testing.F) {
	for _, seed := range []string{"", "\x00\x01\x02\x03", "seed one: ipv4 equality", "\x09\x00\x00\x00\x00\x01\x00\x02\x05\x07",
		strings.Repeat("\x03\x01", 40), strings.Repeat("\x00\x04\x02\x07\x05", 30), strings.Repeat("\xff\x10\x22\x31", 25)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(agree)
}

// agree is one run of FuzzIndexAgreesWithPlain.
func agree(t *testing.T, data []byte) {
	s := &bytesSource{b: data}
	n := s.pick(4) + 1
	srcs := make([]string, n)
	asts := make([]*pattern.Pattern, n)
	x := NewIndex(func() time.Time { return t0 })
	for i := range srcs {
		srcs[i] = genObservation(s, 0)
		ast, err := pattern.Parse(srcs[i])
		if err != nil {
			t.Fatalf("generated pattern %s does not parse: %v", srcs[i], err)
		}
		asts[i] = ast
		p, err := Compile(srcs[i])
		if err != nil {
			t.Fatalf("Compile(%s): %v", srcs[i], err)
		}
		if err := x.Add(&Indicator{ID: fmt.Sprintf("indicator--%d", i), Pattern: p}); err != nil {
			t.Fatal(err)
		}
	}
	b := genBatch(s)
	visible := func(id string) bool { return id != "indicator--1" }
	check := func(what string, b []Observation) {
		pl := &plain{batch: b}
		var want []string
		for i, ast := range asts {
			if ast == nil {
				continue
			}
			id := fmt.Sprintf("indicator--%d", i)
			m := pl.matches(ast)
			p := x.slots[x.byID[id]].Pattern
			if _, got := p.Match(b); got != m {
				t.Fatalf("%s: Pattern.Match(%s) = %v, plain %v\nbatch %s", what, srcs[i], got, m, dump(b))
			}
			if m && visible(id) {
				want = append(want, id)
			}
		}
		hits := x.MatchBatch(b, visible)
		if got := hitIDs(hits); !slices.Equal(got, want) {
			t.Fatalf("%s: index hits %v, plain %v\npatterns %q\nbatch %s", what, got, want, srcs, dump(b))
		}
		if got := hitIDs(x.matchAll(b, visible)); !slices.Equal(got, want) {
			t.Fatalf("%s: plain loop %v, plain %v", what, got, want)
		}
		for _, h := range hits {
			for _, id := range h.Observations {
				if !slices.ContainsFunc(b, func(o Observation) bool { return o.ID == id }) {
					t.Fatalf("%s: hit %+v names an observation not in the batch", what, h)
				}
			}
		}
	}
	check("batch", b)
	for i := range b {
		check(fmt.Sprintf("observation %d", i), b[i:i+1])
	}
	// Removing an indicator leaves the others as they were.
	x.Remove("indicator--0")
	asts[0] = nil
	check("after Remove", b)
}

func dump(b []Observation) string {
	var sb strings.Builder
	for _, o := range b {
		j, _ := json.Marshal(o.Objects)
		fmt.Fprintf(&sb, "\n  %s %s..%s x%d %s", o.ID, o.First.Format("15:04:05"), o.Last.Format("15:04:05"), o.Count, j)
	}
	return sb.String()
}

// FuzzCompile: Compile never panics; what it accepts, Match runs on any
// observation without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{`[file:name MATCHES '(?<=a)b']`, `[a:b[*].c NOT LIKE '%_']`, `[x:v_bin = 'q'] REPEATS 3 TIMES WITHIN 1.0000000001 SECONDS`,
		`[ipv4-addr:value ISSUPERSET '::1/128'] FOLLOWEDBY [a:b IN (b'', h'00')]`, `[a:b = t'2020-01-01T00:00:00Z'] START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'`} {
		f.Add(s)
	}
	b := []Observation{{ID: "o", First: t0, Last: t0, Count: 2, Objects: []Object{{"type": "a", "b": []any{map[string]any{"c": "x"}}, "v_bin": "cQ=="}}}}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src)
		if err != nil {
			return
		}
		p.Match(b)
		p.root.keys()
	})
}

// FuzzFromObjects: FromObjects never panics on any JSON.
func FuzzFromObjects(f *testing.F) {
	f.Add([]byte(`{"type": "observed-data", "first_observed": "2019-10-20T00:00:00Z", "last_observed": "2019-10-20T00:00:00Z", "objects": {"0": {"type": "file"}}}`))
	f.Add([]byte(`{"type": "ipv4-addr", "id": "ipv4-addr--1", "value": 1e999}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		obs, err := FromObjects([]json.RawMessage{raw, raw}, t0)
		if err != nil {
			return
		}
		p := mustCompile(t, `[file:name = 'a' OR ipv4-addr:value ISSUBSET '10.0.0.0/8'] REPEATS 2 TIMES`)
		p.Match(obs)
	})
}
