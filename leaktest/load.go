package leaktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

// Load writes the world into an empty store through its public interface:
// organisations, communities, agreements, users with tokens, collections,
// the hub's marking-definitions and every batch of objects. Every write
// must succeed or fail exactly as the world says; a difference fails t.
// Collection IDs and user IDs and tokens are filled in.
func (w *World) Load(t testing.TB, s liaison.Store) {
	t.Helper()
	ctx := context.Background()
	for _, o := range w.Orgs {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatalf("leaktest: create organisation %s: %v", o.Code, err)
		}
	}
	for _, c := range w.Communities {
		if err := s.CreateCommunity(ctx, c); err != nil {
			t.Fatalf("leaktest: create community %s: %v", c.Name, err)
		}
	}
	for i := range w.Agreements {
		if err := s.CreateAgreement(ctx, &w.Agreements[i]); err != nil {
			t.Fatalf("leaktest: create agreement %s: %v", w.Agreements[i].Name, err)
		}
	}
	for _, u := range w.Users {
		w.createUser(t, s, u)
	}
	created := map[*Coll]bool{}
	create := func(c *Coll) {
		if created[c] {
			return
		}
		if err := s.CreateCollection(ctx, &c.Collection); err != nil {
			t.Fatalf("leaktest: create collection %s: %v", c.Key, err)
		}
		if c.ID == "" {
			t.Fatalf("leaktest: create collection %s: the store set no id", c.Key)
		}
		created[c] = true
	}
	// The two marking batches come first; default markings need them.
	for _, b := range w.Batches[:2] {
		create(b.Coll)
		w.write(t, s, b)
	}
	for _, c := range w.Collections {
		create(c)
	}
	for _, b := range w.Batches[2:] {
		w.write(t, s, b)
	}
}

func (w *World) createUser(t testing.TB, s liaison.Store, u *User) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateUser(ctx, &u.Principal, ""); err != nil {
		t.Fatalf("leaktest: create user %s: %v", u.Name, err)
	}
	_, secret, err := s.CreateToken(ctx, u.Name)
	if err != nil {
		t.Fatalf("leaktest: create token for %s: %v", u.Name, err)
	}
	u.Token = secret
}

// write sends one batch and checks that exactly the versions with an
// unknown marking were rejected, each for that reason.
func (w *World) write(t testing.TB, s liaison.Store, b Batch) {
	t.Helper()
	cands := make([]liaison.Candidate, len(b.Objs))
	for i, o := range b.Objs {
		c, err := decodeLink(i, o)
		if err != nil {
			t.Fatalf("leaktest: decode %s (seed %d): %v\n%s", o.ID, w.Seed, err, o.Raw)
		}
		cands[i] = c
	}
	res, err := s.AddObjects(context.Background(), b.Writer.Principal, b.Coll.ID, cands)
	if err != nil {
		t.Fatalf("leaktest: add %d objects to %s as %s: %v", len(cands), b.Coll.Key, b.Writer.Name, err)
	}
	rejected := map[int]liaison.Rejection{}
	for _, r := range res.Rejected {
		rejected[r.Index] = r
	}
	accepted := map[int]bool{}
	for _, a := range res.Accepted {
		accepted[a.Index] = true
	}
	for i, o := range b.Objs {
		r, rej := rejected[i]
		switch {
		case o.UnknownMarking && !rej:
			t.Errorf("leaktest: %s refers to an unknown marking-definition but was not rejected (accepted=%v)", o.ID, accepted[i])
		case o.UnknownMarking && !r.UnknownMarking:
			t.Errorf("leaktest: %s refers to an unknown marking-definition; rejected without UnknownMarking: %s", o.ID, r.Message)
		case !o.UnknownMarking && rej:
			t.Errorf("leaktest: %s version %s in %s by %s was rejected: %s", o.ID, stamp(o.Modified), b.Coll.Key, b.Writer.Name, r.Message)
		case !o.UnknownMarking && !accepted[i]:
			t.Errorf("leaktest: %s version %s in %s: neither accepted nor rejected", o.ID, stamp(o.Modified), b.Coll.Key)
		}
	}
}

// Expected returns the versions principal p may read in collection c at
// now, by the reference rules: for First and Last one version per object,
// the earliest or latest that p may read.
func (w *World) Expected(now time.Time, p liaison.Principal, c *Coll, sel Selector) []*Obj {
	return w.ref(now).expected(p.Org, c, sel)
}

// versionKey names one version in one collection.
type versionKey struct {
	coll, id string
	modified int64 // UnixMicro
}

