package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportMISP imports the misp package's fixture event through the
// command line into a real store: refused while its distribution is
// ambiguous, then mapped with flags; the re-import adds nothing; each
// reader reads exactly what the distribution released to them; galaxies
// link to the stored ATT&CK object.
func TestImportMISP(t *testing.T) {
	c, _ := initialised(t)
	for _, u := range [][2]string{{"usa-analyst", "USA"}, {"fra-analyst", "FRA"}, {"jpn-analyst", "JPN"}} {
		c.must("analyst passphrase\n", "user", "add", u[0], "--org", u[1], "--role", "analyst")
	}
	coll := strings.TrimSpace(c.must("", "collection", "add", "--title", "CERT feeds", "--topic", "cyber", "--read", "ALL", "--write", "ALL").stdout)
	dir := t.TempDir()
	ap := filepath.Join(dir, "attack.json")
	const t1566 = "attack-pattern--a62a8db3-f23a-4d8f-afd6-9dbc77e7813b"
	if err := os.WriteFile(ap, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"attack-pattern","spec_version":"2.1","id":"`+t1566+`","created":"2020-03-02T18:45:07.892Z","modified":"2024-01-01T00:00:00.000Z","name":"Phishing","external_references":[{"source_name":"mitre-attack","external_id":"T1566"}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("", "import", "--as", "usa-analyst", "--collection", coll, ap)
	event := filepath.Join("..", "..", "misp", "testdata", "event.json")

	// Ambiguous: refused whole, naming the flags that would map it.
	r := c.run("", "import", "--as", "usa-analyst", "--collection", coll, "--format", "misp", event)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
	}
	for _, want := range []string{"0 added", "--distribution 1=COMMUNITY", `sharing group "Ministries SG"`, "--sharing-group 'Ministries SG'=COMMUNITY", "0 events converted", "1 refused"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, r.stderr)
		}
	}
	// Bad flags: a code the hub does not know, a level that is not 1–3.
	for _, bad := range [][]string{{"--distribution", "1=NATOO"}, {"--distribution", "0=NATO"}, {"--sharing-group", "SG"}} {
		r := c.run("", "import", "--as", "usa-analyst", "--collection", coll, "--format", "misp", bad[0], bad[1], event)
		if r.code != 2 || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("%v: exit %d, want 2 naming the flag: %s", bad, r.code, r.stderr)
		}
	}

	// Broken JSON: a 4xx-style error naming the place, never a crash.
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"Event": {"uuid": "x", "Attribute": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = c.run("", "import", "--as", "usa-analyst", "--collection", coll, "--format", "misp", "--distribution", "1=NATO", broken)
	if r.code != 2 || !strings.Contains(r.stderr, "byte") || !strings.Contains(r.stderr, "MISP") {
		t.Errorf("broken MISP file: exit %d: %s", r.code, r.stderr)
	}

	args := []string{"import", "--as", "usa-analyst", "--collection", coll, "--format", "misp", "--distribution", "1=NATO", "--sharing-group", "Ministries SG=USA,FRA", event}
	r = c.must("", args...)
	if !strings.Contains(r.stderr, " 0 conflicting, 0 rejected") || strings.Contains(r.stderr, " 0 added") || !strings.Contains(r.stderr, "1 events converted (18 attributes") {
		t.Fatalf("import: %s", r.stderr)
	}
	r = c.must("", args...)
	if !strings.Contains(r.stderr, ": 0 added,") || !strings.Contains(r.stderr, " 0 conflicting, 0 rejected") {
		t.Errorf("re-import must add nothing: %s", r.stderr)
	}

	read := func(user string) map[string]map[string]any {
		out := c.must("", "export", "--as", user, "--collection", coll).stdout
		objs := map[string]map[string]any{}
		for _, raw := range rawObjects(t, strings.NewReader(out)) {
			var o map[string]any
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			objs[o["id"].(string)] = o
		}
		return objs
	}
	hasValue := func(objs map[string]map[string]any, v string) bool {
		for _, o := range objs {
			b, _ := json.Marshal(o)
			if strings.Contains(string(b), v) {
				return true
			}
		}
		return false
	}
	cases := []struct {
		user  string
		value string
		reads bool
	}{
		{"usa-analyst", "198.51.100.7", true},       // community (NATO)
		{"fra-analyst", "198.51.100.7", true},       // community (NATO)
		{"jpn-analyst", "198.51.100.7", false},      // a partner, outside NATO
		{"usa-analyst", "9f86d081884c7d659a", true}, // distribution 0: the originator
		{"fra-analyst", "9f86d081884c7d659a", false},
		{"fra-analyst", "sender of the lure", false}, // an object of distribution 0
		{"usa-analyst", "sender of the lure", true},
		{"fra-analyst", "login-ministry.example/o", true}, // the sharing group: USA, FRA
		{"jpn-analyst", "Phishing wave", false},
		{"jpn-analyst", "CERT-EXAMPLE", false},
	}
	views := map[string]map[string]map[string]any{}
	for _, tc := range cases {
		if views[tc.user] == nil {
			views[tc.user] = read(tc.user)
		}
		if got := hasValue(views[tc.user], tc.value); got != tc.reads {
			t.Errorf("%s reads %q: %v, want %v", tc.user, tc.value, got, tc.reads)
		}
	}
	// Not even the REL TO marking-definitions: each is marked with itself.
	if n := len(views["jpn-analyst"]); n != 1 {
		t.Errorf("jpn-analyst reads %d objects, want only the ATT&CK one: %v", n, views["jpn-analyst"])
	}
	var report, link map[string]any
	for _, o := range views["fra-analyst"] {
		switch {
		case o["type"] == "report":
			report = o
		case o["type"] == "relationship" && o["target_ref"] == t1566 && o["relationship_type"] == "related-to":
			link = o
		}
	}
	if report == nil || link == nil || link["source_ref"] != report["id"] {
		t.Errorf("the report is not linked to the stored ATT&CK technique: report %v, link %v", report, link)
	}
}
