package misp

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"liaison/stix"
)

const (
	usaRel  = "USA"
	fixture = "testdata/event.json"
	t1566   = "attack-pattern--a62a8db3-f23a-4d8f-afd6-9dbc77e7813b"
)

// testOptions map the fixture's community (distribution 1) to NATO and its
// sharing group to two nations; the importing organisation is USA.
func testOptions() Options {
	return Options{
		Originator:    usaRel,
		Distribution:  map[int][]string{1: {"NATO"}, 2: {"NATO", "IP4"}, 3: {"ALL"}},
		SharingGroups: map[string][]string{"Ministries SG": {"USA", "FRA"}},
		Lookup: func(x string) (string, bool) {
			if x == "T1566" {
				return t1566, true
			}
			return "", false
		},
	}
}

// converted is the output of one conversion, decoded.
type converted struct {
	raws  [][]byte
	objs  map[string]map[string]any
	order []string
	stats Stats
	conv  *Converter
}

func convertFile(t *testing.T, path string, opt Options) converted {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return convertReader(t, f, opt)
}

func convertReader(t *testing.T, r interface{ Read([]byte) (int, error) }, opt Options) converted {
	t.Helper()
	out := converted{objs: map[string]map[string]any{}}
	c := NewConverter(opt, func(raw []byte) error {
		out.raws = append(out.raws, append([]byte(nil), raw...))
		// Every object must pass the hub's own STIX validation, which
		// parses indicator patterns with stix/pattern.
		if _, err := stix.Decode(len(out.raws)-1, raw); err != nil {
			t.Errorf("invalid STIX: %v\n%s", err, raw)
		}
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		id := o["id"].(string)
		if _, dup := out.objs[id]; dup {
			t.Errorf("%s written twice", id)
		}
		out.objs[id] = o
		out.order = append(out.order, id)
		return nil
	})
	c.Places = map[string][]string{}
	if err := c.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	out.stats, out.conv = c.Stats, c
	return out
}

func strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// releaseOf returns the releasable_to lists of an object's hub markings.
func (c converted) releaseOf(t *testing.T, id string) [][]string {
	t.Helper()
	var out [][]string
	for _, m := range strs(c.objs[id]["object_marking_refs"]) {
		md := c.objs[m]
		if md == nil {
			continue // TLP, built in
		}
		ext := md["extensions"].(map[string]any)[HubExtension].(map[string]any)
		out = append(out, strs(ext["releasable_to"]))
	}
	return out
}

func (c converted) tlpOf(id string) []string {
	var out []string
	for _, m := range strs(c.objs[id]["object_marking_refs"]) {
		for tag, tid := range tlpIDs {
			if tid == m && tag != "tlp:white" {
				out = append(out, tag)
			}
		}
	}
	return out
}

