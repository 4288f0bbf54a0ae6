package leaktest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"liaison"
)

// storeRelated checks Store.Related: for a sample of objects that links
// name (and some that nothing names, and some stored nowhere), the links
// a reader receives are exactly the latest versions of links naming the
// object that the reader may read, in every collection the reader may
// read: nothing hidden, nothing missing.
type storeRelated struct{}

func (storeRelated) Name() string { return "store/related" }

func (storeRelated) Check(e *Env, r *User) {
	named := map[string]bool{}
	for _, o := range e.World.Objs {
		if o.IsLink() && e.World.stored(o) {
			for _, end := range o.Ends {
				named[end] = true
			}
		}
	}
	var ids []string
	for id := range named {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	e.rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	n := 25
	if raceEnabled && len(e.World.Objs) > 1000 {
		n = 8 // under the race detector, in the large world only: the mutants' small worlds need every probe
	}
	ids = ids[:min(len(ids), n)]
	ids = append(ids, e.Missing("malware--x"))
	for _, id := range ids {
		var want []*Obj
		for _, c := range e.World.Collections {
			if !e.MayReadCollection(r.Principal, c) {
				continue
			}
			for _, o := range e.Expected(r.Principal, c, Last) {
				if o.IsLink() && slices.Contains(o.Ends, id) {
					want = append(want, o)
				}
			}
		}
		e.stats.Reads.Add(1)
		got, more, err := e.Store.Related(e.Ctx(), r.Principal, id, liaison.MaxRelated)
		if err != nil {
			e.Errorf(r, "Related(%s): %v", id, err)
			continue
		}
		if more && len(want) <= liaison.MaxRelated {
			e.Errorf(r, "LEAK Related(%s): more=true, but the reader may read only %d", id, len(want))
		}
		if len(want) > liaison.MaxRelated {
			continue // a page of them: compared elsewhere
		}
		compare(e, r, fmt.Sprintf("Related(%s)", id), got, want, false)
		// The same a page at a time: every page after the first comes
		// from a cursor, and none promises what does not follow.
		var paged []liaison.Version
		after := ""
		for pages := 0; ; pages++ {
			e.stats.Reads.Add(1)
			vs, next, err := e.Store.RelatedAfter(e.Ctx(), r.Principal, id, after, 1)
			if err != nil {
				e.Errorf(r, "RelatedAfter(%s): %v", id, err)
				break
			}
			if after != "" && len(vs) == 0 {
				e.Errorf(r, "LEAK RelatedAfter(%s): a cursor was given but the next page is empty (a count of hidden links leaks)", id)
			}
			paged = append(paged, vs...)
			if next == "" || pages > 1000 {
				break
			}
			after = next
		}
		compare(e, r, fmt.Sprintf("RelatedAfter(%s) a link a page", id), paged, want, false)
	}
}

// storeExplain checks Store.ExplainAudience: for versions a reader reads,
// the audience it states is exactly the organisations the reference lets
// read that version; for ids hidden from the reader, the answer is that of
// a missing id.
type storeExplain struct{}

func (storeExplain) Name() string { return "store/explain" }

func (storeExplain) Check(e *Env, r *User) {
	for _, c := range e.someReadable(r, 3) {
		want := e.Expected(r.Principal, c, Last)
		e.rand.Shuffle(len(want), func(i, j int) { want[i], want[j] = want[j], want[i] })
		n := 6
		if raceEnabled && len(e.World.Objs) > 1000 {
			n = 2
		}
		for _, o := range want[:min(len(want), n)] {
			e.stats.Reads.Add(1)
			ex, err := e.Store.ExplainAudience(e.Ctx(), r.Principal, c.ID, o.ID, o.Modified)
			if err != nil {
				e.Errorf(r, "ExplainAudience(%s, %s): %v", c.Key, o.key(), err)
				continue
			}
			var orgs []string
			for code := range e.ref.kind {
				if e.ref.reads(code, o) {
					orgs = append(orgs, code)
				}
			}
			if got, wantAud := ex.Audience.Key(), liaison.NewAudience(orgs...).Key(); got != wantAud {
				e.Errorf(r, "LEAK ExplainAudience(%s, %s): audience %s, the reference says %s", c.Key, o.key(), got, wantAud)
			}
		}
		hidden, elsewhere := e.Hidden(r.Principal, c, 3)
		for _, h := range append(hidden, elsewhere...) {
			e.stats.Probes.Add(1)
			_, herr := e.Store.ExplainAudience(e.Ctx(), r.Principal, c.ID, h, time.Time{})
			m := e.Missing(h)
			_, merr := e.Store.ExplainAudience(e.Ctx(), r.Principal, c.ID, m, time.Time{})
			if liaison.ErrorCode(herr) != liaison.ENOTFOUND || liaison.ErrorCode(merr) != liaison.ENOTFOUND ||
				strings.Replace(liaison.ErrorMessage(herr), h, m, 1) != liaison.ErrorMessage(merr) {
				e.Errorf(r, "LEAK ExplainAudience: hidden %s gives %v; missing %s gives %v", h, herr, m, merr)
			}
		}
	}
}
