package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liaison"
	"liaison/sqlite"
)

// TestImportRefusesAnInstanceTwice: SQLite's versions_key is not unique,
// so the snapshot import itself refuses a version instance (collection,
// id, version, originator) named twice, and writes nothing.
func TestImportRefusesAnInstanceTwice(t *testing.T) {
	c, _ := initialised(t)
	c.must("correct horse battery\n", "user", "add", "usa-analyst", "--org", "USA", "--role", "analyst")
	c.must("", "collection", "add", "--title", "Cyber", "--topic", "cyber", "--read", "NATO", "--write", "NATO")
	bundle := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[`+
		`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("", "import", "--as", "usa-analyst", bundle)

	ctx := context.Background()
	from, err := sqlite.Open(ctx, c.data, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	to, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "to"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	doubled := false
	err = to.Import(ctx, func(emit func(liaison.SnapshotPart) error) error {
		return from.Export(ctx, func(p liaison.SnapshotPart) error {
			if len(p.Versions) > 0 && !doubled {
				p.Versions = append(p.Versions, p.Versions[0])
				doubled = true
			}
			return emit(p)
		})
	})
	if !doubled {
		t.Fatal("the export held no version to double")
	}
	if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("import of an instance named twice: %v, want invalid, naming it", err)
	}
	if err := to.Export(ctx, func(p liaison.SnapshotPart) error {
		if len(p.Versions) > 0 {
			t.Errorf("the refused import wrote %d versions", len(p.Versions))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
