package storetest

import (
	"slices"
	"strings"
	"testing"

	"liaison"
)

// testRolesAndDisabled: roles can be replaced; a disabled user cannot
// authenticate with a password or a token, and their credential stamp
// changes, until enabled again.
func testRolesAndDisabled(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	p := liaison.Principal{Name: "kenji", Org: "JPN", Roles: []liaison.Role{liaison.RoleReader}}
	w.must(w.s.CreateUser(ctx, &p, "correct horse"))
	for _, tc := range []struct {
		name  string
		user  string
		roles []liaison.Role
		code  string
		want  []liaison.Role
	}{
		{"officer and analyst", "kenji", []liaison.Role{liaison.RoleOfficer, liaison.RoleAnalyst}, "", []liaison.Role{liaison.RoleOfficer, liaison.RoleAnalyst}},
		{"repeated role counted once", "kenji", []liaison.Role{liaison.RoleAdmin, liaison.RoleAdmin}, "", []liaison.Role{liaison.RoleAdmin}},
		{"no role", "kenji", nil, liaison.EINVALID, []liaison.Role{liaison.RoleAdmin}},
		{"unknown role", "kenji", []liaison.Role{"king"}, liaison.EINVALID, []liaison.Role{liaison.RoleAdmin}},
		{"unknown user", "nobody", []liaison.Role{liaison.RoleReader}, liaison.ENOTFOUND, []liaison.Role{liaison.RoleAdmin}},
	} {
		t.Run("roles "+tc.name, func(t *testing.T) {
			wantCode(t, w.s.SetRoles(ctx, tc.user, tc.roles), tc.code)
			u, err := w.s.User(ctx, "kenji")
			w.must(err)
			if !slices.Equal(u.Roles, tc.want) {
				t.Errorf("roles = %v, want %v", u.Roles, tc.want)
			}
		})
	}
	if u, err := w.s.Authenticate(ctx, "kenji", "correct horse"); err != nil || !slices.Equal(u.Roles, []liaison.Role{liaison.RoleAdmin}) {
		t.Errorf("Authenticate after SetRoles = %+v, %v", u, err)
	}

	_, secret, err := w.s.CreateToken(ctx, "kenji")
	w.must(err)
	stamp, err := w.s.CredentialStamp(ctx, "kenji")
	w.must(err)
	w.must(w.s.SetDisabled(ctx, "kenji", true))
	u, err := w.s.User(ctx, "kenji")
	w.must(err)
	if !u.Disabled {
		t.Error("User does not say kenji is disabled")
	}
	us, err := w.s.Users(ctx)
	w.must(err)
	for _, x := range us {
		if x.Disabled != (x.Name == "kenji") {
			t.Errorf("Users: %s disabled = %v", x.Name, x.Disabled)
		}
	}
	_, errDisabled := w.s.Authenticate(ctx, "kenji", "correct horse")
	wantCode(t, errDisabled, liaison.EUNAUTHORIZED)
	_, errWrong := w.s.Authenticate(ctx, "kenji", "wrong")
	if liaison.ErrorMessage(errDisabled) != liaison.ErrorMessage(errWrong) {
		t.Errorf("a disabled user is told %q, a wrong password %q", liaison.ErrorMessage(errDisabled), liaison.ErrorMessage(errWrong))
	}
	_, err = w.s.PrincipalByToken(ctx, secret)
	wantCode(t, err, liaison.EUNAUTHORIZED)
	if s, err := w.s.CredentialStamp(ctx, "kenji"); err != nil || s == stamp {
		t.Errorf("the stamp did not change when disabled: %q, %v", s, err)
	}
	// Others are untouched.
	if _, _, err := w.s.CreateToken(ctx, "usa"); err != nil {
		t.Error(err)
	}
	w.must(w.s.SetDisabled(ctx, "kenji", false))
	if _, err := w.s.Authenticate(ctx, "kenji", "correct horse"); err != nil {
		t.Errorf("enabled again, the password fails: %v", err)
	}
	if _, err := w.s.PrincipalByToken(ctx, secret); err != nil {
		t.Errorf("enabled again, the token fails: %v", err)
	}
	if s, err := w.s.CredentialStamp(ctx, "kenji"); err != nil || s != stamp {
		t.Errorf("enabled again, the stamp is %q, want the first %q (%v)", s, stamp, err)
	}
	wantCode(t, w.s.SetDisabled(ctx, "nobody", true), liaison.ENOTFOUND)
}

