package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// whoamiStatus is the status of /api/v1/whoami with a token.
func whoamiStatus(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestBrowserUsersAndTokens runs the admin's and the user's story in
// Chromium: an admin adds a user and makes them a token, which works once
// shown and fails once revoked; the user changes their own password; the
// admin disables the user, whose session ends and who can no longer sign
// in; an admin creates a collection and narrows who may read it.
func TestBrowserUsersAndTokens(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	l.addAdmin(t)
	b := newTab(t, base)
	b.signIn("admin", "admin-password")
	b.open("/users")
	b.do("fill the new user",
		chromedp.SendKeys(chromedp.ID("u-name"), "akiko"),
		chromedp.SetValue(chromedp.ID("u-org"), "JPN"),
		chromedp.Click(chromedp.ID("role-analyst")),
		chromedp.SendKeys(chromedp.ID("u-pw"), "first passphrase"),
		chromedp.SendKeys(chromedp.ID("u-confirm"), "first passphrase"))
	b.shot("users", 1400)
	b.click(`form[action="/users"] button[type=submit]`)
	if path := eval[string](b, `location.pathname`); path != "/users/akiko" {
		t.Fatalf("after adding, the page is %s: %q", path, b.text("main"))
	}
	b.click(`#make-token`)
	secret := eval[string](b, `document.getElementById("token-secret").value`)
	if !strings.HasPrefix(secret, "lia_") {
		t.Fatalf("the new token reads %q", secret)
	}
	b.shot("user-token", 1400)
	if st := whoamiStatus(t, base, secret); st != 200 {
		t.Fatalf("the token shown: %d", st)
	}
	b.open("/users/akiko")
	if n := eval[int](b, `document.querySelectorAll("#token-secret").length`); n != 0 {
		t.Error("the token is shown again")
	}
	b.click(`#tokens form[action$="/revoke"] button[type=submit]`)
	if st := whoamiStatus(t, base, secret); st != 401 {
		t.Errorf("the revoked token: %d", st)
	}
	if s := b.text("#tokens tbody"); !strings.Contains(s, "revoked") {
		t.Errorf("the tokens table says %q", s)
	}
	b.signOut()

	// Akiko changes her own password.
	u := newTab(t, base)
	u.signIn("akiko", "first passphrase")
	u.open("/account")
	u.do("change the password",
		chromedp.SendKeys(chromedp.ID("pw-current"), "first passphrase"),
		chromedp.SendKeys(chromedp.ID("pw-new"), "second passphrase"),
		chromedp.SendKeys(chromedp.ID("pw-confirm"), "second passphrase"))
	u.click(`form[action="/account/password"] button[type=submit]`)
	if s := u.text("#password-changed"); !strings.Contains(s, "changed") {
		t.Fatalf("after changing: %q", s)
	}
	u.shot("account", 1400)
	u.signOut()
	u.signIn("akiko", "first passphrase")
	if path := eval[string](u, `location.pathname`); path != "/signin" {
		t.Fatalf("the old password signed in, to %s", path)
	}
	u.signIn("akiko", "second passphrase")
	if me := u.text(".me"); !strings.Contains(me, "akiko") {
		t.Fatalf("the new password: %q", me)
	}

	// The admin disables her: her session ends, and she cannot sign in.
	b.signIn("admin", "admin-password")
	b.open("/users/akiko")
	b.click(`#toggle-disabled`)
	if s := b.text("#user-state"); s != "Disabled" {
		t.Fatalf("after disabling, the page says %q", s)
	}
	u.open("/account")
	if path := eval[string](u, `location.pathname`); path != "/signin" {
		t.Errorf("a disabled user's session still opens %s", path)
	}
	u.signIn("akiko", "second passphrase")
	if s := u.text("#signin-error"); !strings.Contains(s, "wrong") {
		t.Errorf("a disabled user's sign-in says %q", s)
	}

	// Collections: create one for NATO and IP4, then narrow it.
	b.open("/collections")
	b.do("fill the collection",
		chromedp.SendKeys(chromedp.ID("c-title"), "Indo-Pacific cyber"),
		chromedp.SendKeys(chromedp.ID("c-desc"), "Indicators shared with the IP4."),
		chromedp.SetValue(chromedp.ID("c-read"), "NATO, IP4"),
		chromedp.SetValue(chromedp.ID("c-write"), "NATO-IS, JPN"),
		chromedp.SetValue(chromedp.ID("c-default"), "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"))
	b.click(`form[action="/collections"] button[type=submit]`)
	path := eval[string](b, `location.pathname`)
	if !strings.HasPrefix(path, "/collections/") {
		t.Fatalf("after creating, the page is %s: %q", path, b.text("main"))
	}
	k := newTab(t, base)
	k.signIn("kor", "kor-password")
	k.open(path)
	if h := k.text("h1"); h != "Indo-Pacific cyber" {
		t.Fatalf("Korea's view of the new collection: %q", h)
	}
	b.do("narrow the read list", chromedp.SetValue(chromedp.ID("c-read"), "NATO, JPN"))
	b.shot("collection", 1400)
	b.click(`form[action="` + path + `"] button[type=submit]`)
	if s := b.text("#c-read-list"); s != "NATO, JPN" {
		t.Fatalf("after saving, may read: %q", s)
	}
	k.open(path)
	if h := k.text("h1"); h != "Not found" {
		t.Errorf("after narrowing, Korea's page says %q", h)
	}
	k.open("/collections")
	if s := k.text("main"); strings.Contains(s, "Indo-Pacific cyber") {
		t.Error("Korea's list still shows the narrowed collection")
	}
	b.open("/collections")
	b.shot("collections", 1400)
	b.fits(390, "the collections page")
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