// TestMappingRules: each rule of the misp-stix mapping, on the fixture
// built from the MISP core format's description.
func TestMappingRules(t *testing.T) {
	c := convertFile(t, fixture, testOptions())
	if c.stats.Refused != 0 || c.stats.Events != 1 {
		t.Fatalf("stats %+v", c.stats)
	}
	attr := func(u string) map[string]any {
		ps := c.conv.Places[u]
		if len(ps) != 1 {
			t.Fatalf("attribute %s placed %d times: %v", u, len(ps), ps)
		}
		id, _, _ := strings.Cut(ps[0], " ")
		return c.objs[id]
	}
	report := c.objs[stixID("report", "5e1a9b2c-0f3d-4c6e-9a71-2b8d4e6f1a01")]
	cases := []struct {
		rule  string
		check func() bool
	}{
		{"a published event is a report", func() bool {
			return report != nil && report["name"] == "Phishing wave against alliance ministries" && report["published"] == "2026-03-02T10:20:00.000Z"
		}},
		{"event tags other than TLP are labels", func() bool {
			return slices.Equal(strs(report["labels"]), []string{`circl:incident-classification="phishing"`})
		}},
		{"tlp:amber on the event is TLP:AMBER on the report", func() bool { return slices.Equal(c.tlpOf(report["id"].(string)), []string{"tlp:amber"}) }},
		{"a galaxy cluster found by external id is linked from the report by a relationship, not listed in it", func() bool {
			r := c.objs[stixID("relationship", report["id"].(string)+"|related-to|"+t1566)]
			return r != nil && r["source_ref"] == report["id"] && r["target_ref"] == t1566 && !slices.Contains(strs(report["object_refs"]), t1566)
		}},
		{"a galaxy cluster not found is kept in x_misp_galaxies", func() bool {
			g, _ := report["x_misp_galaxies"].([]any)
			return len(g) == 1 && g[0].(map[string]any)["value"] == "Something not stored - T9999"
		}},
		{"to_ids ip-dst is an indicator with a STIX pattern", func() bool {
			o := attr("a0000001-0000-4000-8000-000000000001")
			return o["type"] == "indicator" && o["pattern"] == "[ipv4-addr:value = '198.51.100.7']" && o["pattern_type"] == "stix"
		}},
		{"a sighting of a to_ids attribute is a STIX sighting where the sighting organisation saw it", func() bool {
			s := c.objs[stixID("sighting", "c0000001-0000-4000-8000-000000000001")]
			return s != nil && s["sighting_of_ref"] == stixID("indicator", "a0000001-0000-4000-8000-000000000001") && len(strs(s["where_sighted_refs"])) == 1 &&
				c.objs[strs(s["where_sighted_refs"])[0]]["name"] == "CERT-OTHER"
		}},
		{"a false-positive sighting has no STIX form: kept in x_misp_sightings", func() bool {
			l, _ := attr("a0000001-0000-4000-8000-000000000001")["x_misp_sightings"].([]any)
			return len(l) == 1 && l[0].(map[string]any)["type"] == float64(1)
		}},
		{"an attribute galaxy found is an indicates relationship", func() bool {
			r := c.objs[stixID("relationship", stixID("indicator", "a0000001-0000-4000-8000-000000000001")+"|indicates|"+t1566)]
			return r != nil && r["target_ref"] == t1566
		}},
		{"not to_ids domain is observed-data over a domain-name SCO", func() bool {
			o := attr("a0000001-0000-4000-8000-000000000002")
			od := c.objs[stixID("observed-data", "a0000001-0000-4000-8000-000000000002")]
			return o["type"] == "domain-name" && o["value"] == "login-ministry.example" && od != nil && slices.Equal(strs(od["object_refs"]), []string{o["id"].(string)}) && od["description"] == "seen in the lure"
		}},
		{"sha256 pattern quotes the hash name", func() bool {
			return attr("a0000001-0000-4000-8000-000000000003")["pattern"] == "[file:hashes.'SHA-256' = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']"
		}},
		{"a quote in a value is escaped in the pattern", func() bool {
			return attr("a0000001-0000-4000-8000-000000000005")["pattern"] == `[url:value = 'https://login-ministry.example/o\'auth']`
		}},
		{"tlp:red on an attribute is stricter than the event's amber", func() bool {
			return slices.Equal(c.tlpOf(stixID("indicator", "a0000001-0000-4000-8000-000000000005")), []string{"tlp:red"})
		}},
		{"text has no STIX home: kept in the report's x_misp_attributes", func() bool {
			l, _ := report["x_misp_attributes"].([]any)
			return len(l) == 1 && l[0].(map[string]any)["value"] == "Lures mention the spring summit"
		}},
		{"vulnerability is a vulnerability SDO with its CVE", func() bool {
			o := attr("a0000001-0000-4000-8000-000000000006")
			return o["type"] == "vulnerability" && o["name"] == "CVE-2025-12345" && o["external_references"] != nil
		}},
		{"yara for IDS is an indicator with pattern_type yara", func() bool {
			o := attr("a0000001-0000-4000-8000-000000000007")
			return o["type"] == "indicator" && o["pattern_type"] == "yara"
		}},
		{"filename|md5 is one file SCO with name and hash", func() bool {
			o := attr("a0000001-0000-4000-8000-000000000008")
			h, _ := o["hashes"].(map[string]any)
			return o["type"] == "file" && o["name"] == "agenda.docm" && h["MD5"] == "d41d8cd98f00b204e9800998ecf8427e"
		}},
		{"a sighting of observed data is kept on it", func() bool {
			l, _ := c.objs[stixID("observed-data", "a0000001-0000-4000-8000-000000000008")]["x_misp_sightings"].([]any)
			return len(l) == 1
		}},
		{"AS is a number in the pattern", func() bool {
			return attr("a0000001-0000-4000-8000-000000000009")["pattern"] == "[autonomous-system:number = 64500]"
		}},
		{"threat-actor is a threat-actor SDO", func() bool { return attr("a0000001-0000-4000-8000-00000000000a")["type"] == "threat-actor" }},
		{"a file object is one file SCO under observed-data, size kept as x_misp_size_in_bytes", func() bool {
			o := attr("a0000002-0000-4000-8000-000000000001")
			od := c.objs[stixID("observed-data", "b0000001-0000-4000-8000-000000000001")]
			h, _ := o["hashes"].(map[string]any)
			l, _ := od["x_misp_size_in_bytes"].([]any)
			return o["type"] == "file" && h["SHA-1"] == "da39a3ee5e6b4b0d3255bfef95601890afd80709" && o["name"] == "agenda.docm" && len(l) == 1 && od["x_misp_name"] == "file"
		}},
		{"an object with a to_ids attribute is one indicator ANDing its SCOs", func() bool {
			o := c.objs[stixID("indicator", "b0000001-0000-4000-8000-000000000002")]
			return o != nil && o["pattern"] == "[domain-name:value = 'cdn-summit.example'] AND [ipv6-addr:value = '2001:db8::5']" && o["x_misp_text"] != nil
		}},
		{"an object with no SCO home is an x-misp-object keeping every attribute", func() bool {
			o := c.objs[stixID("x-misp-object", "b0000001-0000-4000-8000-000000000003")]
			return o != nil && o["x_misp_first_name"] != nil && o["x_misp_role"] != nil
		}},
		{"object references are relationships", func() bool {
			r := c.objs[stixID("relationship", "d0000001-0000-4000-8000-000000000001")]
			r2 := c.objs[stixID("relationship", "d0000001-0000-4000-8000-000000000002")]
			return r != nil && r["relationship_type"] == "communicates-with" && r["source_ref"] == stixID("observed-data", "b0000001-0000-4000-8000-000000000001") &&
				r["target_ref"] == stixID("indicator", "b0000001-0000-4000-8000-000000000002") &&
				r2 != nil && r2["relationship_type"] == "resolves-to" && r2["target_ref"] == stixID("indicator", "a0000001-0000-4000-8000-000000000001")
		}},
		{"a reference outside the event is a warning", func() bool {
			return len(c.stats.Warnings) == 1 && strings.Contains(c.stats.Warnings[0], "f0000000-0000-4000-8000-00000000dead")
		}},
		{"the creator is an identity", func() bool { return c.objs[report["created_by_ref"].(string)]["name"] == "CERT-EXAMPLE" }},
		{"markings come before what they mark", func() bool {
			seen := map[string]bool{}
			for _, id := range c.order {
				for _, m := range strs(c.objs[id]["object_marking_refs"]) {
					if m != id && strings.HasPrefix(m, "marking-definition--") && c.objs[m] != nil && !seen[m] {
						return false
					}
				}
				seen[id] = true
			}
			return true
		}},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			if !tc.check() {
				t.Errorf("rule broken")
			}
		})
	}
}
