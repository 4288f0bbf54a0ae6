package leaktest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

// The reference and the root package's AudienceOf are written apart; on a
// random world they must agree for every organisation and every version,
// at several instants. A disagreement is a bug in one of them.
func TestReferenceAgreesWithAudienceOf(t *testing.T) {
	for _, seed := range []int64{1, 2, DefaultSeed} {
		w := Generate(seed, Sizes{Allies: 6, OtherPartners: 3, Objects: 600})
		markings := map[string]liaison.Marking{}
		for _, m := range liaison.BuiltinMarkings() {
			markings[m.ID] = m
		}
		// The world's markings as the hub reads them (ACS ones among them).
		for _, o := range w.Objs {
			if o.Type != "marking-definition" {
				continue
			}
			c, err := stix.Decode(0, o.Raw)
			if err != nil || c.Marking == nil {
				t.Fatalf("seed %d: marking %s does not decode: %v", seed, o.ID, err)
			}
			markings[o.ID] = *c.Marking
		}
		for _, now := range []time.Time{w.Start, w.StartsAt.Add(time.Minute), w.ExpiresAt.Add(time.Minute)} {
			r := w.ref(now)
			d := liaison.NewDirectory(w.Orgs, w.Communities, w.Agreements, now)
			for _, o := range w.Objs {
				if o.UnknownMarking {
					continue
				}
				var ms []liaison.Marking
				for _, id := range effectiveMarkings(o) {
					ms = append(ms, markings[id])
				}
				aud := d.AudienceOf(o.Originator(), ms)
				for _, org := range append(w.codes(""), "XKX") {
					if got, want := aud.Contains(org), r.markingsRelease(org, o.Originator(), effectiveMarkings(o)); got != want {
						t.Errorf("seed %d at %s: %s marked %v by %s: AudienceOf says %s reads=%v, reference says %v",
							seed, now.Format(time.DateOnly), o.ID, effectiveMarkings(o), o.Originator(), org, got, want)
					}
				}
			}
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(7, Sizes{Allies: 4, OtherPartners: 1, Objects: 300})
	b := Generate(7, Sizes{Allies: 4, OtherPartners: 1, Objects: 300})
	if len(a.Objs) != len(b.Objs) {
		t.Fatalf("%d versus %d versions", len(a.Objs), len(b.Objs))
	}
	for i := range a.Objs {
		if !bytes.Equal(a.Objs[i].Raw, b.Objs[i].Raw) || a.Objs[i].Coll.Key != b.Objs[i].Coll.Key {
			t.Fatalf("version %d differs", i)
		}
	}
}

// The world must exercise what the invariant is about; if a generator
// change loses a case, this says which.
func TestWorldCoversTheCases(t *testing.T) {
	for _, n := range []int{1200, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { worldCovers(t, n) })
	}
}

func worldCovers(t *testing.T, n int) {
	w := Generate(DefaultSeed, Sizes{Allies: 8, OtherPartners: 2, Objects: n})
	has := map[string]bool{}
	versions := map[string]int{}
	for _, o := range w.Objs {
		versions[o.ID+"/"+o.Coll.Key]++
		if o.UnknownMarking {
			has["unknown marking"] = true
		}
		if len(o.MarkingRefs) == 0 && o.Default != "" {
			has["default marking"] = true
		}
		if len(o.MarkingRefs) == 0 && o.Default == "" {
			has["no marking"] = true
		}
		if len(o.MarkingRefs) > 1 {
			has["several markings"] = true
		}
		for _, m := range o.MarkingRefs {
			if slices.Contains(tlpIDs[5:], m) {
				has["TLP 1.0"] = true
			}
		}
		if o.Type == "sighting" {
			has["sighting"] = true
		}
		if o.Type == "relationship" {
			has["relationship"] = true
		}
	}
	for _, n := range versions {
		if n > 1 {
			has["several versions"] = true
		}
	}
	// Chains and cycles of links naming links: follow each link's first
	// end back while it is a link.
	linkOf := map[string]*Obj{}
	for _, o := range w.Objs {
		if o.NamesLinks {
			linkOf[o.ID] = o
		}
	}
	for _, o := range linkOf {
		seen := map[string]bool{}
		n := 0
		for cur := o; cur != nil && !seen[cur.ID]; cur = linkOf[cur.Ends[0]] {
			seen[cur.ID] = true
			n++
			if next := linkOf[cur.Ends[0]]; next != nil && next.ID == o.ID {
				has["cycle of links"] = true
			}
		}
		if n >= chainLinks {
			has["chain of 200 links"] = true
		}
	}
	ids := map[string]map[string]bool{}
	for _, o := range w.Objs {
		if ids[o.ID] == nil {
			ids[o.ID] = map[string]bool{}
		}
		ids[o.ID][o.Coll.Key] = true
	}
	for _, cs := range ids {
		if len(cs) > 1 {
			has["same id in two collections"] = true
		}
	}
	for _, b := range w.Batches {
		pos := map[string]int{}
		for i, o := range b.Objs {
			pos[o.ID] = i
		}
		for i, o := range b.Objs {
			for _, e := range o.Ends {
				if j, ok := pos[e]; ok && j > i {
					has["link written ahead of its end in one batch"] = true
				}
			}
		}
	}
	w.lateWritten = true
	r := w.ref(w.Start)
	for _, o := range w.Objs {
		if o.Late {
			has["late write"] = true
		}
		if o.IsLink() {
			for _, org := range w.codes("") {
				if r.readsOwn(org, o) && !r.reads(org, o) {
					has["link hidden by its ends alone"] = true
				}
			}
			for _, e := range o.Ends {
				if len(r.byID[e]) == 0 {
					has["end stored nowhere"] = true
				}
				for _, v := range r.byID[e] {
					if v.Coll != o.Coll {
						has["end stored in another collection"] = true
					}
				}
			}
		}
		if len(o.MarkingRefs) == 0 && o.Default != o.Coll.DefaultMarking {
			has["unmarked copy keeps the default of its first collection"] = true
		}
	}
	for _, want := range []string{"late write", "link hidden by its ends alone", "end stored nowhere", "end stored in another collection", "unmarked copy keeps the default of its first collection", "unknown marking", "default marking", "no marking", "several markings", "TLP 1.0", "sighting", "relationship", "several versions", "same id in two collections", "link written ahead of its end in one batch", "chain of 200 links", "cycle of links"} {
		if !has[want] {
			t.Errorf("the world has no case of %s", want)
		}
	}
	if t.Failed() {
		t.Logf("world: %d versions", len(w.Objs))
	}
}
