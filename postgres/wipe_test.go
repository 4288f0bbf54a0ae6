package postgres_test

import (
	"context"
	"testing"

	"liaison"
	"liaison/bench"
)

// TestWipe fills an office (objects with their search documents and
// relationship ends included) and wipes it: the store is empty again,
// as init and copy need after a failed fill, and takes a new office.
func TestWipe(t *testing.T) {
	s := open(t, nil)
	ctx := context.Background()
	p, c := smallOffice(t, s)
	g := bench.NewGenerator(3)
	if _, err := s.AddObjects(ctx, p, c.ID, benchCandidates(t, g, 200)); err != nil {
		t.Fatal(err)
	}
	if err := s.Wipe(ctx); err != nil {
		t.Fatalf("wipe: %v", err)
	}
	if empty, err := s.Empty(ctx); err != nil || !empty {
		t.Fatalf("after the wipe: empty %v, %v", empty, err)
	}
	if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}); err != nil {
		t.Fatalf("a new office after the wipe: %v", err)
	}
}
