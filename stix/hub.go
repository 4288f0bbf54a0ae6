package stix

import (
	"bytes"

	"liaison"
)

// HubIdentityID is the identity that publishes the hub's marking extension.
// It is fixed: every hub serves the same identity and extension-definition.
const HubIdentityID = "identity--b5a2e8c4-3f1d-4c6e-9a7b-2d8f0e1c4a63"

// hubPublished is the fixed created and modified time of both objects.
const hubPublished = "2026-01-01T00:00:00.000Z"

// hubSchema is the JSON schema of the extension's two properties.
const hubSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema",` +
	`"title":"liaison classification and releasability marking",` +
	`"type":"object",` +
	`"properties":{` +
	`"extension_type":{"const":"property-extension"},` +
	`"classification":{"type":"string","enum":["NATO UNCLASSIFIED","NATO RESTRICTED","NATO CONFIDENTIAL","NATO SECRET","COSMIC TOP SECRET"]},` +
	`"releasable_to":{"type":"array","minItems":1,"items":{"type":"string","pattern":"^[A-Z][A-Z0-9_-]*$"}}` +
	`},` +
	`"required":["extension_type"],` +
	`"anyOf":[{"required":["classification"]},{"required":["releasable_to"]}],` +
	`"additionalProperties":false}`

var hubIdentity = []byte(`{"type":"identity","spec_version":"2.1","id":"` + HubIdentityID + `",` +
	`"created":"` + hubPublished + `","modified":"` + hubPublished + `",` +
	`"name":"liaison hub","description":"Publisher of the liaison classification and releasability marking extension.",` +
	`"identity_class":"system"}`)

var hubExtensionDefinition = []byte(`{"type":"extension-definition","spec_version":"2.1",` +
	`"id":"` + liaison.HubMarkingExtensionID + `",` +
	`"created_by_ref":"` + HubIdentityID + `",` +
	`"created":"` + hubPublished + `","modified":"` + hubPublished + `",` +
	`"name":"liaison classification and releasability",` +
	`"description":"A property extension on marking-definitions: classification is one of NATO UNCLASSIFIED, NATO RESTRICTED, NATO CONFIDENTIAL, NATO SECRET, COSMIC TOP SECRET; releasable_to lists organisation codes (ISO 3166-1 alpha-3 for nations, or a NATO body's code) and community names (NATO, IP4, ALL or a community the hub defines). Either may be absent, not both.",` +
	`"schema":` + quoteJSON(hubSchema) + `,` +
	`"version":"1.0.0",` +
	`"extension_types":["property-extension"]}`)

// HubExtensionDefinition returns the STIX extension-definition object of
// the hub's classification and releasability extension
// (liaison.HubMarkingExtensionID), with the JSON schema of its properties.
// The bytes never change; the caller may not modify them.
func HubExtensionDefinition() []byte { return bytes.Clone(hubExtensionDefinition) }

// HubIdentity returns the identity object (HubIdentityID) that created the
// hub's extension-definition. The bytes never change; each call returns a fresh
// copy.
func HubIdentity() []byte { return bytes.Clone(hubIdentity) }

// quoteJSON returns s as a JSON string literal.
func quoteJSON(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			out = append(out, '\\', c)
		default:
			out = append(out, c)
		}
	}
	return string(append(out, '"'))
}
