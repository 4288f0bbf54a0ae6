package web

import (
	"slices"
	"sort"
	"strings"

	"liaison"
)

// banner is the line at the top and the bottom of every page: the highest
// classification and the narrowest releasability of what the page shows
// this reader, and the strictest TLP. Class colours it; the text always
// says it in words.
type banner struct {
	Text  string
	Class string
}

// bannerOf is the banner of a page that shows versions with these labels.
// Releasability is what every version on the page allows together: the
// intersection of their constraints, spelt as the names the markings use
// where those fit, so that a page of one kind of version reads exactly
// like its marking. dir expands communities; it may be nil when the page
// has at most one distinct constraint.
func bannerOf(labels []label, dir *liaison.Directory) banner {
	var (
		class liaison.Classification
		tlp   liaison.TLP
		cons  [][]string
		acs   bool
	)
	for _, l := range labels {
		acs = acs || l.ACS
		class = max(class, l.Classification)
		tlp = max(tlp, l.TLP)
		for _, c := range l.constraints() {
			c = normList(c)
			if !slices.ContainsFunc(cons, func(d []string) bool { return slices.Equal(c, d) }) {
				cons = append(cons, c)
			}
		}
	}
	var parts []string
	b := banner{Class: "unmarked"}
	if class != liaison.NoClassification {
		parts = append(parts, class.String())
		b.Class = classSlug(class)
	}
	if len(cons) > 0 {
		parts = append(parts, "REL TO "+relText(cons, dir))
	}
	if acs {
		// ACS rules narrow further than the lists say (rule 12).
		parts = append(parts, "ACS 3.0")
	}
	if tlp != liaison.TLPNone {
		parts = append(parts, tlp.String())
		if class == liaison.NoClassification {
			b.Class = "tlp-" + tlpSlug(tlp)
		}
	}
	if len(parts) == 0 {
		return banner{Text: "UNMARKED", Class: "unmarked"}
	}
	b.Text = strings.Join(parts, " · ")
	return b
}

// normList sorts a releasability list the way it reads: communities
// first (NATO, then IP4, then others), then organisation codes.
func normList(l []string) []string {
	out := slices.Clone(l)
	slices.Sort(out)
	out = slices.Compact(out)
	sort.SliceStable(out, func(i, j int) bool { return nameRank(out[i]) < nameRank(out[j]) })
	return out
}

func nameRank(n string) int {
	switch n {
	case liaison.CommunityAll:
		return 0
	case liaison.CommunityNATO:
		return 1
	case liaison.CommunityIP4:
		return 2
	}
	return 3
}

// relText spells the intersection of the lists. One list is spelt as it
// is. Several are expanded to organisations, intersected, and spelt back
// with the largest communities named in the lists (and NATO and IP4)
// that fit wholly inside, then the remaining codes.
func relText(lists [][]string, dir *liaison.Directory) string {
	if len(lists) == 1 || dir == nil {
		return strings.Join(lists[0], ", ")
	}
	var set liaison.Audience
	for i, l := range lists {
		a := dir.Expand(l...)
		if i == 0 {
			set = a
		} else {
			set = set.Intersect(a)
		}
	}
	if len(set) == 0 {
		return "no organisation in common"
	}
	var names []string
	seen := map[string]bool{}
	for _, l := range append(slices.Clone(lists), []string{liaison.CommunityNATO, liaison.CommunityIP4}) {
		for _, n := range l {
			if !seen[n] && dir.HasCommunity(n) {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	type cand struct {
		name string
		orgs liaison.Audience
	}
	var cands []cand
	for _, n := range names {
		if a := dir.Expand(n); len(a) > 0 {
			cands = append(cands, cand{n, a})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if len(cands[i].orgs) != len(cands[j].orgs) {
			return len(cands[i].orgs) > len(cands[j].orgs)
		}
		return cands[i].name < cands[j].name
	})
	left := slices.Clone(set)
	var out []string
	for _, c := range cands {
		if len(c.orgs.Intersect(left)) == len(c.orgs) {
			out = append(out, c.name)
			left = slices.DeleteFunc(left, c.orgs.Contains)
		}
	}
	out = normList(out)
	return strings.Join(append(out, left...), ", ")
}