func (o *Obj) key() versionKey {
	return versionKey{o.Coll.ID, o.ID, o.Modified.UnixMicro()}
}

func (k versionKey) String() string {
	return fmt.Sprintf("%s@%s", k.id, stamp(time.UnixMicro(k.modified)))
}

// decodeLink decodes o. A relationship naming links, which Decode refuses
// (STIX over TAXII cannot carry one), is decoded with stand-in ends and
// then given its own ends and bytes, as federation or an import would
// hand it to the store.
func decodeLink(i int, o *Obj) (liaison.Candidate, error) {
	if !o.NamesLinks {
		return stix.Decode(i, o.Raw)
	}
	raw := string(o.Raw)
	for k, e := range o.Ends {
		raw = strings.ReplaceAll(raw, e, fmt.Sprintf("malware--00000000-0000-4000-8000-%012d", k))
	}
	c, err := stix.Decode(i, []byte(raw))
	if err != nil {
		return c, err
	}
	c.Ends, c.Raw = append([]string(nil), o.Ends...), o.Raw
	return c, nil
}

// reposts is how many versions hidden from each writer it writes over, in
// each collection it may write.
const reposts = 2

// repost has each writer of the world write its own content over up to
// reposts versions per collection that are stored there but hidden from
// it, beside an object of a fresh id, and checks that the store answers
// both alike: accepted, not present, no conflict. Each such write is an
// instance of its own, which the reference then expects its readers to
// read (when they read no earlier instance of that version).
func (w *World) repost(t testing.TB, s liaison.Store, now time.Time) error {
	r := w.ref(now)
	g := &gen{r: rand.New(rand.NewPCG(uint64(w.Seed), 0x7265706f7374)), acs: rand.New(rand.NewPCG(uint64(w.Seed), 0xac5)), w: w, ts: w.Start.Add(24 * time.Hour)}
	seq := 0
	for _, o := range w.Objs {
		seq = max(seq, o.Seq)
	}
	done := map[string]bool{}
	for _, u := range w.Users {
		if done[u.Org] || !hasAnalyst(u.Roles) {
			continue
		}
		done[u.Org] = true
		for _, c := range w.Collections {
			if !r.mayWriteCollection(u.Principal, c) {
				continue
			}
			var targets []*Obj
			readable := map[versionKey]bool{}
			for _, o := range w.Objs {
				if o.Coll == c && w.stored(o) && (r.reads(u.Org, o) || o.Originator() == u.Org) {
					readable[o.key()] = true
				}
			}
			for _, o := range w.Objs {
				if len(targets) == reposts {
					break
				}
				if o.Coll == c && w.stored(o) && !o.IsLink() && o.Type != "marking-definition" && !readable[o.key()] {
					targets = append(targets, o)
					readable[o.key()] = true
				}
			}
			for _, h := range targets {
				mine := &Obj{Coll: c, ID: h.ID, Type: h.Type, Modified: h.Modified, Writer: u}
				for len(mine.MarkingRefs) == 0 || mine.UnknownMarking {
					mine.MarkingRefs, mine.UnknownMarking = g.markingRefs()
				}
				mine.Raw = g.objectJSON(mine, nil)
				fresh := &Obj{Coll: c, ID: g.id(h.Type), Type: h.Type, Modified: h.Modified, Writer: u, MarkingRefs: mine.MarkingRefs}
				fresh.Raw = g.objectJSON(fresh, nil)
				var answers [2]liaison.Accepted
				for i, o := range []*Obj{mine, fresh} {
					cand, err := decodeLink(0, o)
					if err != nil {
						return fmt.Errorf("decode %s: %w", o.ID, err)
					}
					res, err := s.AddObjects(context.Background(), u.Principal, c.ID, []liaison.Candidate{cand})
					if err != nil {
						return fmt.Errorf("%s writes over %s in %s: %w", u.Name, o.ID, c.Key, err)
					}
					if len(res.Accepted) != 1 || len(res.Rejected) != 0 {
						t.Errorf("LEAK: %s writing %s in %s (hidden=%v) got %+v", u.Name, o.ID, c.Key, i == 0, res)
						continue
					}
					answers[i] = res.Accepted[0]
					seq++
					o.Seq = seq
					w.Objs = append(w.Objs, o)
				}
				a, b := answers[0], answers[1]
				if a.Present != b.Present || a.Conflict != b.Conflict || !a.Version.Equal(b.Version) {
					t.Errorf("LEAK: %s writing over %s version %s in %s (hidden from it) gets %+v; a fresh id gets %+v", u.Name, h.ID, stamp(h.Modified), c.Key, a, b)
				}
			}
		}
	}
	return nil
}
