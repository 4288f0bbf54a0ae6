package leaktest

import (
	"encoding/json"
	"fmt"
	"time"

	"liaison"
)

// stamp formats a STIX timestamp with millisecond precision.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("leaktest: marshal: %v", err)) // only maps of strings: cannot happen
	}
	return b
}

// markingJSON is a marking-definition in the hub's public format
// (DOMAIN.md).
func markingJSON(o *Obj, m HubMarking) []byte {
	if m.ACS {
		return acsJSON(o, m)
	}
	ext := map[string]any{"extension_type": "property-extension"}
	name := ""
	if m.Classification != liaison.NoClassification {
		ext["classification"] = m.Classification.String()
		name = m.Classification.String()
	}
	if m.ReleasableTo != nil {
		ext["releasable_to"] = m.ReleasableTo
		name += fmt.Sprintf(" REL TO %v", m.ReleasableTo)
	}
	return mustJSON(map[string]any{
		"type":         "marking-definition",
		"spec_version": "2.1",
		"id":           o.ID,
		"created":      stamp(o.Modified),
		"name":         name,
		// Not STIX 2.1 (the hub never writes it), but tools and stored
		// data do: the store must keep accepting it on input.
		"extension_definitions": []string{liaison.HubMarkingExtensionID},
		"extensions":            map[string]any{liaison.HubMarkingExtensionID: ext},
	})
}

// objectJSON is a valid STIX 2.1 object for the version. refs is where
// reports and notes draw their object_refs from.
func (g *gen) objectJSON(o *Obj, refs []*Obj) []byte {
	created := stixCreated
	m := map[string]any{
		"type":         o.Type,
		"spec_version": "2.1",
		"id":           o.ID,
		"created":      stamp(created),
		"modified":     stamp(o.Modified),
	}
	if len(o.MarkingRefs) > 0 {
		m["object_marking_refs"] = o.MarkingRefs
	}
	name := fmt.Sprintf("leaktest %s %d", o.Type, g.r.IntN(1_000_000))
	if l := edtLabel(o); l != "" && o.Type != "relationship" && o.Type != "sighting" {
		m["labels"] = []string{l}
	}
	switch o.Type {
	case "malware":
		m["name"], m["is_family"] = name, false
	case "threat-actor", "campaign", "x-mitre-matrix", "x-mitre-tactic":
		m["name"] = name
	case "attack-pattern":
		m["name"] = name
		m["kill_chain_phases"] = []any{map[string]any{"kill_chain_name": "leaktest", "phase_name": phaseOf(o.ID)}}
	case "identity":
		m["name"], m["identity_class"] = name, "organization"
	case "indicator":
		m["name"], m["pattern_type"], m["valid_from"] = name, "stix", stamp(created)
		m["pattern"] = fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d']", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256))
	case "report", "note":
		objRefs := []string{}
		for range 1 + g.r.IntN(3) {
			if len(refs) == 0 {
				objRefs = append(objRefs, g.id("malware"))
			} else {
				objRefs = append(objRefs, refs[g.r.IntN(len(refs))].ID)
			}
		}
		if o.Type == "report" {
			m["name"], m["published"], m["object_refs"] = name, stamp(o.Modified), uniq(objRefs)
		} else {
			m["content"], m["object_refs"] = name, uniq(objRefs)
		}
	case "relationship":
		m["relationship_type"], m["source_ref"], m["target_ref"] = "related-to", o.Ends[0], o.Ends[1]
		if typeOfID(o.Ends[1]) == "attack-pattern" {
			m["relationship_type"] = "uses" // the matrices count these (catalogue.go)
		}
	case "sighting":
		m["sighting_of_ref"] = o.Ends[0]
		if len(o.Ends) > 1 {
			m["where_sighted_refs"] = o.Ends[1:]
		}
		m["count"] = 1 + g.r.IntN(50)
	}
	return mustJSON(m)
}

// stixCreated is the created time of every object: all versions of an
// object share it, and it precedes every generated modified time.
var stixCreated = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// acsJSON is an ACS 3.0 marking-definition with the marking's
// access_privilege rules and the properties ACS markings carry besides.
func acsJSON(o *Obj, m HubMarking) []byte {
	rules := []any{}
	for _, r := range m.Rules {
		scope := map[string]any{}
		if r.Nationalities != nil {
			scope["permitted_nationalities"] = r.Nationalities
		}
		if r.Organizations != nil {
			scope["permitted_organizations"] = r.Organizations
		}
		effect := "deny"
		if r.Permit {
			effect = "permit"
		}
		rules = append(rules, map[string]any{"privilege_action": "DSPLY", "privilege_scope": scope, "rule_effect": effect})
	}
	ext := map[string]any{
		"extension_type":               "property-extension",
		"identifier":                   "isa:guide.19001.ACS3-" + o.ID[len("marking-definition--"):],
		"create_date_time":             stamp(o.Modified),
		"responsible_entity_custodian": "NATO-IS",
		"policy_reference":             "urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny",
		"access_privilege":             rules,
		"further_sharing":              []any{map[string]any{"sharing_scope": []string{"ALL"}, "rule_effect": "permit"}},
		"control_set":                  map[string]any{"classification": "U"},
	}
	return mustJSON(map[string]any{
		"type":         "marking-definition",
		"spec_version": "2.1",
		"id":           o.ID,
		"created":      stamp(o.Modified),
		"name":         fmt.Sprintf("ACS %d rules", len(m.Rules)),
		"extensions":   map[string]any{liaison.ACSExtensionID: ext},
	})
}
