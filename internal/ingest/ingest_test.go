package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/internal/ingest"
	"liaison/sqlite"
)

func indicator(n int, refs ...string) string {
	marks := ""
	if len(refs) > 0 {
		marks = `,"object_marking_refs":["` + strings.Join(refs, `","`) + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08d-0000-4000-8000-000000000000","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"%s}`, n, marks)
}

// TestBundle streams bundles into a real store: a marking-definition that
// comes after the objects naming it, an invalid object among good ones,
// the import's defaults on unmarked objects only, and a bundle cut short,
// whose error says it came from reading.
func TestBundle(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, o := range []liaison.Organisation{{Code: "USA", Name: "United States", Kind: liaison.Ally}, {Code: "JPN", Name: "Japan", Kind: liaison.Partner}} {
		if err := st.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	p := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := st.CreateUser(ctx, &p, "x"); err != nil {
		t.Fatal(err)
	}
	c := liaison.Collection{Title: "C", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := st.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	const rel = "marking-definition--0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a"
	late := `{"type":"marking-definition","spec_version":"2.1","id":"` + rel + `","created":"2024-01-01T00:00:00.000Z","extensions":{"` + liaison.HubMarkingExtensionID + `":{"extension_type":"property-extension","releasable_to":["USA"]}}}`
	for _, tc := range []struct {
		name                     string
		bundle                   string
		defaults                 []string
		added, present, rejected int
		readErr                  bool
	}{
		{"a marking after its objects", `{"type":"bundle","objects":[` + indicator(1, rel) + `,` + indicator(2) + `,{"type":"indicator","id":"indicator--x"},` + late + `]}`, []string{liaison.TLPRedID}, 3, 0, 1, false},
		{"again", `{"type":"bundle","objects":[` + indicator(1, rel) + `,` + indicator(2) + `]}`, nil, 0, 2, 0, false},
		{"cut short", `{"type":"bundle","objects":[` + indicator(3) + `,{"type":`, nil, 0, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := ingest.Bundle(ctx, st, p, c.ID, strings.NewReader(tc.bundle), ingest.Options{DefaultMarkings: tc.defaults})
			var re *ingest.ReadError
			if tc.readErr != errors.As(err, &re) || !tc.readErr && err != nil {
				t.Fatalf("err %v, want a read error: %v", err, tc.readErr)
			}
			if sum.Added != tc.added || sum.Present != tc.present || len(sum.Rejected) != tc.rejected {
				t.Errorf("%+v", sum)
			}
		})
	}
	// The unmarked one took the import's default; the marked one did not.
	pg, err := st.Objects(ctx, p, c.ID, liaison.ObjectQuery{Types: []string{"indicator"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range pg.Versions {
		want := ""
		if v.ID == "indicator--00000002-0000-4000-8000-000000000000" {
			want = liaison.TLPRedID
		}
		if v.DefaultMarking != want {
			t.Errorf("%s: default %q, want %q", v.ID, v.DefaultMarking, want)
		}
	}
	jpn := liaison.Principal{Name: "jpn", Org: "JPN", Roles: []liaison.Role{liaison.RoleReader}}
	if pg, err := st.Objects(ctx, jpn, c.ID, liaison.ObjectQuery{Types: []string{"indicator"}}); err != nil || len(pg.Versions) != 0 {
		t.Errorf("JPN reads %d indicators marked REL TO USA and TLP:RED (%v)", len(pg.Versions), err)
	}
}
