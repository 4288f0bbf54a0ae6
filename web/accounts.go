package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"liaison"
)

// The accounts pages: "Your account" for every signed-in user (their own
// password and tokens), and the users pages for admins (add users, change
// roles, disable and enable, and any user's tokens). Users and tokens are
// not object content, so these pages show nothing marked; only admins
// see other users. Every form carries the session's CSRF token.

// minPassword is the shortest password the pages accept, as the CLI.
const minPassword = 8

// accountRoutes lists the account and users pages.
func (s *Server) accountRoutes() {
	s.handle("GET /account", s.signedIn(s.accountPage))
	s.handle("POST /account/password", s.signedIn(s.changeOwnPassword))
	s.handle("POST /account/tokens", s.signedIn(s.createOwnToken))
	s.handle("POST /account/tokens/{tid}/revoke", s.signedIn(s.revokeOwnToken))
	s.handle("GET /users", s.signedIn(s.usersPage))
	s.handle("POST /users", s.signedIn(s.addUser))
	s.handle("GET /users/{name}", s.signedIn(s.userPage))
	s.handle("POST /users/{name}/roles", s.signedIn(s.setUserRoles))
	s.handle("POST /users/{name}/disabled", s.signedIn(s.setUserDisabled))
	s.handle("POST /users/{name}/tokens", s.signedIn(s.createUserToken))
	s.handle("POST /users/{name}/tokens/{tid}/revoke", s.signedIn(s.revokeUserToken))
}

var allRoles = []liaison.Role{liaison.RoleReader, liaison.RoleAnalyst, liaison.RoleOfficer, liaison.RoleAdmin}

type tokenRow struct {
	ID      string
	Created timeView
	Revoked bool
}

type roleBox struct {
	Role    liaison.Role
	Checked bool
}

type accountView struct {
	User     liaison.Principal
	Tokens   []tokenRow
	Secret   string // a token just created: shown this once
	SecretID string
	Changed  bool // the password was just changed
	Action   string
}

type userRow struct {
	Name, Org, Roles string
	Disabled         bool
}

type usersView struct {
	Users []userRow
	Orgs  []liaison.Organisation
	Roles []roleBox
	Added string
}

type userView struct {
	accountView
	Roles  []roleBox
	IsSelf bool
}

// requireAdmin refuses anyone but an admin.
func requireAdmin(p *page, what string) error {
	if !p.p.HasRole(liaison.RoleAdmin) {
		return liaison.Errorf(liaison.EFORBIDDEN, "%s is for the office's admins", what)
	}
	return nil
}

func (p *page) tokenRows(ts []liaison.Token) []tokenRow {
	out := make([]tokenRow, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenRow{ID: t.ID, Created: p.when(t.Created), Revoked: t.Revoked})
	}
	return out
}

// accountPage shows the reader's own account.
func (s *Server) accountPage(p *page) error {
	v := accountView{Changed: p.r.URL.Query().Has("changed"), Action: "/account"}
	return s.renderAccount(p, http.StatusOK, v)
}

func (s *Server) renderAccount(p *page, status int, v accountView) error {
	ts, err := s.store.Tokens(p.r.Context(), p.p.Name)
	if err != nil {
		return err
	}
	v.User, v.Tokens, v.Action = *p.p, p.tokenRows(ts), "/account"
	return p.render(status, "account.html", "Your account", "account", v)
}

// changeOwnPassword replaces the reader's password after checking the
// current one, which is counted against the address as a sign-in is, and
// ends the reader's other sessions.
func (s *Server) changeOwnPassword(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	f := p.r.PostForm
	cur, next, again := f.Get("current"), f.Get("password"), f.Get("confirm")
	if cur == "" {
		return liaison.Errorf(liaison.EINVALID, "field current is empty: enter your current password")
	}
	if err := checkNewPassword(next, again); err != nil {
		return err
	}
	if _, err := s.auth.SignIn(p.r, p.p.Name, cur); err != nil {
		if liaison.ErrorCode(err) == liaison.EUNAUTHORIZED {
			return liaison.Errorf(liaison.EINVALID, "field current: that is not your current password")
		}
		return err
	}
	// The sign-in check takes a live token as well; a token is not the
	// password it would replace.
	if _, err := s.store.PrincipalByToken(p.r.Context(), cur); err == nil {
		return liaison.Errorf(liaison.EINVALID, "field current: that is an API token, not your current password")
	}
	if err := s.store.SetPassword(p.r.Context(), p.p.Name, next); err != nil {
		return err
	}
	ended := s.sessions.endOthers(p.p.ID, cookieValue(p.r, s.sessionCookieName(p.r)))
	s.log.Info("password changed", "user", p.p.Name, "other_sessions_ended", ended)
	http.Redirect(p.w, p.r, "/account?changed", http.StatusSeeOther)
	return nil
}

