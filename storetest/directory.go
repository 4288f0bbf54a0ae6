package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"liaison"
)

func testOrganisations(t *testing.T, open Opener) {
	w := withOrganisations(t, open)
	ctx := w.ctx
	w.must(w.s.CreateCommunity(ctx, liaison.Community{Name: "QUAD", Members: []string{"USA", "JPN", "AUS"}}))
	for _, tc := range []struct {
		name string
		org  liaison.Organisation
		code string
	}{
		{"duplicate", liaison.Organisation{Code: "USA", Name: "again", Kind: liaison.Ally}, liaison.ECONFLICT},
		{"community name", liaison.Organisation{Code: "QUAD", Name: "q", Kind: liaison.Ally}, liaison.ECONFLICT},
		{"malformed code", liaison.Organisation{Code: "usa", Name: "x", Kind: liaison.Ally}, liaison.EINVALID},
		{"built-in community", liaison.Organisation{Code: "NATO", Name: "x", Kind: liaison.NATOBody}, liaison.EINVALID},
		{"no kind", liaison.Organisation{Code: "ITA", Name: "Italy"}, liaison.EINVALID},
		{"bad zone", liaison.Organisation{Code: "ITA", Name: "Italy", Kind: liaison.Ally, TimeZone: "Mars/Base"}, liaison.EINVALID},
		{"ok", liaison.Organisation{Code: "ITA", Name: "Italy", Kind: liaison.Ally, TimeZone: "Europe/Rome"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, w.s.CreateOrganisation(ctx, tc.org), tc.code)
		})
	}
	got, err := w.s.Organisation(ctx, "JPN")
	w.must(err)
	if got != orgs[3] {
		t.Errorf("Organisation(JPN) = %+v, want %+v", got, orgs[3])
	}
	_, err = w.s.Organisation(ctx, "XXX")
	wantCode(t, err, liaison.ENOTFOUND)
	all, err := w.s.Organisations(ctx)
	w.must(err)
	var codes []string
	for _, o := range all {
		codes = append(codes, o.Code)
	}
	want := []string{"AUS", "FRA", "ITA", "JPN", "KOR", "NATO-IS", "USA"}
	if !slices.Equal(codes, want) {
		t.Errorf("Organisations = %v, want %v", codes, want)
	}
	d, err := w.s.Directory(ctx)
	w.must(err)
	if got := d.Expand("NATO"); !slices.Equal(got, liaison.NewAudience("FRA", "ITA", "NATO-IS", "USA")) {
		t.Errorf("directory NATO = %v", got)
	}
	if !d.Now.Equal(start) {
		t.Errorf("directory is at %v, want the store's clock %v", d.Now, start)
	}
}

func testCommunities(t *testing.T, open Opener) {
	w := withOrganisations(t, open)
	ctx := w.ctx
	for _, tc := range []struct {
		name string
		c    liaison.Community
		code string
	}{
		{"ok", liaison.Community{Name: "QUAD", Members: []string{"USA", "JPN", "AUS"}}, ""},
		{"nested", liaison.Community{Name: "WIDE", Members: []string{"QUAD", "IP4", "FRA"}}, ""},
		{"duplicate", liaison.Community{Name: "QUAD", Members: []string{"USA"}}, liaison.ECONFLICT},
		{"organisation code", liaison.Community{Name: "USA", Members: []string{"FRA"}}, liaison.ECONFLICT},
		{"unknown member", liaison.Community{Name: "BAD", Members: []string{"USA", "XYZ"}}, liaison.EINVALID},
		{"built-in", liaison.Community{Name: "NATO", Members: []string{"USA"}}, liaison.EINVALID},
		{"no members", liaison.Community{Name: "NONE"}, liaison.EINVALID},
		{"malformed", liaison.Community{Name: "quad", Members: []string{"USA"}}, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, w.s.CreateCommunity(ctx, tc.c), tc.code)
		})
	}
	wantCode(t, w.s.SetCommunityMembers(ctx, "NOPE", []string{"USA"}), liaison.ENOTFOUND)
	wantCode(t, w.s.SetCommunityMembers(ctx, "QUAD", []string{"USA", "XYZ"}), liaison.EINVALID)
	wantCode(t, w.s.SetCommunityMembers(ctx, "QUAD", nil), liaison.EINVALID)
	cs, err := w.s.Communities(ctx)
	w.must(err)
	want := []liaison.Community{{Name: "QUAD", Members: []string{"USA", "JPN", "AUS"}}, {Name: "WIDE", Members: []string{"QUAD", "IP4", "FRA"}}}
	if !equalCommunities(cs, want) {
		t.Errorf("after failed changes Communities = %+v, want %+v", cs, want)
	}
	w.must(w.s.SetCommunityMembers(ctx, "QUAD", []string{"USA", "KOR"}))
	cs, err = w.s.Communities(ctx)
	w.must(err)
	want[0].Members = []string{"USA", "KOR"}
	if !equalCommunities(cs, want) {
		t.Errorf("Communities = %+v, want %+v", cs, want)
	}
	d, err := w.s.Directory(ctx)
	w.must(err)
	if got := d.Expand("WIDE"); !slices.Equal(got, liaison.NewAudience("AUS", "FRA", "JPN", "KOR", "USA")) {
		t.Errorf("WIDE expands to %v", got)
	}
}

