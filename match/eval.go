package match

import (
	"strings"

	"liaison/stix/pattern"
)

// walk calls fn with each value that the path reaches from root, with the
// object holding the value's property, until fn returns true; walk then
// returns true. A property whose name ends in _ref (or the items of one
// ending in _refs) is followed to the object it names in refs when the
// path goes on past it (section 9.7.4); a reference that refs lacks leads
// nowhere, as a property that is not present.
func (p *cpath) walk(root Object, refs map[string]Object, fn func(v any, holder map[string]any) bool) bool {
	return walkSteps(map[string]any(root), p.steps, false, refs, root, fn)
}

func walkSteps(v any, steps []pattern.Step, isRef bool, refs map[string]Object, holder map[string]any, fn func(any, map[string]any) bool) bool {
	if len(steps) == 0 {
		if v == nil {
			return false // JSON null: not present
		}
		return fn(v, holder)
	}
	s := steps[0]
	switch s.Kind {
	case pattern.Property:
		var m map[string]any
		switch x := v.(type) {
		case map[string]any:
			m = x
		case Object:
			m = x
		case string:
			if !isRef {
				return false
			}
			o, ok := refs[x]
			if !ok {
				return false
			}
			m = o
		default:
			return false
		}
		e, ok := m[s.Name]
		if !ok {
			return false
		}
		ref := strings.HasSuffix(s.Name, "_ref") || strings.HasSuffix(s.Name, "_refs")
		return walkSteps(e, steps[1:], ref, refs, m, fn)
	case pattern.Index:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		i := s.Index
		if i < 0 {
			i += int64(len(l))
		}
		if i < 0 || i >= int64(len(l)) {
			return false // out of range: false (section 9.7.2)
		}
		return walkSteps(l[i], steps[1:], isRef, refs, holder, fn)
	case pattern.AnyIndex:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range l {
			if walkSteps(e, steps[1:], isRef, refs, holder, fn) {
				return true
			}
		}
	}
	return false
}

// evalRoot evaluates one comparison with root as the object the path
// starts from. A path that reaches no value makes the comparison false,
// with or without NOT (section 9.6). With [*] the comparison holds when it
// holds for any value reached (section 9.7.2), and NOT negates that whole
// result: "list[*] NOT = 'x'" is true when no item is 'x'.
func (t *test) evalRoot(root Object, refs map[string]Object) bool {
	present := false
	hit := t.path.walk(root, refs, func(v any, holder map[string]any) bool {
		present = true
		return t.holds(v, holder)
	})
	if !present {
		return false
	}
	return hit != t.neg
}

// exists is EXISTS: true when the path reaches a value.
func (t *test) exists(root Object, refs map[string]Object) bool {
	return t.path.walk(root, refs, func(any, map[string]any) bool { return true })
}

// eval evaluates a comparison expression with root as the one object all
// its paths start from (section 9.5): a comparison on another object type
// is false.
func (c *cnode) eval(root Object, typ string, refs map[string]Object) bool {
	switch c.op {
	case cAnd:
		return c.l.eval(root, typ, refs) && c.r.eval(root, typ, refs)
	case cOr:
		return c.l.eval(root, typ, refs) || c.r.eval(root, typ, refs)
	case cExists:
		return c.t.path.typ == typ && c.t.exists(root, refs)
	}
	return c.t.path.typ == typ && c.t.evalRoot(root, refs)
}

// leafMatches reports whether one observation satisfies an observation
// expression [ … ]: whether one of its objects, as the root of every path,
// satisfies the comparison expression.
func (n *onode) leafMatches(o *Observation) bool {
	for _, r := range o.Objects {
		typ := r.Type()
		if !contains1(n.types, typ) {
			continue
		}
		if n.leaf.eval(r, typ, o.Refs) {
			return true
		}
	}
	return false
}

