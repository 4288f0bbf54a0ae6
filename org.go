package liaison

import (
	"regexp"
	"time"
)

// OrgKind says what an organisation is to the alliance.
type OrgKind string

// The kinds of organisation. Only allies decide; partners are consulted.
const (
	Ally     OrgKind = "ally"      // a member nation
	Partner  OrgKind = "partner"   // a non-member nation, such as JPN
	NATOBody OrgKind = "nato-body" // NATO International Staff, NCIA, NATO HQ, an office
)

// Valid reports whether k is one of the known kinds.
func (k OrgKind) Valid() bool { return k == Ally || k == Partner || k == NATOBody }

// Organisation is a nation or a NATO body on the hub. Code is ISO 3166-1
// alpha-3 for nations (FRA, JPN) or a body's code (NATO-IS).
type Organisation struct {
	Code     string
	Name     string
	Kind     OrgKind
	TimeZone string // IANA name, such as Asia/Tokyo; empty means UTC
}

var orgCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}(-[A-Z0-9]{1,10})*$`)

// Validate checks the organisation's fields.
func (o Organisation) Validate() error {
	if !orgCodeRE.MatchString(o.Code) {
		return Errorf(EINVALID, "organisation code %q is malformed: want upper-case letters and digits such as JPN or NATO-IS", o.Code)
	}
	if IsBuiltinCommunity(o.Code) {
		return Errorf(EINVALID, "organisation code %q is reserved for a built-in community", o.Code)
	}
	if o.Name == "" {
		return Errorf(EINVALID, "organisation %s needs a name", o.Code)
	}
	if !o.Kind.Valid() {
		return Errorf(EINVALID, "organisation kind %q is unknown: want ally, partner or nato-body", o.Kind)
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return Errorf(EINVALID, "organisation %s: time zone %q is not an IANA zone name", o.Code, o.TimeZone)
		}
	}
	return nil
}
