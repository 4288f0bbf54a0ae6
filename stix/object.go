package stix

import (
	"fmt"
	"strings"
	"time"

	"liaison"
	"liaison/stix/internal/stixtime"
)

// object is one STIX object being validated: its members in order, and
// what is known of it so far for error messages.
type object struct {
	index int
	id    string
	typ   string
	ms    []member
}

// get returns the raw value of a top-level property.
func (o *object) get(prop string) ([]byte, bool) {
	for i := range o.ms {
		if o.ms[i].key == prop {
			return o.ms[i].val, true
		}
	}
	return nil, false
}

func (o *object) has(prop string) bool {
	_, ok := o.get(prop)
	return ok
}

// where names the object for messages: "object 3 (indicator--…)".
func (o *object) where() string {
	if o.id != "" {
		return fmt.Sprintf("object %d (%s)", o.index, o.id)
	}
	return fmt.Sprintf("object %d", o.index)
}

// errf returns the EINVALID error for a fault in property prop ("" for the
// object as a whole).
func (o *object) errf(prop, format string, args ...any) *liaison.Error {
	msg := fmt.Sprintf(format, args...)
	if prop == "" {
		return liaison.Errorf(liaison.EINVALID, "%s: %s", o.where(), msg)
	}
	return liaison.Errorf(liaison.EINVALID, "%s: property %q: %s", o.where(), prop, msg)
}

func (o *object) missing(prop string) *liaison.Error {
	return o.errf(prop, "is required for %s", o.typ)
}

// str reads an optional string property; ok is false when it is absent.
func (o *object) str(prop string) (s string, ok bool, err error) {
	raw, ok := o.get(prop)
	if !ok {
		return "", false, nil
	}
	if raw[0] != '"' {
		return "", true, o.errf(prop, "must be a string, not %s", kind(raw))
	}
	return unquote(raw), true, nil
}

// reqStr reads a required non-empty string property.
func (o *object) reqStr(prop string) (string, error) {
	s, ok, err := o.str(prop)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", o.missing(prop)
	}
	if strings.TrimSpace(s) == "" {
		return "", o.errf(prop, "must not be empty")
	}
	return s, nil
}

// optStr checks an optional string property.
func (o *object) optStr(props ...string) error {
	for _, p := range props {
		if _, _, err := o.str(p); err != nil {
			return err
		}
	}
	return nil
}

// ts reads an optional timestamp property.
func (o *object) ts(prop string) (time.Time, bool, error) {
	t, _, ok, err := o.tsDigits(prop)
	return t, ok, err
}

// tsDigits is ts that also says how many fraction digits the timestamp
// was written with, for comparisons at the coarser precision.
func (o *object) tsDigits(prop string) (time.Time, int, bool, error) {
	s, ok, err := o.str(prop)
	if err != nil || !ok {
		if err != nil {
			err = o.errf(prop, "must be an RFC 3339 timestamp string, not %s", kindOf(o, prop))
		}
		return time.Time{}, 0, ok, err
	}
	t, good := ParseTimestamp(s)
	if !good {
		return time.Time{}, 0, true, o.errf(prop, "%q is not an RFC 3339 timestamp in UTC (want YYYY-MM-DDTHH:MM:SS[.sss]Z)", s)
	}
	return t, stixtime.Digits(s), true, nil
}

func kindOf(o *object, prop string) string {
	raw, _ := o.get(prop)
	return kind(raw)
}

// reqTS reads a required timestamp property.
func (o *object) reqTS(prop string) (time.Time, error) {
	t, ok, err := o.ts(prop)
	if err != nil {
		return t, err
	}
	if !ok {
		return t, o.missing(prop)
	}
	return t, nil
}

// order checks that the timestamp later is not before earlier (or, when
// strict, is after it), at the coarser of the two written precisions.
// Absent properties are not checked.
func (o *object) order(earlier, later string, strict bool) error {
	a, da, okA, err := o.tsDigits(earlier)
	if err != nil {
		return err
	}
	b, db, okB, err := o.tsDigits(later)
	if err != nil {
		return err
	}
	if !okA || !okB {
		return nil
	}
	if stixtime.Before(b, db, a, da) || (strict && b.Equal(a)) {
		rel := "before"
		if strict {
			rel = "not after"
		}
		return o.errf(later, "%s is %s %q (%s)", b.Format(time.RFC3339Nano), rel, earlier, a.Format(time.RFC3339Nano))
	}
	return nil
}

// boolean reads an optional boolean property.
func (o *object) boolean(prop string) (v, ok bool, err error) {
	raw, ok := o.get(prop)
	if !ok {
		return false, false, nil
	}
	switch string(raw) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, true, o.errf(prop, "must be a boolean, not %s", kind(raw))
}

// integer checks an optional integer property against [lo, hi].
func (o *object) integer(prop string, lo, hi int64) error {
	raw, ok := o.get(prop)
	if !ok {
		return nil
	}
	n, good := int64(0), false
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		n, good = parseInt(raw)
	}
	if !good {
		return o.errf(prop, "must be an integer, not %s", string(clip(raw)))
	}
	if n < lo || n > hi {
		return o.errf(prop, "%d is out of range [%d, %d]", n, lo, hi)
	}
	return nil
}

