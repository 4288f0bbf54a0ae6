package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"liaison"
)

// TestCollectionsPages: a reader sees only the collections they may read
// or write, and a hidden one is the same 404 page as a missing one; an
// admin creates and edits, every bad field named, and a narrowed read
// list holds for the reader's very next request.
func TestCollectionsPages(t *testing.T) {
	o := newOffice(t)
	o.addAdmin(t)
	ctx := context.Background()
	secretColl := liaison.Collection{Title: "Allies only, Brussels", Topic: "cyber", Read: []string{"NATO"}, Write: []string{"FRA"}}
	if err := o.store.CreateCollection(ctx, &secretColl); err != nil {
		t.Fatal(err)
	}
	admin := o.browser(t)
	admin.mustSignIn("admin", "admin-password")
	jpn := o.browser(t)
	jpn.mustSignIn("jpn", "jpn-password")

	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no title", url.Values{"topic": {"cyber"}, "read": {"NATO"}}, "field title is empty"},
		{"no topic", url.Values{"title": {"X"}, "read": {"NATO"}}, "field topic is empty"},
		{"no read list", url.Values{"title": {"X"}, "topic": {"cyber"}}, "field read is empty"},
		{"unknown reader", url.Values{"title": {"X"}, "topic": {"cyber"}, "read": {"NATO, XYZ"}}, "read list entry 1 (&#34;XYZ&#34;) is neither an organisation nor a community"},
		{"unknown writer", url.Values{"title": {"X"}, "topic": {"cyber"}, "read": {"NATO"}, "write": {"NOPE"}}, "write list entry 0"},
		{"bad default marking", url.Values{"title": {"X"}, "topic": {"cyber"}, "read": {"NATO"}, "default_marking_other": {"tlp-red"}}, "field default_marking_other"},
		{"unknown default marking", url.Values{"title": {"X"}, "topic": {"cyber"}, "read": {"NATO"}, "default_marking_other": {"marking-definition--00000000-0000-4000-8000-000000000077"}}, "is not known to this hub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := admin.postForm("/collections", "/collections", tc.form)
			if code != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 400 saying %q\n%s", code, tc.want, body)
			}
		})
	}
	code, h, _ := admin.postForm("/collections", "/collections", url.Values{"title": {"Indo-Pacific cyber"}, "description": {"Shared with IP4"}, "topic": {"cyber"},
		"read": {"NATO, IP4"}, "write": {"NATO-IS, JPN"}, "default_marking": {liaison.TLPGreenID}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/collections/") {
		t.Fatalf("create: %d %s", code, h.Get("Location"))
	}
	path := h.Get("Location")
	id := strings.TrimPrefix(path, "/collections/")
	if code, _, body := jpn.get("/collections"); code != 200 || !strings.Contains(body, "Indo-Pacific cyber") || strings.Contains(body, secretColl.Title) || strings.Contains(body, secretColl.ID) {
		t.Errorf("JPN's collections list: %d, shows the allies' collection: %v", code, strings.Contains(body, secretColl.Title))
	}
	if code, _, body := jpn.get(path); code != 200 || !strings.Contains(body, "TLP:GREEN") || strings.Contains(body, "Edit the collection") {
		t.Errorf("JPN's collection page: %d\n%s", code, body)
	}
	// Hidden and missing: the same page, but for the id itself.
	hc, _, hidden := jpn.get("/collections/" + secretColl.ID)
	const missingID = "00000000-0000-4000-8000-00000000abcd"
	mc, _, missing := jpn.get("/collections/" + missingID)
	if hc != 404 || mc != 404 || strings.ReplaceAll(hidden, secretColl.ID, "ID") != strings.ReplaceAll(missing, missingID, "ID") {
		t.Errorf("hidden %d and missing %d differ", hc, mc)
	}
	if strings.Contains(hidden, secretColl.Title) {
		t.Error("the 404 page names the hidden collection")
	}
	// The admin (of NATO-IS) sees what NATO-IS may read or write, and edits it.
	if _, _, body := admin.get("/collections"); !strings.Contains(body, secretColl.Title) || !strings.Contains(body, "Create a collection") {
		t.Error("the admin does not see the allies' collection or the form")
	}
	code, _, _ = admin.postForm(path, path, url.Values{"title": {"Indo-Pacific cyber (allies and Japan)"}, "topic": {"cyber"}, "read": {"NATO JPN"}, "write": {"NATO-IS"}, "default_marking": {liaison.TLPAmberID}})
	if code != http.StatusSeeOther {
		t.Fatalf("edit: %d", code)
	}
	kor := o.browser(t)
	kor.mustSignIn("kor", "kor-password")
	if code, _, _ := kor.get(path); code != 404 {
		t.Errorf("KOR reads the collection after the read list was narrowed: %d", code)
	}
	if code, _, _ := kor.get(path + "/objects"); code != 404 {
		t.Errorf("KOR lists the narrowed collection's objects: %d", code)
	}
	if code, _, body := jpn.get(path); code != 200 || !strings.Contains(body, "allies and Japan") || !strings.Contains(body, "TLP:AMBER") {
		t.Errorf("JPN after the edit: %d", code)
	}
	if code, _, body := admin.postForm(path, path, url.Values{"title": {"X"}, "topic": {"cyber"}, "read": {""}}); code != 400 || !strings.Contains(body, "field read is empty") {
		t.Errorf("an edit without a read list: %d", code)
	}
	// An admin who saves a collection their organisation may not see is
	// told so, and is not shown it.
	code, h, _ = admin.postForm("/collections", "/collections", url.Values{"title": {"Tokyo only"}, "topic": {"cyber"}, "read": {"JPN"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/collections?gone=Tokyo+only" {
		t.Fatalf("create a JPN-only collection: %d %s", code, h.Get("Location"))
	}
	if _, _, body := admin.get("/collections?gone=Tokyo+only"); !strings.Contains(body, "not listed here") || strings.Contains(body, `">Tokyo only</a>`) {
		t.Error("the admin is not told, or is shown, the collection NATO-IS may not see")
	}
	if _, _, body := jpn.get("/collections"); !strings.Contains(body, "Tokyo only") {
		t.Error("JPN does not see its new collection")
	}
	// Nobody else may create or edit, and a forged form is refused.
	_, _, page := jpn.get("/collections")
	if strings.Contains(page, "Create a collection") {
		t.Error("JPN is offered the create form")
	}
	_, _, acct := jpn.get("/account")
	tok := formCSRF(acct, "/account/password")
	for _, action := range []string{"/collections", "/collections/" + id} {
		if code, _, _ := jpn.post(action, url.Values{"csrf": {tok}, "title": {"Mine"}, "topic": {"cyber"}, "read": {"JPN"}}); code != 403 {
			t.Errorf("JPN posts %s: %d", action, code)
		}
	}
	if c, err := o.store.Collection(ctx, o.users["jpn"], id); err != nil || c.Title == "Mine" {
		t.Errorf("a forged edit changed the collection: %+v %v", c, err)
	}
}
