package storetest

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

func testUsers(t *testing.T, open Opener) {
	w := withOrganisations(t, open)
	ctx := w.ctx
	for _, tc := range []struct {
		name     string
		p        liaison.Principal
		password string
		code     string
	}{
		{"analyst", liaison.Principal{Name: "kenji", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}}, "correct horse", ""},
		{"admin", liaison.Principal{Name: "alice@usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAdmin, liaison.RoleOfficer}}, "s3cret!", ""},
		{"token only", liaison.Principal{Name: "bot", Org: "FRA", Roles: []liaison.Role{liaison.RoleReader}}, "", ""},
		{"duplicate", liaison.Principal{Name: "kenji", Org: "AUS", Roles: []liaison.Role{liaison.RoleReader}}, "x", liaison.ECONFLICT},
		{"unknown org", liaison.Principal{Name: "eve", Org: "XYZ", Roles: []liaison.Role{liaison.RoleReader}}, "x", liaison.EINVALID},
		{"bad role", liaison.Principal{Name: "eve", Org: "USA", Roles: []liaison.Role{"king"}}, "x", liaison.EINVALID},
		{"no role", liaison.Principal{Name: "eve", Org: "USA"}, "x", liaison.EINVALID},
		{"bad name", liaison.Principal{Name: "e ve", Org: "USA", Roles: []liaison.Role{liaison.RoleReader}}, "x", liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			err := w.s.CreateUser(ctx, &p, tc.password)
			wantCode(t, err, tc.code)
			if err == nil && p.ID == 0 {
				t.Error("CreateUser did not set the id")
			}
		})
	}
	u, err := w.s.User(ctx, "kenji")
	w.must(err)
	if u.Org != "JPN" || !slices.Equal(u.Roles, []liaison.Role{liaison.RoleAnalyst}) || u.ID == 0 {
		t.Errorf("User(kenji) = %+v", u)
	}
	_, err = w.s.User(ctx, "nobody")
	wantCode(t, err, liaison.ENOTFOUND)
	us, err := w.s.Users(ctx)
	w.must(err)
	var names []string
	for _, u := range us {
		names = append(names, u.Name)
	}
	if !slices.Equal(names, []string{"alice@usa", "bot", "kenji"}) {
		t.Errorf("Users = %v", names)
	}

	for _, tc := range []struct {
		name, user, password string
		ok                   bool
	}{
		{"right", "kenji", "correct horse", true},
		{"right, other user", "alice@usa", "s3cret!", true},
		{"wrong password", "kenji", "correct horse ", false},
		{"empty password", "kenji", "", false},
		{"unknown user", "nobody", "correct horse", false},
		{"token-only user", "bot", "", false},
		{"token-only user, any password", "bot", "x", false},
	} {
		t.Run("authenticate "+tc.name, func(t *testing.T) {
			p, err := w.s.Authenticate(ctx, tc.user, tc.password)
			if tc.ok {
				w.must(err)
				if p.Name != tc.user {
					t.Errorf("Authenticate returned %+v", p)
				}
				return
			}
			wantCode(t, err, liaison.EUNAUTHORIZED)
			if p.Name != "" {
				t.Errorf("failed Authenticate returned a principal %+v", p)
			}
		})
	}
	// A wrong name and a wrong password say the same.
	_, e1 := w.s.Authenticate(ctx, "nobody", "x")
	_, e2 := w.s.Authenticate(ctx, "kenji", "x")
	if liaison.ErrorMessage(e1) != liaison.ErrorMessage(e2) {
		t.Errorf("unknown user says %q, wrong password says %q", liaison.ErrorMessage(e1), liaison.ErrorMessage(e2))
	}
}

