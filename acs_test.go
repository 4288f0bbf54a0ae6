package liaison_test

import (
	"strings"
	"testing"

	"liaison"
	"liaison/stix"
)

// acsMarkingJSON is an ACS 3.0 marking-definition with the given
// access_privilege and further_sharing lists (JSON text, "" for absent)
// and the mandatory properties the ACS extension carries.
func acsMarkingJSON(id, access, sharing string) string {
	ext := `"extension_type":"property-extension","identifier":"isa:guide.19001.ACS3-` + id[len(id)-36:] + `",` +
		`"create_date_time":"2026-01-01T00:00:00.000Z","responsible_entity_custodian":"USA.DHS.US-CERT",` +
		`"policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny",` +
		`"control_set":{"classification":"U","formal_determination":["AIS"]}`
	if access != "" {
		ext += `,"access_privilege":` + access
	}
	if sharing != "" {
		ext += `,"further_sharing":` + sharing
	}
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","name":"acs","extensions":{"` + liaison.ACSExtensionID + `":{` + ext + `}}}`
}

func decodeACS(t *testing.T, access, sharing string) liaison.Marking {
	t.Helper()
	c, err := stix.Decode(0, []byte(acsMarkingJSON("marking-definition--0d7e2d3a-6a7e-4e8b-9a55-3f1c2b7d9e01", access, sharing)))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if c.Marking == nil || c.Marking.ACS == nil {
		t.Fatalf("decode: no ACS marking read: %+v", c.Marking)
	}
	return *c.Marking
}

