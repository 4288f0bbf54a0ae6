package leaktest

import (
	"slices"
	"sort"
	"strings"
	"time"

	"liaison"
)

// This file is the reference: what ARCHITECTURE.md ("The one invariant")
// says a reader may read, written plainly and on purpose without
// liaison.Directory, AudienceOf, Expand, MayRead or any store code, so that
// a mistake there cannot hide itself here. It answers one question per
// organisation and version instead of building audiences as sets.

// ref is the directory of the world as it stands at now.
type ref struct {
	w           *World
	now         time.Time
	kind        map[string]liaison.OrgKind // organisations on the hub
	communities map[string][]string        // operator communities
	markings    map[string]HubMarking
	byID        map[string][]*Obj // stored (accepted) versions by object id
	// linked holds, per organisation, rule 9 settled for the links that
	// other links name (chains and cycles): whether org reads each.
	linked map[string]map[*Obj]bool
}

func (w *World) ref(now time.Time) *ref {
	r := &ref{w: w, now: now, kind: map[string]liaison.OrgKind{}, communities: map[string][]string{}, markings: map[string]HubMarking{}, byID: map[string][]*Obj{}, linked: map[string]map[*Obj]bool{}}
	for _, o := range w.Orgs {
		r.kind[o.Code] = o.Kind
	}
	for _, c := range w.Communities {
		r.communities[c.Name] = c.Members
	}
	for _, m := range w.Markings {
		r.markings[m.ID] = m
	}
	for _, o := range w.Objs {
		if w.stored(o) {
			r.byID[o.ID] = append(r.byID[o.ID], o)
		}
	}
	return r
}

func (r *ref) onHub(org string) bool { _, ok := r.kind[org]; return ok }

// named reports whether the name (an organisation code or a community)
// stands for org. Communities are followed into their members; a community
// already being followed is not followed again.
func (r *ref) named(org, name string, following map[string]bool) bool {
	if !r.onHub(org) {
		return false
	}
	switch name {
	case "ALL":
		return true
	case "NATO":
		return r.kind[org] == liaison.Ally || r.kind[org] == liaison.NATOBody
	case "IP4":
		return org == "AUS" || org == "JPN" || org == "KOR" || org == "NZL"
	}
	if members, ok := r.communities[name]; ok {
		if following[name] {
			return false
		}
		following[name] = true
		for _, m := range members {
			if r.named(org, m, following) {
				return true
			}
		}
		return false
	}
	return name == org
}

// namedByAny reports whether any of the names stands for org.
func (r *ref) namedByAny(org string, names []string) bool {
	for _, n := range names {
		if r.named(org, n, map[string]bool{}) {
			return true
		}
	}
	return false
}

// agreementCovers reports whether partner has a security agreement in
// force now that covers level.
func (r *ref) agreementCovers(partner string, level liaison.Classification) bool {
	for _, a := range r.w.Agreements {
		if a.Partner != partner || a.Kind != liaison.SecurityAgreement || a.MaxClassification < level {
			continue
		}
		started := a.From.IsZero() || !r.now.Before(a.From)
		ended := !a.Until.IsZero() && !r.now.Before(a.Until)
		if started && !ended {
			return true
		}
	}
	return false
}

// effectiveMarkings are the version's marking refs, or the default marking
// of the collection it was first written to when it has none.
func effectiveMarkings(o *Obj) []string {
	if len(o.MarkingRefs) == 0 && o.Default != "" {
		return liaison.DefaultMarkingIDs(o.Default)
	}
	return o.MarkingRefs
}

