package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"liaison"
)

// label is what the markings of one version say: the badges a page shows
// beside it, and its share of the page's banner.
type label struct {
	TLP            liaison.TLP
	Classification liaison.Classification
	// Lists are the releasable_to lists of its markings; several
	// intersect.
	Lists [][]string
	// ACS is set when a marking is an ACS 3.0 one: its rules narrow who
	// reads (rule 12), and the object page's trace spells them out.
	ACS bool
	// PAP and Statements govern use, not who reads.
	PAP        []string
	Statements []string
	// Default is set when the collection's default marking was applied
	// because the object had none.
	Default bool
	// Originator is the organisation that wrote the version.
	Originator string
}

// constraints are the releasability lists that together bound who may
// receive the version, as the audience rules read its markings: its
// releasable_to lists; without one, NATO for a classification (rule 6)
// and the originator alone for TLP:RED (rule 5).
func (l label) constraints() [][]string {
	if len(l.Lists) > 0 {
		return l.Lists
	}
	var out [][]string
	if l.Classification != liaison.NoClassification {
		out = append(out, []string{liaison.CommunityNATO})
	}
	if l.TLP == liaison.TLPRed {
		out = append(out, []string{l.Originator})
	}
	return out
}

// markingRefs are the parts of an object that name its markings.
type markingRefs struct {
	ObjectMarkingRefs []string `json:"object_marking_refs"`
	GranularMarkings  []struct {
		MarkingRef string `json:"marking_ref"`
	} `json:"granular_markings"`
}

// refs returns every marking-definition the object names, in order,
// once each. Granular markings count: the page shows the parts they mark.
func (m markingRefs) refs() []string {
	out := slices.Clone(m.ObjectMarkingRefs)
	for _, g := range m.GranularMarkings {
		if g.MarkingRef != "" {
			out = append(out, g.MarkingRef)
		}
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(id string) bool {
		dup := seen[id]
		seen[id] = true
		return dup
	})
}

// markingCache resolves marking-definitions for one request. A page asks
// only for the markings of versions the reader has received: the label
// travels with what it labels.
type markingCache struct {
	store liaison.Store
	ctx   context.Context
	m     map[string]*liaison.Marking // nil: unknown to the hub
}

func newMarkingCache(ctx context.Context, st liaison.Store) *markingCache {
	return &markingCache{store: st, ctx: ctx, m: map[string]*liaison.Marking{}}
}

func (c *markingCache) get(id string) (*liaison.Marking, error) {
	if m, ok := c.m[id]; ok {
		return m, nil
	}
	m, err := c.store.Marking(c.ctx, id)
	switch {
	case err == nil:
		c.m[id] = &m
		return &m, nil
	case liaison.ErrorCode(err) == liaison.ENOTFOUND:
		c.m[id] = nil
		return nil, nil
	}
	return nil, fmt.Errorf("web: resolve marking %s: %w", id, err)
}

// labelOf reads the label of a version the reader has received.
func (c *markingCache) labelOf(v liaison.Version) (label, error) {
	l := label{Originator: v.Originator}
	var mr markingRefs
	if len(v.Raw) > 0 {
		if err := json.Unmarshal(v.Raw, &mr); err != nil {
			// Stored objects were validated; a malformed list of refs
			// is no reason to fail the page, but it carries no label.
			mr = markingRefs{}
		}
	}
	ids := mr.refs()
	for _, d := range liaison.DefaultMarkingIDs(v.DefaultMarking) {
		if !slices.Contains(ids, d) {
			ids = append(ids, d)
			l.Default = true
		}
	}
	for _, id := range ids {
		m, err := c.get(id)
		if err != nil {
			return l, err
		}
		if m == nil {
			continue
		}
		l.TLP = max(l.TLP, m.TLP)
		l.Classification = max(l.Classification, m.Classification)
		if m.ReleasableTo != nil {
			l.Lists = append(l.Lists, slices.Clone(m.ReleasableTo))
		}
		l.ACS = l.ACS || m.ACS != nil
		if m.PAP != "" && !slices.Contains(l.PAP, m.PAP) {
			l.PAP = append(l.PAP, m.PAP)
		}
		if m.Statement != "" {
			l.Statements = append(l.Statements, m.Statement)
		}
	}
	return l, nil
}

// tlpSlug is the CSS and filter name of a TLP level: clear, green, amber,
// amber-strict, red.
func tlpSlug(t liaison.TLP) string {
	s := strings.ToLower(strings.TrimPrefix(t.String(), "TLP:"))
	return strings.ReplaceAll(s, "+", "-")
}

// classSlug is the CSS name of a classification level.
func classSlug(c liaison.Classification) string {
	return strings.ReplaceAll(strings.ToLower(c.String()), " ", "-")
}