func equalCommunities(a, b []liaison.Community) bool {
	return slices.EqualFunc(a, b, func(x, y liaison.Community) bool { return x.Name == y.Name && slices.Equal(x.Members, y.Members) })
}

func testAgreements(t *testing.T, open Opener) {
	w := withOrganisations(t, open)
	ctx := w.ctx
	from := time.Date(2010, 6, 25, 0, 0, 0, 0, time.UTC)
	sec := liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, Name: "NATO-Japan security agreement", MaxClassification: liaison.NATOConfidential, From: from}
	itpp := liaison.Agreement{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP 2023-2026",
		From: time.Date(2023, 7, 12, 0, 0, 0, 0, time.UTC), Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Areas: []string{"cyber defence", "space security"}, Objectives: []string{"interoperability"}}
	for _, tc := range []struct {
		name string
		a    liaison.Agreement
		code string
	}{
		{"security", sec, ""},
		{"programme", itpp, ""},
		{"ally is no partner", liaison.Agreement{Partner: "FRA", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret}, liaison.EINVALID},
		{"unknown partner", liaison.Agreement{Partner: "XYZ", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret}, liaison.EINVALID},
		{"no level", liaison.Agreement{Partner: "AUS", Kind: liaison.SecurityAgreement}, liaison.EINVALID},
		{"ends before it starts", liaison.Agreement{Partner: "AUS", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, From: from, Until: from.AddDate(-1, 0, 0)}, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.a
			err := w.s.CreateAgreement(ctx, &a)
			wantCode(t, err, tc.code)
			if err == nil && a.ID == 0 {
				t.Error("CreateAgreement did not set the id")
			}
		})
	}
	as, err := w.s.Agreements(ctx)
	w.must(err)
	if len(as) != 2 || as[0].ID >= as[1].ID {
		t.Fatalf("Agreements = %+v, want 2 ordered by id", as)
	}
	got := as[1]
	itpp.ID = got.ID
	if got.Partner != itpp.Partner || got.Kind != itpp.Kind || got.Name != itpp.Name || !got.From.Equal(itpp.From) || !got.Until.Equal(itpp.Until) ||
		!slices.Equal(got.Areas, itpp.Areas) || !slices.Equal(got.Objectives, itpp.Objectives) {
		t.Errorf("stored programme %+v, want %+v", got, itpp)
	}
	if as[0].MaxClassification != liaison.NATOConfidential || !as[0].Until.IsZero() {
		t.Errorf("stored security agreement %+v", as[0])
	}
	end := as[0]
	end.Until = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	w.must(w.s.UpdateAgreement(ctx, end))
	as, err = w.s.Agreements(ctx)
	w.must(err)
	if !as[0].Until.Equal(end.Until) {
		t.Errorf("after update Until = %v, want %v", as[0].Until, end.Until)
	}
	missing := end
	missing.ID = 9999
	wantCode(t, w.s.UpdateAgreement(ctx, missing), liaison.ENOTFOUND)
	bad := end
	bad.Partner = "USA"
	wantCode(t, w.s.UpdateAgreement(ctx, bad), liaison.EINVALID)
}

// testDirectoryRollback checks that a directory change that fails part way
// (here: its recompute is cancelled) leaves nothing changed.
func testDirectoryRollback(t *testing.T, open Opener) {
	w := newWorld(t, open)
	m := hubMarking(oid("marking-definition", 1), liaison.NoClassification, "QUAD")
	w.must(w.s.CreateCommunity(w.ctx, liaison.Community{Name: "QUAD", Members: []string{"USA", "JPN"}}))
	w.add("USA", w.shared, m, sdo(oid("indicator", 1), day(0), m.ID))
	w.expectSeen(w.shared, oid("indicator", 1), "JPN", "USA")

	cancelling := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		return liaison.WithProgress(ctx, func(done, total int64) { cancel() })
	}
	ctx := cancelling()
	if err := w.s.CreateOrganisation(ctx, liaison.Organisation{Code: "DEU", Name: "Germany", Kind: liaison.Ally}); err == nil {
		t.Fatal("CreateOrganisation with a cancelled recompute succeeded")
	}
	if _, err := w.s.Organisation(w.ctx, "DEU"); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("a failed CreateOrganisation left the organisation behind: %v", err)
	}
	if err := w.s.SetCommunityMembers(cancelling(), "QUAD", []string{"USA", "AUS"}); err == nil {
		t.Fatal("SetCommunityMembers with a cancelled recompute succeeded")
	}
	cs, err := w.s.Communities(w.ctx)
	w.must(err)
	if len(cs) != 1 || !slices.Equal(cs[0].Members, []string{"USA", "JPN"}) {
		t.Errorf("a failed SetCommunityMembers changed the community: %+v", cs)
	}
	a := liaison.Agreement{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP"}
	if err := w.s.CreateAgreement(cancelling(), &a); err == nil {
		t.Fatal("CreateAgreement with a cancelled recompute succeeded")
	}
	if as, err := w.s.Agreements(w.ctx); err != nil || len(as) != 0 {
		t.Errorf("a failed CreateAgreement left %v (%v)", as, err)
	}
	w.expectSeen(w.shared, oid("indicator", 1), "JPN", "USA")
	// The same change goes through afterwards.
	w.must(w.s.SetCommunityMembers(w.ctx, "QUAD", []string{"USA", "AUS"}))
	w.expectSeen(w.shared, oid("indicator", 1), "AUS", "USA")
}