// The use cases of the ACS 3.0 specification, as markings the hub reads,
// against the test directory (FRA, USA, GBR allies; NATO-IS, NCIA bodies;
// JPN, KOR, AUS, NZL partners).
func TestACSAudience(t *testing.T) {
	d := testDirectory(t2025)
	all := "AUS,FRA,GBR,JPN,KOR,NATO-IS,NCIA,NZL,USA"
	priv := func(action, scope, effect string) string {
		return `{"privilege_action":"` + action + `","privilege_scope":{` + scope + `},"rule_effect":"` + effect + `"}`
	}
	list := func(ps ...string) string { return "[" + strings.Join(ps, ",") + "]" }
	tests := []struct {
		name       string
		originator string
		access     string // the access_privilege list; "" when absent
		others     []liaison.Marking
		want       string
	}{
		// The AIS default: every use permitted to everyone.
		{"AIS default: permit ALL in every category", "USA",
			list(priv("CISAUSES", `"permitted_nationalities":["ALL"],"permitted_organizations":["ALL"],"shareability":["ALL"],"entity":["ALL"]`, "permit")), nil, all},
		// Release to named nations: the five-eyes nationalities.
		{"named nations: USA, AUS, CAN, GBR, NZL", "USA",
			list(priv("DSPLY", `"permitted_nationalities":["USA","AUS","CAN","GBR","NZL"]`, "permit")), nil, "AUS,GBR,NZL,USA"},
		// A NATO body is staffed by many nations: only ALL admits it.
		{"named nations never admit a NATO body", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["FRA","GBR"]`, "permit")), nil, "FRA,GBR"},
		// Release to named organisations.
		{"named organisations on the hub", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["NATO-IS","JPN"]`, "permit")), nil, "FRA,JPN,NATO-IS"},
		// A part of an organisation does not admit the whole.
		{"a sub-organisation does not admit its nation", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["USA.DHS.US-CERT","GBR"]`, "permit")), nil, "FRA,GBR"},
		// Everyone but one nation.
		{"permit ALL, deny one nation", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["ALL"]`, "permit"), priv("DSPLY", `"permitted_nationalities":["KOR"]`, "deny")), nil,
			"AUS,FRA,GBR,JPN,NZL,USA"},
		// A deny of one action takes the reader out for all of them.
		{"a deny of another action still removes the reader", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["ALL"]`, "permit"), priv("TENOT", `"permitted_organizations":["JPN"]`, "deny")), nil,
			"AUS,FRA,GBR,KOR,NATO-IS,NCIA,NZL,USA"},
		{"a nationality deny removes every NATO body", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["ALL"]`, "permit"), priv("DSPLY", `"permitted_nationalities":["USA"]`, "deny")), nil,
			"AUS,FRA,GBR,JPN,KOR,NZL"},
		{"a deny of a sub-organisation removes its nation", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["ALL"]`, "permit"), priv("DSPLY", `"permitted_organizations":["USA.DOD"]`, "deny")), nil,
			"AUS,FRA,GBR,JPN,KOR,NATO-IS,NCIA,NZL"},
		{"a deny naming what the hub cannot place removes everyone", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["ALL"]`, "permit"), priv("DSPLY", `"permitted_organizations":["ACME-CERT"]`, "deny")), nil, "FRA"},
		{"a deny of a nation not on the hub removes no nation here, but the NATO bodies", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["ALL"]`, "permit"), priv("DSPLY", `"permitted_nationalities":["RUS"]`, "deny")), nil, "AUS,FRA,GBR,JPN,KOR,NZL,USA"},
		{"a deny of an organisation not on the hub removes nobody here", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["ALL"]`, "permit"), priv("DSPLY", `"permitted_organizations":["RUS.FSB"]`, "deny")), nil, all},
		{"a permit of an unknown group (a tetragraph) admits nobody", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["FVEY"]`, "permit")), nil, "FRA"},
		// Categories within one scope all apply.
		{"nationality and organisation in one scope", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["USA","GBR","JPN"],"permitted_organizations":["GBR","JPN","NCIA"]`, "permit")), nil, "FRA,GBR,JPN"},
		// User attributes the office does not hold.
		{"a permit restricted by shareability admits nobody", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["ALL"],"shareability":["USA.USG"]`, "permit")), nil, "FRA"},
		{"a deny restricted by entity applies to its organisations", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["ALL"]`, "permit"), priv("DSPLY", `"permitted_organizations":["JPN"],"entity":["MIL"]`, "deny")), nil,
			"AUS,FRA,GBR,KOR,NATO-IS,NCIA,NZL,USA"},
		// Deny by default.
		{"no access_privilege: the originator alone", "GBR", "", nil, "GBR"},
		{"an empty access_privilege list: the originator alone", "GBR", "[]", nil, "GBR"},
		{"only a deny: the originator alone", "GBR", list(priv("DSPLY", `"permitted_nationalities":["JPN"]`, "deny")), nil, "GBR"},
		// Combined with the hub's own markings: the most restrictive wins.
		{"with a releasable_to list: intersection", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["USA","GBR","JPN","AUS"]`, "permit")),
			[]liaison.Marking{{ReleasableTo: []string{"NATO"}}}, "FRA,GBR,USA"},
		{"with TLP:RED: ACS is no releasable_to list, so RED keeps it to the originator", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["ALL"]`, "permit")),
			[]liaison.Marking{{TLP: liaison.TLPRed}}, "FRA"},
		{"with a classification: NATO, then ACS", "FRA",
			list(priv("DSPLY", `"permitted_organizations":["ALL"]`, "permit"), priv("DSPLY", `"permitted_nationalities":["GBR"]`, "deny")),
			[]liaison.Marking{{Classification: liaison.NATORestricted}}, "FRA,USA"},
		{"with NATO SECRET REL TO ALL: agreements, then ACS", "FRA",
			list(priv("DSPLY", `"permitted_nationalities":["JPN","AUS","GBR"]`, "permit")),
			[]liaison.Marking{{Classification: liaison.NATOSecret, ReleasableTo: []string{"ALL"}}}, "AUS,FRA,GBR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decodeACS(t, tt.access, "")
			ms := append([]liaison.Marking{m}, tt.others...)
			got := d.AudienceOf(tt.originator, ms)
			if got.Key() != tt.want {
				t.Errorf("audience %q, want %q", got.Key(), tt.want)
			}
			// The trace is the same computation and names the ACS rules.
			aud, steps := d.Explain(tt.originator, ms)
			if aud.Key() != got.Key() {
				t.Errorf("Explain says %q, AudienceOf %q", aud.Key(), got.Key())
			}
			found := false
			for _, st := range steps {
				found = found || st.Rule == 12 && strings.Contains(st.Text, "ACS 3.0 access privileges")
			}
			if !found {
				t.Errorf("the trace shows no ACS rule: %+v", steps)
			}
		})
	}
}