// A binding is one way to satisfy an observation expression with
// observations of the batch: how many of the number_observed observations
// of each observed-data it uses, and the earliest first_observed and
// latest last_observed among them.
type binding struct {
	uses   []use
	units  int64
	lo, hi stamp
}

type use struct {
	obs int32
	n   int64
}

// Bounds of the search. A batch rarely holds more than a few
// observations that one indicator's sub-expressions match; these bounds
// keep a pathological pattern over a large batch from running away: past
// them the evaluator stops looking, and may miss a match.
const (
	maxBindings = 256     // non-dominated bindings kept per sub-expression
	maxSteps    = 1 << 16 // binding combinations tried per evaluation
)

// evaluator evaluates one pattern over one batch.
type evaluator struct {
	batch []Observation
	span  []binding // per observation: its one-unit binding
	total int64     // all observations in the batch, counting number_observed
	steps int
	leaf  [][]int32 // per leaf: matching observations, computed once
	done  []bool
}

// Match evaluates the pattern over a batch of observations, with no index:
// it reports whether the batch satisfies the pattern, and the indexes in
// the batch of the observations of one satisfying match, in batch order.
//
// Observation expressions joined by AND, OR and FOLLOWEDBY, and REPEATS,
// take different observations, where an observed-data counts as
// number_observed observations (section 9.5.2). Observation times are not
// known within an observed-data's first_observed…last_observed, so a
// qualifier holds only when it holds wherever in that window they fell:
// FOLLOWEDBY wants the right side's earliest first_observed at or after
// the left side's latest last_observed; WITHIN x SECONDS wants the latest
// last_observed less than x seconds after the earliest first_observed,
// unless the match is a single observation; START s STOP t wants every
// first_observed at or after s and every last_observed before t
// (section 9.5.1).
func (p *Pattern) Match(batch []Observation) ([]int, bool) {
	if p == nil || p.root == nil || len(batch) == 0 {
		return nil, false
	}
	if p.root.op == oLeaf {
		for i := range batch {
			if p.root.leafMatches(&batch[i]) {
				return []int{i}, true
			}
		}
		return nil, false
	}
	e := &evaluator{batch: batch, leaf: make([][]int32, p.leaves), done: make([]bool, p.leaves)}
	e.span = make([]binding, len(batch))
	for i := range batch {
		o := &batch[i]
		n := o.Count
		if n < 1 {
			n = 1
		}
		if e.total < 1<<62 {
			e.total += n
		}
		e.span[i] = binding{uses: []use{{obs: int32(i), n: 1}}, units: 1, lo: toStamp(o.First), hi: toStamp(o.Last)}
		if e.span[i].hi.less(e.span[i].lo) {
			e.span[i].lo, e.span[i].hi = e.span[i].hi, e.span[i].lo
		}
	}
	bs := e.eval(p.root)
	if len(bs) == 0 {
		return nil, false
	}
	out := make([]int, len(bs[0].uses))
	for i, u := range bs[0].uses {
		out[i] = int(u.obs)
	}
	return out, true
}

func (e *evaluator) eval(n *onode) []binding {
	switch n.op {
	case oLeaf:
		if !e.done[n.leafID] {
			e.done[n.leafID] = true
			for i := range e.batch {
				if n.leafMatches(&e.batch[i]) {
					e.leaf[n.leafID] = append(e.leaf[n.leafID], int32(i))
				}
			}
		}
		var out []binding
		for _, i := range e.leaf[n.leafID] {
			if len(out) == maxBindings {
				break
			}
			out = append(out, e.span[i])
		}
		return out
	case oOr:
		l := e.eval(n.l)
		var out []binding
		for _, b := range l {
			out = addBinding(out, b)
		}
		for _, b := range e.eval(n.r) {
			out = addBinding(out, b)
		}
		return out
	case oAnd:
		l := e.eval(n.l)
		if len(l) == 0 {
			return nil
		}
		return e.combine(l, e.eval(n.r), false)
	case oFollowedBy:
		l := e.eval(n.l)
		if len(l) == 0 {
			return nil
		}
		return e.combine(l, e.eval(n.r), true)
	case oWithin:
		var out []binding
		for _, b := range e.eval(n.l) {
			if b.units <= 1 || b.hi.less(b.lo.add(n.window)) {
				out = append(out, b)
			}
		}
		return out
	case oStartStop:
		var out []binding
		for _, b := range e.eval(n.l) {
			if !b.lo.less(n.start) && b.hi.less(n.stop) {
				out = append(out, b)
			}
		}
		return out
	case oRepeats:
		return e.repeat(e.eval(n.l), n.times)
	}
	return nil
}

