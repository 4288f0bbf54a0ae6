package liaison

import (
	"strings"
)

// ACSExtensionID is the STIX 2.1 extension that carries the ISA Access
// Control Specification (ACS) 3.0 marking.
const ACSExtensionID = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"

// ACS is what the hub understands of an ACS 3.0 marking: who may access
// the marked data (access_privilege) and to whom it may be shared on
// (further_sharing). Both are deny by default: nobody the rules do not
// permit is admitted, and a deny rule overrides every permit. ARCHITECTURE.md
// ("Settled designs" → "ACS 3.0") says how ACS values map onto the
// directory.
type ACS struct {
	Access         []ACSPrivilege `json:",omitempty"`
	FurtherSharing []ACSSharing   `json:",omitempty"`
}

// ACSPrivilege is one access_privilege rule. Every privilege action counts:
// permitting any action implies reading the data, and denying any removes
// the reader.
type ACSPrivilege struct {
	Action string
	Permit bool // rule_effect permit; false is deny
	// Nationalities and Organizations are the scope's
	// permitted_nationalities and permitted_organizations; nil when the
	// category is absent, which does not restrict.
	Nationalities []string `json:",omitempty"`
	Organizations []string `json:",omitempty"`
	// Unevaluable names the scope's categories that restrict by a user
	// attribute the hub does not hold (shareability, entity), when they
	// hold values other than ALL. A permit with one covers nobody; a deny
	// with one covers whoever its other categories cover.
	Unevaluable []string `json:",omitempty"`
}

// ACSSharing is one further_sharing rule.
type ACSSharing struct {
	Scope  []string
	Permit bool
}

// acsAll is the ACS value that stands for every member of a category.
const acsAll = "ALL"

