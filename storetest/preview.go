package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"liaison"
)

// readable returns what org's analyst reads in each collection, every
// version, as "collection/id@version" keys.
func (w *world) readable(org string, colls ...string) map[string]bool {
	w.t.Helper()
	out := map[string]bool{}
	p := w.user[org]
	for _, c := range colls {
		q := liaison.ObjectQuery{Versions: []string{"all"}}
		for range 10000 {
			page, err := w.s.Objects(w.ctx, p, c, q)
			if liaison.ErrorCode(err) == liaison.ENOTFOUND {
				break
			}
			w.must(err)
			for _, v := range page.Versions {
				out[c+"/"+key(v)] = true
			}
			if !page.More {
				break
			}
			q.Next = page.Next
		}
	}
	return out
}

// testPreviewDirectory checks the effect preview against the truth: for
// each change, what the preview says each organisation would gain and
// lose is what its analyst gains and loses once the change is made; and
// the preview itself changes nothing.
func testPreviewDirectory(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	admin := liaison.Principal{Name: "admin", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAdmin}}
	restricted := hubMarking(oid("marking-definition", 1), liaison.NATORestricted, "NATO", "IP4")
	quad := hubMarking(oid("marking-definition", 2), liaison.NoClassification, "QUAD")
	w.must(w.s.CreateCommunity(ctx, liaison.Community{Name: "QUAD", Members: []string{"USA", "JPN"}}))
	w.add("USA", w.shared, restricted, quad,
		sdo(oid("indicator", 1), day(0), restricted.ID),
		sdo(oid("indicator", 2), day(0), restricted.ID),
		sdo(oid("indicator", 3), day(0), quad.ID),
		sdo(oid("indicator", 4), day(0), liaison.TLPGreenID),
		relationship(oid("relationship", 1), oid("indicator", 1), oid("indicator", 4), day(0), liaison.TLPGreenID),
		relationship(oid("relationship", 2), oid("indicator", 3), oid("indicator", 4), day(0), liaison.TLPGreenID),
		relationship(oid("relationship", 3), oid("indicator", 2), oid("relationship", 1), day(0), liaison.TLPGreenID))
	w.add("USA", w.shared, sdo(oid("indicator", 1), day(1), restricted.ID))
	w.add("FRA", w.nato, sdo(oid("indicator", 5), day(0), liaison.TLPGreenID))
	// KOR writes a version it cannot read, and reads its own instance
	// (a shadow) until it may read the first.
	w.add("KOR", w.shared, sdo(oid("indicator", 2), day(0), liaison.TLPGreenID))
	colls := []string{w.shared, w.nato}

	// The truth, per organisation, of what a change did.
	snapshot := func() map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for code := range w.user {
			out[code] = w.readable(code, colls...)
		}
		return out
	}
	check := func(name string, change liaison.DirectoryChange, apply func()) {
		t.Helper()
		before := snapshot()
		eff, err := w.s.PreviewDirectory(ctx, admin, change)
		w.must(err)
		if again := snapshot(); !equalReads(again, before) {
			t.Fatalf("%s: the preview changed what is read", name)
		}
		apply()
		if code := orgOf(change); code != "" {
			w.addUser(code)
		}
		after := snapshot()
		byOrg := map[string]liaison.OrgEffect{}
		for _, e := range eff.Orgs {
			byOrg[e.Org] = e
		}
		for code := range w.user {
			var gain, lose int64
			for k := range after[code] {
				if !before[code][k] {
					gain++
				}
			}
			for k := range before[code] {
				if !after[code][k] {
					lose++
				}
			}
			want := liaison.OrgEffect{Org: code, Before: int64(len(before[code])), After: int64(len(after[code])), Gain: gain, Lose: lose}
			if got := byOrg[code]; got != want {
				t.Errorf("%s: preview for %s is %+v, the change did %+v", name, code, got, want)
			}
		}
		if eff.Versions != 11 { // two markings and eight versions in shared (one in two instances), one in nato
			t.Errorf("%s: the preview weighed %d versions, want 11", name, eff.Versions)
		}
	}
	kor := liaison.Agreement{Partner: "KOR", Kind: liaison.SecurityAgreement, Name: "NATO-Korea", MaxClassification: liaison.NATORestricted}
	check("agreement for KOR", liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &kor}, func() { w.must(w.s.CreateAgreement(ctx, &kor)) })
	ended := kor
	ended.Until = start
	check("KOR's agreement ended", liaison.DirectoryChange{Kind: liaison.UpdateAgreement, Agreement: &ended}, func() { w.must(w.s.UpdateAgreement(ctx, ended)) })
	members := liaison.Community{Name: "QUAD", Members: []string{"USA", "AUS", "KOR"}}
	check("QUAD's members", liaison.DirectoryChange{Kind: liaison.SetCommunityMembers, Community: &members}, func() { w.must(w.s.SetCommunityMembers(ctx, "QUAD", members.Members)) })
	wide := liaison.Community{Name: "WIDE", Members: []string{"QUAD", "FRA"}}
	check("a new community", liaison.DirectoryChange{Kind: liaison.AddCommunity, Community: &wide}, func() { w.must(w.s.CreateCommunity(ctx, wide)) })
	deu := liaison.Organisation{Code: "DEU", Name: "Germany", Kind: liaison.Ally, TimeZone: "Europe/Berlin"}
	check("a new ally", liaison.DirectoryChange{Kind: liaison.AddOrganisation, Organisation: &deu}, func() { w.must(w.s.CreateOrganisation(ctx, deu)) })
	renamed := liaison.Organisation{Code: "FRA", Name: "French Republic", Kind: liaison.Ally, TimeZone: "Europe/Paris"}
	check("a new name", liaison.DirectoryChange{Kind: liaison.UpdateOrganisation, Organisation: &renamed}, func() { w.must(w.s.UpdateOrganisation(ctx, renamed)) })

	for _, tc := range []struct {
		name   string
		reader liaison.Principal
		change liaison.DirectoryChange
		code   string
	}{
		{"an analyst", w.user["USA"], liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &kor}, liaison.EFORBIDDEN},
		{"an officer", liaison.Principal{Name: "o", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleOfficer}}, liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &kor}, liaison.EFORBIDDEN},
		{"an analyst, nothing to weigh", w.user["JPN"], liaison.DirectoryChange{}, liaison.EFORBIDDEN},
		{"an admin of no organisation here", liaison.Principal{Name: "ghost", Org: "XKX", Roles: []liaison.Role{liaison.RoleAdmin}}, liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &kor}, liaison.EFORBIDDEN},
		{"no change", admin, liaison.DirectoryChange{}, liaison.EINVALID},
		{"no field", admin, liaison.DirectoryChange{Kind: liaison.AddCommunity, Agreement: &kor}, liaison.EINVALID},
		{"an organisation taken", admin, liaison.DirectoryChange{Kind: liaison.AddOrganisation, Organisation: &renamed}, liaison.ECONFLICT},
		{"no such organisation", admin, liaison.DirectoryChange{Kind: liaison.UpdateOrganisation, Organisation: &liaison.Organisation{Code: "XYZ", Name: "x", Kind: liaison.Ally}}, liaison.ENOTFOUND},
		{"no such community", admin, liaison.DirectoryChange{Kind: liaison.SetCommunityMembers, Community: &liaison.Community{Name: "NONE", Members: []string{"USA"}}}, liaison.ENOTFOUND},
		{"a community taken", admin, liaison.DirectoryChange{Kind: liaison.AddCommunity, Community: &members}, liaison.ECONFLICT},
		{"no such agreement", admin, liaison.DirectoryChange{Kind: liaison.UpdateAgreement, Agreement: &liaison.Agreement{ID: 999, Partner: "KOR", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret}}, liaison.ENOTFOUND},
		{"an ally's agreement", admin, liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &liaison.Agreement{Partner: "FRA", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret}}, liaison.EINVALID},
		{"a kind changed", admin, liaison.DirectoryChange{Kind: liaison.UpdateOrganisation, Organisation: &liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Ally}}, liaison.EINVALID},
		{"an unknown member", admin, liaison.DirectoryChange{Kind: liaison.SetCommunityMembers, Community: &liaison.Community{Name: "QUAD", Members: []string{"XYZ"}}}, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.s.PreviewDirectory(ctx, tc.reader, tc.change)
			wantCode(t, err, tc.code)
		})
	}
}

