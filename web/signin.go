package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"liaison"
	"liaison/auth"
)

// maxFormBody bounds the body of a page's form.
const maxFormBody = 64 << 10

// signinView is what the sign-in form shows.
type signinView struct {
	Next      string
	CSRF      string // the form's own token, before any session exists
	User      string // kept after a failed try
	Error     string
	Field     string // the field the error is about, to mark
	Focus     string // the field to focus
	SignedOut bool
}

// signinForm shows the sign-in form. It sets a cookie whose value the
// form carries back (a double-submit token), so that another site cannot
// sign a browser in under an account of its choosing.
func (s *Server) signinForm(p *page) error {
	return p.renderSignin(http.StatusOK, signinView{Next: safeNext(p.r.URL.Query().Get("next")), SignedOut: p.r.URL.Query().Has("out")})
}

// renderSignin renders the form with a fresh or the current form token.
func (p *page) renderSignin(status int, v signinView) error {
	name := p.s.signinCookieName(p.r)
	tok := cookieValue(p.r, name)
	if len(tok) != 43 {
		tok = randomToken()
		p.s.setCookie(p.w, p.r, name, tok, 3600)
	}
	v.CSRF = tok
	v.Focus = "user"
	if v.User != "" && v.Field != "user" {
		v.Focus = "password"
	}
	if v.Next == "/" {
		v.Next = ""
	}
	return p.render(status, "signin.html", "Sign in", "signin", v)
}

// signin checks the form's name and password through the authenticator,
// which counts failures against the address exactly as it counts failed
// HTTP Basic logins, and starts a session.
func (s *Server) signin(p *page) error {
	r := p.r
	r.Body = http.MaxBytesReader(p.w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return liaison.Errorf(liaison.EINVALID, "the sign-in form could not be read: %v", err)
	}
	v := signinView{Next: safeNext(r.PostForm.Get("next")), User: strings.TrimSpace(r.PostForm.Get("user"))}
	tok := cookieValue(r, s.signinCookieName(r))
	if len(tok) != 43 || !constantEqual(tok, r.PostForm.Get("csrf")) {
		v.Error = "The sign-in form had expired. It has been renewed: sign in again."
		return p.renderSignin(http.StatusForbidden, v)
	}
	password := r.PostForm.Get("password")
	switch {
	case v.User == "":
		v.Error, v.Field = "Field user is empty: enter your user name.", "user"
		return p.renderSignin(http.StatusBadRequest, v)
	case password == "":
		v.Error, v.Field = "Field password is empty: enter your password or an API token.", "password"
		return p.renderSignin(http.StatusBadRequest, v)
	case len(v.User) > 256 || len(password) > 1024:
		v.Error, v.Field = "Field user or password is too long.", "user"
		return p.renderSignin(http.StatusBadRequest, v)
	}
	pr, err := s.auth.SignIn(r, v.User, password)
	var rl *auth.RateLimitedError
	switch {
	case errors.As(err, &rl):
		s.auth.SetHeaders(p.w, err)
		v.Error = "Too many failed sign-ins from your address. Wait " + p.w.Header().Get("Retry-After") + " seconds, then try again."
		return p.renderSignin(http.StatusTooManyRequests, v)
	case liaison.ErrorCode(err) == liaison.EUNAUTHORIZED:
		v.Error, v.Field = "The user name or the password is wrong.", "password"
		return p.renderSignin(http.StatusUnauthorized, v)
	case err != nil:
		return err
	}
	if old := cookieValue(r, s.sessionCookieName(r)); old != "" {
		s.sessions.end(old)
	}
	id, _ := s.sessions.create(pr)
	s.setCookie(p.w, r, s.sessionCookieName(r), id, int(s.sessions.lifetime.Seconds()))
	s.setCookie(p.w, r, s.signinCookieName(r), "", -1)
	s.log.Info("signed in", "user", pr.Name, "org", pr.Org, "remote", r.RemoteAddr)
	http.Redirect(p.w, r, v.Next, http.StatusSeeOther)
	return nil
}

// signout ends the session. Like every form that changes something, it
// must carry the session's token.
func (s *Server) signout(p *page) error {
	if p.sess == nil {
		http.Redirect(p.w, p.r, "/signin", http.StatusSeeOther)
		return nil
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	s.sessions.end(cookieValue(p.r, s.sessionCookieName(p.r)))
	s.setCookie(p.w, p.r, s.sessionCookieName(p.r), "", -1)
	s.log.Info("signed out", "user", p.p.Name, "org", p.p.Org)
	http.Redirect(p.w, p.r, "/signin?out", http.StatusSeeOther)
	return nil
}

// checkForm reads a form posted from a page and checks its CSRF token
// against the session's. Only a session can post a page's form.
func (p *page) checkForm() error {
	if p.sess == nil {
		return liaison.Errorf(liaison.EFORBIDDEN, "forms are for signed-in browsers: sign in with the form first")
	}
	p.r.Body = http.MaxBytesReader(p.w, p.r.Body, maxFormBody)
	if err := p.r.ParseForm(); err != nil {
		return liaison.Errorf(liaison.EINVALID, "the form could not be read: %v", err)
	}
	if !p.sess.validCSRF(p.r.PostForm.Get("csrf")) {
		return liaison.Errorf(liaison.EFORBIDDEN, "field csrf is missing or wrong: reload the page and try again")
	}
	return nil
}

// safeNext returns next if it is a path on this server, else "/": the
// sign-in form must never send anyone to another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/signin") {
		return "/"
	}
	return next
}