// checkNewPassword checks a new password and its confirmation.
func checkNewPassword(next, again string) error {
	switch {
	case utf8.RuneCountInString(next) < minPassword:
		return liaison.Errorf(liaison.EINVALID, "field password: a password needs at least %d characters", minPassword)
	case len(next) > 1024:
		return liaison.Errorf(liaison.EINVALID, "field password: a password has at most 1024 bytes")
	case next != again:
		return liaison.Errorf(liaison.EINVALID, "field confirm: the two new passwords differ; type the same one twice")
	}
	return nil
}

// createOwnToken makes a token for the reader and shows it once.
func (s *Server) createOwnToken(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	t, secret, err := s.store.CreateToken(p.r.Context(), p.p.Name)
	if err != nil {
		return err
	}
	noStore(p.w)
	return s.renderAccount(p, http.StatusCreated, accountView{Secret: secret, SecretID: t.ID})
}

// revokeOwnToken revokes one of the reader's own tokens; another user's
// token, or none, is the same 404.
func (s *Server) revokeOwnToken(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	if err := s.revokeTokenOf(p, p.p.Name, p.r.PathValue("tid")); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, "/account#tokens", http.StatusSeeOther)
	return nil
}

// revokeTokenOf revokes token tid if it belongs to user.
func (s *Server) revokeTokenOf(p *page, user, tid string) error {
	ts, err := s.store.Tokens(p.r.Context(), user)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts, func(t liaison.Token) bool { return t.ID == tid }) {
		return liaison.NotFound("token", tid)
	}
	return s.store.RevokeToken(p.r.Context(), tid)
}

// noStore keeps a page that shows a secret out of every cache.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

func roleBoxes(have []liaison.Role) []roleBox {
	out := make([]roleBox, len(allRoles))
	for i, r := range allRoles {
		out[i] = roleBox{Role: r, Checked: slices.Contains(have, r)}
	}
	return out
}

// formRoles reads the roles ticked in a form.
func formRoles(f url.Values) ([]liaison.Role, error) {
	var out []liaison.Role
	for i, r := range f["role"] {
		role := liaison.Role(strings.TrimSpace(r))
		if !role.Valid() {
			return nil, liaison.Errorf(liaison.EINVALID, "field role[%d]: %q is not a role: want reader, analyst, officer or admin", i, truncate(r, 40))
		}
		out = append(out, role)
	}
	if len(out) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "field role: tick at least one role (reader, analyst, officer or admin)")
	}
	return out, nil
}

// usersPage lists every user, for admins, with the form that adds one.
func (s *Server) usersPage(p *page) error {
	if err := requireAdmin(p, "the users page"); err != nil {
		return err
	}
	ctx := p.r.Context()
	us, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	orgs, err := s.store.Organisations(ctx)
	if err != nil {
		return err
	}
	v := usersView{Orgs: orgs, Roles: roleBoxes([]liaison.Role{liaison.RoleReader}), Added: p.r.URL.Query().Get("added")}
	for _, u := range us {
		v.Users = append(v.Users, userRow{Name: u.Name, Org: u.Org, Roles: joinRoleWords(u.Roles), Disabled: u.Disabled})
	}
	return p.render(http.StatusOK, "users.html", "Users", "users", v)
}

func joinRoleWords(rs []liaison.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ", ")
}

