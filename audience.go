package liaison

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Audience is the set of organisations that may read an object version,
// as sorted, distinct organisation codes. It is computed when the version
// is written and recomputed when the directory changes.
type Audience []string

// NewAudience returns the audience of the given codes, sorted and distinct.
func NewAudience(codes ...string) Audience {
	a := slices.Clone(codes)
	sort.Strings(a)
	return Audience(slices.Compact(a))
}

// Contains reports whether org is in the audience.
func (a Audience) Contains(org string) bool {
	_, ok := slices.BinarySearch(a, org)
	return ok
}

// Key is the audience as one comma-separated string; equal audiences have
// equal keys.
func (a Audience) Key() string { return strings.Join(a, ",") }

// ParseAudienceKey is the inverse of Key.
func ParseAudienceKey(k string) Audience {
	if k == "" {
		return Audience{}
	}
	return NewAudience(strings.Split(k, ",")...)
}

// Intersect returns the organisations in both a and b.
func (a Audience) Intersect(b Audience) Audience {
	out := Audience{}
	for _, o := range a {
		if b.Contains(o) {
			out = append(out, o)
		}
	}
	return out
}

// Directory is a snapshot of who is on the hub, which communities exist,
// and which agreements are in force at Now. Audiences are computed against
// it. Build it with NewDirectory.
type Directory struct {
	Now         time.Time
	orgs        map[string]Organisation
	communities map[string][]string // operator-defined, raw members
	agreements  []Agreement
	all         Audience
}

// NewDirectory returns the directory of the given organisations, operator
// communities and agreements, as it stands at now.
func NewDirectory(orgs []Organisation, communities []Community, agreements []Agreement, now time.Time) *Directory {
	d := &Directory{
		Now:         now,
		orgs:        make(map[string]Organisation, len(orgs)),
		communities: make(map[string][]string, len(communities)),
		agreements:  slices.Clone(agreements),
	}
	codes := make([]string, 0, len(orgs))
	for _, o := range orgs {
		d.orgs[o.Code] = o
		codes = append(codes, o.Code)
	}
	for _, c := range communities {
		d.communities[c.Name] = c.Members
	}
	d.all = NewAudience(codes...)
	return d
}

// Organisation returns the organisation with the code, if it is on the hub.
func (d *Directory) Organisation(code string) (Organisation, bool) {
	o, ok := d.orgs[code]
	return o, ok
}

// Organisations returns every organisation on the hub, sorted by code.
func (d *Directory) Organisations() []Organisation {
	out := make([]Organisation, 0, len(d.all))
	for _, c := range d.all {
		out = append(out, d.orgs[c])
	}
	return out
}

// HasCommunity reports whether name is a built-in or operator community.
func (d *Directory) HasCommunity(name string) bool {
	_, ok := d.communities[name]
	return ok || IsBuiltinCommunity(name)
}

// Expand resolves organisation codes and community names to the
// organisations on the hub that they stand for. Communities expand
// recursively; a cycle stops expanding where it closes. A name that is
// neither an organisation on the hub nor a community stands for nobody.
func (d *Directory) Expand(names ...string) Audience {
	seen := map[string]bool{}
	var out []string
	var walk func(n string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		switch {
		case n == CommunityAll:
			out = append(out, d.all...)
		case n == CommunityNATO:
			for _, c := range d.all {
				if k := d.orgs[c].Kind; k == Ally || k == NATOBody {
					out = append(out, c)
				}
			}
		case n == CommunityIP4:
			for _, c := range IP4Members {
				if _, ok := d.orgs[c]; ok {
					out = append(out, c)
				}
			}
		default:
			if members, ok := d.communities[n]; ok {
				for _, m := range members {
					walk(m)
				}
				return
			}
			if _, ok := d.orgs[n]; ok {
				out = append(out, n)
			}
		}
	}
	for _, n := range names {
		walk(n)
	}
	return NewAudience(out...)
}

// CoversLevel reports whether partner has a security agreement in force at
// d.Now that covers classification c.
func (d *Directory) CoversLevel(partner string, c Classification) bool {
	_, ok := d.coveringAgreement(partner, c)
	return ok
}

// NextChange returns the first instant after d.Now at which an agreement
// enters or leaves force, or the zero time if none will. Audiences computed
// against d are valid until then.
func (d *Directory) NextChange() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && t.After(d.Now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, a := range d.agreements {
		if a.Kind == SecurityAgreement {
			consider(a.From)
			consider(a.Until)
		}
	}
	return next
}

// AudienceOf computes the audience of an object version from its markings
// alone, by the rules of ARCHITECTURE.md ("The one invariant"):
//
//   - every releasable_to list narrows the audience to what it names, with
//     communities expanded; several lists intersect;
//   - TLP:RED with no releasable_to list narrows it to the originator;
//   - a classification with no releasable_to list narrows it to NATO;
//   - a classification above NATO UNCLASSIFIED drops every partner without
//     a security agreement in force that covers the highest level;
//   - an ACS 3.0 marking narrows it to the organisations its
//     access_privilege rules admit, deny by default (rule 12; it is not a
//     releasable_to list for rules 5 and 6);
//   - TLP CLEAR to AMBER+STRICT do not narrow;
//   - the originator is always in the audience.
//
// markings are the resolved object_marking_refs (or the collection's
// default marking when the object has none). Relationship ends (rule 9)
// and the collection's read list (rule 1) are applied by the store.
func (d *Directory) AudienceOf(originator string, markings []Marking) Audience {
	return d.audienceOf(originator, markings, nil)
}

// Step is one rule of AudienceOf as it applied to a version: which rule
// (its number in ARCHITECTURE.md), why in words, the marking or
// agreement responsible, and the organisations it took out or put in.
type Step struct {
	Rule      int
	Text      string
	MarkingID string // the marking responsible, when one is
	Agreement int64  // the agreement responsible, when one is
	Removed   []string
	Added     []string
}

