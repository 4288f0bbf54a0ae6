package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/bench"
	"liaison/consult"
	"liaison/stix"
	"liaison/web"
)

// The top-level properties that STIX 2.1 defines for each type the hub
// writes, and the ones a reader needs to make sense of an object, which
// the hub writes although the specification leaves them optional.
var (
	sdoCommon = []string{"type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels",
		"confidence", "lang", "external_references", "object_marking_refs", "granular_markings", "extensions"}
	stixProperties = map[string][]string{
		"attack-pattern": append(slices.Clone(sdoCommon), "name", "description", "aliases", "kill_chain_phases"),
		"campaign":       append(slices.Clone(sdoCommon), "name", "description", "aliases", "first_seen", "last_seen", "objective"),
		"identity":       append(slices.Clone(sdoCommon), "name", "description", "roles", "identity_class", "sectors", "contact_information"),
		"indicator": append(slices.Clone(sdoCommon), "name", "description", "indicator_types", "pattern", "pattern_type",
			"pattern_version", "valid_from", "valid_until", "kill_chain_phases"),
		"incident":       append(slices.Clone(sdoCommon), "name", "description", "kill_chain_phases"),
		"infrastructure": append(slices.Clone(sdoCommon), "name", "description", "infrastructure_types", "aliases", "kill_chain_phases", "first_seen", "last_seen"),
		"intrusion-set": append(slices.Clone(sdoCommon), "name", "description", "aliases", "first_seen", "last_seen", "goals",
			"resource_level", "primary_motivation", "secondary_motivations"),
		"location": append(slices.Clone(sdoCommon), "name", "description", "latitude", "longitude", "precision", "region",
			"country", "administrative_area", "city", "street_address", "postal_code"),
		"malware": append(slices.Clone(sdoCommon), "name", "description", "malware_types", "is_family", "aliases", "kill_chain_phases",
			"first_seen", "last_seen", "operating_system_refs", "architecture_execution_envs", "implementation_languages",
			"capabilities", "sample_refs"),
		"note":   append(slices.Clone(sdoCommon), "abstract", "content", "authors", "object_refs"),
		"report": append(slices.Clone(sdoCommon), "name", "description", "report_types", "published", "object_refs"),
		"threat-actor": append(slices.Clone(sdoCommon), "name", "description", "threat_actor_types", "aliases", "first_seen",
			"last_seen", "roles", "goals", "sophistication", "resource_level", "primary_motivation", "secondary_motivations",
			"personal_motivations"),
		"relationship": append(slices.Clone(sdoCommon), "relationship_type", "description", "source_ref", "target_ref", "start_time", "stop_time"),
		"sighting": append(slices.Clone(sdoCommon), "description", "first_seen", "last_seen", "count", "sighting_of_ref",
			"observed_data_refs", "where_sighted_refs", "summary"),
		"marking-definition": {"type", "spec_version", "id", "created_by_ref", "created", "external_references",
			"object_marking_refs", "granular_markings", "extensions", "name", "definition_type", "definition"},
		"extension-definition": {"type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels",
			"external_references", "object_marking_refs", "granular_markings", "name", "description", "schema", "version",
			"extension_types", "extension_properties"},
	}
	describing      = []string{"name", "description"}
	stixRecommended = map[string][]string{
		"attack-pattern":       describing,
		"campaign":             describing,
		"identity":             {"name", "description", "identity_class"},
		"indicator":            describing,
		"intrusion-set":        describing,
		"incident":             describing,
		"infrastructure":       describing,
		"location":             describing,
		"malware":              describing,
		"note":                 {"abstract", "content"},
		"report":               describing,
		"threat-actor":         describing,
		"marking-definition":   {"name"},
		"extension-definition": describing,
	}
	// hubExtensionProperties are the properties of the hub's marking
	// extension, as its schema defines them.
	hubExtensionProperties = []string{"extension_type", "classification", "releasable_to"}
)

// written is one object the hub writes itself, and where it comes from.
type written struct {
	from string
	raw  []byte
}

