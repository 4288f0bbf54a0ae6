package stix

import (
	"strings"

	"liaison"
)

// tlp2Levels are the values of the TLP 2.0 extension's tlp_2_0 property.
var tlp2Levels = map[string]liaison.TLP{
	"clear":        liaison.TLPClear,
	"green":        liaison.TLPGreen,
	"amber":        liaison.TLPAmber,
	"amber+strict": liaison.TLPAmberStrict,
	"red":          liaison.TLPRed,
}

// tlp1Levels are the values of a TLP 1.0 definition's tlp property.
var tlp1Levels = map[string]liaison.TLP{
	"white": liaison.TLPClear,
	"green": liaison.TLPGreen,
	"amber": liaison.TLPAmber,
	"red":   liaison.TLPRed,
}

var papLevels = map[string]string{
	"clear": "PAP:CLEAR",
	"white": "PAP:CLEAR",
	"green": "PAP:GREEN",
	"amber": "PAP:AMBER",
	"red":   "PAP:RED",
}

// classifications maps the exact names of the hub extension to levels.
var classifications = map[string]liaison.Classification{
	"NATO UNCLASSIFIED": liaison.NATOUnclassified,
	"NATO RESTRICTED":   liaison.NATORestricted,
	"NATO CONFIDENTIAL": liaison.NATOConfidential,
	"NATO SECRET":       liaison.NATOSecret,
	"COSMIC TOP SECRET": liaison.CosmicTopSecret,
}

// checkMarkingDefinition validates a marking-definition and reads what the
// hub understands of it into c.Marking: TLP 2.0 (by fixed id or by the
// OASIS extension), TLP 1.0 (definition_type tlp), statements, PAP, and the
// hub's classification and releasability extension. A definition whose
// parts contradict each other (a TLP id with another level in its body) is
// rejected, so no two readers can take it to mean different things.
func checkMarkingDefinition(o *object, c *liaison.Candidate) error {
	m := &liaison.Marking{ID: o.id}
	name, _, err := o.str("name")
	if err != nil {
		return err
	}
	m.Name = name
	if o.has("modified") {
		return o.errf("modified", "is not defined for marking-definitions: they never change")
	}

	dt, hasDT, err := o.str("definition_type")
	if err != nil {
		return err
	}
	def, hasDef := o.get("definition")
	hasExt := o.has("extensions")
	switch {
	case hasDT && !hasDef:
		return o.missing("definition")
	case hasDef && !hasDT:
		return o.missing("definition_type")
	case !hasDT && !hasExt:
		return o.errf("", "marking-definition needs \"definition_type\" and \"definition\", or an extension")
	}
	setTLP := func(prop string, t liaison.TLP) error {
		if m.TLP != liaison.TLPNone && m.TLP != t {
			return o.errf(prop, "says %s but the marking is already %s", t, m.TLP)
		}
		m.TLP = t
		return nil
	}
	if t, ok := liaison.TLPByID[o.id]; ok {
		m.TLP = t
	}
	if hasDT {
		if def[0] != '{' {
			return o.errf("definition", "must be an object, not %s", kind(def))
		}
		fields := objectMembers(def)
		get := func(k string) ([]byte, bool) {
			for _, f := range fields {
				if f.key == k {
					return f.val, true
				}
			}
			return nil, false
		}
		switch dt {
		case "tlp":
			v, ok := get("tlp")
			if !ok || v[0] != '"' {
				return o.errf("definition", "a tlp definition needs \"tlp\": white, green, amber or red")
			}
			t, ok := tlp1Levels[unquote(v)]
			if !ok {
				return o.errf("definition", "tlp %s is not one of white, green, amber, red", v)
			}
			if err := setTLP("definition", t); err != nil {
				return err
			}
		case "statement":
			v, ok := get("statement")
			if !ok || v[0] != '"' || len(v) == 2 {
				return o.errf("definition", "a statement definition needs a non-empty \"statement\" string")
			}
			m.Statement = unquote(v)
		}
	}
	if ms, ok := o.extension(liaison.TLP2ExtensionID); ok {
		v, _ := field(ms, "tlp_2_0")
		if v == nil || v[0] != '"' {
			return o.errf("extensions", "TLP 2.0 extension needs \"tlp_2_0\": clear, green, amber, amber+strict or red")
		}
		t, ok := tlp2Levels[unquote(v)]
		if !ok {
			return o.errf("extensions", "tlp_2_0 %s is not one of clear, green, amber, amber+strict, red", v)
		}
		if err := setTLP("extensions", t); err != nil {
			return err
		}
	}
	if ms, ok := o.extension(liaison.PAPExtensionID); ok {
		v, _ := field(ms, "pap")
		if v == nil || v[0] != '"' {
			return o.errf("extensions", "PAP extension needs \"pap\": clear, green, amber or red")
		}
		p, ok := papLevels[unquote(v)]
		if !ok {
			return o.errf("extensions", "pap %s is not one of clear, green, amber, red", v)
		}
		m.PAP = p
	}
	if ms, ok := o.extension(liaison.HubMarkingExtensionID); ok {
		if err := hubMarking(o, ms, m); err != nil {
			return err
		}
	}
	if ms, ok := o.extension(liaison.ACSExtensionID); ok {
		a, err := acsMarking(o, ms)
		if err != nil {
			return err
		}
		m.ACS = a
	}
	if m.Name == "" && m.TLP != liaison.TLPNone {
		m.Name = m.TLP.String()
	}
	c.Marking = m
	return nil
}

