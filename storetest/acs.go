package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"liaison"
)

// acsMarking returns an ACS 3.0 marking-definition candidate with one
// access_privilege rule per entry of access, each "permit" or "deny"
// followed by its scope in JSON ("permit" + `"permitted_nationalities":["FRA"]`).
func acsMarking(id string, access ...[2]string) liaison.Candidate {
	a := &liaison.ACS{}
	var rules []string
	for _, r := range access {
		p := liaison.ACSPrivilege{Action: "DSPLY", Permit: r[0] == "permit"}
		for _, part := range strings.Split(r[1], ";") {
			k, v, _ := strings.Cut(part, "=")
			vs := strings.Split(v, ",")
			switch k {
			case "permitted_nationalities":
				p.Nationalities = vs
			case "permitted_organizations":
				p.Organizations = vs
			}
			rules = append(rules, fmt.Sprintf(`{"privilege_action":"DSPLY","privilege_scope":{%q:["%s"]},"rule_effect":%q}`, k, strings.Join(vs, `","`), r[0]))
		}
		a.Access = append(a.Access, p)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	raw := fmt.Sprintf(`{"type":"marking-definition","spec_version":"2.1","id":%q,"created":%q,"extensions":{%q:{"extension_type":"property-extension","access_privilege":[%s]}}}`,
		id, ts(created), liaison.ACSExtensionID, strings.Join(rules, ","))
	return liaison.Candidate{ID: id, Type: "marking-definition", SpecVersion: "2.1", Created: created, Raw: []byte(raw), Marking: &liaison.Marking{ID: id, ACS: a}}
}

// ACS 3.0 markings narrow the audience when written, combine with the
// hub's markings by intersection, are recomputed when the directory
// changes, and show in the trace.
func testACSMarkings(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	// Nations by code (DEU and NZL are not on the hub yet), and a deny.
	nations := acsMarking(oid("marking-definition", 1),
		[2]string{"permit", "permitted_nationalities=FRA,JPN,DEU,NZL,KOR"},
		[2]string{"deny", "permitted_organizations=KOR"})
	// Everyone but a part of USA, which takes out USA as a whole.
	notUSA := acsMarking(oid("marking-definition", 2),
		[2]string{"permit", "permitted_organizations=ALL"},
		[2]string{"deny", "permitted_organizations=USA.DOD"})
	// No rule: the originator alone.
	none := acsMarking(oid("marking-definition", 3))
	nato := hubMarking(oid("marking-definition", 4), liaison.NoClassification, "NATO")
	a, b, c, d := oid("indicator", 1), oid("indicator", 2), oid("indicator", 3), oid("indicator", 4)
	w.add("USA", w.shared, nations, notUSA, none, nato,
		sdo(a, day(0), nations.ID), sdo(c, day(0), none.ID), sdo(d, day(0), nations.ID, nato.ID))
	w.add("FRA", w.shared, sdo(b, day(0), notUSA.ID))
	w.expectSeen(w.shared, a, "FRA", "JPN", "USA")
	w.expectSeen(w.shared, b, "AUS", "FRA", "JPN", "KOR", "NATO-IS")
	w.expectSeen(w.shared, c, "USA")
	w.expectSeen(w.shared, d, "FRA", "USA")

	// The marking's rules are kept: new organisations are weighed by them.
	w.must(w.s.CreateOrganisation(ctx, liaison.Organisation{Code: "DEU", Name: "Germany", Kind: liaison.Ally}))
	w.must(w.s.CreateOrganisation(ctx, liaison.Organisation{Code: "NZL", Name: "New Zealand", Kind: liaison.Partner}))
	w.must(w.s.CreateOrganisation(ctx, liaison.Organisation{Code: "CAN", Name: "Canada", Kind: liaison.Ally}))
	for _, o := range []string{"DEU", "NZL", "CAN"} {
		w.addUser(o)
	}
	w.expectSeen(w.shared, a, "DEU", "FRA", "JPN", "NZL", "USA")
	w.expectSeen(w.shared, b, "AUS", "CAN", "DEU", "FRA", "JPN", "KOR", "NATO-IS", "NZL")
	w.expectSeen(w.shared, c, "USA")
	w.expectSeen(w.shared, d, "DEU", "FRA", "USA")
	w.must(w.s.RecomputeAudiences(ctx))
	w.expectSeen(w.shared, a, "DEU", "FRA", "JPN", "NZL", "USA")

	ex, err := w.s.ExplainAudience(ctx, w.user["USA"], w.shared, a, time.Time{})
	w.must(err)
	found := false
	for _, st := range ex.Steps {
		found = found || st.Rule == 12 && st.MarkingID == nations.ID && strings.Contains(st.Text, "ACS 3.0")
	}
	if !found {
		t.Errorf("the trace of %s shows no ACS rule: %+v", a, ex.Steps)
	}
}