func orgOf(c liaison.DirectoryChange) string {
	if c.Kind == liaison.AddOrganisation {
		return c.Organisation.Code
	}
	return ""
}

func equalReads(a, b map[string]map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y := b[k]
		if len(x) != len(y) {
			return false
		}
		for v := range x {
			if !y[v] {
				return false
			}
		}
	}
	return true
}

// testUpdateOrganisation changes a name and a zone, and refuses what it
// must.
func testUpdateOrganisation(t *testing.T, open Opener) {
	w := withOrganisations(t, open)
	ctx := w.ctx
	for _, tc := range []struct {
		name string
		org  liaison.Organisation
		code string
	}{
		{"ok", liaison.Organisation{Code: "JPN", Name: "Japan (MOFA)", Kind: liaison.Partner, TimeZone: "Asia/Tokyo"}, ""},
		{"zone cleared", liaison.Organisation{Code: "FRA", Name: "France", Kind: liaison.Ally}, ""},
		{"unknown", liaison.Organisation{Code: "XYZ", Name: "x", Kind: liaison.Ally}, liaison.ENOTFOUND},
		{"kind changed", liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Ally}, liaison.EINVALID},
		{"no name", liaison.Organisation{Code: "JPN", Kind: liaison.Partner}, liaison.EINVALID},
		{"bad zone", liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Partner, TimeZone: "Mars/Base"}, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, w.s.UpdateOrganisation(ctx, tc.org), tc.code)
			if tc.code != "" {
				return
			}
			got, err := w.s.Organisation(ctx, tc.org.Code)
			w.must(err)
			if got != tc.org {
				t.Errorf("after the update %s is %+v, want %+v", tc.org.Code, got, tc.org)
			}
			d, err := w.s.Directory(ctx)
			w.must(err)
			if o, _ := d.Organisation(tc.org.Code); o != tc.org {
				t.Errorf("the directory has %+v, want %+v", o, tc.org)
			}
		})
	}
}