// hubWrites gathers every STIX object the hub writes of its own: the demo
// bundles, consultation outcomes as consult publishes them, a generated
// benchmark bundle, and the hub's identity and extension-definition.
func hubWrites(t *testing.T) []written {
	t.Helper()
	var out []written
	bundle := func(from string, b []byte) {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		for k := range env {
			if k != "type" && k != "id" && k != "objects" {
				t.Errorf("%s: bundle property %q is not in STIX 2.1", from, k)
			}
		}
		var objs []json.RawMessage
		if err := json.Unmarshal(env["objects"], &objs); err != nil {
			t.Fatalf("%s: objects: %v", from, err)
		}
		for i, o := range objs {
			out = append(out, written{fmt.Sprintf("%s object %d", from, i), o})
		}
	}
	files, err := fs.Glob(demoFS, "demo/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("demo files %v: %v", files, err)
	}
	for _, f := range files {
		if f == "demo/disarm-excerpt.json" {
			// A catalogue in the format ATT&CK and DISARM publish
			// (x-mitre-matrix, x-mitre-tactic, x_mitre_* properties),
			// which the matrix pages read as those bundles come: the
			// framework's format, not the hub's own writing.
			continue
		}
		b, err := demoFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bundle(f, b)
	}
	for i, raw := range web.FIMIIncident(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "Forged letter", "A forged letter.",
		[]string{demoT0085}, []string{"Japanese public"}, []string{"Anonymous account"}, []string{liaison.TLPGreenID}) {
		out = append(out, written{fmt.Sprintf("web.FIMIIncident object %d", i), raw})
	}

	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := liaison.Consultation{
		ID: 7, Title: "NATO–IP4 consultation on cyber threats", Topics: []string{"cyber"}, Convenor: "NATO-IS",
		Participants: []string{"IP4", "USA"},
		Outcome: &liaison.Outcome{Summary: "Agreed a weekly exchange of indicators.", RecordedBy: "nis", RecordedAt: now,
			Actions: []liaison.AgreedAction{{Text: "Set up the exchange", Owner: "JPN", Due: now.Add(30 * 24 * time.Hour), Status: "open"}}},
	}
	for _, v := range []struct {
		kind    string
		marking liaison.MarkingSpec
	}{
		{"report", liaison.MarkingSpec{ReleasableTo: []string{"NATO", "JPN"}, TLP: "amber"}},
		{"note", liaison.MarkingSpec{Classification: "NATO RESTRICTED"}},
		{"", liaison.MarkingSpec{}},
	} {
		c.Marking = v.marking
		cands, err := consult.Outcome(c, v.kind, []string{"indicator--58e3435f-9579-441c-8f0c-464f4337de84"}, now, nil)
		if err != nil {
			t.Fatalf("publish as %q: %v", v.kind, err)
		}
		for _, cand := range cands {
			out = append(out, written{fmt.Sprintf("consult.Outcome %q %s", v.kind, cand.Type), cand.Raw})
		}
	}

	var buf bytes.Buffer
	if _, err := bench.WriteBundle(&buf, 1, 3000); err != nil {
		t.Fatal(err)
	}
	bundle("bench bundle", buf.Bytes())

	out = append(out, written{"stix.HubIdentity", stix.HubIdentity()}, written{"stix.HubExtensionDefinition", stix.HubExtensionDefinition()})
	return out
}

// TestHubWritesPlainSTIX walks every object the hub writes of its own and
// checks that it holds (a) no top-level property that STIX 2.1 does not
// define for its type (the hub writes no custom x_ properties, so none
// are allowed), nor any in the hub's extension beyond its schema, and (b)
// the properties a reader needs: a name and description, an identity's
// class, a marking's name. Each must also pass the hub's own validator.
func TestHubWritesPlainSTIX(t *testing.T) {
	types := map[string]int{}
	for _, w := range hubWrites(t) {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(w.raw, &o); err != nil {
			t.Fatalf("%s: %v", w.from, err)
		}
		var typ string
		_ = json.Unmarshal(o["type"], &typ)
		allowed, known := stixProperties[typ]
		if !known {
			t.Errorf("%s: the hub writes type %q, which this test does not know: add its STIX 2.1 properties", w.from, typ)
			continue
		}
		types[typ]++
		var extra []string
		for k := range o {
			if !slices.Contains(allowed, k) {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			t.Errorf("%s (%s): properties %q are not in STIX 2.1", w.from, typ, extra)
		}
		for _, k := range stixRecommended[typ] {
			if v, ok := o[k]; !ok || string(v) == `""` {
				t.Errorf("%s (%s): no %q", w.from, typ, k)
			}
		}
		if raw, ok := o["extensions"]; ok {
			var exts map[string]map[string]json.RawMessage
			if err := json.Unmarshal(raw, &exts); err != nil {
				t.Errorf("%s: extensions: %v", w.from, err)
			}
			for id, props := range exts {
				if id != liaison.HubMarkingExtensionID {
					t.Errorf("%s: extension %s is not the hub's", w.from, id)
				}
				for k := range props {
					if !slices.Contains(hubExtensionProperties, k) {
						t.Errorf("%s: hub extension property %q is not in its schema", w.from, k)
					}
				}
			}
		}
		c, err := stix.Decode(0, w.raw)
		if err != nil {
			t.Errorf("%s: the hub's validator refuses it: %v", w.from, err)
		} else if typ == "marking-definition" && c.Marking == nil {
			t.Errorf("%s: not understood as a marking", w.from)
		}
	}
	for _, typ := range []string{"marking-definition", "indicator", "report", "note", "identity", "extension-definition"} {
		if types[typ] == 0 {
			t.Errorf("no %s among what the hub writes: the walk misses a source", typ)
		}
	}
	t.Logf("checked %v", types)
}

// TestHubMarkingAcceptsExtensionDefinitions checks that a marking which
// still carries the top-level "extension_definitions" list that earlier
// hub data had is read as before: the hub never writes it, but accepts it.
func TestHubMarkingAcceptsExtensionDefinitions(t *testing.T) {
	for _, w := range hubWrites(t) {
		if !bytes.Contains(w.raw, []byte(`"type":"marking-definition"`)) && !bytes.Contains(w.raw, []byte(`"type": "marking-definition"`)) {
			continue
		}
		plain, err := stix.Decode(0, w.raw)
		if err != nil || plain.Marking == nil {
			continue // TLP markings and others: not the hub's extension
		}
		legacy := bytes.Replace(w.raw, []byte(`"extensions"`), []byte(`"extension_definitions":["`+liaison.HubMarkingExtensionID+`"],"extensions"`), 1)
		old, err := stix.Decode(0, legacy)
		if err != nil {
			t.Fatalf("%s with extension_definitions: %v", w.from, err)
		}
		if old.Marking == nil || !slices.Equal(old.Marking.ReleasableTo, plain.Marking.ReleasableTo) || old.Marking.Classification != plain.Marking.Classification {
			t.Errorf("%s: read as %+v with extension_definitions, %+v without", w.from, old.Marking, plain.Marking)
		}
		if !strings.Contains(string(legacy), "extension_definitions") {
			t.Fatalf("%s: the test did not add extension_definitions", w.from)
		}
	}
}