// list reads an optional list property, which must not be empty.
func (o *object) list(prop string) ([][]byte, bool, error) {
	raw, ok := o.get(prop)
	if !ok {
		return nil, false, nil
	}
	if raw[0] != '[' {
		return nil, true, o.errf(prop, "must be a list, not %s", kind(raw))
	}
	es := arrayElems(raw)
	if len(es) == 0 {
		return nil, true, o.errf(prop, "must not be an empty list (omit the property instead)")
	}
	return es, true, nil
}

// strList reads an optional non-empty list of strings.
func (o *object) strList(prop string) ([]string, bool, error) {
	es, ok, err := o.list(prop)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := make([]string, len(es))
	for i, e := range es {
		if e[0] != '"' {
			return nil, true, o.errf(prop, "item %d must be a string, not %s", i, kind(e))
		}
		out[i] = unquote(e)
	}
	return out, true, nil
}

// optStrList checks optional lists of strings.
func (o *object) optStrList(props ...string) error {
	for _, p := range props {
		if _, _, err := o.strList(p); err != nil {
			return err
		}
	}
	return nil
}

// checkRef checks that s is an identifier whose type is one of types (any
// type when types is empty). what names the place for messages.
func (o *object) checkRef(prop, what, s string, types []string) error {
	typ, _, ok := SplitID(s)
	if !ok {
		return o.errf(prop, "%s%q is not a STIX identifier (want type--UUID)", what, s)
	}
	if len(types) == 0 {
		return nil
	}
	for _, t := range types {
		if t == typ {
			return nil
		}
		if t == anySDO && (sdoTypes[typ] || !knownTypes[typ]) {
			return nil
		}
		if t == anySCO && (scoTypes[typ] || !knownTypes[typ]) {
			return nil
		}
		if t == sdoOrSCO && (sdoTypes[typ] || scoTypes[typ] || !knownTypes[typ]) {
			return nil
		}
	}
	return o.errf(prop, "%s%q must refer to %s, not %s", what, s, strings.Join(types, " or "), typ)
}

// ref reads an optional identifier reference.
func (o *object) ref(prop string, types ...string) (string, bool, error) {
	s, ok, err := o.str(prop)
	if err != nil || !ok {
		return s, ok, err
	}
	return s, true, o.checkRef(prop, "", s, types)
}

// reqRef reads a required identifier reference.
func (o *object) reqRef(prop string, types ...string) (string, error) {
	s, ok, err := o.ref(prop, types...)
	if err == nil && !ok {
		err = o.missing(prop)
	}
	return s, err
}

// refs reads an optional non-empty list of identifier references.
func (o *object) refs(prop string, types ...string) ([]string, bool, error) {
	ss, ok, err := o.strList(prop)
	if err != nil || !ok {
		return nil, ok, err
	}
	for i, s := range ss {
		if err := o.checkRef(prop, fmt.Sprintf("item %d: ", i), s, types); err != nil {
			return nil, true, err
		}
	}
	return ss, true, nil
}

// reqRefs reads a required non-empty list of identifier references.
func (o *object) reqRefs(prop string, types ...string) ([]string, error) {
	ss, ok, err := o.refs(prop, types...)
	if err == nil && !ok {
		err = o.missing(prop)
	}
	return ss, err
}

// oneOf checks that at least one of props is present.
func (o *object) oneOf(props ...string) error {
	for _, p := range props {
		if o.has(p) {
			return nil
		}
	}
	return o.errf("", "%s needs at least one of the properties %s", o.typ, quoteAll(props))
}

// notBoth checks that a and b are not both present.
func (o *object) notBoth(a, b string) error {
	if o.has(a) && o.has(b) {
		return o.errf(b, "must not be present together with %q", a)
	}
	return nil
}

// enum checks that an optional string property is one of values.
func (o *object) enum(prop string, values ...string) error {
	s, ok, err := o.str(prop)
	if err != nil || !ok {
		return err
	}
	for _, v := range values {
		if s == v {
			return nil
		}
	}
	return o.errf(prop, "%q is not one of %s", s, strings.Join(values, ", "))
}

// dict checks that an optional property is a non-empty JSON object, and
// returns its members.
func (o *object) dict(prop string) ([]member, bool, error) {
	raw, ok := o.get(prop)
	if !ok {
		return nil, false, nil
	}
	if raw[0] != '{' {
		return nil, true, o.errf(prop, "must be an object (dictionary), not %s", kind(raw))
	}
	ms := objectMembers(raw)
	if len(ms) == 0 {
		return nil, true, o.errf(prop, "must not be an empty dictionary")
	}
	return ms, true, nil
}

// hashes checks an optional hashes dictionary: non-empty, string values.
func (o *object) hashes(prop string) error {
	ms, ok, err := o.dict(prop)
	if err != nil || !ok {
		return err
	}
	return checkHashes(ms, func(format string, args ...any) error { return o.errf(prop, format, args...) })
}

func checkHashes(ms []member, fail func(string, ...any) error) error {
	for _, m := range ms {
		if len(m.key) > 250 || m.key == "" {
			return fail("hash algorithm name %q must have 1 to 250 characters", m.key)
		}
		if m.val[0] != '"' || len(m.val) == 2 {
			return fail("hash %q must be a non-empty string", m.key)
		}
	}
	return nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// clip shortens a raw value for an error message.
func clip(raw []byte) []byte {
	if len(raw) > 40 {
		return append(raw[:37:37], "..."...)
	}
	return raw
}
