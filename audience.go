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
	for _, a := range d.agreements {
		if a.Partner == partner && a.Kind == SecurityAgreement && a.MaxClassification >= c && a.InForce(d.Now) {
			return true
		}
	}
	return false
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
//   - TLP CLEAR to AMBER+STRICT do not narrow;
//   - the originator is always in the audience.
//
// markings are the resolved object_marking_refs (or the collection's
// default marking when the object has none). Relationship ends (rule 9)
// and the collection's read list (rule 1) are applied by the store.
func (d *Directory) AudienceOf(originator string, markings []Marking) Audience {
	aud := d.all
	hasList, red := false, false
	level := NoClassification
	for _, m := range markings {
		if m.ReleasableTo != nil {
			hasList = true
			aud = aud.Intersect(d.Expand(m.ReleasableTo...))
		}
		if m.TLP == TLPRed {
			red = true
		}
		if m.Classification > level {
			level = m.Classification
		}
	}
	if red && !hasList {
		aud = Audience{}
	}
	if level > NoClassification && !hasList {
		aud = aud.Intersect(d.Expand(CommunityNATO))
	}
	if level > NATOUnclassified {
		kept := aud[:0:0]
		for _, o := range aud {
			if d.orgs[o].Kind == Partner && !d.CoversLevel(o, level) {
				continue
			}
			kept = append(kept, o)
		}
		aud = kept
	}
	if originator != "" && !aud.Contains(originator) {
		aud = NewAudience(append(slices.Clone(aud), originator)...)
	}
	return aud
}

// MayRead is the one decision of whether principal p may read a version
// whose audience is aud, stored in a collection whose read list expands to
// readers. Store queries implement the same rule in SQL; tests and features
// that need the decision in Go call this.
func MayRead(p Principal, readers, aud Audience) bool {
	return p.Org != "" && readers.Contains(p.Org) && aud.Contains(p.Org)
}
