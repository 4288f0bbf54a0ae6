package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/stix"
)

// The marking picker: what an import's unmarked objects take. It offers
// TLP, classification and releasable-to (organisations and communities
// of the directory), and it previews who will read the result with the
// directory's own Explain, the function that enforces audiences.

// Form fields of the picker.
const (
	fieldTLP   = "tlp"
	fieldClass = "classification"
	fieldRel   = "rel"
)

// maxRel bounds how many names a releasable-to choice may hold.
const maxRel = 200

// pickerNamespace is the namespace of the name-based (version 5) UUIDs of
// the marking-definitions the picker makes: one id per classification
// and list, so that importing twice with one choice stores one marking.
var pickerNamespace = [16]byte{0x6c, 0x69, 0x61, 0x69, 0x73, 0x6f, 0x6e, 0x2d, 0x9a, 0x6b, 0x69, 0x63, 0x6b, 0x65, 0x72, 0x21}

// pickerCreated is the created time of those marking-definitions: fixed,
// so that their bytes are the same whenever they are made.
const pickerCreated = "2026-01-01T00:00:00.000Z"

// markingPick is one choice of the picker, as a MarkingSpec; the zero value
// chooses nothing, and the collection's default marking applies.
type markingPick struct {
	TLP   liaison.TLP
	Class liaison.Classification
	Rel   []string // sorted, no duplicates; nil: no list
}

// parsePick reads the picker's fields. Every releasable-to name must be an
// organisation or a community of the directory. EINVALID names the field.
func parsePick(values func(string) []string, dir *liaison.Directory) (markingPick, error) {
	var pk markingPick
	first := func(name string) string {
		if vs := values(name); len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	t, err := liaison.ParseTLP(strings.ReplaceAll(first(fieldTLP), "-", "+"))
	if err != nil {
		return markingPick{}, liaison.Errorf(liaison.EINVALID, "field TLP: %q is not a TLP level: choose none, CLEAR, GREEN, AMBER, AMBER+STRICT or RED", truncate(first(fieldTLP), 40))
	}
	pk.TLP = t
	if c := first(fieldClass); c != "" {
		cl, err := liaison.ParseClassification(strings.ReplaceAll(c, "-", " "))
		if err != nil {
			return markingPick{}, liaison.Errorf(liaison.EINVALID, "field classification: %q is not a NATO classification: choose none, or NATO UNCLASSIFIED up to COSMIC TOP SECRET", truncate(c, 40))
		}
		pk.Class = cl
	}
	rel := values(fieldRel)
	if len(rel) > maxRel {
		return markingPick{}, liaison.Errorf(liaison.EINVALID, "field releasable to: %d names, more than %d", len(rel), maxRel)
	}
	for _, n := range rel {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := dir.Organisation(n); !ok && !dir.HasCommunity(n) {
			return markingPick{}, liaison.Errorf(liaison.EINVALID, "field releasable to: %q is neither an organisation nor a community of this hub", truncate(n, 40))
		}
		pk.Rel = append(pk.Rel, n)
	}
	if pk.Rel != nil {
		slices.Sort(pk.Rel)
		pk.Rel = slices.Compact(pk.Rel)
	}
	return pk, nil
}

// empty reports whether nothing was chosen.
func (pk markingPick) empty() bool {
	return pk.TLP == liaison.TLPNone && pk.Class == liaison.NoClassification && pk.Rel == nil
}

// spec is the choice as a MarkingSpec, for its name.
func (pk markingPick) spec() liaison.MarkingSpec {
	m := liaison.MarkingSpec{ReleasableTo: pk.Rel}
	if pk.Class != liaison.NoClassification {
		m.Classification = pk.Class.String()
	}
	if pk.TLP != liaison.TLPNone {
		m.TLP = pk.TLP.String()
	}
	return m
}

// tlpIDs are the TLP 2.0 marking-definition ids by level.
var tlpIDs = map[liaison.TLP]string{
	liaison.TLPClear: liaison.TLPClearID, liaison.TLPGreen: liaison.TLPGreenID, liaison.TLPAmber: liaison.TLPAmberID,
	liaison.TLPAmberStrict: liaison.TLPAmberStrictID, liaison.TLPRed: liaison.TLPRedID,
}

// hubMarking returns the hub's classification and releasability
// marking-definition for the choice (DOMAIN.md), its id and its bytes;
// ok is false when the choice has neither a classification nor a list.
func (pk markingPick) hubMarking() (m liaison.Marking, raw []byte, ok bool) {
	if pk.Class == liaison.NoClassification && pk.Rel == nil {
		return liaison.Marking{}, nil, false
	}
	name := pk.spec()
	name.TLP = ""
	m = liaison.Marking{ID: "marking-definition--" + stix.NameUUID(pickerNamespace, pk.Class.String()+"\x00"+strings.Join(pk.Rel, ",")),
		Name: name.Name(), Classification: pk.Class, ReleasableTo: pk.Rel}
	ext := map[string]any{"extension_type": "property-extension"}
	if pk.Class != liaison.NoClassification {
		ext["classification"] = pk.Class.String()
	}
	if pk.Rel != nil {
		ext["releasable_to"] = pk.Rel
	}
	raw, err := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": m.ID, "created": pickerCreated, "name": m.Name,
		"extensions": map[string]any{liaison.HubMarkingExtensionID: ext},
	})
	if err != nil {
		// A map of strings always marshals.
		panic(fmt.Sprintf("web: marshal a marking-definition: %v", err))
	}
	return m, raw, true
}

