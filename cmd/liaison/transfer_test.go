package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// sharedSTIX returns the folder of real STIX bundles, or skips the test
// when the repository is not checked out beside ../shared.
func sharedSTIX(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "stix")
	if _, err := os.Stat(filepath.Join(dir, "ics-attack-18.1.json")); err != nil {
		t.Skipf("real STIX data not found at %s (it sits beside the repository in CI): %v", dir, err)
	}
	return dir
}

// rawObjects reads a bundle's objects with encoding/json, independently of
// our own stix package, keeping each object's exact bytes.
func rawObjects(t *testing.T, r io.Reader) []json.RawMessage {
	t.Helper()
	var b struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(r).Decode(&b); err != nil {
		t.Fatalf("decode bundle: %v", err)
	}
	if b.Type != "bundle" {
		t.Fatalf("type %q, want bundle", b.Type)
	}
	return b.Objects
}

func versionKey(t *testing.T, raw []byte) string {
	var o struct{ ID, Modified, Created string }
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	v := o.Modified
	if v == "" {
		v = o.Created
	}
	return o.ID + "|" + v
}

// TestImportExportRealData imports the four real bundles, mobile 17.0
// before 17.1, and checks nothing is rejected, both versions of changed
// objects are kept, and export gives every version back byte for byte.
func TestImportExportRealData(t *testing.T) {
	dir := sharedSTIX(t)
	if testing.Short() {
		t.Skip("imports 8,800 real objects; skipped in -short")
	}
	c, _ := initialised(t)
	c.must("analyst passphrase\n", "user", "add", "cert", "--org", "NATO-IS", "--role", "analyst")
	id := strings.TrimSpace(c.must("", "collection", "add", "--title", "ATT&CK and DISARM", "--topic", "cyber", "--read", "ALL", "--write", "NATO").stdout)

	files := []string{"ics-attack-18.1.json", "mobile-attack-17.0.json", "mobile-attack-17.1.json", "disarm.json"}
	want := map[string][]byte{}
	changed := 0
	ids := map[string]int{}
	for _, f := range files {
		path := filepath.Join(dir, f)
		// Versions already imported with other content are conflicting:
		// counted apart, the first kept (mobile 17.1 reuses 17.0's
		// modified for objects it changed).
		conflicting := 0
		if fh, err := os.Open(path); err == nil {
			for _, raw := range rawObjects(t, fh) {
				if prev, ok := want[versionKey(t, raw)]; ok && !sameJSON(prev, raw) {
					conflicting++
				}
			}
			fh.Close()
		}
		r := c.must("", "import", "--as", "cert", "--collection", id, path)
		if !strings.Contains(r.stderr, fmt.Sprintf(" %d conflicting, 0 rejected", conflicting)) {
			t.Errorf("import %s: want %d conflicting, 0 rejected: %s", f, conflicting, r.stderr)
		}
		if f == "mobile-attack-17.1.json" {
			if conflicting == 0 {
				t.Errorf("mobile 17.1 reuses no version of 17.0 with other content: the test data is not what it should be")
			}
			if !strings.Contains(r.stderr, "  conflicting: object ") {
				t.Errorf("import %s names no conflicting object: %s", f, r.stderr)
			}
			t.Logf("mobile 17.1 over 17.0: %d conflicting versions", conflicting)
		}
		if f == "mobile-attack-17.0.json" && !strings.Contains(r.stderr, "warning") {
			t.Errorf("import %s: want a warning about the bundle-level spec_version, got %s", f, r.stderr)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range rawObjects(t, fh) {
			k := versionKey(t, raw)
			if _, dup := want[k]; !dup {
				want[k] = raw
				objID, _, _ := strings.Cut(k, "|")
				ids[objID]++
				if ids[objID] == 2 {
					changed++
				}
			}
		}
		fh.Close()
	}
	if changed == 0 {
		t.Fatal("mobile 17.1 changed no object of 17.0: the test data is not what it should be")
	}

	out := filepath.Join(t.TempDir(), "export.json")
	c.must("", "export", "--as", "cert", "--collection", id, "--output", out)
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	got := rawObjects(t, fh)
	if len(got) != len(want) {
		t.Errorf("export has %d object versions, want %d (with %d objects in two versions)", len(got), len(want), changed)
	}
	mismatch := 0
	for _, raw := range got {
		k := versionKey(t, raw)
		if w, ok := want[k]; !ok || !bytes.Equal(w, raw) {
			mismatch++
			if mismatch < 3 {
				t.Errorf("exported %s differs from the imported bytes", k)
			}
		}
	}
	if mismatch > 0 {
		t.Errorf("%d of %d exported versions differ from what was imported", mismatch, len(got))
	}

	// Importing the same file again adds nothing.
	r := c.must("", "import", "--as", "cert", "--collection", id, filepath.Join(dir, "disarm.json"))
	if !strings.Contains(r.stderr, ": 0 added, 698 already present, 0 conflicting, 0 rejected") {
		t.Errorf("second import of disarm.json: %s", r.stderr)
	}
}

// TestImportKeepsValidObjects imports a bundle that mixes valid and invalid
// objects: the valid ones are stored, each invalid one is named, and the
// command exits 2.
func TestImportKeepsValidObjects(t *testing.T) {
	c, _ := initialised(t)
	c.must("analyst passphrase\n", "user", "add", "cert", "--org", "FRA", "--role", "analyst")
	id := strings.TrimSpace(c.must("", "collection", "add", "--title", "T", "--topic", "cyber", "--read", "NATO", "--write", "NATO").stdout)
	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"A","is_family":true},
 {"type":"indicator","spec_version":"2.1","id":"indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[file:name = ","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
 {"type":"malware","spec_version":"2.1","id":"malware--fb1b9a8c-1b8f-4e0b-9b6a-2f5e4c3d2a10","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"B","is_family":true,"object_marking_refs":["marking-definition--11111111-2222-4333-8444-555555555555"]},
 {"type":"malware","spec_version":"2.1","id":"malware--9c1c1d0e-7a4b-4c2d-8e3f-1a2b3c4d5e6f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"C","is_family":true}
]}`
	path := filepath.Join(t.TempDir(), "mixed.json")
	if err := os.WriteFile(path, []byte(bundle), 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "import", "--as", "cert", "--collection", id, path)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
	}
	for _, want := range []string{"2 added", "2 rejected", "indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2", "pattern", "marking-definition--11111111-2222-4333-8444-555555555555"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("import summary lacks %q:\n%s", want, r.stderr)
		}
	}
	out := c.must("", "export", "--as", "cert", "--collection", id).stdout
	got := rawObjects(t, strings.NewReader(out))
	var names []string
	for _, raw := range got {
		var o struct{ Name string }
		_ = json.Unmarshal(raw, &o)
		names = append(names, o.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "A,C" {
		t.Errorf("stored objects %v, want A and C", names)
	}
}

// TestImportStdin reads a bundle from standard input.
func TestImportStdin(t *testing.T) {
	c, _ := initialised(t)
	c.must("analyst passphrase\n", "user", "add", "cert", "--org", "FRA", "--role", "analyst")
	c.must("", "collection", "add", "--title", "T", "--topic", "cyber", "--read", "NATO", "--write", "NATO")
	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"A","is_family":true}]}`
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(bundle), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), e, []string{"import", "--data", c.data, "--as", "cert", "-"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "1 added") {
		t.Errorf("summary: %s", errb.String())
	}
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b []byte) bool {
	var va, vb any
	return json.Unmarshal(a, &va) == nil && json.Unmarshal(b, &vb) == nil && reflect.DeepEqual(va, vb)
}
