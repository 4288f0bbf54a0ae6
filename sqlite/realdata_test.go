package sqlite_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"
	"liaison/stix"
)

// stixData is where the real STIX bundles live, beside the repository.
var stixData = filepath.Join("..", "..", "shared", "data", "stix")

// loadBundle decodes a real bundle into candidates.
func loadBundle(t *testing.T, name string) []liaison.Candidate {
	t.Helper()
	f, err := os.Open(filepath.Join(stixData, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("real STIX data %s is absent: skipping", filepath.Join(stixData, name))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := stix.NewReader(f)
	var out []liaison.Candidate
	for {
		raw, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c, err := stix.Decode(r.Index(), raw)
		if err != nil {
			t.Fatalf("decode object %d of %s: %v", r.Index(), name, err)
		}
		out = append(out, c)
	}
}

// TestRealATTACKVersions writes ATT&CK Mobile 17.0 and then 17.1 into one
// collection: every object goes in, 17.1's newer versions become "last",
// and writing 17.1 again changes nothing.
func TestRealATTACKVersions(t *testing.T) {
	v170 := loadBundle(t, "mobile-attack-17.0.json")
	v171 := loadBundle(t, "mobile-attack-17.1.json")
	ctx := context.Background()
	s := open(t, t.TempDir(), time.Now)
	for _, o := range []liaison.Organisation{{Code: "USA", Name: "United States", Kind: liaison.Ally}, {Code: "JPN", Name: "Japan", Kind: liaison.Partner}} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	p := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &p, ""); err != nil {
		t.Fatal(err)
	}
	c := liaison.Collection{Title: "ATT&CK Mobile", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"USA"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	write := func(cs []liaison.Candidate) liaison.WriteResult {
		t.Helper()
		start := time.Now()
		res, err := s.AddObjects(ctx, p, c.ID, cs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Rejected {
			t.Errorf("rejected: %s", r.Message)
		}
		t.Logf("wrote %d objects in %v", len(cs), time.Since(start))
		return res
	}
	write(v170)
	res := write(v171)
	newer := map[string]time.Time{}
	for _, cand := range v171 {
		newer[cand.ID] = cand.Version()
	}
	present := 0
	for _, a := range res.Accepted {
		if a.Present {
			present++
		}
	}
	if present == 0 || present == len(v171) {
		t.Errorf("17.1 over 17.0: %d of %d present; want some but not all", present, len(v171))
	}
	jpn := liaison.Principal{Name: "jpn", Org: "JPN", Roles: []liaison.Role{liaison.RoleReader}}
	q := liaison.ObjectQuery{Limit: sqlite.MaxPageSize}
	seen := 0
	for {
		page, err := s.Objects(ctx, jpn, c.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			seen++
			if want, ok := newer[v.ID]; ok && !v.Modified.Equal(want.UTC().Truncate(time.Microsecond)) {
				t.Errorf("last of %s is %v, want 17.1's %v", v.ID, v.Modified, want)
			}
		}
		if !page.More {
			break
		}
		q.Next = page.Next
	}
	if seen < len(v171) {
		t.Errorf("JPN reads %d latest versions, want at least 17.1's %d", seen, len(v171))
	}
	res = write(v171)
	for _, a := range res.Accepted {
		if !a.Present {
			t.Errorf("rewriting 17.1: %s is not present", a.ID)
			break
		}
	}
}
