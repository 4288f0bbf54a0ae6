package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"liaison"
)

var secretRE = regexp.MustCompile(`id="token-secret" class="secret-value" readonly value="([^"]+)"`)

// addAdmin adds an admin of NATO-IS with the password "admin-password".
func (o *office) addAdmin(t *testing.T) {
	t.Helper()
	p := liaison.Principal{Name: "admin", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAdmin}}
	if err := o.store.CreateUser(context.Background(), &p, "admin-password"); err != nil {
		t.Fatal(err)
	}
}

// bearer reports the status of /api/v1/whoami with a token.
func (o *office) bearer(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", o.srv.URL+"/api/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// postForm posts a page's form with the CSRF token of the page at from.
func (b *browser) postForm(from, action string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	_, _, page := b.get(from)
	tok := formCSRF(page, action)
	if tok == "" {
		b.t.Fatalf("the page %s has no form to %s", from, action)
	}
	form.Set("csrf", tok)
	return b.post(action, form)
}

// TestUsersPages: an admin adds a user, changes roles, makes and revokes
// tokens, disables (which ends sessions and stops tokens) and enables;
// every bad field is a 400 naming it; nobody else may.
func TestUsersPages(t *testing.T) {
	o := newOffice(t)
	o.addAdmin(t)
	admin := o.browser(t)
	admin.mustSignIn("admin", "admin-password")
	code, _, body := admin.get("/users")
	if code != 200 || !strings.Contains(body, `data-user="kor"`) || !strings.Contains(body, `href="/users"`) {
		t.Fatalf("the users page: %d\n%s", code, body)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", url.Values{"org": {"JPN"}, "role": {"reader"}}, "field name is empty"},
		{"bad name", url.Values{"name": {"a b"}, "org": {"JPN"}, "role": {"reader"}}, "user name &#34;a b&#34; is malformed"},
		{"no org", url.Values{"name": {"kenji"}, "role": {"reader"}}, "field org is empty"},
		{"unknown org", url.Values{"name": {"kenji"}, "org": {"XYZ"}, "role": {"reader"}}, "organisation &#34;XYZ&#34; is not on the hub"},
		{"no role", url.Values{"name": {"kenji"}, "org": {"JPN"}}, "field role: tick at least one role"},
		{"bad role", url.Values{"name": {"kenji"}, "org": {"JPN"}, "role": {"king"}}, "field role[0]: &#34;king&#34; is not a role"},
		{"short password", url.Values{"name": {"kenji"}, "org": {"JPN"}, "role": {"analyst"}, "password": {"short"}, "confirm": {"short"}}, "field password: a password needs at least 8 characters"},
		{"confirm differs", url.Values{"name": {"kenji"}, "org": {"JPN"}, "role": {"analyst"}, "password": {"correct horse"}, "confirm": {"correct horsf"}}, "field confirm: the two new passwords differ"},
		{"duplicate", url.Values{"name": {"kor"}, "org": {"KOR"}, "role": {"reader"}}, "exists already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := admin.postForm("/users", "/users", tc.form)
			if code/100 != 4 || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 4xx saying %q\n%s", code, tc.want, body)
			}
		})
	}
	code, h, _ := admin.postForm("/users", "/users", url.Values{"name": {"kenji"}, "org": {"JPN"}, "role": {"analyst"}, "password": {"correct horse"}, "confirm": {"correct horse"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/users/kenji" {
		t.Fatalf("add kenji: %d %s", code, h.Get("Location"))
	}
	// Roles.
	if code, _, _ := admin.postForm("/users/kenji", "/users/kenji/roles", url.Values{"role": {"officer", "analyst"}}); code != http.StatusSeeOther {
		t.Fatalf("set roles: %d", code)
	}
	if u, _ := o.store.User(context.Background(), "kenji"); len(u.Roles) != 2 || u.Roles[0] != liaison.RoleOfficer {
		t.Errorf("kenji's roles = %v", u.Roles)
	}
	if code, _, body := admin.postForm("/users/admin", "/users/admin/roles", url.Values{"role": {"reader"}}); code != 400 || !strings.Contains(body, "cannot take the admin role from yourself") {
		t.Errorf("an admin demotes themselves: %d", code)
	}
	// A token, shown once, works; revoked, it fails.
	code, h, body = admin.postForm("/users/kenji", "/users/kenji/tokens", url.Values{})
	m := secretRE.FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("make a token: %d, secret found %v, Cache-Control %q", code, m != nil, h.Get("Cache-Control"))
	}
	secret := m[1]
	if st := o.bearer(t, secret); st != 200 {
		t.Fatalf("the new token: %d", st)
	}
	if _, _, again := admin.get("/users/kenji"); strings.Contains(again, secret) {
		t.Error("the token is shown a second time")
	}
	ts, _ := o.store.Tokens(context.Background(), "kenji")
	if code, _, _ := admin.postForm("/users/kenji", "/users/kenji/tokens/"+ts[0].ID+"/revoke", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if st := o.bearer(t, secret); st != 401 {
		t.Errorf("the revoked token: %d", st)
	}
	// Disable: kenji's live session ends, sign-in and tokens fail.
	kenji := o.browser(t)
	kenji.mustSignIn("kenji", "correct horse")
	_, _, body = admin.postForm("/users/kenji", "/users/kenji/tokens", url.Values{})
	secret = secretRE.FindStringSubmatch(body)[1]
	basic := func() int {
		req, _ := http.NewRequest("GET", o.srv.URL+"/api/v1/whoami", nil)
		req.SetBasicAuth("kenji", "correct horse")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := basic(); st != 200 { // and now the checked password is cached
		t.Fatalf("kenji's password over Basic: %d", st)
	}
	if code, _, _ := admin.postForm("/users/kenji", "/users/kenji/disabled", url.Values{"disabled": {"true"}}); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	if st := basic(); st != 401 {
		t.Errorf("a disabled user's cached Basic password: %d", st)
	}
	if who := kenji.whoIs(); who != "" {
		t.Errorf("a disabled user's session goes on as %q", who)
	}
	if code, _, _ := kenji.signIn("kenji", "correct horse"); code != http.StatusUnauthorized {
		t.Errorf("a disabled user signs in: %d", code)
	}
	if st := o.bearer(t, secret); st != 401 {
		t.Errorf("a disabled user's token: %d", st)
	}
	if _, _, list := admin.get("/users"); !strings.Contains(list, `data-user="kenji"`) || !strings.Contains(list, "<strong>disabled</strong>") {
		t.Error("the users list does not say kenji is disabled")
	}
	if code, _, body := admin.postForm("/users/admin", "/users/admin/roles", url.Values{"role": {"admin"}}); code != 303 || strings.Contains(body, "/users/admin/disabled") {
		t.Errorf("own page: %d", code)
	}
	if code, _, _ := admin.post("/users/admin/disabled", url.Values{"csrf": {formCSRF(body, "/users/admin/roles")}, "disabled": {"true"}}); code != 400 && code != 403 {
		t.Errorf("an admin disables themselves: %d", code)
	}
	for _, bad := range []string{"", "maybe"} {
		if code, _, body := admin.postForm("/users/kenji", "/users/kenji/disabled", url.Values{"disabled": {bad}}); code != 400 || !strings.Contains(body, "field disabled") {
			t.Errorf("disabled=%q: %d", bad, code)
		}
	}
	if code, _, _ := admin.postForm("/users/kenji", "/users/kenji/disabled", url.Values{"disabled": {"false"}}); code != http.StatusSeeOther {
		t.Fatalf("enable: %d", code)
	}
	kenji.mustSignIn("kenji", "correct horse")
	if st := o.bearer(t, secret); st != 200 {
		t.Errorf("enabled again, the token: %d", st)
	}
	// Nobody else may.
	kor := o.browser(t)
	kor.mustSignIn("kor", "kor-password")
	for _, path := range []string{"/users", "/users/kenji"} {
		if code, _, body := kor.get(path); code != 403 || strings.Contains(body, "kenji") {
			t.Errorf("an analyst GET %s: %d", path, code)
		}
	}
	_, _, home := kor.get("/account")
	if code, _, _ := kor.post("/users/kenji/disabled", url.Values{"csrf": {formCSRF(home, "/account/password")}, "disabled": {"true"}}); code != 403 {
		t.Errorf("an analyst disables kenji: %d", code)
	}
	if strings.Contains(home, `href="/users"`) {
		t.Error("an analyst is offered the users page")
	}
	if code, _, _ := admin.post("/users/kenji/disabled", url.Values{"disabled": {"true"}}); code != 403 {
		t.Errorf("a form without its CSRF token: %d", code)
	}
	if code, _, _ := admin.get("/users/nobody"); code != 404 {
		t.Errorf("an unknown user: %d", code)
	}
}

// TestAccountPage: a user changes their own password, asking for the
// current one, and manages their own tokens, never another's.
func TestAccountPage(t *testing.T) {
	o := newOffice(t)
	b := o.browser(t)
	b.mustSignIn("jpn", "jpn-password")
	code, _, body := b.get("/account")
	if code != 200 || !strings.Contains(body, "Change your password") || !strings.Contains(body, `data-token=`) {
		t.Fatalf("the account page: %d\n%s", code, body)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no current", url.Values{"password": {"battery staple"}, "confirm": {"battery staple"}}, "field current is empty"},
		{"wrong current", url.Values{"current": {"wrong-password"}, "password": {"battery staple"}, "confirm": {"battery staple"}}, "field current: that is not your current password"},
		{"token as current", url.Values{"current": {o.tokens["jpn"]}, "password": {"battery staple"}, "confirm": {"battery staple"}}, "field current: that is an API token"},
		{"short", url.Values{"current": {"jpn-password"}, "password": {"battery"}, "confirm": {"battery"}}, "field password: a password needs at least 8"},
		{"confirm differs", url.Values{"current": {"jpn-password"}, "password": {"battery staple"}, "confirm": {"battery stapel"}}, "field confirm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := b.postForm("/account", "/account/password", tc.form)
			if code != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want 400 saying %q\n%s", code, tc.want, body)
			}
		})
	}
	other := o.browser(t)
	other.mustSignIn("jpn", "jpn-password")
	code, h, _ := b.postForm("/account", "/account/password", url.Values{"current": {"jpn-password"}, "password": {"battery staple"}, "confirm": {"battery staple"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/account?changed" {
		t.Fatalf("change the password: %d %s", code, h.Get("Location"))
	}
	if _, _, body := b.get("/account?changed"); !strings.Contains(body, "Your password has been changed") {
		t.Error("no word that the password changed")
	}
	if who := other.whoIs(); who != "" {
		t.Errorf("another session signed in with the old password goes on as %q", who)
	}
	if code, _, _ := o.browser(t).signIn("jpn", "jpn-password"); code != 401 {
		t.Errorf("the old password: %d", code)
	}
	o.browser(t).mustSignIn("jpn", "battery staple")
	// Own tokens.
	_, _, body = b.postForm("/account", "/account/tokens", url.Values{})
	m := secretRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no new token shown")
	}
	if st := o.bearer(t, m[1]); st != 200 {
		t.Errorf("the new token: %d", st)
	}
	mine, _ := o.store.Tokens(context.Background(), "jpn")
	theirs, _ := o.store.Tokens(context.Background(), "kor")
	_, _, page := b.get("/account")
	if code, _, _ := b.post("/account/tokens/"+theirs[0].ID+"/revoke", url.Values{"csrf": {formCSRF(page, "/account/tokens")}}); code != 404 {
		t.Errorf("revoking another user's token: %d", code)
	}
	if st := o.bearer(t, o.tokens["kor"]); st != 200 {
		t.Error("another user's token was revoked")
	}
	newID := strings.SplitN(strings.TrimPrefix(m[1], "lia_"), "_", 2)[0]
	if !slices.ContainsFunc(mine, func(t liaison.Token) bool { return t.ID == newID }) {
		t.Fatalf("the new token %s is not among %+v", newID, mine)
	}
	if code, _, _ := b.postForm("/account", "/account/tokens/"+newID+"/revoke", url.Values{}); code != http.StatusSeeOther {
		t.Errorf("revoke own token: %d", code)
	}
	if st := o.bearer(t, m[1]); st != 401 {
		t.Errorf("the revoked token: %d", st)
	}
}