// markings returns the marking-definitions the choice stands for: the
// TLP one and the hub's, as Directory.Explain takes them.
func (pk markingPick) markings() []liaison.Marking {
	var out []liaison.Marking
	if pk.TLP != liaison.TLPNone {
		out = append(out, liaison.Marking{ID: tlpIDs[pk.TLP], Name: pk.TLP.String(), TLP: pk.TLP})
	}
	if m, _, ok := pk.hubMarking(); ok {
		out = append(out, m)
	}
	return out
}

// ids returns the ids of markings(), the defaults an import records.
func (pk markingPick) ids() []string {
	var out []string
	for _, m := range pk.markings() {
		out = append(out, m.ID)
	}
	return out
}

// pickerView is the picker's part of a form that writes: the collections
// p may write to and the marking choices, with the choice selected.
type pickerView struct {
	Collections []collOption
	TLPs        []option
	Classes     []option
	Rel         []relGroup
}

// picker returns the picker for p, coll and pk selected ("" selects the
// first collection). Releasable-to choices are offered only when p may
// write to some collection.
func (s *Server) picker(p *page, coll string, pk markingPick) (pickerView, error) {
	var v pickerView
	cs, err := s.writable(p)
	if err != nil {
		return v, err
	}
	for i, c := range cs {
		v.Collections = append(v.Collections, collOption{ID: c.ID, Title: c.Title, Default: c.DefaultMarking, Selected: c.ID == coll || coll == "" && i == 0})
	}
	v.TLPs = append(v.TLPs, option{"", "None", pk.TLP == liaison.TLPNone})
	for t := liaison.TLPClear; t <= liaison.TLPRed; t++ {
		v.TLPs = append(v.TLPs, option{tlpSlug(t), t.String(), pk.TLP == t})
	}
	v.Classes = append(v.Classes, option{"", "None", pk.Class == liaison.NoClassification})
	for c := liaison.NATOUnclassified; c <= liaison.CosmicTopSecret; c++ {
		v.Classes = append(v.Classes, option{classSlug(c), c.String(), pk.Class == c})
	}
	if len(cs) > 0 {
		if v.Rel, err = s.relChoices(p, pk.Rel); err != nil {
			return v, err
		}
	}
	return v, nil
}

// storePick writes the hub's marking-definition for the choice, if it has
// one, into collection coll as p, before any object names it. EINVALID
// when the store refuses it; op names the form in other errors.
func (s *Server) storePick(p *page, op, coll string, pk markingPick) error {
	m, raw, ok := pk.hubMarking()
	if !ok {
		return nil
	}
	// The picked classification and list are a marking-definition like
	// any other: the hub must know it before objects name it.
	cand, err := stix.Decode(0, raw)
	if err != nil {
		return fmt.Errorf("web: %s: the picked marking %s: %w", op, m.Name, err)
	}
	wr, err := s.store.AddObjects(p.r.Context(), *p.p, coll, []liaison.Candidate{cand})
	if err != nil {
		return err
	}
	if len(wr.Rejected) > 0 {
		return liaison.Errorf(liaison.EINVALID, "the picked marking %s could not be stored: %s", m.Name, wr.Rejected[0].Message)
	}
	return nil
}

// groupAudience sorts an audience into allies, NATO bodies and partners
// and lists the rules that made it, for "who can read this".
func groupAudience(d *liaison.Directory, aud liaison.Audience, steps []liaison.Step) whoView {
	w := whoView{Count: len(aud)}
	for _, code := range aud {
		o, _ := d.Organisation(code)
		switch o.Kind {
		case liaison.Ally:
			w.Allies = append(w.Allies, code)
		case liaison.NATOBody:
			w.Bodies = append(w.Bodies, code)
		case liaison.Partner:
			w.Partners = append(w.Partners, code)
		default:
			w.Others = append(w.Others, code)
		}
	}
	for _, st := range steps {
		w.Steps = append(w.Steps, stepView{Rule: st.Rule, Text: st.Text, Removed: st.Removed, Added: st.Added})
	}
	return w
}

// previewAudience says who will read what an import by p writes unmarked
// into collection c with this choice: Directory.Explain of the chosen
// markings (or, when nothing is chosen, the collection's default marking)
// with p's organisation as originator, bounded by the collection's read
// list, as the store bounds it.
func (s *Server) previewAudience(p *page, c liaison.CollectionAccess, pk markingPick, d *liaison.Directory) (whoView, error) {
	ms := pk.markings()
	var steps []liaison.Step
	if pk.empty() && c.DefaultMarking != "" {
		m, err := s.store.Marking(p.r.Context(), c.DefaultMarking)
		if err != nil {
			return whoView{}, fmt.Errorf("web: preview: the collection's default marking: %w", err)
		}
		ms = []liaison.Marking{m}
		steps = append(steps, liaison.Step{Rule: 8, MarkingID: m.ID, Text: "objects with no marking take the default marking of the collection, " + markingLabel(m)})
	} else if !pk.empty() {
		for _, m := range ms {
			steps = append(steps, liaison.Step{Rule: 8, MarkingID: m.ID, Text: "objects with no marking take the marking chosen here, " + markingLabel(m)})
		}
	}
	aud, why := d.Explain(p.p.Org, ms)
	steps = append(steps, why...)
	readers := d.Expand(c.Read...)
	bounded := aud.Intersect(readers)
	var removed []string
	for _, o := range aud {
		if !bounded.Contains(o) {
			removed = append(removed, o)
		}
	}
	if len(removed) > 0 {
		steps = append(steps, liaison.Step{Rule: 1, Removed: removed, Text: "the collection " + c.Title + " is read by " + strings.Join(c.Read, ", ")})
	}
	return groupAudience(d, bounded, steps), nil
}

// markingLabel names a marking for the trace.
func markingLabel(m liaison.Marking) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}
