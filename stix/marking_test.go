package stix

import (
	"encoding/json"
	"slices"
	"testing"

	"liaison"
)

func TestMarkings(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want liaison.Marking
	}{
		{"tlp2 by id and extension", `{"type":"marking-definition","spec_version":"2.1","id":"` + liaison.TLPAmberStrictID + `","created":"2022-10-01T00:00:00.000Z","name":"TLP:AMBER+STRICT","extensions":{"` + liaison.TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"amber+strict"}}}`,
			liaison.Marking{ID: liaison.TLPAmberStrictID, Name: "TLP:AMBER+STRICT", TLP: liaison.TLPAmberStrict}},
		{"tlp2 by extension shape", hubMarkingObj(`"extension_type":"property-extension","classification":"NATO SECRET"`)[:0] + `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--11111111-2222-4333-8444-555555555555","created":"2022-10-01T00:00:00.000Z","extensions":{"` + liaison.TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"red"}}}`,
			liaison.Marking{ID: "marking-definition--11111111-2222-4333-8444-555555555555", Name: "TLP:RED", TLP: liaison.TLPRed}},
		{"tlp1 white", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:WHITE","definition":{"tlp":"white"}}`,
			liaison.Marking{ID: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Name: "TLP:WHITE", TLP: liaison.TLPClear}},
		{"tlp1 by shape", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--11111111-2222-4333-8444-555555555555","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"amber"}}`,
			liaison.Marking{ID: "marking-definition--11111111-2222-4333-8444-555555555555", Name: "TLP:AMBER", TLP: liaison.TLPAmber}},
		{"statement", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--11111111-2222-4333-8444-555555555555","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright 2019, Example Corp"}}`,
			liaison.Marking{ID: "marking-definition--11111111-2222-4333-8444-555555555555", Statement: "Copyright 2019, Example Corp"}},
		{"pap", `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--11111111-2222-4333-8444-555555555555","created":"2022-10-01T00:00:00.000Z","name":"PAP:GREEN","extensions":{"` + liaison.PAPExtensionID + `":{"extension_type":"property-extension","pap":"green"}}}`,
			liaison.Marking{ID: "marking-definition--11111111-2222-4333-8444-555555555555", Name: "PAP:GREEN", PAP: "PAP:GREEN"}},
		{"hub both", hubMarkingObj(`"extension_type":"property-extension","classification":"NATO RESTRICTED","releasable_to":["NATO","JPN"]`),
			liaison.Marking{ID: "marking-definition--a1b2c3d4-0927-4f42-91f8-d9e10ae56f21", Name: "m", Classification: liaison.NATORestricted, ReleasableTo: []string{"NATO", "JPN"}}},
		{"hub classification only", hubMarkingObj(`"extension_type":"property-extension","classification":"COSMIC TOP SECRET"`),
			liaison.Marking{ID: "marking-definition--a1b2c3d4-0927-4f42-91f8-d9e10ae56f21", Name: "m", Classification: liaison.CosmicTopSecret}},
		{"hub releasable only", hubMarkingObj(`"extension_type":"property-extension","releasable_to":["IP4"]`),
			liaison.Marking{ID: "marking-definition--a1b2c3d4-0927-4f42-91f8-d9e10ae56f21", Name: "m", ReleasableTo: []string{"IP4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Decode(0, []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			m := c.Marking
			if m == nil {
				t.Fatal("no marking")
			}
			if m.ID != tt.want.ID || m.Name != tt.want.Name || m.TLP != tt.want.TLP || m.Classification != tt.want.Classification ||
				m.Statement != tt.want.Statement || m.PAP != tt.want.PAP || !slices.Equal(m.ReleasableTo, tt.want.ReleasableTo) ||
				(m.ReleasableTo == nil) != (tt.want.ReleasableTo == nil) {
				t.Errorf("marking = %+v, want %+v", *m, tt.want)
			}
		})
	}
}

// TestHubObjects checks that the hub's own extension-definition and
// identity are valid STIX that Decode accepts, and that the schema is
// the hub extension's.
func TestHubObjects(t *testing.T) {
	c, err := Decode(0, HubExtensionDefinition())
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != liaison.HubMarkingExtensionID || c.Type != "extension-definition" {
		t.Errorf("candidate = %+v", c)
	}
	var def struct {
		CreatedBy      string   `json:"created_by_ref"`
		Schema         string   `json:"schema"`
		ExtensionTypes []string `json:"extension_types"`
	}
	if err := json.Unmarshal(HubExtensionDefinition(), &def); err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal([]byte(def.Schema), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if schema.Properties["classification"] == nil || schema.Properties["releasable_to"] == nil {
		t.Errorf("schema properties = %v", schema.Properties)
	}
	if !slices.Equal(def.ExtensionTypes, []string{"property-extension"}) || def.CreatedBy != HubIdentityID {
		t.Errorf("definition = %+v", def)
	}
	id, err := Decode(1, HubIdentity())
	if err != nil || id.ID != HubIdentityID {
		t.Errorf("identity: %+v, %v", id, err)
	}
	a := HubIdentity()
	a[0] = 'x'
	if HubIdentity()[0] != '{' {
		t.Error("HubIdentity returned shared bytes")
	}
}
