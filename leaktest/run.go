package leaktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaison"
)

// ReadPath is one way a reader can receive objects: a store query, a TAXII
// endpoint, an export, a search. Check asks the path, as reader r, for
// what it serves and compares it with the reference through e. Later
// features add their own ReadPath.
type ReadPath interface {
	Name() string
	Check(e *Env, r *User)
}

// Clock is the store's injected clock. Only Run moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Env is what a ReadPath checks against: the store, the world and the
// reference at one phase. Each check of one path for one reader gets its
// own Env, with its own seeded randomness, and checks run in parallel.
type Env struct {
	T     *testing.T
	Store liaison.Store
	World *World
	Phase string
	Now   time.Time
	// Final is set in the last phase, where paths may probe with calls
	// that would change the store if it were wrong (deletes).
	Final bool

	rand  *rand.Rand
	ref   *ref
	path  string
	sh    *shared
	stats *Stats
}

// shared is what the checks of one run share.
type shared struct {
	mu     sync.Mutex
	cache  map[expKey][]*Obj
	errs   map[string]int
	extras map[string]any
	leaked map[string]bool // paths that reported a LEAK, in any phase
}

type expKey struct {
	org  string
	coll *Coll
	sel  Selector
}

// Stats counts what a run checked.
type Stats struct {
	Principals atomic.Int64 // principal checks (principal × path × phase)
	Versions   atomic.Int64 // versions compared with the reference
	Reads      atomic.Int64 // read calls made
	Probes     atomic.Int64 // hidden-versus-missing comparisons
}

// Ctx returns the context paths use.
func (e *Env) Ctx() context.Context { return context.Background() }

// Expected returns the versions p may read in c under sel, by the
// reference.
func (e *Env) Expected(p liaison.Principal, c *Coll, sel Selector) []*Obj {
	k := expKey{p.Org, c, sel}
	e.sh.mu.Lock()
	defer e.sh.mu.Unlock()
	if v, ok := e.sh.cache[k]; ok {
		return v
	}
	v := e.ref.expected(p.Org, c, sel)
	e.sh.cache[k] = v
	return v
}

// MayReadCollection reports whether p may read c, by the reference.
func (e *Env) MayReadCollection(p liaison.Principal, c *Coll) bool {
	return e.ref.mayReadCollection(p.Org, c)
}

// MayWriteCollection reports whether p may write c, by the reference.
func (e *Env) MayWriteCollection(p liaison.Principal, c *Coll) bool {
	return e.ref.mayWriteCollection(p, c)
}

// Hidden returns ids stored in c of which p may read no version there,
// and ids stored only elsewhere, at most n of each kind, in a stable order.
func (e *Env) Hidden(p liaison.Principal, c *Coll, n int) (inColl, elsewhere []string) {
	visible := map[string]bool{}
	for _, o := range e.Expected(p, c, All) {
		visible[o.ID] = true
	}
	inC := map[string]bool{}
	for _, o := range e.World.Objs {
		if o.Coll == c && e.World.stored(o) {
			inC[o.ID] = true
		}
	}
	seen := map[string]bool{}
	for _, o := range e.World.Objs {
		if !e.World.stored(o) || seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		switch {
		case o.Coll == c && !visible[o.ID] && len(inColl) < n:
			inColl = append(inColl, o.ID)
		case o.Coll != c && !inC[o.ID] && len(elsewhere) < n:
			elsewhere = append(elsewhere, o.ID)
		}
	}
	return inColl, elsewhere
}

// someReadable returns up to n of the collections r may read, chosen at
// random, for probes too costly to make in every collection.
func (e *Env) someReadable(r *User, n int) []*Coll {
	var cs []*Coll
	for _, c := range e.World.Collections {
		if e.MayReadCollection(r.Principal, c) {
			cs = append(cs, c)
		}
	}
	e.rand.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	return cs[:min(n, len(cs))]
}

