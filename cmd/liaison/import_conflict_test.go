package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportChangedMarkingIsConflict: a marking-definition changed under
// the same id (as MITRE's copyright marking did in ATT&CK Mobile 14.1) is
// reported as conflicting, listed apart from rejections, and the first one
// stays; the objects it marks go in.
func TestImportChangedMarkingIsConflict(t *testing.T) {
	c, _ := initialised(t)
	c.must("analyst passphrase\n", "user", "add", "cert", "--org", "FRA", "--role", "analyst")
	id := strings.TrimSpace(c.must("", "collection", "add", "--title", "T", "--topic", "cyber", "--read", "NATO", "--write", "NATO").stdout)
	const mid = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"
	bundle := func(statement, malware, name string) string {
		return `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"marking-definition","spec_version":"2.1","id":"` + mid + `","created":"2017-06-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"` + statement + `"}},
 {"type":"malware","spec_version":"2.1","id":"` + malware + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"` + name + `","is_family":true,"object_marking_refs":["` + mid + `"]}
]}`
	}
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := os.WriteFile(first, []byte(bundle("Copyright 2017, The MITRE Corporation", "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", "A")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte(bundle("Copyright 2015-2024, The MITRE Corporation. MITRE ATT&CK and ATT&CK are registered trademarks.", "malware--fb1b9a8c-1b8f-4e0b-9b6a-2f5e4c3d2a10", "B")), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("", "import", "--as", "cert", "--collection", id, first)
	r := c.run("", "import", "--as", "cert", "--collection", id, second)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (a conflict is no rejection): %s", r.code, r.stderr)
	}
	for _, want := range []string{"1 added, 0 already present, 1 conflicting, 0 rejected", "  conflicting: object 0 (" + mid + ")", "other content"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("import summary lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "  rejected:") {
		t.Errorf("the changed marking is listed as rejected:\n%s", r.stderr)
	}
	out := c.must("", "export", "--as", "cert", "--collection", id).stdout
	if !strings.Contains(out, "Copyright 2017, The MITRE Corporation") || strings.Contains(out, "2015-2024") {
		t.Errorf("the first marking-definition must stay:\n%s", out)
	}
}
