package match

import (
	"container/heap"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Indicator is one version of a STIX indicator, compiled for matching.
type Indicator struct {
	ID       string    // indicator--…
	Modified time.Time // the version: a newer one replaces an older
	// ValidFrom and ValidUntil bound when the indicator matches, by the
	// index's clock; a zero ValidUntil has no end.
	ValidFrom, ValidUntil time.Time
	Revoked               bool
	Pattern               *Pattern
}

// Hit is one indicator that a batch of observations satisfies.
type Hit struct {
	IndicatorID string
	Modified    time.Time // the version that matched
	// Observations are the IDs of the observations of one match, in batch
	// order: what a sighting's observed_data_refs would name.
	Observations []string
}

// Visible says whether the party whose observations are being matched may
// read an indicator. Every match takes one: no one is ever matched against
// an indicator they may not read, and a nil Visible matches nothing.
type Visible func(indicatorID string) bool

// Index holds the live indicators of an office, each compiled once, filed
// so that an observation is tried only against the indicators it could
// satisfy. Every indicator is filed under a set of keys of which a
// matching batch must produce one (see keys): a key is an (object type,
// object path, value) of an equality or IN comparison, or a literal that
// a LIKE or MATCHES needs, found among the substrings of a value on its
// path, or, when a pattern has no such necessary comparison (only !=,
// ranges, EXISTS, NOT, a LIKE or MATCHES without a literal, or an OR with
// such a side), the object type its comparison must start from. The type-keyed indicators are the residual set: each is
// tried in full against every observation holding an object of its type.
//
// Revoked indicators and those whose valid_until has passed, by the clock
// given to NewIndex, leave the index. Any number of goroutines may call
// Match and MatchBatch while one calls Add, Remove and Expire.
type Index struct {
	now func() time.Time

	mu     sync.RWMutex
	slots  []*Indicator // nil for a free slot
	free   []int32
	byID   map[string]int32
	post   map[ikey][]int32
	paths  map[string][]*ipath // by object type: the paths with value keys
	byPath map[string]*ipath
	expiry expiryHeap
}

// ipath is an object path under which value keys are filed, with how
// many keys of each kind it holds.
type ipath struct {
	p       *cpath
	kinds   [nKinds]int32
	mask    uint16
	netLens map[int]int32 // kNet keys by block length
	litLens map[int]int32 // kLit keys by length
}

// NewIndex returns an empty index whose clock is now (time.Now if nil).
func NewIndex(now func() time.Time) *Index {
	if now == nil {
		now = time.Now
	}
	return &Index{now: now, byID: map[string]int32{}, post: map[ikey][]int32{},
		paths: map[string][]*ipath{}, byPath: map[string]*ipath{}}
}

// Len returns the number of indicators held.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Add files an indicator version, replacing the version held under its
// ID unless that one is newer (a stale version is ignored). A revoked or
// expired version removes the indicator. The index keeps ind as given:
// the caller must not change it afterwards.
func (x *Index) Add(ind *Indicator) error {
	if ind == nil || ind.ID == "" {
		return errors.New("match: indicator without an id")
	}
	if ind.Pattern == nil || ind.Pattern.root == nil {
		return errors.New("match: indicator " + ind.ID + " has no compiled pattern")
	}
	keys := ind.Pattern.root.keys()
	now := x.now()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.expireLocked(now)
	if s, ok := x.byID[ind.ID]; ok {
		if x.slots[s].Modified.After(ind.Modified) {
			return nil
		}
		x.removeLocked(s)
	}
	if ind.Revoked || !ind.ValidUntil.IsZero() && !now.Before(ind.ValidUntil) {
		return nil
	}
	var s int32
	if n := len(x.free); n > 0 {
		s = x.free[n-1]
		x.free = x.free[:n-1]
		x.slots[s] = ind
	} else {
		s = int32(len(x.slots))
		x.slots = append(x.slots, ind)
	}
	x.byID[ind.ID] = s
	for _, k := range keys {
		x.post[k] = append(x.post[k], s)
		if k.kind != kType {
			x.addPath(ind.Pattern, k)
		}
	}
	if !ind.ValidUntil.IsZero() {
		heap.Push(&x.expiry, expiry{until: ind.ValidUntil, slot: s, ind: ind})
		if len(x.expiry) > 2*len(x.byID)+1024 {
			x.compactExpiry()
		}
	}
	return nil
}

// compactExpiry drops the entries of versions that are no longer held,
// so that replacing versions does not grow the heap without bound.
func (x *Index) compactExpiry() {
	live := x.expiry[:0]
	for _, e := range x.expiry {
		if x.slots[e.slot] == e.ind {
			live = append(live, e)
		}
	}
	clear(x.expiry[len(live):])
	x.expiry = live
	heap.Init(&x.expiry)
}

// addPath notes that value keys of k's kind are filed under k's path.
func (x *Index) addPath(p *Pattern, k ikey) {
	ip := x.byPath[k.path]
	if ip == nil {
		cp := p.findPath(k.path)
		if cp == nil {
			return // not reached: every key names a path of its pattern
		}
		ip = &ipath{p: cp}
		x.byPath[k.path] = ip
		x.paths[cp.typ] = append(x.paths[cp.typ], ip)
	}
	ip.kinds[k.kind]++
	ip.mask |= 1 << k.kind
	if k.kind == kNet {
		if ip.netLens == nil {
			ip.netLens = map[int]int32{}
		}
		ip.netLens[netLen(k.val)]++
	}
	if k.kind == kLit {
		if ip.litLens == nil {
			ip.litLens = map[int]int32{}
		}
		ip.litLens[len(k.val)]++
	}
}

// netLen returns the length of a block written a.b.c.d/n or x::y/n.
func netLen(s string) int {
	_, n, _ := strings.Cut(s, "/")
	l, _ := strconv.Atoi(n)
	return l
}

func (x *Index) dropPath(k ikey) {
	ip := x.byPath[k.path]
	if ip == nil {
		return
	}
	ip.kinds[k.kind]--
	if ip.kinds[k.kind] == 0 {
		ip.mask &^= 1 << k.kind
	}
	if k.kind == kNet {
		l := netLen(k.val)
		if ip.netLens[l]--; ip.netLens[l] == 0 {
			delete(ip.netLens, l)
		}
	}
	if k.kind == kLit {
		if ip.litLens[len(k.val)]--; ip.litLens[len(k.val)] == 0 {
			delete(ip.litLens, len(k.val))
		}
	}
	if ip.mask == 0 {
		delete(x.byPath, k.path)
		ps := x.paths[ip.p.typ]
		if i := slices.Index(ps, ip); i >= 0 {
			ps = slices.Delete(ps, i, i+1)
		}
		if len(ps) == 0 {
			delete(x.paths, ip.p.typ)
		} else {
			x.paths[ip.p.typ] = ps
		}
	}
}

// Remove removes the indicator with this ID; it reports whether the index
// held it.
func (x *Index) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.byID[id]
	if ok {
		x.removeLocked(s)
	}
	return ok
}