// markingsRelease reports whether markings release a version by
// originator to org.
func (r *ref) markingsRelease(org, originator string, markings []string) bool {
	if org == originator {
		return true // rule 3: the originator always reads its own
	}
	var lists [][]string
	red := false
	level := liaison.NoClassification
	for _, id := range markings {
		if slices.Contains(tlpRed, id) {
			red = true
		}
		if m, ok := r.markings[id]; ok && m.ACS {
			// Rule 12: an ACS marking admits whom its rules admit; it is
			// no releasable_to list for rules 5 and 6.
			if !r.acsAdmits(org, m.Rules) {
				return false
			}
		} else if ok {
			if m.ReleasableTo != nil {
				lists = append(lists, m.ReleasableTo)
			}
			if m.Classification > level {
				level = m.Classification
			}
		}
	}
	return r.release(org, lists, red, level)
}

// release applies rules 4 to 7 to org, which is not the originator:
// the releasable_to lists, whether any marking is TLP:RED, and the
// highest classification.
func (r *ref) release(org string, lists [][]string, red bool, level liaison.Classification) bool {
	if !r.onHub(org) {
		return false
	}
	// Rule 4: every releasable_to list must name org.
	for _, l := range lists {
		if !r.namedByAny(org, l) {
			return false
		}
	}
	// Rule 5: RED without a list is for the originator alone.
	if red && len(lists) == 0 {
		return false
	}
	// Rule 6: a classification without a list is for NATO.
	if level != liaison.NoClassification && len(lists) == 0 && r.kind[org] == liaison.Partner {
		return false
	}
	// Rule 7: above NATO UNCLASSIFIED a partner needs an agreement in
	// force that covers the highest level.
	if level > liaison.NATOUnclassified && r.kind[org] == liaison.Partner && !r.agreementCovers(org, level) {
		return false
	}
	return true
}

// mayReadCollection is rule 1: the read list bounds the collection.
func (r *ref) mayReadCollection(org string, c *Coll) bool {
	return r.namedByAny(org, c.Read)
}

// mayWriteCollection needs the analyst role and a place on the write list.
func (r *ref) mayWriteCollection(p liaison.Principal, c *Coll) bool {
	return hasAnalyst(p.Roles) && r.namedByAny(p.Org, c.Write)
}

// readsOwn reports whether org may read the version by its collection and
// markings, ignoring ends.
func (r *ref) readsOwn(org string, o *Obj) bool {
	return r.w.stored(o) && r.mayReadCollection(org, o.Coll) && r.markingsRelease(org, o.Originator(), effectiveMarkings(o))
}

// readsEnd reports whether org may read the object id wherever it is
// stored here: true when it is stored nowhere, else when org may read at
// least one stored version of it (for a link, with its own ends).
func (r *ref) readsEnd(org, id string) bool {
	stored := r.byID[id]
	if len(stored) == 0 {
		return true
	}
	for _, o := range stored {
		if o.IsLink() && r.settled(org)[o] || !o.IsLink() && r.readsOwn(org, o) {
			return true
		}
	}
	return false
}

