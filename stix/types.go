package stix

import (
	"liaison"
	"liaison/match"
	"liaison/stix/pattern"
)

// typeCheck validates the properties one object type defines.
type typeCheck func(o *object, c *liaison.Candidate) error

// typeChecks holds the rules of every STIX 2.1 type beyond the common
// properties, which Decode checks for all.
var typeChecks map[string]typeCheck

func init() {
	nameOnly := func(o *object, _ *liaison.Candidate) error {
		_, err := o.reqStr("name")
		return err
	}
	typeChecks = map[string]typeCheck{
		// SDOs
		"attack-pattern": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("aliases"), o.killChainPhases())
		},
		"campaign": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("aliases"), o.order("first_seen", "last_seen", false))
		},
		"course-of-action": nameOnly,
		"grouping": func(o *object, _ *liaison.Candidate) error {
			_, err := o.reqRefs("object_refs")
			return all(reqStr(o, "context"), err)
		},
		"identity": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("roles", "sectors"), o.optStr("identity_class", "contact_information"))
		},
		"incident": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.killChainPhases())
		},
		"indicator": checkIndicator,
		"infrastructure": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("infrastructure_types", "aliases"), o.killChainPhases(), o.order("first_seen", "last_seen", false))
		},
		"intrusion-set": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("aliases", "goals", "secondary_motivations"), o.order("first_seen", "last_seen", false))
		},
		"location":         checkLocation,
		"malware":          checkMalware,
		"malware-analysis": checkMalwareAnalysis,
		"note": func(o *object, _ *liaison.Candidate) error {
			_, err := o.reqRefs("object_refs")
			return all(reqStr(o, "content"), err, o.optStrList("authors"))
		},
		"observed-data": checkObservedData,
		"opinion": func(o *object, _ *liaison.Candidate) error {
			_, err := o.reqRefs("object_refs")
			_, ok, err2 := o.str("opinion")
			if err2 == nil && !ok {
				err2 = o.missing("opinion")
			}
			return all(err2, o.enum("opinion", "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"), err, o.optStrList("authors"))
		},
		"report": func(o *object, _ *liaison.Candidate) error {
			_, err := o.reqTS("published")
			_, err2 := o.reqRefs("object_refs")
			return all(reqStr(o, "name"), err, err2, o.optStrList("report_types"))
		},
		"threat-actor": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("threat_actor_types", "aliases", "roles", "goals", "personal_motivations", "secondary_motivations"), o.order("first_seen", "last_seen", false))
		},
		"tool": func(o *object, _ *liaison.Candidate) error {
			return all(reqStr(o, "name"), o.optStrList("tool_types", "aliases"), o.killChainPhases())
		},
		"vulnerability": nameOnly,

		// SROs
		"relationship": checkRelationship,
		"sighting":     checkSighting,

		// meta objects
		"marking-definition":   checkMarkingDefinition,
		"language-content":     checkLanguageContent,
		"extension-definition": checkExtensionDefinition,

		// SCOs
		"artifact": func(o *object, _ *liaison.Candidate) error {
			return all(o.oneOf("payload_bin", "url"), o.notBoth("payload_bin", "url"), o.hashes("hashes"))
		},
		"autonomous-system": func(o *object, _ *liaison.Candidate) error {
			if !o.has("number") {
				return o.missing("number")
			}
			return o.integer("number", 0, 1<<32-1)
		},
		"directory":   func(o *object, _ *liaison.Candidate) error { return reqStr(o, "path") },
		"domain-name": func(o *object, _ *liaison.Candidate) error { return reqStr(o, "value") },
		"email-addr":  func(o *object, _ *liaison.Candidate) error { return reqStr(o, "value") },
		"email-message": func(o *object, _ *liaison.Candidate) error {
			multi, ok, err := o.boolean("is_multipart")
			if err != nil {
				return err
			}
			if !ok {
				return o.missing("is_multipart")
			}
			if !multi && o.has("body_multipart") {
				return o.errf("body_multipart", "must not be present when \"is_multipart\" is false")
			}
			return nil
		},
		"file": func(o *object, _ *liaison.Candidate) error {
			return all(o.oneOf("hashes", "name"), o.hashes("hashes"), o.optStr("name"), o.integer("size", 0, 1<<63-1))
		},
		"ipv4-addr": func(o *object, _ *liaison.Candidate) error { return reqStr(o, "value") },
		"ipv6-addr": func(o *object, _ *liaison.Candidate) error { return reqStr(o, "value") },
		"mac-addr":  func(o *object, _ *liaison.Candidate) error { return reqStr(o, "value") },
		"mutex":     func(o *object, _ *liaison.Candidate) error { return reqStr(o, "name") },
		"network-traffic": func(o *object, _ *liaison.Candidate) error {
			if !o.has("protocols") {
				return o.missing("protocols")
			}
			return all(o.optStrList("protocols"), o.oneOf("src_ref", "dst_ref"),
				o.integer("src_port", 0, 65535), o.integer("dst_port", 0, 65535))
		},
		"process":              atLeastOneOwnProperty,
		"software":             func(o *object, _ *liaison.Candidate) error { return reqStr(o, "name") },
		"url":                  func(o *object, _ *liaison.Candidate) error { return reqStr(o, "value") },
		"user-account":         atLeastOneOwnProperty,
		"windows-registry-key": atLeastOneOwnProperty,
		"x509-certificate": func(o *object, c *liaison.Candidate) error {
			return all(atLeastOneOwnProperty(o, c), o.hashes("hashes"))
		},
	}
}