// repeat is REPEATS n TIMES, "a AND a AND …" n times (section 9.5.1), by
// repeated squaring so that a large n costs log n combinations.
func (e *evaluator) repeat(base []binding, n int64) []binding {
	if len(base) == 0 || n > e.total {
		return nil
	}
	acc := []binding{{lo: maxStamp, hi: minStamp}} // the empty match
	for n > 0 {
		if n&1 == 1 {
			acc = e.combine(acc, base, false)
			if len(acc) == 0 {
				return nil
			}
		}
		n >>= 1
		if n > 0 {
			base = e.combine(base, base, false)
			if len(base) == 0 {
				return nil
			}
		}
	}
	return acc
}

// combine joins every binding of a with every binding of b that leaves
// each observed-data within its number_observed; followed asks that b's
// observations start no earlier than a's end.
func (e *evaluator) combine(a, b []binding, followed bool) []binding {
	var out []binding
	for i := range a {
		for j := range b {
			if e.steps >= maxSteps {
				return out
			}
			e.steps++
			x, y := &a[i], &b[j]
			if followed && y.lo.less(x.hi) {
				continue
			}
			m, ok := e.merge(x, y)
			if ok {
				out = addBinding(out, m)
			}
		}
	}
	return out
}

func (e *evaluator) merge(x, y *binding) (binding, bool) {
	uses := make([]use, 0, len(x.uses)+len(y.uses))
	i, j := 0, 0
	for i < len(x.uses) || j < len(y.uses) {
		var u use
		switch {
		case j == len(y.uses) || i < len(x.uses) && x.uses[i].obs < y.uses[j].obs:
			u = x.uses[i]
			i++
		case i == len(x.uses) || y.uses[j].obs < x.uses[i].obs:
			u = y.uses[j]
			j++
		default:
			u = use{obs: x.uses[i].obs, n: x.uses[i].n + y.uses[j].n}
			i++
			j++
		}
		c := e.batch[u.obs].Count
		if c < 1 {
			c = 1
		}
		if u.n > c {
			return binding{}, false
		}
		uses = append(uses, u)
	}
	return binding{uses: uses, units: x.units + y.units, lo: minS(x.lo, y.lo), hi: maxS(x.hi, y.hi)}, true
}

// addBinding adds b to a set of bindings unless one already there is at
// least as good for every enclosing operator (no more observations, a
// window inside b's); it drops those that b is as good as.
func addBinding(set []binding, b binding) []binding {
	for i := range set {
		if dominates(&set[i], &b) {
			return set
		}
	}
	k := 0
	for i := range set {
		if !dominates(&b, &set[i]) {
			set[k] = set[i]
			k++
		}
	}
	set = set[:k]
	if len(set) >= maxBindings {
		return set
	}
	return append(set, b)
}

func dominates(a, b *binding) bool {
	if a.lo.less(b.lo) || b.hi.less(a.hi) || a.units > b.units {
		return false
	}
	j := 0
	for _, u := range a.uses {
		for j < len(b.uses) && b.uses[j].obs < u.obs {
			j++
		}
		if j == len(b.uses) || b.uses[j].obs != u.obs || b.uses[j].n < u.n {
			return false
		}
	}
	return true
}