func testTokens(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	tok, secret, err := w.s.CreateToken(ctx, "jpn")
	w.must(err)
	if tok.ID == "" || tok.User != "jpn" || !tok.Created.Equal(start) || tok.Revoked {
		t.Errorf("token record %+v", tok)
	}
	if len(secret) < 40 || !strings.Contains(secret, tok.ID) {
		t.Errorf("token %q is too short or does not carry its id", secret)
	}
	if regexp.MustCompile(`\s`).MatchString(secret) {
		t.Errorf("token %q has white space", secret)
	}
	w.clock.Advance(time.Minute)
	tok2, secret2, err := w.s.CreateToken(ctx, "jpn")
	w.must(err)
	if secret2 == secret || tok2.ID == tok.ID {
		t.Error("two tokens are the same")
	}
	_, _, err = w.s.CreateToken(ctx, "nobody")
	wantCode(t, err, liaison.ENOTFOUND)

	p, err := w.s.PrincipalByToken(ctx, secret)
	w.must(err)
	if p.Name != "jpn" || p.Org != "JPN" {
		t.Errorf("PrincipalByToken = %+v", p)
	}
	for _, bad := range []string{"", "x", secret + "x", secret[:len(secret)-1], strings.ToUpper(secret)} {
		_, err := w.s.PrincipalByToken(ctx, bad)
		wantCode(t, err, liaison.EUNAUTHORIZED)
	}
	ts, err := w.s.Tokens(ctx, "jpn")
	w.must(err)
	if len(ts) != 2 || ts[0].ID != tok.ID || ts[1].ID != tok2.ID {
		t.Errorf("Tokens = %+v", ts)
	}
	w.must(w.s.RevokeToken(ctx, tok.ID))
	_, err = w.s.PrincipalByToken(ctx, secret)
	wantCode(t, err, liaison.EUNAUTHORIZED)
	if _, err := w.s.PrincipalByToken(ctx, secret2); err != nil {
		t.Errorf("revoking one token broke another: %v", err)
	}
	ts, err = w.s.Tokens(ctx, "jpn")
	w.must(err)
	if len(ts) != 2 || !ts[0].Revoked || ts[1].Revoked {
		t.Errorf("after revoke Tokens = %+v", ts)
	}
	wantCode(t, w.s.RevokeToken(ctx, "no-such-token"), liaison.ENOTFOUND)
}