// Missing returns an object id that is stored nowhere, of the same type
// as like.
func (e *Env) Missing(like string) string {
	typ, _, _ := strings.Cut(like, "--")
	var b [16]byte
	for i := range b {
		b[i] = byte(e.rand.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Intn returns a random number in [0, n) from the run's seeded source.
func (e *Env) Intn(n int) int { return e.rand.IntN(n) }

// Errorf reports a difference seen on the current path for reader r. At
// most a few are printed per phase, path and reader; all fail the test.
func (e *Env) Errorf(r *User, format string, args ...any) {
	e.T.Helper()
	k := e.Phase + "/" + e.path + "/" + r.Name
	msg := fmt.Sprintf(format, args...)
	e.sh.mu.Lock()
	e.sh.errs[k]++
	n := e.sh.errs[k]
	if strings.HasPrefix(msg, "LEAK") {
		e.sh.leaked[e.path] = true
	}
	e.sh.mu.Unlock()
	if n <= 5 {
		e.T.Errorf("[%s %s %s(%s)] %s", e.Phase, e.path, r.Name, r.Org, msg)
	} else if n == 6 {
		e.T.Errorf("[%s %s %s(%s)] more differences not shown", e.Phase, e.path, r.Name, r.Org)
	}
}

// pathLeaked reports whether the path has reported a LEAK in this run.
func (e *Env) pathLeaked(path string) bool {
	e.sh.mu.Lock()
	defer e.sh.mu.Unlock()
	return e.sh.leaked[path]
}

// Stats returns the run's counters.
func (e *Env) Stats() *Stats { return e.stats }

// Extra returns a value a path keeps across phases (such as an HTTP
// server), making it with mk the first time.
func (e *Env) Extra(name string, mk func() any) any {
	e.sh.mu.Lock()
	defer e.sh.mu.Unlock()
	if v, ok := e.sh.extras[name]; ok {
		return v
	}
	v := mk()
	e.sh.extras[name] = v
	return v
}

// Readers returns the principals every path checks: one user of each
// organisation on the hub, plus principals whose organisation is not on
// the hub (unknown, and empty), who must see nothing.
func (e *Env) Readers() []*User {
	var out []*User
	seen := map[string]bool{}
	users := e.World.Users
	if e.ref.onHub(e.World.Late.Code) {
		users = append(slices.Clone(users), e.World.LateUser)
	}
	for _, u := range users {
		if !seen[u.Org] {
			seen[u.Org] = true
			out = append(out, u)
		}
	}
	return append(out,
		&User{Principal: liaison.Principal{ID: 999999, Name: "ghost", Org: "XKX", Roles: []liaison.Role{liaison.RoleAdmin}}},
		&User{Principal: liaison.Principal{ID: 999998, Name: "nobody", Roles: []liaison.Role{liaison.RoleReader}}},
	)
}

// Options tune Run.
type Options struct {
	Seed  int64 // 0: from -leak.seed
	Sizes Sizes // zero: CI sizes, objects from -leak.objects
	// StopAtLeak stops checking a path once it has reported a LEAK: for
	// the child run over a mutant, which has proved what it must with
	// the first LEAK on each path. Never for a run over a real store.
	StopAtLeak bool
}

// Run generates a world, loads it into a store from open, and checks every
// path for every principal, then again after each directory change. The
// now function open receives is the store's clock: stores must use it for
// agreements in force and date_added.
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) liaison.Store, paths ...ReadPath) {
	RunWith(t, Options{}, open, paths...)
}

// RunWith is Run with options.
func RunWith(t *testing.T, opt Options, open func(t *testing.T, now func() time.Time) liaison.Store, paths ...ReadPath) {
	seed := opt.Seed
	if seed == 0 {
		seed = *seedFlag
	}
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("leaktest: replay with -leak.seed=%d -leak.objects=%d", seed, objects())
		}
	})
	sz := opt.Sizes
	if sz == (Sizes{}) {
		sz = Sizes{Allies: 8, OtherPartners: 2, Objects: objects()}
	}
	began := time.Now()
	w := Generate(seed, sz)
	clock := &Clock{t: w.Start}
	s := open(t, clock.Now)
	w.Load(t, s)
	if t.Failed() {
		return
	}
	loaded := time.Since(began)
	ctx := context.Background()
	stats := &Stats{}
	extras := map[string]any{}
	leaked := map[string]bool{}
	var partnerJoined, memberLeft string
	phases := []struct {
		name string
		do   func() error
	}{
		{"initial", nil},
		{"agreement-expired", func() error {
			// The clock alone: no call tells the store.
			clock.set(w.ExpiresAt.Add(time.Hour))
			return nil
		}},
		{"partner-joined", func() error {
			c := w.community("OUTREACH")
			for _, p := range []string{"AUS", "NZL", "JPN"} {
				if !slices.Contains(c.Members, p) {
					partnerJoined = p
					break
				}
			}
			members := append(slices.Clone(c.Members), partnerJoined)
			if err := s.SetCommunityMembers(ctx, c.Name, members); err != nil {
				return fmt.Errorf("%s joins %s: %w", partnerJoined, c.Name, err)
			}
			c.Members = members
			return nil
		}},
		{"member-left", func() error {
			c := w.community("FIVE-EYES")
			memberLeft = c.Members[w.Seed%int64(len(c.Members))]
			members := slices.DeleteFunc(slices.Clone(c.Members), func(m string) bool { return m == memberLeft })
			if err := s.SetCommunityMembers(ctx, c.Name, members); err != nil {
				return fmt.Errorf("%s leaves %s: %w", memberLeft, c.Name, err)
			}
			c.Members = members
			return nil
		}},
		{"org-added", func() error {
			if err := s.CreateOrganisation(ctx, w.Late); err != nil {
				return fmt.Errorf("add organisation %s: %w", w.Late.Code, err)
			}
			w.Orgs = append(w.Orgs, w.Late)
			w.createUser(t, s, w.LateUser)
			return nil
		}},
		{"re-posts", func() error {
			// Principals write their own content over versions hidden from
			// them, and must learn nothing: not from the write's answer,
			// and (the paths check it) not from any read afterwards.
			return w.repost(t, s, clock.Now())
		}},
		{"late-writes", func() error {
			// Writes after the changes: audiences are computed against
			// the directory as it stands now.
			for _, b := range w.LateBatches {
				w.write(t, s, b)
			}
			w.lateWritten = true
			return nil
		}},
	}
	var readers int
	workers := max(2, runtime.GOMAXPROCS(0))
	took := map[string]time.Duration{}
	var prev *ref
	for i, ph := range phases {
		if ph.do != nil {
			if err := ph.do(); err != nil {
				t.Fatalf("leaktest: phase %s: %v", ph.name, err)
			}
		}
		e := &Env{
			rand: rand.New(rand.NewPCG(uint64(seed), uint64(i))),
			T:    t, Store: s, World: w, Phase: ph.name, Now: clock.Now(),
			Final: i == len(phases)-1,
			ref:   w.ref(clock.Now()),
			sh:    &shared{cache: map[expKey][]*Obj{}, errs: map[string]int{}, extras: extras, leaked: leaked},
			stats: stats,
		}
		rs := e.Readers()
		readers = max(readers, len(rs))
		// Who each path checks: everyone when asked (-leak.full); in the
		// first phase every reader on the cheap paths and a sample on the
		// others; after each change the readers it affected and one more.
		every, deep := rs, rs
		switch {
		case *fullFlag:
		case i == 0:
			deep = sample(rs, e.Intn)
		default:
			every = affected(w, prev, e.ref, rs, e.Intn)
			deep = every
		}
		prev = e.ref
		for j, p := range paths {
			rs := deep
			if _, ok := p.(everyReader); ok {
				rs = every
			}
			t0 := time.Now()
			var wg sync.WaitGroup
			sem := make(chan struct{}, workers)
			for k, r := range rs {
				if opt.StopAtLeak && e.pathLeaked(p.Name()) {
					break
				}
				re := *e
				re.path = p.Name()
				re.rand = rand.New(rand.NewPCG(uint64(seed), uint64(i)<<32|uint64(j)<<16|uint64(k)))
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					p.Check(&re, r)
					stats.Principals.Add(1)
				}()
			}
			wg.Wait()
			took[p.Name()] += time.Since(t0)
		}
	}
	t.Logf("leaktest: seed=%d: %d principals, %d paths, %d phases, %d object versions in %d collections, %d organisations: %d principal×path checks, %d versions compared, %d reads, %d hidden-vs-missing probes; load %s, total %s",
		seed, readers, len(paths), len(phases), len(w.Objs), len(w.Collections), len(w.Orgs),
		stats.Principals.Load(), stats.Versions.Load(), stats.Reads.Load(), stats.Probes.Load(), loaded.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	t.Logf("leaktest: time per path: %v", took)
}