func TestACSFurtherSharing(t *testing.T) {
	d := testDirectory(t2025)
	share := func(scope, effect string) string {
		return `{"sharing_scope":` + scope + `,"rule_effect":"` + effect + `"}`
	}
	access := `[{"privilege_action":"DSPLY","privilege_scope":{"permitted_nationalities":["ALL"]},"rule_effect":"permit"}]`
	tests := []struct {
		name    string
		sharing string
		to      []string
		want    bool
	}{
		{"AIS default: further sharing within USA.USG does not reach USA as a whole", `[` + share(`["USA.USG"]`, "permit") + `]`, []string{"USA"}, false},
		{"permit named organisations", `[` + share(`["USA","GBR"]`, "permit") + `]`, []string{"USA", "GBR"}, true},
		{"every organisation served must be permitted", `[` + share(`["USA","GBR"]`, "permit") + `]`, []string{"USA", "JPN"}, false},
		{"permit ALL", `[` + share(`["ALL"]`, "permit") + `]`, []string{"JPN", "NATO-IS"}, true},
		{"permit ALL but deny one", `[` + share(`["ALL"]`, "permit") + `,` + share(`["JPN"]`, "deny") + `]`, []string{"JPN"}, false},
		{"a deny of a part removes the whole", `[` + share(`["ALL"]`, "permit") + `,` + share(`["GBR.MOD"]`, "deny") + `]`, []string{"GBR"}, false},
		{"a deny of a community removes its members", `[` + share(`["ALL"]`, "permit") + `,` + share(`["IP4"]`, "deny") + `]`, []string{"AUS"}, false},
		{"a deny elsewhere leaves others", `[` + share(`["ALL"]`, "permit") + `,` + share(`["IP4"]`, "deny") + `]`, []string{"FRA"}, true},
		{"a single string scope", `[` + share(`"FRA"`, "permit") + `]`, []string{"FRA"}, true},
		{"no further_sharing: deny by default", "", []string{"FRA"}, false},
		{"an organisation not on the hub is never permitted", `[` + share(`["ALL"]`, "permit") + `]`, []string{"ZZZ"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decodeACS(t, access, tt.sharing)
			others := []liaison.Marking{{TLP: liaison.TLPGreen}}
			ms := append(others, m)
			if got := d.FurtherSharingAllowed(ms, tt.to); got != tt.want {
				t.Errorf("FurtherSharingAllowed(%v) = %v, want %v (rules %+v)", tt.to, got, tt.want, m.ACS.FurtherSharing)
			}
			aud := d.FurtherSharingAudience(ms)
			inAll := true
			for _, o := range tt.to {
				inAll = inAll && aud.Contains(o)
			}
			if inAll != tt.want {
				t.Errorf("FurtherSharingAudience %v disagrees with FurtherSharingAllowed(%v) = %v", aud, tt.to, tt.want)
			}
		})
	}
	if !d.FurtherSharingAllowed([]liaison.Marking{{TLP: liaison.TLPAmber}}, []string{"JPN"}) {
		t.Errorf("markings without ACS restrict further sharing; only ACS does")
	}
}

func TestACSRejected(t *testing.T) {
	priv := func(body string) string { return `[` + body + `]` }
	tests := []struct {
		name, access, sharing, want string
	}{
		{"misspelt category", priv(`{"privilege_action":"DSPLY","privilege_scope":{"permitted_nationality":["FRA"]},"rule_effect":"permit"}`), "", `unknown category "permitted_nationality"`},
		{"missing rule_effect", priv(`{"privilege_action":"DSPLY","privilege_scope":{"permitted_nationalities":["FRA"]}}`), "", `"rule_effect" is required`},
		{"unknown rule_effect", priv(`{"privilege_action":"DSPLY","privilege_scope":{"permitted_nationalities":["FRA"]},"rule_effect":"allow"}`), "", `rule_effect "allow" is not permit or deny`},
		{"empty scope", priv(`{"privilege_action":"DSPLY","privilege_scope":{},"rule_effect":"permit"}`), "", `names no category`},
		{"empty nationality list", priv(`{"privilege_action":"DSPLY","privilege_scope":{"permitted_nationalities":[]},"rule_effect":"permit"}`), "", `must not be empty`},
		{"missing action", priv(`{"privilege_scope":{"permitted_nationalities":["FRA"]},"rule_effect":"permit"}`), "", `"privilege_action" is required`},
		{"access_privilege not a list", `{"privilege_action":"DSPLY"}`, "", `"access_privilege" must be a list`},
		{"sharing without scope", "", `[{"rule_effect":"permit"}]`, `further_sharing item 0: "sharing_scope" is required`},
		{"sharing unknown property", "", `[{"sharing_scope":["FRA"],"rule_effect":"permit","scope":["ALL"]}]`, `unknown property "scope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stix.Decode(3, []byte(acsMarkingJSON("marking-definition--0d7e2d3a-6a7e-4e8b-9a55-3f1c2b7d9e02", tt.access, tt.sharing)))
			if err == nil {
				t.Fatalf("accepted; want %q", tt.want)
			}
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "ACS 3.0 extension") {
				t.Errorf("error %v; want EINVALID naming the ACS extension and %q", err, tt.want)
			}
		})
	}
	classified := strings.Replace(acsMarkingJSON("marking-definition--0d7e2d3a-6a7e-4e8b-9a55-3f1c2b7d9e03", "", ""), `"classification":"U"`, `"classification":"S"`, 1)
	if _, err := stix.Decode(0, []byte(classified)); err == nil || !strings.Contains(err.Error(), "control_set classification") {
		t.Errorf("a US SECRET ACS marking: %v; want it refused naming control_set classification", err)
	}
}