// all returns the first non-nil error.
func all(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func reqStr(o *object, prop string) error {
	_, err := o.reqStr(prop)
	return err
}

// commonProps are the properties every object may carry; SCOs whose own
// properties are all optional must carry at least one that is not common.
var commonProps = set("type", "id", "spec_version", "object_marking_refs", "granular_markings",
	"defanged", "extensions", "created", "modified", "created_by_ref", "revoked", "labels",
	"confidence", "lang", "external_references")

func atLeastOneOwnProperty(o *object, _ *liaison.Candidate) error {
	for _, m := range o.ms {
		if !commonProps[m.key] {
			return nil
		}
	}
	if o.has("extensions") {
		return nil
	}
	return o.errf("", "%s needs at least one of its own properties", o.typ)
}

func checkIndicator(o *object, _ *liaison.Candidate) error {
	p, err := o.reqStr("pattern")
	if err != nil {
		return err
	}
	pt, err := o.reqStr("pattern_type")
	if err != nil {
		return err
	}
	if _, err := o.reqTS("valid_from"); err != nil {
		return err
	}
	if err := all(o.order("valid_from", "valid_until", true), o.optStrList("indicator_types"),
		o.optStr("pattern_version"), o.killChainPhases()); err != nil {
		return err
	}
	if pt == "stix" {
		if _, err := pattern.Parse(p); err != nil {
			return o.errf("pattern", "%v", err)
		}
		// What parses but the office cannot run (a MATCHES expression
		// RE2 refuses, an IN of mixed types, ...) is refused here too:
		// an indicator the matcher cannot evaluate would silently never
		// match.
		if _, err := match.Compile(p); err != nil {
			return o.errf("pattern", "%v", err)
		}
	}
	return nil
}

func checkLocation(o *object, _ *liaison.Candidate) error {
	if err := o.optStr("region", "country", "name", "administrative_area", "city", "street_address", "postal_code"); err != nil {
		return err
	}
	lat, hasLat := o.get("latitude")
	lon, hasLon := o.get("longitude")
	if hasLat != hasLon {
		if hasLat {
			return o.errf("longitude", "is required when \"latitude\" is present")
		}
		return o.errf("latitude", "is required when \"longitude\" is present")
	}
	if hasLat {
		if err := numRange(o, "latitude", lat, -90, 90); err != nil {
			return err
		}
		if err := numRange(o, "longitude", lon, -180, 180); err != nil {
			return err
		}
	}
	if o.has("precision") {
		if !hasLat {
			return o.errf("precision", "requires \"latitude\" and \"longitude\"")
		}
		raw, _ := o.get("precision")
		if err := numRange(o, "precision", raw, 0, 1e308); err != nil {
			return err
		}
	}
	if !o.has("region") && !o.has("country") && !hasLat {
		return o.errf("", "location needs \"region\", \"country\", or \"latitude\" and \"longitude\"")
	}
	return nil
}

func numRange(o *object, prop string, raw []byte, min, max float64) error {
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return o.errf(prop, "must be a number, not %s", kind(raw))
	}
	f, ok := parseFloat(raw)
	if !ok || f < min || f > max {
		return o.errf(prop, "%s is out of range [%g, %g]", raw, min, max)
	}
	return nil
}