// addUser adds a user from the admin's form.
func (s *Server) addUser(p *page) error {
	if err := requireAdmin(p, "adding users"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	f := p.r.PostForm
	u := liaison.Principal{Name: strings.TrimSpace(f.Get("name")), Org: strings.ToUpper(strings.TrimSpace(f.Get("org")))}
	if u.Name == "" {
		return liaison.Errorf(liaison.EINVALID, "field name is empty: enter the new user's name")
	}
	if u.Org == "" {
		return liaison.Errorf(liaison.EINVALID, "field org is empty: choose the user's organisation")
	}
	roles, err := formRoles(f)
	if err != nil {
		return err
	}
	u.Roles = roles
	password := f.Get("password")
	if password != "" {
		if err := checkNewPassword(password, f.Get("confirm")); err != nil {
			return err
		}
	}
	if err := s.store.CreateUser(p.r.Context(), &u, password); err != nil {
		return err
	}
	s.log.Info("user added", "by", p.p.Name, "user", u.Name, "org", u.Org)
	http.Redirect(p.w, p.r, "/users/"+url.PathEscape(u.Name), http.StatusSeeOther)
	return nil
}

// userPage shows one user to an admin: roles, state and tokens.
func (s *Server) userPage(p *page) error {
	if err := requireAdmin(p, "the users page"); err != nil {
		return err
	}
	return s.renderUser(p, http.StatusOK, accountView{})
}

func (s *Server) renderUser(p *page, status int, v accountView) error {
	ctx := p.r.Context()
	u, err := s.store.User(ctx, p.r.PathValue("name"))
	if err != nil {
		return err
	}
	ts, err := s.store.Tokens(ctx, u.Name)
	if err != nil {
		return err
	}
	v.User, v.Tokens, v.Action = u, p.tokenRows(ts), "/users/"+url.PathEscape(u.Name)
	return p.render(status, "user.html", "User "+u.Name, "users", userView{accountView: v, Roles: roleBoxes(u.Roles), IsSelf: u.Name == p.p.Name})
}

// setUserRoles replaces a user's roles. An admin may not take the admin
// role from themselves here, so that the office is never left without
// one by a slip.
func (s *Server) setUserRoles(p *page) error {
	if err := requireAdmin(p, "changing roles"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	name := p.r.PathValue("name")
	roles, err := formRoles(p.r.PostForm)
	if err != nil {
		return err
	}
	if name == p.p.Name && !slices.Contains(roles, liaison.RoleAdmin) {
		return liaison.Errorf(liaison.EINVALID, "field role: you cannot take the admin role from yourself; ask another admin")
	}
	if err := s.store.SetRoles(p.r.Context(), name, roles); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, "/users/"+url.PathEscape(name), http.StatusSeeOther)
	return nil
}

// setUserDisabled disables or enables a user; disabling ends their
// sessions and stops their tokens at their next request.
func (s *Server) setUserDisabled(p *page) error {
	if err := requireAdmin(p, "disabling users"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	name := p.r.PathValue("name")
	var disabled bool
	switch p.r.PostForm.Get("disabled") {
	case "true":
		disabled = true
	case "false":
	default:
		return liaison.Errorf(liaison.EINVALID, "field disabled: want true or false")
	}
	if disabled && name == p.p.Name {
		return liaison.Errorf(liaison.EINVALID, "field disabled: you cannot disable yourself; ask another admin")
	}
	if err := s.store.SetDisabled(p.r.Context(), name, disabled); err != nil {
		return err
	}
	s.log.Info("user disabled or enabled", "by", p.p.Name, "user", name, "disabled", disabled)
	http.Redirect(p.w, p.r, "/users/"+url.PathEscape(name), http.StatusSeeOther)
	return nil
}

// createUserToken makes a token for a user and shows it to the admin once.
func (s *Server) createUserToken(p *page) error {
	if err := requireAdmin(p, "making tokens for others"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	t, secret, err := s.store.CreateToken(p.r.Context(), p.r.PathValue("name"))
	if err != nil {
		return err
	}
	noStore(p.w)
	return s.renderUser(p, http.StatusCreated, accountView{Secret: secret, SecretID: t.ID})
}

// revokeUserToken revokes one of a user's tokens.
func (s *Server) revokeUserToken(p *page) error {
	if err := requireAdmin(p, "revoking others' tokens"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	name := p.r.PathValue("name")
	if err := s.revokeTokenOf(p, name, p.r.PathValue("tid")); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, "/users/"+url.PathEscape(name)+"#tokens", http.StatusSeeOther)
	return nil
}