// testObjectiveProgress records progress on a programme's objectives and
// reads it back, and refuses records that name no objective.
func testObjectiveProgress(t *testing.T, open Opener) {
	w := withOrganisations(t, open)
	ctx := w.ctx
	itpp := liaison.Agreement{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP 2023-2026",
		Areas: []string{"cyber defence"}, Objectives: []string{"interoperability", "cyber exercises"}}
	w.must(w.s.CreateAgreement(ctx, &itpp))
	sec := liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret}
	w.must(w.s.CreateAgreement(ctx, &sec))
	for i, tc := range []struct {
		name string
		p    liaison.ObjectiveProgress
		code string
	}{
		{"first", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 1, Percent: 20, Note: "first exercise held", By: "nis"}, ""},
		{"second", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 1, Percent: 45, By: "nis"}, ""},
		{"other objective", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 0, Percent: 100, By: "nis"}, ""},
		{"no such objective", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 2, Percent: 10, By: "nis"}, liaison.EINVALID},
		{"security agreement", liaison.ObjectiveProgress{Agreement: sec.ID, Objective: 0, Percent: 10, By: "nis"}, liaison.EINVALID},
		{"no such agreement", liaison.ObjectiveProgress{Agreement: 999, Objective: 0, Percent: 10, By: "nis"}, liaison.ENOTFOUND},
		{"over 100", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 0, Percent: 101, By: "nis"}, liaison.EINVALID},
		{"negative", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 0, Percent: -1, By: "nis"}, liaison.EINVALID},
		{"nobody", liaison.ObjectiveProgress{Agreement: itpp.ID, Objective: 0, Percent: 1}, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.clock.Advance(time.Minute)
			p := tc.p
			err := w.s.RecordObjectiveProgress(ctx, &p)
			wantCode(t, err, tc.code)
			if err == nil && (p.ID == 0 || !p.At.Equal(start.Add(time.Duration(i+1)*time.Minute))) {
				t.Errorf("recorded %+v: want an id and the store's clock", p)
			}
		})
	}
	got, err := w.s.ObjectiveProgress(ctx, itpp.ID)
	w.must(err)
	var summary []string
	for _, p := range got {
		summary = append(summary, fmt.Sprintf("%d:%d%%:%s:%s", p.Objective, p.Percent, p.Note, p.By))
	}
	if want := []string{"1:20%:first exercise held:nis", "1:45%::nis", "0:100%::nis"}; !slices.Equal(summary, want) {
		t.Errorf("progress = %v, want %v", summary, want)
	}
	if got, err := w.s.ObjectiveProgress(ctx, sec.ID); err != nil || len(got) != 0 {
		t.Errorf("a security agreement's progress = %v, %v", got, err)
	}
	_, err = w.s.ObjectiveProgress(ctx, 999)
	wantCode(t, err, liaison.ENOTFOUND)
}