// isAlpha3 reports whether s has the shape of an ISO 3166-1 alpha-3 code.
func isAlpha3(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// acsNationality reports whether the nationality value v covers org, for a
// permit or a deny rule. A nation (ally or partner) has its code as its
// nationality. A NATO body is staffed by many nations, so the hub cannot
// vouch for its readers' nationality: a permit admits it only as ALL, and
// any nationality denial removes it. A value that is not an alpha-3 code
// (a tetragraph such as FVEY) is a group the hub does not know: it admits
// nobody and denies everybody.
func (d *Directory) acsNationality(org Organisation, v string, deny bool) bool {
	switch {
	case v == acsAll:
		return true
	case !isAlpha3(v):
		return deny
	case org.Kind == NATOBody:
		return deny
	}
	return v == org.Code
}

// acsOrganization reports whether the organisation value v covers org, for
// a permit or a deny rule. A permit names an organisation on the hub by
// its exact code (or ALL): a part of one (USA.DHS) does not admit the
// whole (USA). A deny also covers the organisation of which v names a
// part (USA.DHS denies USA), the members of a community v names, and,
// when v names nothing the hub can place, everybody.
func (d *Directory) acsOrganization(org Organisation, v string, deny bool) bool {
	if v == acsAll || v == org.Code {
		return true
	}
	if !deny {
		return false
	}
	if strings.HasPrefix(v, org.Code+".") {
		return true
	}
	if d.HasCommunity(v) {
		return d.Expand(v).Contains(org.Code)
	}
	head, _, _ := strings.Cut(v, ".")
	if _, ok := d.orgs[head]; ok {
		return false // a part of another organisation on the hub
	}
	if isAlpha3(head) {
		return false // a nation, or part of one, that is not on the hub
	}
	return true
}

// acsCovers reports whether the privilege's scope covers org.
func (d *Directory) acsCovers(org Organisation, p ACSPrivilege) bool {
	deny := !p.Permit
	if len(p.Unevaluable) > 0 && !deny {
		return false
	}
	if p.Nationalities != nil && !anyOf(p.Nationalities, func(v string) bool { return d.acsNationality(org, v, deny) }) {
		return false
	}
	if p.Organizations != nil && !anyOf(p.Organizations, func(v string) bool { return d.acsOrganization(org, v, deny) }) {
		return false
	}
	return true
}

func anyOf(vs []string, f func(string) bool) bool {
	for _, v := range vs {
		if f(v) {
			return true
		}
	}
	return false
}

// acsAdmits reports whether the ACS marking's access rules admit org: some
// permit covers it and no deny does.
func (d *Directory) acsAdmits(org string, a *ACS) bool {
	o, ok := d.orgs[org]
	if !ok {
		return false
	}
	permitted := false
	for _, p := range a.Access {
		if !d.acsCovers(o, p) {
			continue
		}
		if !p.Permit {
			return false
		}
		permitted = true
	}
	return permitted
}

// acsAudience is the part of aud that the ACS marking admits.
func (d *Directory) acsAudience(aud Audience, a *ACS) Audience {
	out := Audience{}
	for _, o := range aud {
		if d.acsAdmits(o, a) {
			out = append(out, o)
		}
	}
	return out
}

// acsText says an ACS marking's access rules in words, for the trace.
func acsText(a *ACS) string {
	var parts []string
	for _, p := range a.Access {
		effect := "permits"
		if !p.Permit {
			effect = "denies"
		}
		var scope []string
		if p.Nationalities != nil {
			scope = append(scope, "nationalities "+strings.Join(p.Nationalities, ", "))
		}
		if p.Organizations != nil {
			scope = append(scope, "organisations "+strings.Join(p.Organizations, ", "))
		}
		if len(p.Unevaluable) > 0 {
			scope = append(scope, strings.Join(p.Unevaluable, " and ")+" (which the office cannot check)")
		}
		if len(scope) == 0 {
			scope = append(scope, "everyone")
		}
		parts = append(parts, effect+" "+p.Action+" to "+strings.Join(scope, " with "))
	}
	if len(parts) == 0 {
		return "ACS 3.0 access privileges: none, so nobody but the originator"
	}
	return "ACS 3.0 access privileges: " + strings.Join(parts, "; ") + "; everyone else is denied by default"
}

// FurtherSharingAllowed reports whether the ACS markings among markings let
// a version be shared on to every organisation in to (the organisations a
// federation peer serves, say). Each ACS marking's further_sharing rules
// must permit every one and deny none; a marking with no rule permits
// nobody (deny by default). Markings without ACS do not restrict. Values
// map as for permitted_organizations: a permit names an organisation by its
// exact code or ALL; a deny also covers the organisation of which it names
// a part, a community's members, and everybody when it names nothing the
// hub can place. An organisation not on the hub is never permitted.
func (d *Directory) FurtherSharingAllowed(markings []Marking, to []string) bool {
	for _, m := range markings {
		if m.ACS == nil {
			continue
		}
		for _, org := range to {
			if !d.acsShares(org, m.ACS) {
				return false
			}
		}
	}
	return true
}

// FurtherSharingAudience is the set of organisations on the hub to which
// the markings let a version be shared on: FurtherSharingAllowed(markings,
// to) holds exactly when every organisation of to is in it. Being an
// audience, it can be stored with a label and met in a query, as the read
// audience is.
func (d *Directory) FurtherSharingAudience(markings []Marking) Audience {
	out := Audience{}
	for _, o := range d.all {
		if d.FurtherSharingAllowed(markings, []string{o}) {
			out = append(out, o)
		}
	}
	return out
}

func (d *Directory) acsShares(org string, a *ACS) bool {
	o, ok := d.orgs[org]
	if !ok {
		return false
	}
	permitted := false
	for _, s := range a.FurtherSharing {
		if !anyOf(s.Scope, func(v string) bool { return d.acsOrganization(o, v, !s.Permit) }) {
			continue
		}
		if !s.Permit {
			return false
		}
		permitted = true
	}
	return permitted
}

// acsSharingText says an ACS marking's further_sharing rules in words.
func acsSharingText(a *ACS) string {
	var parts []string
	for _, s := range a.FurtherSharing {
		effect := "permitted to "
		if !s.Permit {
			effect = "denied to "
		}
		parts = append(parts, effect+strings.Join(s.Scope, ", "))
	}
	if len(parts) == 0 {
		return "ACS 3.0 further sharing: none, so federation passes it to no other office"
	}
	return "ACS 3.0 further sharing (for federation): " + strings.Join(parts, "; ") + "; denied to everyone else"
}