// settled computes rule 9 for org over the links that other links name,
// together: each starts readable by its own collection and markings and
// is struck out while some end it names is stored but has no version org
// reads. What is left is the largest set that agrees with rule 9 (a
// cycle holds itself up).
func (r *ref) settled(org string) map[*Obj]bool {
	if m, ok := r.linked[org]; ok {
		return m
	}
	named := map[string]bool{}
	for _, vs := range r.byID {
		for _, o := range vs {
			if o.IsLink() {
				for _, e := range o.Ends {
					named[e] = true
				}
			}
		}
	}
	cur := map[*Obj]bool{}
	var set []*Obj
	for id := range named {
		for _, o := range r.byID[id] {
			if o.IsLink() {
				set = append(set, o)
				cur[o] = r.readsOwn(org, o)
			}
		}
	}
	endOK := func(e string) bool {
		vs := r.byID[e]
		if len(vs) == 0 {
			return true
		}
		for _, v := range vs {
			if v.IsLink() && cur[v] || !v.IsLink() && r.readsOwn(org, v) {
				return true
			}
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		for _, o := range set {
			if cur[o] && !slices.ContainsFunc(o.Ends, func(e string) bool { return !endOK(e) }) {
				continue
			}
			if cur[o] {
				cur[o], changed = false, true
			}
		}
	}
	r.linked[org] = cur
	return cur
}

// reads is the whole rule for one version: its own collection and
// markings, and for a relationship or sighting every end (rule 9).
func (r *ref) reads(org string, o *Obj) bool {
	if !r.readsOwn(org, o) {
		return false
	}
	if o.IsLink() {
		if v, ok := r.settled(org)[o]; ok {
			return v
		}
		for _, e := range o.Ends {
			if !r.readsEnd(org, e) {
				return false
			}
		}
	}
	return true
}

// Selector is a version selector: first, last or all.
type Selector string

// The selectors.
const (
	First Selector = liaison.VersionFirst
	Last  Selector = liaison.VersionLast
	All   Selector = liaison.VersionAll
)

// expected returns the versions org may read in c under sel, in write
// order. First and last are per object among the versions org may read
// (rule 10).
//
// Several instances of one version (writes over a version hidden from
// their writer) are read as one: the earliest written that org reads.
func (r *ref) expected(org string, c *Coll, sel Selector) []*Obj {
	var visible []*Obj
	first := map[versionKey]*Obj{}
	for _, o := range r.w.Objs {
		if o.Coll == c && r.reads(org, o) {
			k := o.key()
			if p, ok := first[k]; ok {
				if o.Seq < p.Seq {
					first[k] = o
				}
				continue
			}
			first[k] = o
		}
	}
	for _, o := range r.w.Objs {
		if o.Coll == c && first[o.key()] == o {
			visible = append(visible, o)
		}
	}
	if sel == All {
		return visible
	}
	pick := map[string]*Obj{}
	for _, o := range visible {
		p, ok := pick[o.ID]
		if !ok || (sel == Last && o.Modified.After(p.Modified)) || (sel == First && o.Modified.Before(p.Modified)) {
			pick[o.ID] = o
		}
	}
	out := make([]*Obj, 0, len(pick))
	for _, o := range pick {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// acsAdmits is rule 12 (ARCHITECTURE.md, "ACS 3.0"): some permit rule
// covers org and no deny rule does; no rule admits nobody.
func (r *ref) acsAdmits(org string, rules []ACSRule) bool {
	if !r.onHub(org) {
		return false
	}
	admitted := false
	for _, ru := range rules {
		deny := !ru.Permit
		covered := true
		if ru.Nationalities != nil {
			hit := false
			for _, v := range ru.Nationalities {
				hit = hit || r.acsNation(org, v, deny)
			}
			covered = covered && hit
		}
		if ru.Organizations != nil {
			hit := false
			for _, v := range ru.Organizations {
				hit = hit || r.acsOrg(org, v, deny)
			}
			covered = covered && hit
		}
		if covered && deny {
			return false
		}
		if covered {
			admitted = true
		}
	}
	return admitted
}

// threeLetters reports whether s is three capital letters.
func threeLetters(s string) bool {
	return len(s) == 3 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// acsNation: ALL covers everyone; a nation is its own code; a NATO body
// only ever matches a nationality in a deny; anything not three letters
// permits nobody and denies everybody.
func (r *ref) acsNation(org, v string, deny bool) bool {
	if v == "ALL" {
		return true
	}
	if r.kind[org] == liaison.NATOBody || !threeLetters(v) {
		return deny
	}
	return v == org
}

// acsOrg: ALL and the exact code cover; a deny also covers the whole of a
// part it names, a community's members, and everyone when the name starts
// with neither an organisation on the hub nor three letters.
func (r *ref) acsOrg(org, v string, deny bool) bool {
	if v == "ALL" || v == org {
		return true
	}
	if !deny {
		return false
	}
	if strings.HasPrefix(v, org+".") {
		return true
	}
	if _, ok := r.communities[v]; ok || v == "NATO" || v == "IP4" {
		return r.named(org, v, map[string]bool{})
	}
	head := strings.Split(v, ".")[0]
	return !r.onHub(head) && !threeLetters(head)
}