// everyReader marks a path cheap enough to check for every reader in the
// first phase; other paths check a sample there (all readers under
// -leak.full or without the race detector).
type everyReader interface{ everyReader() }

// sample picks the readers the costly paths check in the first phase:
// all of them without the race detector; under it, the partners (whose
// access turns on agreements and lists), a NATO body, the principals off
// the hub, and two allies at random.
func sample(rs []*User, intn func(int) int) []*User {
	if !raceEnabled {
		return rs
	}
	var out, allies []*User
	for _, r := range rs {
		switch r.Org {
		case "JPN", "AUS", "KOR", "NZL", "NLO-TYO", "XKX", "":
			out = append(out, r)
		case "NATO-IS", "NCIA", "SWE":
		default:
			if slices.Contains(partnerPool, r.Org) && len(out) < 9 {
				out = append(out, r)
			} else if !slices.Contains(partnerPool, r.Org) {
				allies = append(allies, r)
			}
		}
	}
	for range 2 {
		if len(allies) > 0 {
			k := intn(len(allies))
			out = append(out, allies[k])
			allies = slices.Delete(allies, k, k+1)
		}
	}
	return out
}

// affected returns the readers whose expected view differs between two
// references, plus those off the hub and one more at random.
func affected(w *World, before, after *ref, rs []*User, intn func(int) int) []*User {
	var out, others []*User
	for _, r := range rs {
		if !after.onHub(r.Org) || changed(w, before, after, r.Principal) {
			out = append(out, r)
		} else {
			others = append(others, r)
		}
	}
	// Bound the work when a change touches many: keep a random eight.
	for len(out) > 8 {
		k := intn(len(out))
		if out[k].Org == "" || out[k].Org == "XKX" {
			continue
		}
		out = slices.Delete(out, k, k+1)
	}
	for range 1 {
		if len(others) > 0 {
			k := intn(len(others))
			out = append(out, others[k])
			others = slices.Delete(others, k, k+1)
		}
	}
	return out
}

func changed(w *World, before, after *ref, p liaison.Principal) bool {
	for _, c := range w.Collections {
		if before.mayReadCollection(p.Org, c) != after.mayReadCollection(p.Org, c) || before.mayWriteCollection(p, c) != after.mayWriteCollection(p, c) {
			return true
		}
		a, b := before.expected(p.Org, c, All), after.expected(p.Org, c, All)
		if !slices.Equal(a, b) {
			return true
		}
	}
	return false
}

func (w *World) community(name string) *liaison.Community {
	for i := range w.Communities {
		if w.Communities[i].Name == name {
			return &w.Communities[i]
		}
	}
	panic("leaktest: no community " + name)
}
