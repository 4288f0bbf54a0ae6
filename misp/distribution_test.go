package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison/stix"
)

// event builds a small event with the given event-level distribution
// members and one attribute with its own.
func event(published bool, evDist, attrDist string) string {
	return fmt.Sprintf(`{"Event":{"uuid":"6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","info":"t","timestamp":"1700000000","published":%t,%s,
 "Orgc":{"name":"CERT-X"},
 "Attribute":[{"uuid":"6f1b2c3d-0000-4a6b-8c7d-000000000001","type":"ip-dst","value":"192.0.2.1","to_ids":true,%s}]}}`, published, evDist, attrDist)
}

// TestDistributionLevels: every MISP distribution level, at event level,
// mapped or refused; a refusal names the problem and the flag to pass.
func TestDistributionLevels(t *testing.T) {
	sg := `"distribution":"4","sharing_group_id":"7","SharingGroup":{"id":"7","uuid":"1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a","name":"Baltic CERTs"}`
	mapped := Options{Originator: "EST", Distribution: map[int][]string{1: {"NATO"}, 2: {"NATO", "IP4"}, 3: {"ALL"}},
		SharingGroups: map[string][]string{"Baltic CERTs": {"EST", "LVA", "LTU"}}}
	bare := Options{Originator: "EST"}
	byUUID := Options{Originator: "EST", SharingGroups: map[string][]string{"1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a": {"EST"}}}
	byID := Options{Originator: "EST", SharingGroups: map[string][]string{"7": {"LVA"}}}
	cases := []struct {
		name    string
		evDist  string
		opt     Options
		release []string // the report's REL TO; nil: refused
		refusal []string // words the refusal must hold
	}{
		{"0 your organisation only: REL TO the originator", `"distribution":"0"`, bare, []string{"EST"}, nil},
		{"0 as a JSON number", `"distribution":0`, bare, []string{"EST"}, nil},
		{"0 without a known originator is refused", `"distribution":"0"`, Options{}, nil, []string{"distribution 0", "importing organisation is not known"}},
		{"1 this community, mapped", `"distribution":"1"`, mapped, []string{"NATO"}, nil},
		{"1 this community, unknown community: refused", `"distribution":"1"`, bare, nil, []string{"distribution 1 (this community only)", "--distribution 1=COMMUNITY"}},
		{"2 connected communities, mapped", `"distribution":"2"`, mapped, []string{"IP4", "NATO"}, nil},
		{"2 connected communities, unknown: refused", `"distribution":"2"`, bare, nil, []string{"distribution 2 (connected communities)", "--distribution 2=COMMUNITY"}},
		{"3 all communities, mapped", `"distribution":"3"`, mapped, []string{"ALL"}, nil},
		{"3 all communities, unknown: refused", `"distribution":"3"`, bare, nil, []string{"distribution 3 (all communities)", "--distribution 3=COMMUNITY"}},
		{"4 sharing group mapped by name", sg, mapped, []string{"EST", "LTU", "LVA"}, nil},
		{"4 sharing group mapped by uuid", sg, byUUID, []string{"EST"}, nil},
		{"4 sharing group mapped by id", sg, byID, []string{"LVA"}, nil},
		{"4 sharing group with no mapping: refused", sg, bare, nil, []string{`sharing group "Baltic CERTs"`, "--sharing-group 'Baltic CERTs'=COMMUNITY"}},
		{"4 naming no sharing group: refused", `"distribution":"4"`, mapped, nil, []string{"names no sharing group"}},
		{"no distribution: refused", `"info2":"x"`, mapped, nil, []string{"has no distribution"}},
		{"undefined level 9: refused", `"distribution":"9"`, mapped, nil, []string{"distribution 9", "does not define"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := convertReader(t, strings.NewReader(event(true, tc.evDist, `"distribution":"5"`)), tc.opt)
			if tc.release == nil {
				if c.stats.Refused != 1 || len(c.raws) != 0 {
					t.Fatalf("want refused with nothing written, got %+v and %d objects", c.stats, len(c.raws))
				}
				for _, w := range append(tc.refusal, "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d") {
					if !strings.Contains(c.stats.Problems[0], w) {
						t.Errorf("refusal %q does not say %q", c.stats.Problems[0], w)
					}
				}
				return
			}
			rep := stixID("report", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
			got := c.releaseOf(t, rep)
			if len(got) != 1 || !slices.Equal(got[0], tc.release) {
				t.Errorf("report released to %v, want [%v]", got, tc.release)
			}
			ind := stixID("indicator", "6f1b2c3d-0000-4a6b-8c7d-000000000001")
			if g := c.releaseOf(t, ind); len(g) != 1 || !slices.Equal(g[0], tc.release) {
				t.Errorf("an inheriting attribute is released to %v, want [%v]", g, tc.release)
			}
		})
	}
}

// TestAttributeDistribution: an attribute's own distribution narrower than
// the event's adds its REL TO (the hub intersects them) and moves it to a
// grouping of its own, so the wider report lists nothing its readers may
// not read; a wider one adds nothing; a sharing group is always added.
func TestAttributeDistribution(t *testing.T) {
	opt := Options{Originator: "FRA", Distribution: map[int][]string{1: {"NATO"}, 2: {"NATO", "IP4"}, 3: {"ALL"}},
		SharingGroups: map[string][]string{"SG": {"FRA", "DEU"}}}
	sg := `"distribution":"4","SharingGroup":{"name":"SG"}`
	cases := []struct {
		name       string
		ev, attr   string
		want       [][]string // the indicator's REL TO markings
		ownGroup   bool
		refusedFor string
	}{
		{"5 inherits", `"distribution":"1"`, `"distribution":"5"`, [][]string{{"NATO"}}, false, ""},
		{"missing inherits", `"distribution":"1"`, `"x":1`, [][]string{{"NATO"}}, false, ""},
		{"0 in a community event narrows to the originator", `"distribution":"1"`, `"distribution":"0"`, [][]string{{"FRA"}, {"NATO"}}, true, ""},
		{"1 in an all-communities event narrows", `"distribution":"3"`, `"distribution":"1"`, [][]string{{"ALL"}, {"NATO"}}, true, ""},
		{"3 in a community event adds nothing (never wider than the event)", `"distribution":"1"`, `"distribution":"3"`, [][]string{{"NATO"}}, false, ""},
		{"2 in an organisation-only event adds nothing", `"distribution":"0"`, `"distribution":"2"`, [][]string{{"FRA"}}, false, ""},
		{"a sharing group in a community event: both", `"distribution":"1"`, sg, [][]string{{"DEU", "FRA"}, {"NATO"}}, true, ""},
		{"0 in a sharing-group event: both", sg, `"distribution":"0"`, [][]string{{"DEU", "FRA"}, {"FRA"}}, true, ""},
		{"an unmapped narrower level refuses the event", `"distribution":"3"`, `"distribution":"2"`, nil, false, "--distribution 2=COMMUNITY"},
		{"an unmapped sharing group on an attribute refuses the event", `"distribution":"1"`, `"distribution":"4","SharingGroup":{"name":"Other SG"}`, nil, false, "--sharing-group 'Other SG'=COMMUNITY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := opt
			if tc.refusedFor == "--distribution 2=COMMUNITY" {
				o.Distribution = map[int][]string{3: {"ALL"}}
			}
			c := convertReader(t, strings.NewReader(event(false, tc.ev, tc.attr)), o)
			if tc.refusedFor != "" {
				if c.stats.Refused != 1 || len(c.raws) != 0 || !strings.Contains(c.stats.Problems[0], tc.refusedFor) || !strings.Contains(c.stats.Problems[0], "attribute 6f1b2c3d-0000-4a6b-8c7d-000000000001") {
					t.Fatalf("want a refusal naming the attribute and %q: %+v", tc.refusedFor, c.stats)
				}
				return
			}
			ind := stixID("indicator", "6f1b2c3d-0000-4a6b-8c7d-000000000001")
			got := c.releaseOf(t, ind)
			slices.SortFunc(got, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("indicator released to %v, want %v", got, tc.want)
			}
			// An unpublished event is a grouping.
			main := c.objs[stixID("grouping", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")]
			if main == nil {
				t.Fatal("no grouping for the unpublished event")
			}
			inMain := slices.Contains(strs(main["object_refs"]), ind)
			if inMain == tc.ownGroup {
				t.Errorf("indicator in the event's grouping: %v, want %v", inMain, !tc.ownGroup)
			}
			if tc.ownGroup {
				found := false
				for _, o := range c.objs {
					if o["type"] == "grouping" && o["id"] != main["id"] && slices.Contains(strs(o["object_refs"]), ind) {
						found = true
						if fmt.Sprint(c.releaseOf(t, o["id"].(string))) != fmt.Sprint(c.releaseOf(t, ind)) {
							t.Errorf("the narrower grouping is released to %v, its indicator to %v", c.releaseOf(t, o["id"].(string)), c.releaseOf(t, ind))
						}
					}
				}
				if !found {
					t.Errorf("no grouping of its own for the narrower indicator")
				}
			}
		})
	}
}

// TestNoAttributeLost: every MISP attribute of the fixture, on the event
// and in objects, ends up in exactly one STIX object or x_misp_ property,
// and that place holds its value.
func TestNoAttributeLost(t *testing.T) {
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var doc eventDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var all []Attribute
	all = append(all, doc.Event.Attribute...)
	for _, o := range doc.Event.Object {
		all = append(all, o.Attribute...)
	}
	c := convertFile(t, fixture, testOptions())
	if c.stats.Attributes != len(all) {
		t.Errorf("converted %d attributes, the event has %d", c.stats.Attributes, len(all))
	}
	placed := 0
	for _, a := range all {
		ps := c.conv.Places[a.UUID]
		if len(ps) != 1 {
			t.Errorf("attribute %s (%s) placed %d times: %v", a.UUID, a.Type, len(ps), ps)
			continue
		}
		id, prop, _ := strings.Cut(ps[0], " ")
		o := c.objs[id]
		if o == nil {
			t.Errorf("attribute %s placed in %s, which was not written", a.UUID, id)
			continue
		}
		where := any(o)
		if prop != "" {
			if !strings.HasPrefix(prop, "x_misp_") {
				t.Errorf("attribute %s kept in %s, not an x_misp_ property", a.UUID, prop)
			}
			where = o[prop]
		}
		b, _ := json.Marshal(where)
		// The value, or its parts for "a|b" types, or the AS number.
		for _, part := range strings.Split(strings.TrimPrefix(a.Value, "AS"), "|") {
			enc, _ := json.Marshal(part)
			pat := strings.ReplaceAll(part, "'", `\\'`)
			if !bytes.Contains(b, enc[1:len(enc)-1]) && !bytes.Contains(b, []byte(pat)) {
				t.Errorf("attribute %s: %q not found in its place %s: %s", a.UUID, part, ps[0], b)
			}
		}
		placed++
	}
	if placed != len(all) {
		t.Errorf("%d of %d attributes placed", placed, len(all))
	}
	t.Logf("%d attributes, each in exactly one place; %d STIX objects", placed, len(c.raws))
}

// TestIdempotent: converting the same event twice gives the same objects,
// byte for byte, so a re-import is "already present".
func TestIdempotent(t *testing.T) {
	a := convertFile(t, fixture, testOptions())
	b := convertFile(t, fixture, testOptions())
	if len(a.raws) != len(b.raws) {
		t.Fatalf("%d then %d objects", len(a.raws), len(b.raws))
	}
	for i := range a.raws {
		if !bytes.Equal(a.raws[i], b.raws[i]) {
			t.Errorf("object %d differs:\n%s\n%s", i, a.raws[i], b.raws[i])
		}
	}
}

// TestReadForms: the three shapes a MISP export takes, and bad input named.
func TestReadForms(t *testing.T) {
	ev := event(true, `"distribution":"0"`, `"distribution":"5"`)
	cases := []struct {
		name    string
		in      string
		events  int
		refused int
		errWant string
	}{
		{"one event", ev, 1, 0, ""},
		{"a list", "[" + ev + "," + strings.Replace(ev, "6f1b2c3d-4e5f", "7f1b2c3d-4e5f", 1) + "]", 2, 0, ""},
		{"restSearch response", `{"response":[` + ev + `]}`, 1, 0, ""},
		{"a bad kind refuses its event only", "[" + strings.Replace(ev, `"to_ids":true`, `"to_ids":{"x":1}`, 1) + "," + ev + "]", 1, 1, ""},
		{"a bad timestamp refuses its event only", "[" + strings.Replace(ev, `"1700000000"`, `"yesterday"`, 1) + "," + ev + "]", 1, 1, ""},
		{"broken JSON", ev[:40], 0, 0, "ends in the middle"},
		{"not MISP", `{"type":"bundle"}`, 0, 0, "no \"Event\" found"},
		{"a number", `42`, 0, 0, "want {\"Event\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Convert(strings.NewReader(tc.in), Options{Originator: "FRA"}, func([]byte) error { return nil })
			if tc.errWant != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errWant) {
					t.Fatalf("error %v, want %q", err, tc.errWant)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Events != tc.events || st.Refused != tc.refused {
				t.Errorf("stats %+v", st)
			}
			for _, p := range st.Problems {
				if !strings.Contains(p, "MISP event 0") {
					t.Errorf("problem %q does not name the event", p)
				}
			}
		})
	}
}

// FuzzRead: no input makes the reader or converter panic, and whatever is
// written passes the hub's STIX validation.
func FuzzRead(f *testing.F) {
	raw, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(raw))
	f.Add(event(true, `"distribution":"0"`, `"distribution":"5"`))
	f.Add(`[{"Event":{"uuid":"x","timestamp":1,"distribution":4,"Object":[{"uuid":"y","Attribute":[{"uuid":"z","type":"AS","value":"ASx"}]}]}}]`)
	f.Add(`{"response":[{"Event":{}}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		opt := testOptions()
		opt.Distribution[2] = []string{"NATO"}
		done := make(chan bool)
		go func() {
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				panic(fmt.Sprintf("HANG %q", in))
			}
		}()
		defer close(done)
		_, _ = Convert(strings.NewReader(in), opt, func(b []byte) error {
			if _, err := stix.Decode(0, b); err != nil {
				t.Fatalf("invalid STIX written: %v\n%s", err, b)
			}
			return nil
		})
	})
}
