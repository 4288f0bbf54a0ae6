package stix

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir is where the shared real STIX bundles live, relative to this
// package: the repository root's sibling shared/data/stix.
var dataDir = filepath.Join("..", "..", "shared", "data", "stix")

func realBundles(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "*.json"))
	if len(files) == 0 {
		t.Skipf("real STIX data not found in %s: skipping (it lives beside the repository, not in it)", dataDir)
	}
	return files
}

// TestRealBundles decodes every object of the shared real bundles (ATT&CK
// ICS and Mobile, DISARM) and expects no rejection.
func TestRealBundles(t *testing.T) {
	for _, path := range realBundles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r := NewReader(f)
			n, markings := 0, 0
			for {
				raw, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("reader: %v", err)
				}
				c, err := Decode(r.Index(), raw)
				if err != nil {
					t.Errorf("rejected: %v", err)
					continue
				}
				if c.Marking != nil {
					markings++
				}
				n++
			}
			if n < 600 {
				t.Errorf("decoded only %d objects", n)
			}
			if markings == 0 {
				t.Errorf("no marking-definition parsed")
			}
			hasBundleSV := strings.Contains(filepath.Base(path), "mobile-attack-17.0")
			if hasBundleSV != (len(r.Warnings()) > 0) {
				t.Errorf("warnings = %q", r.Warnings())
			}
			t.Logf("%d objects, warnings %q", n, r.Warnings())
		})
	}
}
