package leaktest

import (
	"fmt"
	"slices"

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
	ids = ids[:min(len(ids), 25)]
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
	}
}
