package stix

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"liaison"
	"liaison/stix/internal/stixtime"
)

// Pseudo types for checkRef: any SDO, any SCO, any SDO or SCO. Custom
// (unknown) types count as both, since the hub cannot tell.
const (
	anySDO   = "an SDO"
	anySCO   = "an SCO"
	sdoOrSCO = "an SDO or SCO"
)

// The STIX 2.1 object types, by category.
var (
	sdoTypes = set("attack-pattern", "campaign", "course-of-action", "grouping", "identity",
		"incident", "indicator", "infrastructure", "intrusion-set", "location", "malware",
		"malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor",
		"tool", "vulnerability")
	sroTypes = set("relationship", "sighting")
	scoTypes = set("artifact", "autonomous-system", "directory", "domain-name", "email-addr",
		"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
		"network-traffic", "process", "software", "url", "user-account",
		"windows-registry-key", "x509-certificate")
	metaTypes  = set("marking-definition", "language-content", "extension-definition")
	knownTypes = union(sdoTypes, sroTypes, scoTypes, metaTypes)
)

func set(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func union(ms ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// IsSCO reports whether typ is one of the STIX 2.1 cyber-observable types.
func IsSCO(typ string) bool { return scoTypes[typ] }

// Decode validates one STIX 2.1 object against the specification and
// returns its candidate, with Raw set to raw itself (never re-marshalled)
// and Index to index. Custom object types and custom properties are
// accepted and kept. Every fault is a *liaison.Error with code EINVALID
// whose message names the object's index, its id when known, the property
// and what is wrong.
//
// On a fault the candidate still carries what a failure entry may name:
// Index, Raw, ID and, when they could be read, Created and Modified. ID is
// then the first "id" member's value, the one the message names, even when
// the fault is a second "id" member (other JSON parsers keep the last).
func Decode(index int, raw []byte) (liaison.Candidate, error) {
	o := object{index: index}
	c := liaison.Candidate{Index: index, Raw: raw}
	if !utf8.Valid(raw) {
		return c, o.errf("", "is not valid UTF-8")
	}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return c, o.errf("", "is not a JSON object")
	}
	o.ms = make([]member, 0, 32)
	end, err := scanObject(raw, i, 1, &o.ms)
	if err == nil {
		if j := skipSpace(raw, end); j != len(raw) {
			err = synErr(j, "unexpected data after the object")
		}
	}
	if err != nil {
		// Name the object if its id came before the fault.
		if id, ok, _ := o.str("id"); ok {
			if _, _, good := SplitID(id); good {
				o.id = id
			}
		}
		return o.rejected(c), o.errf("", "is not valid JSON: %v", err)
	}
	if err := o.decode(&c); err != nil {
		return o.rejected(c), err
	}
	return c, nil
}

// maxRejectedID bounds the id that a rejected candidate carries when its
// "id" member is not a STIX identifier.
const maxRejectedID = 300

// rejected returns what a failure entry names of an object that failed:
// its index and bytes, the first "id" member's string value (cut to
// maxRejectedID bytes) and its timestamps where they parse. o.ms holds the
// members read before any fault, so a duplicate never replaces the first.
func (o *object) rejected(c liaison.Candidate) liaison.Candidate {
	out := liaison.Candidate{Index: c.Index, Raw: c.Raw, ID: o.id}
	if out.ID == "" {
		if raw, ok := o.get("id"); ok && raw[0] == '"' {
			id := unquote(raw)
			if len(id) > maxRejectedID {
				id = strings.ToValidUTF8(id[:maxRejectedID], "")
			}
			out.ID = id
		}
	}
	if t, ok, err := o.ts("created"); ok && err == nil {
		out.Created = t
	}
	if t, ok, err := o.ts("modified"); ok && err == nil {
		out.Modified = t
	}
	return out
}

func (o *object) decode(c *liaison.Candidate) error {
	// type and id first: every later message names them.
	typ, ok, err := o.str("type")
	if err != nil {
		return err
	}
	if !ok {
		return o.errf("type", "is required")
	}
	if !IsTypeName(typ) {
		return o.errf("type", "%q is not a valid type name (3 to 250 characters: a-z, 0-9, hyphen)", typ)
	}
	if typ == "bundle" {
		return o.errf("type", "a bundle cannot be an object of a bundle")
	}
	o.typ = typ
	id, ok, err := o.str("id")
	if err != nil {
		return err
	}
	if !ok {
		return o.errf("id", "is required")
	}
	idType, _, good := SplitID(id)
	if !good {
		return o.errf("id", "%q is not a STIX identifier (want %s--UUID)", id, typ)
	}
	o.id = id
	if idType != typ {
		return o.errf("id", "type part %q does not match the object's type %q", idType, typ)
	}
	c.ID, c.Type = id, typ

	for _, m := range o.ms {
		if !isPropertyName(m.key) {
			return o.errf(m.key, "is not a valid property name (ASCII letters, digits and underscore only)")
		}
		if m.val[0] == 'n' {
			return o.errf(m.key, "must not be null (omit the property instead)")
		}
	}

	sdoLike := sdoTypes[typ] || sroTypes[typ] || typ == "language-content" || typ == "extension-definition"
	custom := !knownTypes[typ]

	// spec_version: required except for SCOs, where it defaults to 2.1.
	sv, ok, err := o.str("spec_version")
	if err != nil {
		return err
	}
	switch {
	case ok && sv != "2.1":
		return o.errf("spec_version", "%q is not supported: only STIX 2.1 is accepted", sv)
	case !ok && (sdoLike || typ == "marking-definition" || (custom && o.has("created"))):
		return o.errf("spec_version", "is required (STIX 2.1 objects carry \"spec_version\": \"2.1\")")
	}
	c.SpecVersion = "2.1"

	created, createdDigits, hasCreated, err := o.tsDigits("created")
	if err != nil {
		return err
	}
	modified, modifiedDigits, hasModified, err := o.tsDigits("modified")
	if err != nil {
		return err
	}
	if (sdoLike || typ == "marking-definition") && !hasCreated {
		return o.missing("created")
	}
	if sdoLike && !hasModified {
		return o.missing("modified")
	}
	// Compared at the coarser precision: ATT&CK writes "modified" in
	// milliseconds and "created" in microseconds for the same instant.
	if hasCreated && hasModified && stixtime.Before(modified, modifiedDigits, created, createdDigits) {
		return o.errf("modified", "%s is before \"created\" (%s)", fmtTime(modified), fmtTime(created))
	}
	c.Created, c.Modified = created, modified

	if _, _, err := o.ref("created_by_ref", "identity"); err != nil {
		return err
	}
	revoked, _, err := o.boolean("revoked")
	if err != nil {
		return err
	}
	c.Revoked = revoked
	if _, _, err := o.boolean("defanged"); err != nil {
		return err
	}
	if err := o.optStrList("labels"); err != nil {
		return err
	}
	if err := o.integer("confidence", 0, 100); err != nil {
		return err
	}
	if err := o.optStr("lang"); err != nil {
		return err
	}
	if err := o.externalReferences(); err != nil {
		return err
	}
	refs, _, err := o.refs("object_marking_refs", "marking-definition")
	if err != nil {
		return err
	}
	c.MarkingRefs = refs
	if c.GranularMarkingRefs, err = o.granularMarkings(); err != nil {
		return err
	}
	if err := o.extensions(); err != nil {
		return err
	}
	if err := o.optStrList("extension_definitions"); err != nil {
		return err
	}

	if custom {
		return nil
	}
	if err := o.genericRefs(); err != nil {
		return err
	}
	if check := typeChecks[typ]; check != nil {
		return check(o, c)
	}
	return nil
}

// genericRefs checks every spec-defined *_ref and *_refs property of a
// known type (custom x_ properties are left alone).
func (o *object) genericRefs() error {
	for _, m := range o.ms {
		if strings.HasPrefix(m.key, "x_") {
			continue
		}
		switch {
		case strings.HasSuffix(m.key, "_ref"):
			if _, _, err := o.ref(m.key); err != nil {
				return err
			}
		case strings.HasSuffix(m.key, "_refs"):
			if _, _, err := o.refs(m.key); err != nil {
				return err
			}
		}
	}
	return nil
}

func fmtTime(t interface{ Format(string) string }) string {
	return t.Format("2006-01-02T15:04:05.999999999Z07:00")
}

// externalReferences checks the shape of external_references.
func (o *object) externalReferences() error {
	const prop = "external_references"
	es, ok, err := o.list(prop)
	if err != nil || !ok {
		return err
	}
	for i, e := range es {
		if e[0] != '{' {
			return o.errf(prop, "item %d must be an object, not %s", i, kind(e))
		}
		var src bool
		for _, m := range objectMembers(e) {
			switch m.key {
			case "source_name":
				if m.val[0] != '"' || len(m.val) == 2 {
					return o.errf(prop, "item %d: \"source_name\" must be a non-empty string", i)
				}
				src = true
			case "description", "url", "external_id":
				if m.val[0] != '"' {
					return o.errf(prop, "item %d: %q must be a string, not %s", i, m.key, kind(m.val))
				}
			case "hashes":
				if m.val[0] != '{' {
					return o.errf(prop, "item %d: \"hashes\" must be an object, not %s", i, kind(m.val))
				}
				hs := objectMembers(m.val)
				if len(hs) == 0 {
					return o.errf(prop, "item %d: \"hashes\" must not be empty", i)
				}
				if err := checkHashes(hs, func(f string, a ...any) error {
					return o.errf(prop, "item %d: hashes: %s", i, fmt.Sprintf(f, a...))
				}); err != nil {
					return err
				}
			}
		}
		if !src {
			return o.errf(prop, "item %d: \"source_name\" is required", i)
		}
	}
	return nil
}

// killChainPhases checks the shape of kill_chain_phases.
func (o *object) killChainPhases() error {
	const prop = "kill_chain_phases"
	es, ok, err := o.list(prop)
	if err != nil || !ok {
		return err
	}
	for i, e := range es {
		if e[0] != '{' {
			return o.errf(prop, "item %d must be an object, not %s", i, kind(e))
		}
		var name, phase bool
		for _, m := range objectMembers(e) {
			switch m.key {
			case "kill_chain_name", "phase_name":
				if m.val[0] != '"' || len(m.val) == 2 {
					return o.errf(prop, "item %d: %q must be a non-empty string", i, m.key)
				}
				name = name || m.key == "kill_chain_name"
				phase = phase || m.key == "phase_name"
			}
		}
		if !name || !phase {
			return o.errf(prop, "item %d needs \"kill_chain_name\" and \"phase_name\"", i)
		}
	}
	return nil
}

// granularMarkings checks granular_markings and returns every marking_ref.
func (o *object) granularMarkings() ([]string, error) {
	const prop = "granular_markings"
	es, ok, err := o.list(prop)
	if err != nil || !ok {
		return nil, err
	}
	var refs []string
	for i, e := range es {
		if e[0] != '{' {
			return nil, o.errf(prop, "item %d must be an object, not %s", i, kind(e))
		}
		var ref, lang string
		var hasRef, hasLang, hasSel bool
		for _, m := range objectMembers(e) {
			switch m.key {
			case "marking_ref":
				if m.val[0] != '"' {
					return nil, o.errf(prop, "item %d: \"marking_ref\" must be a string, not %s", i, kind(m.val))
				}
				ref, hasRef = unquote(m.val), true
				if err := o.checkRef(prop, fmt.Sprintf("item %d: marking_ref: ", i), ref, []string{"marking-definition"}); err != nil {
					return nil, err
				}
			case "lang":
				if m.val[0] != '"' || len(m.val) == 2 {
					return nil, o.errf(prop, "item %d: \"lang\" must be a non-empty string", i)
				}
				lang, hasLang = unquote(m.val), true
			case "selectors":
				hasSel = true
				if m.val[0] != '[' {
					return nil, o.errf(prop, "item %d: \"selectors\" must be a list, not %s", i, kind(m.val))
				}
				sels := arrayElems(m.val)
				if len(sels) == 0 {
					return nil, o.errf(prop, "item %d: \"selectors\" must not be empty", i)
				}
				for j, s := range sels {
					if s[0] != '"' {
						return nil, o.errf(prop, "item %d: selector %d must be a string, not %s", i, j, kind(s))
					}
					if err := o.selector(unquote(s)); err != nil {
						return nil, o.errf(prop, "item %d: selector %q: %s", i, unquote(s), err)
					}
				}
			}
		}
		_ = lang
		switch {
		case !hasSel:
			return nil, o.errf(prop, "item %d: \"selectors\" is required", i)
		case hasRef && hasLang:
			return nil, o.errf(prop, "item %d: \"marking_ref\" and \"lang\" must not both be present", i)
		case !hasRef && !hasLang:
			return nil, o.errf(prop, "item %d needs \"marking_ref\" or \"lang\"", i)
		}
		if hasRef {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// selector checks the syntax of a granular marking selector and that it
// points at a property or list item present in the object, e.g.
// "description" or "external_references.[0].url".
func (o *object) selector(sel string) error {
	if sel == "" {
		return fmt.Errorf("is empty")
	}
	var cur []byte
	for n, step := range strings.Split(sel, ".") {
		if step == "" {
			return fmt.Errorf("has an empty step")
		}
		if step[0] == '[' {
			if n == 0 {
				return fmt.Errorf("must start with a property name")
			}
			if len(step) < 3 || step[len(step)-1] != ']' {
				return fmt.Errorf("step %q is not a list index like [0]", step)
			}
			idx, err := strconv.Atoi(step[1 : len(step)-1])
			if err != nil || idx < 0 || (len(step) > 3 && step[1] == '0') {
				return fmt.Errorf("step %q is not a list index like [0]", step)
			}
			if cur[0] != '[' {
				return fmt.Errorf("step %q indexes %s, not a list", step, kind(cur))
			}
			es := arrayElems(cur)
			if idx >= len(es) {
				return fmt.Errorf("step %q is beyond the list's %d items", step, len(es))
			}
			cur = es[idx]
			continue
		}
		if !isPropertyName(step) {
			return fmt.Errorf("step %q is not a property name", step)
		}
		if n == 0 {
			v, ok := o.get(step)
			if !ok {
				return fmt.Errorf("property %q is not present in the object", step)
			}
			cur = v
			continue
		}
		if cur[0] != '{' {
			return fmt.Errorf("step %q selects into %s, not an object", step, kind(cur))
		}
		found := false
		for _, m := range objectMembers(cur) {
			if m.key == step {
				cur, found = m.val, true
				break
			}
		}
		if !found {
			return fmt.Errorf("property %q is not present", step)
		}
	}
	return nil
}

// predefinedExtensions are the extension names STIX 2.1 defines for SCOs.
var predefinedExtensions = set("archive-ext", "ntfs-ext", "pdf-ext", "raster-image-ext",
	"windows-pebinary-ext", "http-request-ext", "icmp-ext", "socket-ext", "tcp-ext",
	"windows-process-ext", "windows-service-ext", "unix-account-ext")

var extensionTypes = set("new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension")

// extensions checks the shape of the extensions dictionary: each key is an
// extension-definition id, a predefined extension or a custom name, and
// each value an object; extension-definition entries carry a valid
// extension_type.
func (o *object) extensions() error {
	const prop = "extensions"
	ms, ok, err := o.dict(prop)
	if err != nil || !ok {
		return err
	}
	for _, m := range ms {
		if m.val[0] != '{' {
			return o.errf(prop, "%q must be an object, not %s", m.key, kind(m.val))
		}
		if !strings.HasPrefix(m.key, "extension-definition--") {
			if !predefinedExtensions[m.key] && !IsTypeName(m.key) && !isPropertyName(m.key) {
				return o.errf(prop, "%q is not an extension name", m.key)
			}
			continue
		}
		if t, _, ok := SplitID(m.key); !ok || t != "extension-definition" {
			return o.errf(prop, "%q is not an extension-definition identifier", m.key)
		}
		var et []byte
		for _, f := range objectMembers(m.val) {
			if f.key == "extension_type" {
				et = f.val
			}
		}
		if et == nil {
			return o.errf(prop, "%q: \"extension_type\" is required", m.key)
		}
		if et[0] != '"' || !extensionTypes[unquote(et)] {
			return o.errf(prop, "%q: \"extension_type\" %s is not one of new-sdo, new-sco, new-sro, property-extension, toplevel-property-extension", m.key, clip(et))
		}
	}
	return nil
}

// extension returns the members of extensions[key], if present. The shape
// has been checked by extensions.
func (o *object) extension(key string) ([]member, bool) {
	raw, ok := o.get("extensions")
	if !ok || raw[0] != '{' {
		return nil, false
	}
	for _, m := range objectMembers(raw) {
		if m.key == key && m.val[0] == '{' {
			return objectMembers(m.val), true
		}
	}
	return nil, false
}

// isJSONObject reports whether raw starts an object (after white space).
func isJSONObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}
