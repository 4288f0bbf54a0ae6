package stix

import (
	"errors"
	"strings"
	"testing"

	"liaison"
)

const (
	idInd   = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idIdent = "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"
	idMal   = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
	ts      = `"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"`
	common  = `"spec_version":"2.1",` + ts
)

// obj builds an object of type typ with id uuid u and extra properties.
func obj(typ, extra string) string {
	s := `{"type":"` + typ + `","id":"` + typ + `--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"`
	if typ != "marking-definition" && !IsSCO(typ) {
		s += "," + common
	}
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

// validObjects are objects of every STIX 2.1 type with their required
// properties; each must decode.
var validObjects = map[string]string{
	"attack-pattern":    obj("attack-pattern", `"name":"Spear Phishing","kill_chain_phases":[{"kill_chain_name":"lockheed","phase_name":"delivery"}]`),
	"campaign":          obj("campaign", `"name":"Green Group Attacks","first_seen":"2016-01-01T00:00:00Z","last_seen":"2016-02-01T00:00:00Z"`),
	"course-of-action":  obj("course-of-action", `"name":"Add TCP port 80 Filter Rule"`),
	"grouping":          obj("grouping", `"context":"suspicious-activity","object_refs":["`+idInd+`"]`),
	"identity":          obj("identity", `"name":"John Smith","identity_class":"individual"`),
	"incident":          obj("incident", `"name":"Breach"`),
	"indicator":         obj("indicator", `"pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"`),
	"indicator-snort":   obj("indicator", `"pattern":"alert tcp any any -> any 80 (msg:\"x\";)","pattern_type":"snort","valid_from":"2016-01-01T00:00:00Z"`),
	"infrastructure":    obj("infrastructure", `"name":"Poison Ivy C2"`),
	"intrusion-set":     obj("intrusion-set", `"name":"Bobcat Breakin"`),
	"location":          obj("location", `"latitude":48.8566,"longitude":2.3522`),
	"location-region":   obj("location", `"region":"eastern-asia"`),
	"malware":           obj("malware", `"name":"Cryptolocker","is_family":false`),
	"malware-analysis":  obj("malware-analysis", `"product":"microsoft","result":"malicious"`),
	"note":              obj("note", `"content":"This is a note","object_refs":["`+idMal+`"]`),
	"observed-data":     obj("observed-data", `"first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":50,"object_refs":["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"]`),
	"opinion":           obj("opinion", `"opinion":"strongly-disagree","object_refs":["`+idMal+`"]`),
	"report":            obj("report", `"name":"The Black Vine Cyberespionage Group","published":"2016-01-20T17:00:00.000Z","object_refs":["`+idInd+`"]`),
	"threat-actor":      obj("threat-actor", `"name":"Evil Org"`),
	"tool":              obj("tool", `"name":"VNC"`),
	"vulnerability":     obj("vulnerability", `"name":"CVE-2016-1234"`),
	"relationship":      obj("relationship", `"relationship_type":"indicates","source_ref":"`+idInd+`","target_ref":"`+idMal+`"`),
	"sighting":          obj("sighting", `"sighting_of_ref":"`+idInd+`","where_sighted_refs":["`+idIdent+`"],"observed_data_refs":["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"]`),
	"marking-tlp1":      `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`,
	"language-content":  obj("language-content", `"object_ref":"`+idInd+`","contents":{"de":{"name":"Bedrohung"}}`),
	"extension-def":     string(hubExtensionDefinition),
	"artifact":          obj("artifact", `"payload_bin":"VBORw0KGgoAAAANSUhEUgAAADI=="`),
	"autonomous-system": obj("autonomous-system", `"number":15139`),
	"directory":         obj("directory", `"path":"C:\\Windows\\System32"`),
	"domain-name":       obj("domain-name", `"value":"example.com"`),
	"email-addr":        obj("email-addr", `"value":"john@example.com"`),
	"email-message":     obj("email-message", `"is_multipart":false,"subject":"hi"`),
	"file":              obj("file", `"hashes":{"SHA-256":"ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a"}`),
	"ipv4-addr":         obj("ipv4-addr", `"value":"198.51.100.3"`),
	"ipv6-addr":         obj("ipv6-addr", `"value":"2001:0db8::/96"`),
	"mac-addr":          obj("mac-addr", `"value":"d2:fb:49:24:37:18"`),
	"mutex":             obj("mutex", `"name":"__CLEANSWEEP__"`),
	"network-traffic":   obj("network-traffic", `"protocols":["tcp"],"dst_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","dst_port":80`),
	"process":           obj("process", `"pid":1221`),
	"software":          obj("software", `"name":"Word"`),
	"url":               obj("url", `"value":"https://example.com/research/index.html"`),
	"user-account":      obj("user-account", `"user_id":"1001"`),
	"registry-key":      obj("windows-registry-key", `"key":"hkey_local_machine\\system\\bar\\foo"`),
	"x509":              obj("x509-certificate", `"serial_number":"36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06"`),
	"custom":            obj("x-acme-widget", `"x_acme_colour":"red","name":"w"`),
	"custom-granular":   obj("indicator", `"pattern":"[url:value = 'http://x']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","description":"d","external_references":[{"source_name":"capec","external_id":"CAPEC-163"}],"granular_markings":[{"marking_ref":"`+liaison.TLPRedID+`","selectors":["description","external_references.[0].external_id"]},{"lang":"en","selectors":["pattern"]}]`),
}

func TestDecodeValid(t *testing.T) {
	for name, raw := range validObjects {
		t.Run(name, func(t *testing.T) {
			c, err := Decode(7, []byte(raw))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if c.Index != 7 || string(c.Raw) != raw || c.ID == "" || c.SpecVersion != "2.1" {
				t.Errorf("candidate = %+v", c)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	c, err := Decode(0, []byte(obj("malware", `"name":"x","is_family":true,"revoked":true,"modified":"2017-01-01T00:00:00.123Z","object_marking_refs":["`+liaison.TLPGreenID+`"]`)))
	if err == nil {
		t.Fatalf("duplicate modified accepted")
	}
	raw := `{"type":"malware","spec_version":"2.1","id":"` + idMal + `","created":"2016-04-06T20:03:48.000Z","modified":"2017-01-01T00:00:00.123Z","name":"x","is_family":true,"revoked":true,"object_marking_refs":["` + liaison.TLPGreenID + `"],"granular_markings":[{"marking_ref":"` + liaison.TLPRedID + `","selectors":["name"]}]}`
	c, err = Decode(0, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Revoked || c.Modified.Format("2006-01-02T15:04:05.000Z") != "2017-01-01T00:00:00.123Z" || c.Version() != c.Modified ||
		c.Created.Year() != 2016 || c.Type != "malware" || c.ID != idMal {
		t.Errorf("candidate = %+v", c)
	}
	if len(c.MarkingRefs) != 1 || c.MarkingRefs[0] != liaison.TLPGreenID || len(c.GranularMarkingRefs) != 1 || c.GranularMarkingRefs[0] != liaison.TLPRedID {
		t.Errorf("markings = %v %v", c.MarkingRefs, c.GranularMarkingRefs)
	}

	c, err = Decode(0, []byte(validObjects["relationship"]))
	if err != nil || len(c.Ends) != 2 || c.Ends[0] != idInd || c.Ends[1] != idMal {
		t.Errorf("relationship ends = %v, %v", c.Ends, err)
	}
	c, err = Decode(0, []byte(validObjects["sighting"]))
	if err != nil || len(c.Ends) != 3 || c.Ends[0] != idInd || c.Ends[2] != idIdent {
		t.Errorf("sighting ends = %v, %v", c.Ends, err)
	}
	c, err = Decode(0, []byte(validObjects["ipv4-addr"]))
	if err != nil || !c.Created.IsZero() || !c.Version().IsZero() || c.SpecVersion != "2.1" {
		t.Errorf("SCO = %+v, %v", c, err)
	}
}

// TestDecodeInvalid holds one invalid object of every kind; each error must
// be EINVALID and name the index, the id (when it is valid) and the
// property.
func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name, raw string
		want      []string // substrings of the message
	}{
		{"not json", `{"type":`, []string{"object 3", "not valid JSON"}},
		{"not object", `["a"]`, []string{"object 3", "not a JSON object"}},
		{"trailing", obj("tool", `"name":"x"`) + `x`, []string{"object 3", "after the object"}},
		{"bad utf8", "{\"type\":\"tool\",\"name\":\"\xff\"}", []string{"UTF-8"}},
		{"duplicate key", obj("tool", `"name":"x","name":"y"`), []string{"duplicate key \"name\""}},
		{"nested duplicate", obj("tool", `"name":"x","x_a":{"b":1,"b":2}`), []string{"duplicate key \"b\""}},
		{"missing type", `{"id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, []string{`property "type": is required`}},
		{"bad type", `{"type":"Tool","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, []string{`"type"`, "not a valid type name"}},
		{"bundle inside", `{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, []string{"bundle cannot be"}},
		{"missing id", `{"type":"tool","name":"x"}`, []string{`object 3: property "id": is required`}},
		{"bad id", `{"type":"tool","id":"tool--123"}`, []string{`property "id"`, "not a STIX identifier"}},
		{"upper uuid", `{"type":"tool","id":"tool--0C7B5B88-8FF7-4A4D-AA9D-FEB398CD0061"}`, []string{`property "id"`}},
		{"id type mismatch", `{"type":"tool","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, []string{`property "id"`, "does not match"}},
		{"bad property name", obj("tool", `"name":"x","x-bad":1`), []string{`tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061`, `property "x-bad"`}},
		{"null property", obj("tool", `"name":"x","description":null`), []string{`property "description"`, "null"}},
		{"no spec_version", `{"type":"tool","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",` + ts + `,"name":"x"}`, []string{`property "spec_version": is required`}},
		{"spec_version 2.0", `{"type":"tool","spec_version":"2.0","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",` + ts + `,"name":"x"}`, []string{`property "spec_version"`, `"2.0"`}},
		{"missing created", `{"type":"tool","spec_version":"2.1","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","modified":"2016-04-06T20:03:48.000Z","name":"x"}`, []string{`property "created": is required`}},
		{"bad timestamp", `{"type":"indicator","spec_version":"2.1","id":"` + idInd + `",` + ts + `,"pattern":"[a:b=1]","pattern_type":"stix","valid_from":"2020-13-01"}`,
			[]string{`object 3 (` + idInd + `): property "valid_from": "2020-13-01" is not an RFC 3339 timestamp`}},
		{"timestamp offset", obj("tool", `"name":"x","x_t":1`)[:0] + `{"type":"tool","spec_version":"2.1","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-04-06T20:03:48+01:00","modified":"2016-04-06T20:03:48.000Z","name":"x"}`, []string{`property "created"`, "RFC 3339"}},
		{"feb 30", `{"type":"tool","spec_version":"2.1","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-02-30T20:03:48Z","modified":"2016-04-06T20:03:48.000Z","name":"x"}`, []string{`property "created"`}},
		{"modified before created", `{"type":"tool","spec_version":"2.1","id":"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-04-06T20:03:48Z","modified":"2016-04-05T20:03:48.000Z","name":"x"}`, []string{`property "modified"`, "before"}},
		{"created_by_ref type", obj("tool", `"name":"x","created_by_ref":"`+idMal+`"`), []string{`property "created_by_ref"`, "identity"}},
		{"revoked string", obj("tool", `"name":"x","revoked":"yes"`), []string{`property "revoked"`, "boolean"}},
		{"empty labels", obj("tool", `"name":"x","labels":[]`), []string{`property "labels"`, "empty"}},
		{"confidence", obj("tool", `"name":"x","confidence":101`), []string{`property "confidence"`, "out of range"}},
		{"ext ref no source", obj("tool", `"name":"x","external_references":[{"url":"http://x"}]`), []string{`property "external_references"`, "source_name"}},
		{"ext ref not object", obj("tool", `"name":"x","external_references":["x"]`), []string{`property "external_references"`, "item 0"}},
		{"ext ref hashes", obj("tool", `"name":"x","external_references":[{"source_name":"a","hashes":[]}]`), []string{`property "external_references"`, "hashes"}},
		{"marking ref type", obj("tool", `"name":"x","object_marking_refs":["`+idMal+`"]`), []string{`property "object_marking_refs"`, "marking-definition"}},
		{"marking refs empty", obj("tool", `"name":"x","object_marking_refs":[]`), []string{`property "object_marking_refs"`, "empty"}},
		{"granular no ref", obj("tool", `"name":"x","granular_markings":[{"selectors":["name"]}]`), []string{`property "granular_markings"`, "marking_ref"}},
		{"granular both", obj("tool", `"name":"x","granular_markings":[{"lang":"en","marking_ref":"`+liaison.TLPRedID+`","selectors":["name"]}]`), []string{`property "granular_markings"`, "both"}},
		{"granular no selectors", obj("tool", `"name":"x","granular_markings":[{"marking_ref":"`+liaison.TLPRedID+`"}]`), []string{`"selectors" is required`}},
		{"selector missing prop", obj("tool", `"name":"x","granular_markings":[{"marking_ref":"`+liaison.TLPRedID+`","selectors":["description"]}]`), []string{`selector "description"`, "not present"}},
		{"selector syntax", obj("tool", `"name":"x","granular_markings":[{"marking_ref":"`+liaison.TLPRedID+`","selectors":["name..x"]}]`), []string{`selector "name..x"`, "empty step"}},
		{"selector index", obj("tool", `"name":"x","external_references":[{"source_name":"a"}],"granular_markings":[{"marking_ref":"`+liaison.TLPRedID+`","selectors":["external_references.[1].source_name"]}]`), []string{`selector "external_references.[1].source_name"`, "beyond"}},
		{"extensions not object", obj("tool", `"name":"x","extensions":[]`), []string{`property "extensions"`, "must be an object"}},
		{"extension no type", obj("tool", `"name":"x","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"rank":5}}`), []string{`property "extensions"`, "extension_type"}},
		{"extension bad type", obj("tool", `"name":"x","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"new-thing"}}`), []string{`property "extensions"`, "extension_type"}},
		{"extension value", obj("tool", `"name":"x","extensions":{"x-acme":"on"}`), []string{`property "extensions"`, `"x-acme"`}},
		{"kill chain", obj("attack-pattern", `"name":"x","kill_chain_phases":[{"kill_chain_name":"k"}]`), []string{`property "kill_chain_phases"`, "phase_name"}},

		// required properties of each type
		{"attack-pattern name", obj("attack-pattern", ``), []string{`property "name": is required for attack-pattern`}},
		{"campaign name", obj("campaign", `"description":"x"`), []string{`property "name"`}},
		{"campaign seen order", obj("campaign", `"name":"x","first_seen":"2016-02-01T00:00:00Z","last_seen":"2016-01-01T00:00:00Z"`), []string{`property "last_seen"`, "before"}},
		{"course-of-action name", obj("course-of-action", ``), []string{`property "name"`}},
		{"grouping context", obj("grouping", `"object_refs":["`+idInd+`"]`), []string{`property "context"`}},
		{"grouping refs", obj("grouping", `"context":"x"`), []string{`property "object_refs"`}},
		{"identity name", obj("identity", ``), []string{`property "name"`}},
		{"incident name", obj("incident", ``), []string{`property "name"`}},
		{"indicator pattern", obj("indicator", `"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"`), []string{`property "pattern"`}},
		{"indicator pattern_type", obj("indicator", `"pattern":"[a:b=1]","valid_from":"2016-01-01T00:00:00Z"`), []string{`property "pattern_type"`}},
		{"indicator valid_from", obj("indicator", `"pattern":"[a:b=1]","pattern_type":"stix"`), []string{`property "valid_from"`}},
		{"indicator valid_until", obj("indicator", `"pattern":"[a:b=1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2016-01-01T00:00:00Z"`), []string{`property "valid_until"`}},
		{"indicator bad pattern", obj("indicator", `"pattern":"[file:name = 'x' AND ]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"`), []string{`property "pattern"`, "column 22", "byte 21", "expected an object path"}},
		{"infrastructure name", obj("infrastructure", ``), []string{`property "name"`}},
		{"intrusion-set name", obj("intrusion-set", ``), []string{`property "name"`}},
		{"location empty", obj("location", `"name":"x"`), []string{"region", "country", "latitude"}},
		{"location lat only", obj("location", `"latitude":10`), []string{`property "longitude"`}},
		{"location range", obj("location", `"latitude":100,"longitude":0`), []string{`property "latitude"`, "range"}},
		{"malware is_family", obj("malware", `"name":"x"`), []string{`property "is_family"`}},
		{"malware family name", obj("malware", `"is_family":true`), []string{`property "name"`, "is_family"}},
		{"malware sample", obj("malware", `"is_family":false,"sample_refs":["`+idMal+`"]`), []string{`property "sample_refs"`, "file or artifact"}},
		{"malware-analysis product", obj("malware-analysis", `"result":"malicious"`), []string{`property "product"`}},
		{"malware-analysis result", obj("malware-analysis", `"product":"p"`), []string{"result", "analysis_sco_refs"}},
		{"note content", obj("note", `"object_refs":["`+idMal+`"]`), []string{`property "content"`}},
		{"note refs", obj("note", `"content":"c"`), []string{`property "object_refs"`}},
		{"observed-data number", obj("observed-data", `"first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":0,"object_refs":["file--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]`), []string{`property "number_observed"`, "range"}},
		{"observed-data first", obj("observed-data", `"last_observed":"2015-12-21T19:00:00Z","number_observed":1,"object_refs":["file--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]`), []string{`property "first_observed"`}},
		{"observed-data refs", obj("observed-data", `"first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1`), []string{"object_refs"}},
		{"opinion value", obj("opinion", `"opinion":"maybe","object_refs":["`+idMal+`"]`), []string{`property "opinion"`, "maybe"}},
		{"opinion missing", obj("opinion", `"object_refs":["`+idMal+`"]`), []string{`property "opinion": is required`}},
		{"report published", obj("report", `"name":"r","object_refs":["`+idInd+`"]`), []string{`property "published"`}},
		{"report refs", obj("report", `"name":"r","published":"2016-01-20T17:00:00.000Z"`), []string{`property "object_refs"`}},
		{"report refs empty", obj("report", `"name":"r","published":"2016-01-20T17:00:00.000Z","object_refs":[]`), []string{`property "object_refs"`, "empty"}},
		{"report ref bad", obj("report", `"name":"r","published":"2016-01-20T17:00:00.000Z","object_refs":["nope"]`), []string{`property "object_refs"`, `"nope"`}},
		{"threat-actor name", obj("threat-actor", ``), []string{`property "name"`}},
		{"tool name", obj("tool", ``), []string{`property "name"`}},
		{"tool name empty", obj("tool", `"name":" "`), []string{`property "name"`, "empty"}},
		{"vulnerability name", obj("vulnerability", ``), []string{`property "name"`}},
		{"relationship type", obj("relationship", `"source_ref":"`+idInd+`","target_ref":"`+idMal+`"`), []string{`property "relationship_type"`}},
		{"relationship source", obj("relationship", `"relationship_type":"uses","target_ref":"`+idMal+`"`), []string{`property "source_ref"`}},
		{"relationship target", obj("relationship", `"relationship_type":"uses","source_ref":"`+idMal+`"`), []string{`property "target_ref"`}},
		{"relationship to sro", obj("relationship", `"relationship_type":"uses","source_ref":"`+idMal+`","target_ref":"relationship--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"`), []string{`property "target_ref"`, "SDO or SCO"}},
		{"sighting of", obj("sighting", `"count":1`), []string{`property "sighting_of_ref"`}},
		{"sighting of sco", obj("sighting", `"sighting_of_ref":"file--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"`), []string{`property "sighting_of_ref"`, "SDO"}},
		{"sighting where", obj("sighting", `"sighting_of_ref":"`+idInd+`","where_sighted_refs":["`+idMal+`"]`), []string{`property "where_sighted_refs"`, "identity or location"}},
		{"sighting count", obj("sighting", `"sighting_of_ref":"`+idInd+`","count":-1`), []string{`property "count"`}},
		{"language-content ref", obj("language-content", `"contents":{"de":{"name":"x"}}`), []string{`property "object_ref"`}},
		{"language-content contents", obj("language-content", `"object_ref":"`+idInd+`"`), []string{`property "contents"`}},
		{"extension-definition schema", obj("extension-definition", `"created_by_ref":"`+idIdent+`","name":"n","version":"1","extension_types":["new-sdo"]`), []string{`property "schema"`}},
		{"extension-definition types", obj("extension-definition", `"created_by_ref":"`+idIdent+`","name":"n","schema":"s","version":"1","extension_types":["other"]`), []string{`property "extension_types"`}},
		{"extension-definition creator", obj("extension-definition", `"name":"n","schema":"s","version":"1","extension_types":["new-sdo"]`), []string{`property "created_by_ref"`}},
		{"artifact none", obj("artifact", `"mime_type":"x"`), []string{"payload_bin", "url"}},
		{"artifact both", obj("artifact", `"payload_bin":"AA==","url":"http://x"`), []string{`property "url"`, "together"}},
		{"autonomous-system", obj("autonomous-system", `"name":"x"`), []string{`property "number"`}},
		{"directory", obj("directory", ``), []string{`property "path"`}},
		{"domain-name", obj("domain-name", ``), []string{`property "value"`}},
		{"email-addr", obj("email-addr", ``), []string{`property "value"`}},
		{"email-message", obj("email-message", `"subject":"x"`), []string{`property "is_multipart"`}},
		{"email-message body", obj("email-message", `"is_multipart":false,"body_multipart":[{"body":"x"}]`), []string{`property "body_multipart"`}},
		{"file none", obj("file", `"size":10`), []string{"hashes", "name"}},
		{"file hashes empty", obj("file", `"hashes":{}`), []string{`property "hashes"`, "empty"}},
		{"file size", obj("file", `"name":"a","size":-1`), []string{`property "size"`}},
		{"ipv4-addr", obj("ipv4-addr", ``), []string{`property "value"`}},
		{"ipv6-addr", obj("ipv6-addr", ``), []string{`property "value"`}},
		{"mac-addr", obj("mac-addr", ``), []string{`property "value"`}},
		{"mutex", obj("mutex", ``), []string{`property "name"`}},
		{"network-traffic protocols", obj("network-traffic", `"dst_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53"`), []string{`property "protocols"`}},
		{"network-traffic ends", obj("network-traffic", `"protocols":["tcp"]`), []string{"src_ref", "dst_ref"}},
		{"network-traffic port", obj("network-traffic", `"protocols":["tcp"],"src_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","src_port":70000`), []string{`property "src_port"`}},
		{"process empty", obj("process", ``), []string{"process needs at least one"}},
		{"software", obj("software", ``), []string{`property "name"`}},
		{"url", obj("url", ``), []string{`property "value"`}},
		{"user-account", obj("user-account", ``), []string{"at least one"}},
		{"windows-registry-key", obj("windows-registry-key", ``), []string{"at least one"}},
		{"x509-certificate", obj("x509-certificate", ``), []string{"at least one"}},
		{"sco spec_version", obj("url", `"value":"http://x","spec_version":"2.0"`), []string{`property "spec_version"`}},
		{"sco ref", obj("email-message", `"is_multipart":false,"from_ref":"not-an-id"`), []string{`property "from_ref"`}},

		// marking-definitions
		{"marking no definition", obj("marking-definition", `"spec_version":"2.1","created":"2017-01-20T00:00:00.000Z","name":"x"`), []string{"definition_type"}},
		{"marking modified", obj("marking-definition", `"spec_version":"2.1",`+ts+`,"definition_type":"statement","definition":{"statement":"x"}`), []string{`property "modified"`}},
		{"marking tlp value", obj("marking-definition", `"spec_version":"2.1","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"purple"}`), []string{`property "definition"`, "purple"}},
		{"marking statement", obj("marking-definition", `"spec_version":"2.1","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"text":"x"}`), []string{`property "definition"`, "statement"}},
		{"marking tlp contradicts id", `{"type":"marking-definition","spec_version":"2.1","id":"` + liaison.TLPRedID + `","created":"2022-10-01T00:00:00.000Z","extensions":{"` + liaison.TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"clear"}}}`, []string{`property "extensions"`, "TLP:RED"}},
		{"marking tlp2 value", obj("marking-definition", `"spec_version":"2.1","created":"2017-01-20T00:00:00.000Z","extensions":{"`+liaison.TLP2ExtensionID+`":{"extension_type":"property-extension","tlp_2_0":"white"}}`), []string{`property "extensions"`, "tlp_2_0"}},
		{"marking pap value", obj("marking-definition", `"spec_version":"2.1","created":"2017-01-20T00:00:00.000Z","extensions":{"`+liaison.PAPExtensionID+`":{"extension_type":"property-extension","pap":"blue"}}`), []string{`property "extensions"`, "pap"}},
		{"hub neither", hubMarkingObj(`"extension_type":"property-extension"`), []string{`property "extensions"`, "classification", "releasable_to"}},
		{"hub bad classification", hubMarkingObj(`"extension_type":"property-extension","classification":"TOP SECRET"`), []string{"TOP SECRET"}},
		{"hub lower classification", hubMarkingObj(`"extension_type":"property-extension","classification":"nato secret"`), []string{"nato secret"}},
		{"hub rel empty", hubMarkingObj(`"extension_type":"property-extension","releasable_to":[]`), []string{"releasable_to", "empty"}},
		{"hub rel string", hubMarkingObj(`"extension_type":"property-extension","releasable_to":"JPN"`), []string{"releasable_to", "list"}},
		{"hub rel lower", hubMarkingObj(`"extension_type":"property-extension","releasable_to":["jpn"]`), []string{`"jpn"`}},
		{"hub unknown prop", hubMarkingObj(`"extension_type":"property-extension","classification":"NATO SECRET","releaseable_to":["JPN"]`), []string{`"releaseable_to"`}},
		{"hub ext type", hubMarkingObj(`"extension_type":"toplevel-property-extension","classification":"NATO SECRET"`), []string{"property-extension"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(3, []byte(tt.raw))
			if err == nil {
				t.Fatalf("accepted: %s", tt.raw)
			}
			var le *liaison.Error
			if !errors.As(err, &le) || le.Code != liaison.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "object 3") {
				t.Errorf("message %q does not start with the index", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if _, id, ok := idOf(tt.raw); ok && !strings.Contains(msg, id) {
				t.Errorf("message %q lacks the id %s", msg, id)
			}
		})
	}
}

// idOf returns the object's id when it is a valid identifier.
func idOf(raw string) (string, string, bool) {
	i := strings.Index(raw, `"id":"`)
	if i < 0 {
		return "", "", false
	}
	rest := raw[i+6:]
	id := rest[:strings.IndexByte(rest, '"')]
	typ, _, ok := SplitID(id)
	if !ok || !strings.Contains(raw, `"type":"`+typ+`"`) || typ == "bundle" {
		return "", "", false
	}
	return typ, id, true
}

func hubMarkingObj(ext string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--a1b2c3d4-0927-4f42-91f8-d9e10ae56f21","created":"2026-01-01T00:00:00.000Z","name":"m","extension_definitions":["` + liaison.HubMarkingExtensionID + `"],"extensions":{"` + liaison.HubMarkingExtensionID + `":{` + ext + `}}}`
}