func testCollections(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	w.must(w.s.CreateCommunity(ctx, liaison.Community{Name: "QUAD", Members: []string{"USA", "JPN", "AUS"}}))
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tc := range []struct {
		name string
		c    liaison.Collection
		code string
	}{
		{"quad", liaison.Collection{Title: "Quad", Topic: liaison.TopicGeopolitical, Read: []string{"QUAD"}, Write: []string{"USA"}, DefaultMarking: liaison.TLPGreenID}, ""},
		{"read only", liaison.Collection{Title: "Bulletins", Topic: liaison.TopicDisinformation, Read: []string{"IP4", "USA"}}, ""},
		{"given id", liaison.Collection{ID: "2f0b6a4e-4e6b-4a53-9d4c-0d0c6f1e2b3a", Title: "Given", Topic: "edt", Read: []string{"ALL"}}, ""},
		{"duplicate id", liaison.Collection{ID: "2f0b6a4e-4e6b-4a53-9d4c-0d0c6f1e2b3a", Title: "Again", Topic: "edt", Read: []string{"ALL"}}, liaison.ECONFLICT},
		{"bad id", liaison.Collection{ID: "not-a-uuid", Title: "Bad", Topic: "edt", Read: []string{"ALL"}}, liaison.EINVALID},
		{"unknown reader", liaison.Collection{Title: "Bad", Topic: "edt", Read: []string{"USA", "XYZ"}}, liaison.EINVALID},
		{"unknown writer", liaison.Collection{Title: "Bad", Topic: "edt", Read: []string{"USA"}, Write: []string{"NOPE"}}, liaison.EINVALID},
		{"unknown default marking", liaison.Collection{Title: "Bad", Topic: "edt", Read: []string{"USA"}, DefaultMarking: oid("marking-definition", 77)}, liaison.EINVALID},
		{"no title", liaison.Collection{Topic: "edt", Read: []string{"USA"}}, liaison.EINVALID},
		{"no read list", liaison.Collection{Title: "Bad", Topic: "edt"}, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			err := w.s.CreateCollection(ctx, &c)
			wantCode(t, err, tc.code)
			if err == nil && tc.c.ID == "" && !uuid4.MatchString(c.ID) {
				t.Errorf("collection id %q is not a random UUID", c.ID)
			}
		})
	}
	all, err := w.s.AllCollections(ctx)
	w.must(err)
	if len(all) != 5 {
		t.Fatalf("AllCollections has %d, want 5", len(all))
	}
	var quad liaison.Collection
	for _, c := range all {
		if c.Title == "Quad" {
			quad = c
		}
	}
	if quad.DefaultMarking != liaison.TLPGreenID || !slices.Equal(quad.Read, []string{"QUAD"}) || !slices.Equal(quad.Write, []string{"USA"}) || !quad.Created.Equal(start) {
		t.Errorf("stored collection %+v", quad)
	}
	titles := func(org string) map[string]liaison.CollectionAccess {
		cs, err := w.s.Collections(ctx, w.user[org])
		w.must(err)
		m := map[string]liaison.CollectionAccess{}
		for _, c := range cs {
			m[c.Title] = c
		}
		return m
	}
	kor := titles("KOR")
	if len(kor) != 3 || !kor["Shared"].CanWrite || !kor["Bulletins"].CanRead || kor["Bulletins"].CanWrite {
		t.Errorf("KOR sees %+v", kor)
	}
	if _, ok := kor["Quad"]; ok {
		t.Error("KOR sees the Quad collection")
	}
	usa := titles("USA")
	if len(usa) != 5 || !usa["Quad"].CanWrite || !usa["Alliance only"].CanWrite {
		t.Errorf("USA sees %+v", usa)
	}
	jpn := titles("JPN")
	if !jpn["Quad"].CanRead || jpn["Quad"].CanWrite {
		t.Errorf("JPN's access to Quad = %+v", jpn["Quad"])
	}
	// A reader-only principal never writes, even when on the write list.
	reader := liaison.Principal{Name: "r", Org: "USA", Roles: []liaison.Role{liaison.RoleReader}}
	ca, err := w.s.Collection(ctx, reader, quad.ID)
	w.must(err)
	if !ca.CanRead || ca.CanWrite {
		t.Errorf("reader's access = %+v", ca)
	}
	// Hidden and missing look the same.
	_, hidden := w.s.Collection(ctx, w.user["KOR"], quad.ID)
	_, missing := w.s.Collection(ctx, w.user["KOR"], "00000000-0000-4000-8000-000000000000")
	wantCode(t, hidden, liaison.ENOTFOUND)
	wantCode(t, missing, liaison.ENOTFOUND)
	if liaison.ErrorMessage(hidden) != liaison.ErrorMessage(liaison.NotFound("collection", quad.ID)) {
		t.Errorf("hidden collection says %q", liaison.ErrorMessage(hidden))
	}
}

func testStatuses(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	st := liaison.Status{
		ID: "8d1b8c8a-5b8e-4c55-9a41-3c0f0b0d7e11", Org: "JPN", Collection: w.shared, RequestTimestamp: start,
		Complete: true, Successes: []liaison.StatusDetail{{ID: oid("indicator", 1), Version: ts(day(0))}},
		Failures: []liaison.StatusDetail{{ID: oid("indicator", 2), Message: "object 1 (x): bad"}},
	}
	w.must(w.s.SaveStatus(ctx, st))
	got, err := w.s.Status(ctx, w.user["JPN"], st.ID)
	w.must(err)
	if got.ID != st.ID || got.Org != "JPN" || !got.Complete || len(got.Successes) != 1 || got.Failures[0].Message != "object 1 (x): bad" || !got.RequestTimestamp.Equal(start) {
		t.Errorf("Status = %+v", got)
	}
	_, err = w.s.Status(ctx, w.user["USA"], st.ID)
	wantCode(t, err, liaison.ENOTFOUND)
	_, err = w.s.Status(ctx, w.user["JPN"], "no-such-status")
	wantCode(t, err, liaison.ENOTFOUND)
	st.Pendings = []liaison.StatusDetail{{ID: oid("indicator", 3)}}
	st.Complete = false
	w.must(w.s.SaveStatus(ctx, st))
	got, err = w.s.Status(ctx, w.user["JPN"], st.ID)
	w.must(err)
	if got.Complete || len(got.Pendings) != 1 {
		t.Errorf("replaced Status = %+v", got)
	}
}