// Explain is AudienceOf with its reasons: the audience, and each rule that
// changed it, in the order applied. It is the same computation, so the
// explanation can never disagree with what the store enforces.
func (d *Directory) Explain(originator string, markings []Marking) (Audience, []Step) {
	var steps []Step
	aud := d.audienceOf(originator, markings, &steps)
	return aud, steps
}

// audienceOf is AudienceOf, noting each rule that changed the audience in
// steps when steps is not nil.
func (d *Directory) audienceOf(originator string, markings []Marking, steps *[]Step) Audience {
	note := func(before, after Audience, st Step) {
		if steps == nil {
			return
		}
		for _, o := range before {
			if !after.Contains(o) {
				st.Removed = append(st.Removed, o)
			}
		}
		for _, o := range after {
			if !before.Contains(o) {
				st.Added = append(st.Added, o)
			}
		}
		*steps = append(*steps, st)
	}
	aud := d.all
	hasList, red := false, false
	level := NoClassification
	var redID, levelID string
	for _, m := range markings {
		if m.ReleasableTo != nil {
			hasList = true
			next := aud.Intersect(d.Expand(m.ReleasableTo...))
			note(aud, next, Step{Rule: 4, MarkingID: m.ID, Text: "releasable to " + strings.Join(m.ReleasableTo, ", ") + markingName(m)})
			aud = next
		}
		if m.ACS != nil {
			next := d.acsAudience(aud, m.ACS)
			note(aud, next, Step{Rule: 12, MarkingID: m.ID, Text: acsText(m.ACS) + markingName(m)})
			if steps != nil {
				*steps = append(*steps, Step{Rule: 12, MarkingID: m.ID, Text: acsSharingText(m.ACS) + markingName(m)})
			}
			aud = next
		}
		if m.TLP == TLPRed {
			red, redID = true, m.ID
		}
		if m.Classification > level {
			level, levelID = m.Classification, m.ID
		}
	}
	if red && !hasList {
		note(aud, Audience{}, Step{Rule: 5, MarkingID: redID, Text: "TLP:RED with no releasable_to list is for the originator alone"})
		aud = Audience{}
	}
	if level > NoClassification && !hasList {
		next := aud.Intersect(d.Expand(CommunityNATO))
		note(aud, next, Step{Rule: 6, MarkingID: levelID, Text: level.String() + " with no releasable_to list is for NATO: allies and NATO bodies"})
		aud = next
	}
	if level > NATOUnclassified {
		kept := aud[:0:0]
		for _, o := range aud {
			if d.orgs[o].Kind == Partner && !d.CoversLevel(o, level) {
				continue
			}
			kept = append(kept, o)
		}
		if steps != nil && slices.ContainsFunc(aud, func(o string) bool { return d.orgs[o].Kind == Partner }) {
			// One line for the rule, then one per partner it weighed.
			note(aud, kept, Step{Rule: 7, MarkingID: levelID, Text: level.String() + ": partners need a security agreement in force that covers it"})
			for _, o := range aud {
				if d.orgs[o].Kind != Partner {
					continue
				}
				if a, ok := d.coveringAgreement(o, level); ok {
					*steps = append(*steps, Step{Rule: 7, Agreement: a.ID, Text: o + "'s security agreement" + agreementDate(a) + " covers up to " + a.MaxClassification.String()})
				} else if best, ok := d.bestAgreement(o); ok {
					*steps = append(*steps, Step{Rule: 7, Agreement: best.ID, Removed: []string{o}, Text: o + "'s security agreement" + agreementDate(best) + " stops at " + best.MaxClassification.String()})
				} else {
					*steps = append(*steps, Step{Rule: 7, Removed: []string{o}, Text: o + " has no security agreement in force"})
				}
			}
		}
		aud = kept
	}
	if originator != "" && !aud.Contains(originator) {
		next := NewAudience(append(slices.Clone(aud), originator)...)
		note(aud, next, Step{Rule: 3, Text: "the originator, " + originator + ", always reads"})
		aud = next
	}
	return aud
}

func markingName(m Marking) string {
	if m.Name == "" {
		return ""
	}
	return " (" + m.Name + ")"
}

func agreementDate(a Agreement) string {
	if a.Name != "" {
		return " (" + a.Name + ")"
	}
	if !a.From.IsZero() {
		return " of " + a.From.Format("2 January 2006")
	}
	return ""
}

// coveringAgreement returns a security agreement of partner in force at
// d.Now that covers c.
func (d *Directory) coveringAgreement(partner string, c Classification) (Agreement, bool) {
	for _, a := range d.agreements {
		if a.Partner == partner && a.Kind == SecurityAgreement && a.MaxClassification >= c && a.InForce(d.Now) {
			return a, true
		}
	}
	return Agreement{}, false
}

// bestAgreement returns partner's security agreement in force at d.Now
// that covers the most.
func (d *Directory) bestAgreement(partner string) (Agreement, bool) {
	var best Agreement
	ok := false
	for _, a := range d.agreements {
		if a.Partner == partner && a.Kind == SecurityAgreement && a.InForce(d.Now) && (!ok || a.MaxClassification > best.MaxClassification) {
			best, ok = a, true
		}
	}
	return best, ok
}

// MayRead is the one decision of whether principal p may read a version
// whose audience is aud, stored in a collection whose read list expands to
// readers. Store queries implement the same rule in SQL; tests and features
// that need the decision in Go call this.
func MayRead(p Principal, readers, aud Audience) bool {
	return p.Org != "" && readers.Contains(p.Org) && aud.Contains(p.Org)
}