func (x *Index) removeLocked(s int32) {
	ind := x.slots[s]
	for _, k := range ind.Pattern.root.keys() {
		ps := x.post[k]
		if i := slices.Index(ps, s); i >= 0 {
			ps[i] = ps[len(ps)-1]
			ps = ps[:len(ps)-1]
		}
		if len(ps) == 0 {
			delete(x.post, k)
		} else {
			x.post[k] = ps
		}
		if k.kind != kType {
			x.dropPath(k)
		}
	}
	delete(x.byID, ind.ID)
	x.slots[s] = nil
	x.free = append(x.free, s)
}

// Expire removes the indicators whose valid_until has passed and returns
// how many it removed. Add expires too, and Match never returns an
// expired indicator, so calling Expire only returns memory sooner.
func (x *Index) Expire() int {
	now := x.now()
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.expireLocked(now)
}

func (x *Index) expireLocked(now time.Time) int {
	n := 0
	for len(x.expiry) > 0 && !now.Before(x.expiry[0].until) {
		e := heap.Pop(&x.expiry).(expiry)
		if int(e.slot) < len(x.slots) && x.slots[e.slot] == e.ind {
			x.removeLocked(e.slot)
			n++
		}
	}
	return n
}

// Match returns the indicators that one observation satisfies, among
// those visible allows, sorted by indicator ID. Patterns that need more
// than one observation (AND, FOLLOWEDBY, REPEATS between observation
// expressions) can match only if the observation's number_observed
// covers them; MatchBatch matches a whole batch together.
func (x *Index) Match(obs Observation, visible Visible) []Hit {
	return x.MatchBatch([]Observation{obs}, visible)
}