func checkMalware(o *object, _ *liaison.Candidate) error {
	fam, ok, err := o.boolean("is_family")
	if err != nil {
		return err
	}
	if !ok {
		return o.missing("is_family")
	}
	if fam {
		if _, err := o.reqStr("name"); err != nil {
			return o.errf("name", "is required when \"is_family\" is true")
		}
	}
	_, _, err1 := o.refs("sample_refs", "file", "artifact")
	_, _, err2 := o.refs("operating_system_refs", "software")
	return all(o.optStr("name"), o.optStrList("malware_types", "aliases", "architecture_execution_envs", "implementation_languages", "capabilities"),
		o.killChainPhases(), o.order("first_seen", "last_seen", false), err1, err2)
}

func checkMalwareAnalysis(o *object, _ *liaison.Candidate) error {
	if err := reqStr(o, "product"); err != nil {
		return err
	}
	if err := o.oneOf("result", "analysis_sco_refs"); err != nil {
		return err
	}
	_, _, err1 := o.ref("host_vm_ref", "software")
	_, _, err2 := o.ref("operating_system_ref", "software")
	_, _, err3 := o.refs("installed_software_refs", "software")
	_, _, err4 := o.refs("analysis_sco_refs", anySCO)
	_, _, err5 := o.ref("sample_ref", "file", "network-traffic", "artifact")
	return all(err1, err2, err3, err4, err5, o.optStr("result"), o.order("analysis_started", "analysis_ended", false))
}

func checkObservedData(o *object, _ *liaison.Candidate) error {
	if _, err := o.reqTS("first_observed"); err != nil {
		return err
	}
	if _, err := o.reqTS("last_observed"); err != nil {
		return err
	}
	if err := o.order("first_observed", "last_observed", false); err != nil {
		return err
	}
	if !o.has("number_observed") {
		return o.missing("number_observed")
	}
	if err := o.integer("number_observed", 1, 999999999); err != nil {
		return err
	}
	if err := all(o.oneOf("object_refs", "objects"), o.notBoth("objects", "object_refs")); err != nil {
		return err
	}
	if _, _, err := o.dict("objects"); err != nil {
		return err
	}
	_, _, err := o.refs("object_refs", anySCO, "relationship")
	return err
}

// Relationship and sighting ends may not be meta objects or bundles.
func checkRelationship(o *object, c *liaison.Candidate) error {
	if err := reqStr(o, "relationship_type"); err != nil {
		return err
	}
	src, err := o.reqRef("source_ref", sdoOrSCO)
	if err != nil {
		return err
	}
	dst, err := o.reqRef("target_ref", sdoOrSCO)
	if err != nil {
		return err
	}
	if err := o.order("start_time", "stop_time", true); err != nil {
		return err
	}
	c.Ends = []string{src, dst}
	return nil
}

func checkSighting(o *object, c *liaison.Candidate) error {
	of, err := o.reqRef("sighting_of_ref", anySDO)
	if err != nil {
		return err
	}
	if err := all(o.order("first_seen", "last_seen", false), o.integer("count", 0, 999999999)); err != nil {
		return err
	}
	if _, _, err := o.boolean("summary"); err != nil {
		return err
	}
	od, _, err := o.refs("observed_data_refs", "observed-data")
	if err != nil {
		return err
	}
	ws, _, err := o.refs("where_sighted_refs", "identity", "location")
	if err != nil {
		return err
	}
	c.Ends = append(append([]string{of}, od...), ws...)
	return nil
}

func checkLanguageContent(o *object, _ *liaison.Candidate) error {
	if _, err := o.reqRef("object_ref"); err != nil {
		return err
	}
	if _, _, err := o.ts("object_modified"); err != nil {
		return err
	}
	ms, ok, err := o.dict("contents")
	if err != nil {
		return err
	}
	if !ok {
		return o.missing("contents")
	}
	for _, m := range ms {
		if m.val[0] != '{' {
			return o.errf("contents", "language %q must map to an object, not %s", m.key, kind(m.val))
		}
	}
	return nil
}

func checkExtensionDefinition(o *object, _ *liaison.Candidate) error {
	if _, err := o.reqRef("created_by_ref", "identity"); err != nil {
		return err
	}
	if err := all(reqStr(o, "name"), reqStr(o, "schema"), reqStr(o, "version")); err != nil {
		return err
	}
	ets, ok, err := o.strList("extension_types")
	if err != nil {
		return err
	}
	if !ok {
		return o.missing("extension_types")
	}
	for _, t := range ets {
		if !extensionTypes[t] {
			return o.errf("extension_types", "%q is not one of new-sdo, new-sco, new-sro, property-extension, toplevel-property-extension", t)
		}
	}
	return o.optStrList("extension_properties")
}
