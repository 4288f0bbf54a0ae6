package leaktest_test

import (
	"context"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

// Rule 8 with rule 2: an unmarked version takes the default marking of the
// collection it is FIRST written to, the choice is recorded with the
// version, and the version has the same audience in every collection.
// Written first to a collection whose default is TLP:RED, it stays for its
// originator alone when the originator later adds the same version to a
// NATO collection without a default; and the other way round.
func TestDefaultMarkingOfFirstCollection(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) })
	for _, o := range []liaison.Organisation{
		{Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody},
	} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	writer := liaison.Principal{Name: "is.analyst", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &writer, ""); err != nil {
		t.Fatal(err)
	}
	red := liaison.Collection{Title: "red by default", Topic: "cyber", Read: []string{"NATO"}, Write: []string{"NATO"}, DefaultMarking: liaison.TLPRedID}
	plain := liaison.Collection{Title: "no default", Topic: "cyber", Read: []string{"NATO"}, Write: []string{"NATO"}}
	for _, c := range []*liaison.Collection{&red, &plain} {
		if err := s.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	add := func(coll, raw string) {
		t.Helper()
		c, err := stix.Decode(0, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.AddObjects(ctx, writer, coll, []liaison.Candidate{c})
		if err != nil || len(res.Accepted) != 1 {
			t.Fatalf("add to %s: %v %+v", coll, err, res)
		}
	}
	firstRed := `{"type":"campaign","spec_version":"2.1","id":"campaign--11111111-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"first written to the RED-default collection"}`
	firstPlain := `{"type":"campaign","spec_version":"2.1","id":"campaign--22222222-2222-4222-8222-222222222222","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"first written to the collection without default"}`
	add(red.ID, firstRed)
	add(plain.ID, firstRed)
	add(plain.ID, firstPlain)
	add(red.ID, firstPlain)

	fra := liaison.Principal{Name: "fra.reader", Org: "FRA", Roles: []liaison.Role{liaison.RoleReader}}
	read := func(coll string) []liaison.Version {
		pg, err := s.Objects(ctx, fra, coll, liaison.ObjectQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return pg.Versions
	}
	for _, v := range read(plain.ID) {
		if v.ID == "campaign--11111111-1111-4111-8111-111111111111" {
			t.Errorf("LEAK: FRA reads %s in the collection without default (default marking recorded %q), though the version was first written to a TLP:RED-default collection and is for its originator alone", v.ID, v.DefaultMarking)
		}
	}
	found := false
	for _, v := range read(red.ID) {
		found = found || v.ID == "campaign--22222222-2222-4222-8222-222222222222"
	}
	if !found {
		t.Errorf("FRA does not read campaign--2222… in the RED-default collection, though it was first written unmarked to a collection without default and so has no marking at all")
	}
}
