package taxii_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"liaison/taxii"
)

// dataDir is ../shared/data/stix beside the repository.
func dataDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(file))
	dir := filepath.Join(repo, "..", "shared", "data", "stix")
	if _, err := os.Stat(filepath.Join(dir, "mobile-attack-17.0.json")); err != nil {
		t.Skipf("real STIX data not found at %s (it sits beside the repository in the office's shared tree): %v", dir, err)
	}
	return dir
}

// TestRealATTACKVersions posts two releases of ATT&CK Mobile through TAXII
// (bundles posted as they are) and reads them back: every object of the
// first release is stored, the second adds new versions of the same ids,
// and the objects, versions and manifest endpoints agree with the files.
func TestRealATTACKVersions(t *testing.T) {
	dir := dataDir(t)
	if testing.Short() {
		t.Skip("posting two ATT&CK releases takes seconds; skipped in -short mode")
	}
	w := newWorld(t, worldOptions{})
	c := w.client("fra-analyst")

	var perFile []int
	for _, name := range []string{"mobile-attack-17.0.json", "mobile-attack-17.1.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var b struct{ Objects []json.RawMessage }
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		perFile = append(perFile, len(b.Objects))
		start := time.Now()
		st, err := c.AddEnvelope(t.Context(), w.root, w.coll["shared"], bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		el := time.Since(start)
		t.Logf("%s: %d objects, %d stored, %d failed, %v (%.0f objects/s over HTTP)", name, st.TotalCount, st.SuccessCount, st.FailureCount, el, float64(st.TotalCount)/el.Seconds())
		if st.TotalCount != len(b.Objects) || st.FailureCount != 0 {
			for _, f := range st.Failures[:min(5, len(st.Failures))] {
				t.Errorf("failure: %+v", f)
			}
			t.Fatalf("%s: total %d, failures %d", name, st.TotalCount, st.FailureCount)
		}
	}

	// Latest versions: paging through every object with the client.
	start := time.Now()
	latest := map[string]string{}
	n := 0
	for o, err := range c.Objects(t.Context(), w.root, w.coll["shared"], taxii.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ ID, Modified string }
		json.Unmarshal(o, &v)
		if _, dup := latest[v.ID]; dup {
			t.Fatalf("%s twice among the latest versions", v.ID)
		}
		latest[v.ID] = v.Modified
		n++
	}
	t.Logf("read %d latest versions in %v", n, time.Since(start))
	if n < perFile[1] {
		t.Errorf("%d latest versions, fewer than the second release's %d objects", n, perFile[1])
	}

	// An object changed between the releases has two versions; the latest
	// is the one served by default.
	two, examined := 0, 0
	for m, err := range c.Manifest(t.Context(), w.root, w.coll["shared"], taxii.Filter{Versions: []string{"first"}, Types: []string{"attack-pattern"}}) {
		if err != nil {
			t.Fatal(err)
		}
		if latest[m.ID] == "" {
			t.Fatalf("manifest names %s, objects did not", m.ID)
		}
		var vs []string
		for v, err := range c.Versions(t.Context(), w.root, w.coll["shared"], m.ID, taxii.Filter{}) {
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		if len(vs) == 2 {
			two++
			resp := w.request(http.MethodGet, w.objectsURL("shared")+m.ID+"/", "usa-analyst", nil)
			if got := ids(t, resp.Body); len(got) != 1 || !strings.HasSuffix(got[0], "@"+latest[m.ID]) {
				t.Errorf("%s: latest %v, want modified %s", m.ID, got, latest[m.ID])
			}
		}
		if examined++; two >= 10 || examined >= 60 {
			break
		}
	}
	if two == 0 {
		t.Errorf("no attack-pattern has two versions across the releases")
	}
}