// MatchBatch returns the indicators that a batch of observations (those
// of one bundle or TAXII envelope, say) satisfies together, among those
// visible allows, sorted by indicator ID. Each Hit names the observations
// of one match. The index keeps nothing of the batch: a later batch is
// matched on its own, so a match never joins the observations of two
// submissions (or two submitters). visible is called once for each
// candidate indicator, outside the index's lock.
func (x *Index) MatchBatch(batch []Observation, visible Visible) []Hit {
	if visible == nil || len(batch) == 0 {
		return nil
	}
	now := x.now()
	var buf [32]*Indicator
	cands := x.candidates(batch, buf[:0])
	var hits []Hit
	for _, ind := range cands {
		if now.Before(ind.ValidFrom) || !ind.ValidUntil.IsZero() && !now.Before(ind.ValidUntil) {
			continue
		}
		if !visible(ind.ID) {
			continue
		}
		if obs, ok := ind.Pattern.Match(batch); ok {
			hits = append(hits, hit(ind, batch, obs))
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int { return strings.Compare(a.IndicatorID, b.IndicatorID) })
	return hits
}

func hit(ind *Indicator, batch []Observation, obs []int) Hit {
	h := Hit{IndicatorID: ind.ID, Modified: ind.Modified, Observations: make([]string, len(obs))}
	for i, o := range obs {
		h.Observations[i] = batch[o].ID
	}
	return h
}

// candidates returns, once each, the indicators filed under a key that
// the batch produces.
func (x *Index) candidates(batch []Observation, out []*Indicator) []*Indicator {
	var sbuf [64]int32
	slots := sbuf[:0]
	x.mu.RLock()
	defer x.mu.RUnlock()
	add := func(k ikey) {
		slots = append(slots, x.post[k]...)
	}
	for i := range batch {
		o := &batch[i]
		for _, r := range o.Objects {
			typ := r.Type()
			if typ == "" {
				continue
			}
			slots = append(slots, x.post[ikey{kind: kType, val: typ}]...)
			for _, ip := range x.paths[typ] {
				ip.p.walk(r, o.Refs, func(v any, holder map[string]any) bool {
					valueKeys(ip, v, holder, add)
					return false
				})
			}
		}
	}
	if len(slots) > 1 {
		slices.Sort(slots)
		slots = slices.Compact(slots)
	}
	for _, s := range slots {
		out = append(out, x.slots[s])
	}
	return out
}

// matchAll is the plain loop: every indicator held, tried in full. It is
// what the index must agree with, and the baseline of the benchmarks.
func (x *Index) matchAll(batch []Observation, visible Visible) []Hit {
	if visible == nil || len(batch) == 0 {
		return nil
	}
	now := x.now()
	x.mu.RLock()
	all := make([]*Indicator, 0, len(x.byID))
	for _, ind := range x.slots {
		if ind != nil {
			all = append(all, ind)
		}
	}
	x.mu.RUnlock()
	var hits []Hit
	for _, ind := range all {
		if now.Before(ind.ValidFrom) || !ind.ValidUntil.IsZero() && !now.Before(ind.ValidUntil) || !visible(ind.ID) {
			continue
		}
		if obs, ok := ind.Pattern.Match(batch); ok {
			hits = append(hits, hit(ind, batch, obs))
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int { return strings.Compare(a.IndicatorID, b.IndicatorID) })
	return hits
}

// findPath returns the compiled path of the pattern with canonical form s.
func (p *Pattern) findPath(s string) *cpath {
	var found *cpath
	var walkC func(c *cnode)
	walkC = func(c *cnode) {
		if found != nil || c == nil {
			return
		}
		if c.t != nil && c.t.path.str == s {
			found = c.t.path
			return
		}
		walkC(c.l)
		walkC(c.r)
	}
	var walkO func(n *onode)
	walkO = func(n *onode) {
		if found != nil || n == nil {
			return
		}
		walkC(n.leaf)
		walkO(n.l)
		walkO(n.r)
	}
	walkO(p.root)
	return found
}

type expiry struct {
	until time.Time
	slot  int32
	ind   *Indicator
}

type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(v any)        { *h = append(*h, v.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