// testStatusWithObjects: AddObjectsWithStatus stores the status that its
// function makes of the write's result with the objects, in one
// transaction: a status that cannot be stored leaves no object either,
// and a write that fails leaves no status.
func testStatusWithObjects(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	usa := w.user["USA"]
	status := func(id string) func(liaison.WriteResult) liaison.Status {
		return func(res liaison.WriteResult) liaison.Status {
			st := liaison.Status{ID: id, Org: "USA", Collection: w.shared, RequestTimestamp: start, Complete: true}
			for _, a := range res.Accepted {
				st.Successes = append(st.Successes, liaison.StatusDetail{ID: a.ID, Version: ts(a.Version)})
			}
			return st
		}
	}
	const okID, badID, refusedID = "2f0f4f8e-4d1e-4a4e-9a55-0c3b1b9e7a01", "", "2f0f4f8e-4d1e-4a4e-9a55-0c3b1b9e7a02"
	res, err := w.s.AddObjectsWithStatus(ctx, usa, w.shared, []liaison.Candidate{sdo(oid("indicator", 1), day(0))}, status(okID))
	w.must(err)
	if len(res.Accepted) != 1 || res.Accepted[0].Present {
		t.Fatalf("result %+v", res)
	}
	got, err := w.s.Status(ctx, usa, okID)
	w.must(err)
	if len(got.Successes) != 1 || got.Successes[0].ID != oid("indicator", 1) || got.Successes[0].Version != ts(day(0)) {
		t.Errorf("status saved with the objects: %+v", got)
	}

	// A status that cannot be stored (no id) fails the call, and its
	// objects are not written.
	_, err = w.s.AddObjectsWithStatus(ctx, usa, w.shared, []liaison.Candidate{sdo(oid("indicator", 2), day(0))}, status(badID))
	wantCode(t, err, liaison.EINVALID)
	if w.sees("USA", w.shared, oid("indicator", 2)) {
		t.Error("the objects of a call whose status failed were written")
	}
	// A write refused whole saves no status.
	_, err = w.s.AddObjectsWithStatus(ctx, w.user["JPN"], w.nato, []liaison.Candidate{sdo(oid("indicator", 3), day(0))}, status(refusedID))
	wantCode(t, err, liaison.ENOTFOUND)
	_, err = w.s.Status(ctx, w.user["JPN"], refusedID)
	wantCode(t, err, liaison.ENOTFOUND)
}

// testPasswords: a password can be replaced; the credential stamp changes
// with it and only with a change of credentials.
func testPasswords(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	p := liaison.Principal{Name: "kenji", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}}
	w.must(w.s.CreateUser(ctx, &p, "correct horse"))
	s1, err := w.s.CredentialStamp(ctx, "kenji")
	w.must(err)
	if s, err := w.s.CredentialStamp(ctx, "kenji"); err != nil || s != s1 {
		t.Errorf("the stamp moved without a change: %q, %q, %v", s1, s, err)
	}
	w.must(w.s.SetPassword(ctx, "kenji", "battery staple"))
	if _, err := w.s.Authenticate(ctx, "kenji", "correct horse"); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("the old password still works: %v", err)
	}
	if _, err := w.s.Authenticate(ctx, "kenji", "battery staple"); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if s, err := w.s.CredentialStamp(ctx, "kenji"); err != nil || s == s1 {
		t.Errorf("the stamp did not change with the password: %q, %v", s, err)
	}
	wantCode(t, w.s.SetPassword(ctx, "nobody", "x"), liaison.ENOTFOUND)
	if _, err := w.s.CredentialStamp(ctx, "nobody"); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("the stamp of nobody: %v", err)
	}
	// Token-only: no password works.
	w.must(w.s.SetPassword(ctx, "kenji", ""))
	if _, err := w.s.Authenticate(ctx, "kenji", ""); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("an empty password works: %v", err)
	}
}