func field(ms []member, key string) ([]byte, bool) {
	for _, f := range ms {
		if f.key == key {
			return f.val, true
		}
	}
	return nil, false
}

// hubMarking reads the hub's classification and releasability extension
// exactly as DOMAIN.md defines it. Unknown properties are refused: a
// misspelt "releasable_to" ignored here would widen the audience.
func hubMarking(o *object, ms []member, m *liaison.Marking) error {
	const prop = "extensions"
	var hasClass, hasRel bool
	for _, f := range ms {
		switch f.key {
		case "extension_type":
			if unquote(f.val) != "property-extension" {
				return o.errf(prop, "hub marking extension: \"extension_type\" must be \"property-extension\"")
			}
		case "classification":
			if f.val[0] != '"' {
				return o.errf(prop, "hub marking extension: \"classification\" must be a string, not %s", kind(f.val))
			}
			s := unquote(f.val)
			cl, ok := classifications[s]
			if !ok {
				return o.errf(prop, "hub marking extension: classification %q is not one of NATO UNCLASSIFIED, NATO RESTRICTED, NATO CONFIDENTIAL, NATO SECRET, COSMIC TOP SECRET", s)
			}
			m.Classification, hasClass = cl, true
		case "releasable_to":
			if f.val[0] != '[' {
				return o.errf(prop, "hub marking extension: \"releasable_to\" must be a list, not %s", kind(f.val))
			}
			es := arrayElems(f.val)
			if len(es) == 0 {
				return o.errf(prop, "hub marking extension: \"releasable_to\" must not be empty")
			}
			rel := make([]string, 0, len(es))
			for i, e := range es {
				if e[0] != '"' {
					return o.errf(prop, "hub marking extension: releasable_to item %d must be a string, not %s", i, kind(e))
				}
				s := unquote(e)
				if !isReleaseName(s) {
					return o.errf(prop, "hub marking extension: releasable_to item %d %q is not an organisation code or community name (upper-case letters, digits, - and _)", i, s)
				}
				rel = append(rel, s)
			}
			m.ReleasableTo, hasRel = rel, true
		default:
			return o.errf(prop, "hub marking extension: unknown property %q (want classification, releasable_to)", f.key)
		}
	}
	if !hasClass && !hasRel {
		return o.errf(prop, "hub marking extension needs \"classification\" or \"releasable_to\"")
	}
	return nil
}

// isReleaseName reports whether s can be an organisation code or community
// name: an upper-case letter, then upper-case letters, digits, - and _.
func isReleaseName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' || strings.TrimSpace(s) != s {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
