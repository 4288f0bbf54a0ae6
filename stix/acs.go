package stix

import (
	"liaison"
)

// acsMarking reads the ACS 3.0 extension of a marking-definition into
// m.ACS. Inside access_privilege and further_sharing every property is
// known or refused: a misspelt scope category ignored here would widen
// the audience. Other top-level properties (identifier, dates, the
// responsible entities, classification history) do not decide who reads
// and are kept in the raw bytes only. A missing access_privilege admits
// nobody but the originator, and a missing further_sharing shares with
// nobody: ACS is deny by default.
func acsMarking(o *object, ms []member) (*liaison.ACS, error) {
	const prop = "extensions"
	errf := func(format string, args ...any) error {
		return o.errf(prop, "ACS 3.0 extension: "+format, args...)
	}
	a := &liaison.ACS{}
	for _, f := range ms {
		switch f.key {
		case "extension_type":
			if f.val[0] != '"' || unquote(f.val) != "property-extension" {
				return nil, errf("\"extension_type\" must be \"property-extension\"")
			}
		case "access_privilege":
			if f.val[0] != '[' {
				return nil, errf("\"access_privilege\" must be a list, not %s", kind(f.val))
			}
			for i, e := range arrayElems(f.val) {
				p, err := acsPrivilege(e, func(format string, args ...any) error {
					return errf("access_privilege item %d: "+format, append([]any{i}, args...)...)
				})
				if err != nil {
					return nil, err
				}
				a.Access = append(a.Access, p)
			}
		case "further_sharing":
			if f.val[0] != '[' {
				return nil, errf("\"further_sharing\" must be a list, not %s", kind(f.val))
			}
			for i, e := range arrayElems(f.val) {
				s, err := acsSharing(e, func(format string, args ...any) error {
					return errf("further_sharing item %d: "+format, append([]any{i}, args...)...)
				})
				if err != nil {
					return nil, err
				}
				a.FurtherSharing = append(a.FurtherSharing, s)
			}
		case "control_set":
			if f.val[0] != '{' {
				return nil, errf("\"control_set\" must be an object, not %s", kind(f.val))
			}
			if v, ok := field(objectMembers(f.val), "classification"); ok {
				if v[0] != '"' || unquote(v) != "U" {
					return nil, errf("control_set classification %s is not U: the office holds no nationally classified information under ACS; mark NATO classifications with the hub's own extension", v)
				}
			}
		}
	}
	return a, nil
}

// acsEffect reads a rule_effect.
func acsEffect(v []byte, errf func(string, ...any) error) (bool, error) {
	if v == nil {
		return false, errf("\"rule_effect\" is required: permit or deny")
	}
	switch s := unquote(v); {
	case v[0] != '"':
		return false, errf("\"rule_effect\" must be a string, not %s", kind(v))
	case s == "permit":
		return true, nil
	case s == "deny":
		return false, nil
	default:
		return false, errf("rule_effect %q is not permit or deny", s)
	}
}

// acsValues reads a non-empty list of non-empty strings.
func acsValues(name string, v []byte, errf func(string, ...any) error) ([]string, error) {
	if v[0] != '[' {
		return nil, errf("%q must be a list, not %s", name, kind(v))
	}
	es := arrayElems(v)
	if len(es) == 0 {
		return nil, errf("%q must not be empty", name)
	}
	out := make([]string, 0, len(es))
	for i, e := range es {
		if e[0] != '"' || len(e) == 2 {
			return nil, errf("%s item %d must be a non-empty string, not %s", name, i, kind(e))
		}
		out = append(out, unquote(e))
	}
	return out, nil
}

func acsPrivilege(raw []byte, errf func(string, ...any) error) (liaison.ACSPrivilege, error) {
	var p liaison.ACSPrivilege
	if raw[0] != '{' {
		return p, errf("must be an object, not %s", kind(raw))
	}
	var effect, scope []byte
	for _, f := range objectMembers(raw) {
		switch f.key {
		case "privilege_action":
			if f.val[0] != '"' || len(f.val) == 2 {
				return p, errf("\"privilege_action\" must be a non-empty string, not %s", kind(f.val))
			}
			p.Action = unquote(f.val)
		case "privilege_scope":
			scope = f.val
		case "rule_effect":
			effect = f.val
		default:
			return p, errf("unknown property %q (want privilege_action, privilege_scope, rule_effect)", f.key)
		}
	}
	if p.Action == "" {
		return p, errf("\"privilege_action\" is required")
	}
	var err error
	if p.Permit, err = acsEffect(effect, errf); err != nil {
		return p, err
	}
	if scope == nil {
		return p, errf("\"privilege_scope\" is required")
	}
	if scope[0] != '{' {
		return p, errf("\"privilege_scope\" must be an object, not %s", kind(scope))
	}
	n := 0
	for _, f := range objectMembers(scope) {
		vs, err := acsValues(f.key, f.val, errf)
		if err != nil {
			return p, err
		}
		n++
		switch f.key {
		case "permitted_nationalities":
			p.Nationalities = vs
		case "permitted_organizations":
			p.Organizations = vs
		case "shareability", "entity":
			for _, v := range vs {
				if v != "ALL" {
					p.Unevaluable = append(p.Unevaluable, f.key)
					break
				}
			}
		default:
			return p, errf("privilege_scope: unknown category %q (want permitted_nationalities, permitted_organizations, shareability, entity)", f.key)
		}
	}
	if n == 0 {
		return p, errf("\"privilege_scope\" names no category: give permitted_nationalities, permitted_organizations, shareability or entity")
	}
	return p, nil
}

func acsSharing(raw []byte, errf func(string, ...any) error) (liaison.ACSSharing, error) {
	var s liaison.ACSSharing
	if raw[0] != '{' {
		return s, errf("must be an object, not %s", kind(raw))
	}
	var effect, scope []byte
	for _, f := range objectMembers(raw) {
		switch f.key {
		case "sharing_scope":
			scope = f.val
		case "rule_effect":
			effect = f.val
		default:
			return s, errf("unknown property %q (want sharing_scope, rule_effect)", f.key)
		}
	}
	var err error
	if s.Permit, err = acsEffect(effect, errf); err != nil {
		return s, err
	}
	if scope == nil {
		return s, errf("\"sharing_scope\" is required")
	}
	// sharing_scope is a list; a single string is read as a list of one.
	if scope[0] == '"' && len(scope) > 2 {
		s.Scope = []string{unquote(scope)}
		return s, nil
	}
	if s.Scope, err = acsValues("sharing_scope", scope, errf); err != nil {
		return s, err
	}
	return s, nil
}
