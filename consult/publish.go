package consult

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"liaison"
)

// newUUID returns a random (version 4) UUID read from r.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// PublishedMarking returns the hub marking that a published outcome of c
// carries: c's classification and releasability list. When c's marking
// has no list, the list is c's participants and convenor, who are the
// ones that could read the consultation. A hidden consultation thus never
// becomes a wider-read report.
func PublishedMarking(c liaison.Consultation) liaison.Marking {
	m, _ := c.Marking.Marking()
	if m.ReleasableTo == nil {
		m.ReleasableTo = append([]string{c.Convenor}, c.Participants...)
	}
	m.TLP = liaison.TLPNone
	return m
}

// Outcome builds the STIX objects that publish c's outcome at now: a
// marking-definition in the hub's classification and releasability
// extension, and a report (kind "report" or "") or a note (kind "note")
// that references refs and carries that marking and c's TLP, if any.
// Random ids come from rnd (crypto/rand when nil). EINVALID when c has
// no outcome, the kind is unknown, or refs is empty: STIX requires a
// report and a note to reference at least one object.
func Outcome(c liaison.Consultation, kind string, refs []string, now time.Time, rnd io.Reader) ([]liaison.Candidate, error) {
	if c.Outcome == nil {
		return nil, liaison.Errorf(liaison.EINVALID, "consultation %d has no outcome to publish", c.ID)
	}
	if kind == "" {
		kind = "report"
	}
	if kind != "report" && kind != "note" {
		return nil, liaison.Errorf(liaison.EINVALID, "publication kind %q is unknown: want report or note", kind)
	}
	if len(refs) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "consultation %d cannot be published as a %s: no contribution references a STIX object you may read, and a %s needs at least one", c.ID, kind, kind)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	mu, err := newUUID(rnd)
	if err != nil {
		return nil, liaison.Internal("consult.Outcome", err)
	}
	ou, err := newUUID(rnd)
	if err != nil {
		return nil, liaison.Internal("consult.Outcome", err)
	}
	ts := stixTime(now)
	mk := PublishedMarking(c)
	mk.ID = "marking-definition--" + mu
	mk.Name = liaison.MarkingSpec{Classification: c.Marking.Classification, ReleasableTo: mk.ReleasableTo}.Name()
	ext := map[string]any{"extension_type": "property-extension", "releasable_to": mk.ReleasableTo}
	if mk.Classification != liaison.NoClassification {
		ext["classification"] = mk.Classification.String()
	}
	// The extension is named by its key in extensions, which is all that
	// STIX 2.1 defines: no top-level "extension_definitions".
	mdef := map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": mk.ID, "created": ts, "name": mk.Name,
		"extensions": map[string]any{liaison.HubMarkingExtensionID: ext},
	}
	markingRefs := []string{mk.ID}
	if t, _ := liaison.ParseTLP(c.Marking.TLP); t != liaison.TLPNone {
		markingRefs = append(markingRefs, tlp2ID[t])
	}
	text := describe(c)
	obj := map[string]any{
		"type": kind, "spec_version": "2.1", "id": kind + "--" + ou, "created": ts, "modified": ts,
		"object_refs": refs, "object_marking_refs": markingRefs, "labels": c.Topics,
	}
	if kind == "report" {
		obj["name"] = c.Title
		obj["description"] = text
		obj["published"] = ts
	} else {
		obj["abstract"] = c.Title
		obj["content"] = text
		obj["authors"] = []string{c.Convenor}
	}
	mraw, err := json.Marshal(mdef)
	if err != nil {
		return nil, liaison.Internal("consult.Outcome", err)
	}
	oraw, err := json.Marshal(obj)
	if err != nil {
		return nil, liaison.Internal("consult.Outcome", err)
	}
	return []liaison.Candidate{
		{Index: 0, ID: mk.ID, Type: "marking-definition", SpecVersion: "2.1", Created: now.UTC().Truncate(time.Millisecond), Raw: mraw, Marking: &mk},
		{Index: 1, ID: kind + "--" + ou, Type: kind, SpecVersion: "2.1", Created: now.UTC().Truncate(time.Millisecond), Modified: now.UTC().Truncate(time.Millisecond), Raw: oraw, MarkingRefs: markingRefs},
	}, nil
}

// tlp2ID maps a TLP level to its TLP 2.0 marking-definition id.
var tlp2ID = map[liaison.TLP]string{
	liaison.TLPClear: liaison.TLPClearID, liaison.TLPGreen: liaison.TLPGreenID, liaison.TLPAmber: liaison.TLPAmberID,
	liaison.TLPAmberStrict: liaison.TLPAmberStrictID, liaison.TLPRed: liaison.TLPRedID,
}

// describe renders the outcome as plain text for the report.
func describe(c liaison.Consultation) string {
	var b strings.Builder
	b.WriteString(c.Outcome.Summary)
	if len(c.Outcome.Actions) > 0 {
		b.WriteString("\n\nAgreed actions:")
		for i, a := range c.Outcome.Actions {
			fmt.Fprintf(&b, "\n%d. %s (owner %s, due %s, %s)", i+1, a.Text, a.Owner, a.Due.UTC().Format(time.DateOnly), a.Status)
		}
	}
	fmt.Fprintf(&b, "\n\nConsultation %d convened by %s; outcome recorded by %s at %s.", c.ID, c.Convenor, c.Outcome.RecordedBy, stamp(c.Outcome.RecordedAt))
	return b.String()
}
