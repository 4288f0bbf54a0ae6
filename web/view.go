package web

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"liaison"
)

// timeView is one instant as the pages show it: in the reader's zone and
// in UTC, both in ISO form.
type timeView struct {
	Local string // in the reader's zone, with its offset
	UTC   string // with Z
	Same  bool   // the reader's zone is UTC: show it once
	Zero  bool
}

func (p *page) when(t time.Time) timeView {
	if t.IsZero() {
		return timeView{Zero: true}
	}
	u := t.UTC()
	l := t.In(p.zone)
	tv := timeView{UTC: u.Format("2006-01-02T15:04:05.000Z"), Local: l.Format("2006-01-02T15:04:05-07:00") + " " + zoneAbbrev(l)}
	_, off := l.Zone()
	tv.Same = off == 0 && (p.zone == time.UTC || p.zone.String() == "UTC")
	return tv
}

// zoneAbbrev is the zone's abbreviation, or its IANA name when the
// abbreviation is only an offset.
func zoneAbbrev(t time.Time) string {
	name, _ := t.Zone()
	if strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-") {
		return t.Location().String()
	}
	return name
}

// badge is one marking as a page shows it: a link to what it means.
type badge struct {
	Kind    string // tlp, classification, rel, pap, statement, default
	Text    string
	Class   string
	Href    string
	Members []communityView // the communities of a releasable-to list, to expand
}

type communityView struct {
	Name    string
	Members []string
}

// badges returns the label's badges: TLP, classification, each
// releasable-to list, PAP.
func badges(l label) []badge {
	var out []badge
	if l.Classification != liaison.NoClassification {
		s := classSlug(l.Classification)
		out = append(out, badge{Kind: "classification", Text: l.Classification.String(), Class: "class-" + s, Href: "/markings#" + s})
	}
	for _, list := range l.Lists {
		text := "REL TO " + strings.Join(normList(list), ", ")
		if len(list) == 0 {
			text = "REL TO originator only"
		}
		out = append(out, badge{Kind: "rel", Text: text, Class: "rel", Href: "/markings#releasable-to"})
	}
	if l.ACS {
		out = append(out, badge{Kind: "acs", Text: "ACS 3.0", Class: "rel", Href: "/markings"})
	}
	if l.TLP != liaison.TLPNone {
		s := tlpSlug(l.TLP)
		out = append(out, badge{Kind: "tlp", Text: l.TLP.String(), Class: "tlp-" + s, Href: "/markings#tlp-" + s})
	}
	for _, pap := range l.PAP {
		out = append(out, badge{Kind: "pap", Text: pap, Class: "pap", Href: "/markings#pap"})
	}
	return out
}

// withValues returns path with the query values.
func withValues(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

var templateFuncs = template.FuncMap{
	"join":      strings.Join,
	"stixTypes": func() []string { return stixTypeNames },
}

// stixTypeNames are offered as the type filter's suggestions.
var stixTypeNames = []string{
	"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "indicator", "infrastructure",
	"intrusion-set", "location", "malware", "malware-analysis", "marking-definition", "note", "observed-data",
	"opinion", "relationship", "report", "sighting", "threat-actor", "tool", "vulnerability",
	"domain-name", "ipv4-addr", "ipv6-addr", "url", "file", "x-mitre-tactic",
}