// testUpdateCollection: every field can be edited; a narrowed read list
// holds for the very next read; bad edits are refused and change nothing.
func testUpdateCollection(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	c := liaison.Collection{Title: "Pacific", Topic: liaison.TopicCyber, Read: []string{"NATO", "IP4"}, Write: []string{"USA", "JPN"}}
	w.must(w.s.CreateCollection(ctx, &c))
	id := oid("malware", 1)
	w.add("USA", c.ID, sdo(id, day(0)))
	if !w.sees("JPN", c.ID, id) || !w.sees("KOR", c.ID, id) {
		t.Fatal("JPN and KOR do not read the new collection")
	}
	created := c.Created
	for _, tc := range []struct {
		name string
		edit func(c *liaison.Collection)
		code string
	}{
		{"no such collection", func(c *liaison.Collection) { c.ID = "00000000-0000-4000-8000-000000000000" }, liaison.ENOTFOUND},
		{"no title", func(c *liaison.Collection) { c.Title = "" }, liaison.EINVALID},
		{"no read list", func(c *liaison.Collection) { c.Read = nil }, liaison.EINVALID},
		{"unknown reader", func(c *liaison.Collection) { c.Read = []string{"XYZ"} }, liaison.EINVALID},
		{"unknown writer", func(c *liaison.Collection) { c.Write = []string{"NOPE"} }, liaison.EINVALID},
		{"unknown default marking", func(c *liaison.Collection) { c.DefaultMarking = oid("marking-definition", 77) }, liaison.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := c
			tc.edit(&e)
			wantCode(t, w.s.UpdateCollection(ctx, &e), tc.code)
		})
	}
	if got, err := w.s.Collection(ctx, w.user["KOR"], c.ID); err != nil || got.Title != "Pacific" {
		t.Fatalf("a refused edit changed the collection: %+v, %v", got, err)
	}
	// Narrow the read list to NATO and JPN: KOR loses it at once.
	e := liaison.Collection{ID: c.ID, Title: "Pacific (narrowed)", Description: "Allies and Japan", Topic: liaison.TopicGeopolitical,
		Read: []string{"NATO", "JPN"}, Write: []string{"USA"}, DefaultMarking: liaison.TLPAmberID}
	w.must(w.s.UpdateCollection(ctx, &e))
	if !e.Created.Equal(created) {
		t.Errorf("UpdateCollection changed the creation time to %v", e.Created)
	}
	if w.sees("KOR", c.ID, id) {
		t.Error("KOR still reads the collection after its read list was narrowed")
	}
	_, err := w.s.Collection(ctx, w.user["KOR"], c.ID)
	wantCode(t, err, liaison.ENOTFOUND)
	cs, err := w.s.Collections(ctx, w.user["KOR"])
	w.must(err)
	for _, x := range cs {
		if x.ID == c.ID {
			t.Error("KOR's Collections still lists the narrowed collection")
		}
	}
	got, err := w.s.Collection(ctx, w.user["JPN"], c.ID)
	w.must(err)
	if got.Title != e.Title || got.Description != e.Description || got.Topic != e.Topic || !slices.Equal(got.Read, e.Read) ||
		!slices.Equal(got.Write, e.Write) || got.DefaultMarking != liaison.TLPAmberID || !got.CanRead || got.CanWrite {
		t.Errorf("JPN sees %+v", got)
	}
	if !w.sees("JPN", c.ID, id) {
		t.Error("JPN lost the collection it is still on")
	}
	// Widening gives it back.
	e.Read = []string{"ALL"}
	w.must(w.s.UpdateCollection(ctx, &e))
	if !w.sees("KOR", c.ID, id) {
		t.Error("KOR does not read the collection once it is widened again")
	}
	// A peer office served JPN: a read list that drops JPN would leave
	// the peer's copies wider than the collection, so it is refused, and
	// one that drops only others goes through.
	ps, ok := w.s.(liaison.PeerService)
	if !ok {
		t.Fatal("the store does not implement liaison.PeerService")
	}
	_, err = ps.AllowPeer(ctx, "tokyo", []string{"JPN"})
	w.must(err)
	e.Read = []string{"NATO", "KOR"}
	err = w.s.UpdateCollection(ctx, &e)
	wantCode(t, err, liaison.ECONFLICT)
	if msg := liaison.ErrorMessage(err); !strings.Contains(msg, "tokyo") || !strings.Contains(msg, "JPN") {
		t.Errorf("the refusal does not name the peer and the organisation: %q", msg)
	}
	if !w.sees("JPN", c.ID, id) {
		t.Error("a refused narrowing took the collection from JPN")
	}
	e.Read = []string{"NATO", "JPN"}
	w.must(w.s.UpdateCollection(ctx, &e))
	if w.sees("KOR", c.ID, id) {
		t.Error("KOR reads the collection after a narrowing that kept the peer's organisations")
	}
}
