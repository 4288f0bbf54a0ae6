package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/auth"
)

// page is one request for a page: who asked, and what the page has shown
// them so far, from which its banner is computed.
type page struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	p     *liaison.Principal // nil: nobody signed in
	sess  *session           // nil: no session (anonymous, or Basic or Bearer)
	marks *markingCache
	zone  *time.Location
	shown []label            // the labels of every version the page displays
	dir   *liaison.Directory // read once, by expand
}

// expand names the organisations that the names (organisations and
// communities) stand for, from the directory read once per page. When
// the directory cannot be read it names nobody, so a filter on it keeps
// nothing rather than everything.
func (p *page) expand(names ...string) liaison.Audience {
	if p.dir == nil {
		d, err := p.s.store.Directory(p.r.Context())
		if err != nil {
			p.s.log.Error("page: read the directory", "err", err)
			return nil
		}
		p.dir = d
	}
	return p.dir.Expand(names...)
}

// view is what the layout template receives.
type view struct {
	Title     string
	Office    liaison.Organisation
	Principal *liaison.Principal
	CSRF      string
	Nav       string // the navigation entry to mark current
	Banner    banner
	Zone      string
	Data      any
	Audit     bool // the audit page exists
}

// pageHandler is a page: it renders through p.render, or returns an error
// that becomes an error page.
type pageHandler func(p *page) error

// pageFor serves h as a page: anyone may see it.
func (s *Server) pageFor(h pageHandler) http.Handler {
	return s.pageWith(h, false)
}

// signedIn serves h as a page for signed-in readers: anyone else is sent
// to the sign-in form, which brings them back.
func (s *Server) signedIn(h pageHandler) http.Handler {
	return s.pageWith(h, true)
}

func (s *Server) pageWith(h pageHandler, needSignIn bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg := &page{s: s, w: w, r: r, marks: newMarkingCache(r.Context(), s.store), zone: time.UTC}
		p, sess, err := s.pagePrincipal(w, r)
		if err != nil {
			pg.fail(err)
			return
		}
		pg.p, pg.sess = p, sess
		if p == nil && needSignIn {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if p != nil {
			pg.zone = s.zoneOf(r, p.Org)
		}
		if err := h(pg); err != nil {
			pg.fail(err)
		}
	})
}

// pagePrincipal returns who a page request comes from: the principal of
// its session cookie; without a live session, the one its Authorization
// header names (scripts and curl may read pages as they read the API);
// else nobody. A session whose user is gone, disabled or has changed
// organisation ends here.
func (s *Server) pagePrincipal(w http.ResponseWriter, r *http.Request) (*liaison.Principal, *session, error) {
	name := s.sessionCookieName(r)
	if id := cookieValue(r, name); id != "" {
		if sess, ok := s.sessions.get(id); ok {
			cur, err := s.store.User(r.Context(), sess.principal.Name)
			switch {
			case err == nil && cur.ID == sess.principal.ID && cur.Org == sess.principal.Org && !cur.Disabled:
				if !sameRoles(cur.Roles, sess.principal.Roles) {
					s.sessions.update(id, cur)
				}
				return &cur, sess, nil
			case err != nil && liaison.ErrorCode(err) != liaison.ENOTFOUND:
				return nil, nil, fmt.Errorf("web: check the session's user: %w", err)
			}
			s.sessions.end(id)
		}
		// A stale cookie goes, so the browser stops sending it.
		s.setCookie(w, r, name, "", -1)
	}
	if r.Header.Get("Authorization") == "" {
		return nil, nil, nil
	}
	p, err := s.auth.Principal(r)
	if err != nil {
		return nil, nil, err
	}
	return &p, nil, nil
}

func sameRoles(a, b []liaison.Role) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// zoneOf returns the time zone of the reader's organisation, UTC if it
// has none or it cannot be loaded.
func (s *Server) zoneOf(r *http.Request, org string) *time.Location {
	o, err := s.store.Organisation(r.Context(), org)
	if err != nil || o.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// show records that the page displays a version with this label.
func (p *page) show(l label) { p.shown = append(p.shown, l) }

// label reads and records the label of a version the page displays.
func (p *page) label(v liaison.Version) (label, error) {
	l, err := p.marks.labelOf(v)
	if err != nil {
		return l, err
	}
	p.show(l)
	return l, nil
}

// banner computes the page's banner from what it showed.
func (p *page) banner() (banner, error) {
	var dir *liaison.Directory
	distinct := map[string]bool{}
	for _, l := range p.shown {
		for _, c := range l.constraints() {
			distinct[strings.Join(normList(c), ",")] = true
		}
	}
	if len(distinct) > 1 {
		d, err := p.s.store.Directory(p.r.Context())
		if err != nil {
			return banner{}, fmt.Errorf("web: banner: read the directory: %w", err)
		}
		dir = d
	}
	return bannerOf(p.shown, dir), nil
}

// render writes the page with the layout around it: the banner, computed
// from what the page showed, at top and bottom. It renders into a buffer
// first, so a template error is a 500 page and never half a page.
func (p *page) render(status int, name, title, nav string, data any) error {
	b, err := p.banner()
	if err != nil {
		return err
	}
	v := view{Title: title, Office: p.s.cfg.Office, Principal: p.p, Nav: nav, Banner: b, Zone: p.zone.String(), Data: data, Audit: p.s.audit != nil}
	if p.sess != nil {
		v.CSRF = p.sess.csrf
	}
	t, ok := p.s.pages[name]
	if !ok {
		return fmt.Errorf("web: render: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := p.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	p.w.WriteHeader(status)
	_, _ = p.w.Write(buf.Bytes())
	return nil
}

// errorView is what the error page shows.
type errorView struct {
	Status  int
	Heading string
	Message string
	Hint    string
	Signin  bool // offer the sign-in form
}

// fail answers the page with err as an error page in the layout, with
// the status the error's code maps to. A hidden thing and a missing one
// give the same page, because the store gives the same error. Internal
// errors are logged and shown as "internal error" only.
func (p *page) fail(err error) {
	status := auth.Status(err)
	var rl *auth.RateLimitedError
	ev := errorView{Status: status, Message: liaison.ErrorMessage(err)}
	switch {
	case errors.As(err, &rl):
		p.s.auth.SetHeaders(p.w, err)
		ev.Heading = "Too many failed sign-ins"
		ev.Hint = "Wait " + p.w.Header().Get("Retry-After") + " seconds, then try again."
	case status == http.StatusUnauthorized:
		ev.Heading, ev.Signin = "Sign-in needed", true
		ev.Hint = "Sign in with your user name and password."
	case status == http.StatusForbidden:
		ev.Heading = "Not allowed"
		ev.Hint = "Your organisation or your role does not allow this."
	case status == http.StatusNotFound:
		ev.Heading = "Not found"
		ev.Hint = "It does not exist, or it is not releasable to your organisation."
	case status == http.StatusBadRequest:
		ev.Heading = "Something in the request is wrong"
		ev.Hint = "Correct it and try again."
	case status >= 500:
		p.s.log.Error("page failed", "method", p.r.Method, "path", p.r.URL.Path, "err", err)
		ev.Heading, ev.Message = "Something went wrong on our side", "internal error"
		ev.Hint = "Try again in a moment. If it goes on, tell the office's administrator the time it happened."
	default:
		ev.Heading = http.StatusText(status)
	}
	// An error page shows nothing marked.
	p.shown = nil
	if rerr := p.render(status, "error.html", ev.Heading, "", ev); rerr != nil {
		p.s.log.Error("render error page", "path", p.r.URL.Path, "err", rerr)
		http.Error(p.w, ev.Message, status)
	}
}

// errorPage answers a request that no page handler has taken up yet with
// err as an error page.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	pg := &page{s: s, w: w, r: r, marks: newMarkingCache(r.Context(), s.store), zone: time.UTC}
	pg.fail(err)
}

// notFoundPage answers any path that no page has, and any method a page
// does not take (405: only the sign-in and sign-out forms are posted).
func (s *Server) notFoundPage(p *page) error {
	if m := p.r.Method; m != http.MethodGet && m != http.MethodHead {
		p.w.Header().Set("Allow", "GET, HEAD")
		ev := errorView{Status: http.StatusMethodNotAllowed, Heading: "Not allowed here",
			Message: fmt.Sprintf("a page does not take %s", truncate(m, 20)), Hint: "Follow the page's links and forms."}
		return p.render(http.StatusMethodNotAllowed, "error.html", ev.Heading, "", ev)
	}
	return liaison.Errorf(liaison.ENOTFOUND, "there is no page at %s", truncate(p.r.URL.Path, 100))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// parseTemplates builds one template set per page: the layout and the
// shared partials, with the page's own file defining "main".
func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n.IsDir() || !strings.HasSuffix(n.Name(), ".html") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if _, err := t.ParseFS(templateFS, "templates/"+n.Name()); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n.Name(), err)
		}
		out[n.Name()] = t
	}
	return out, nil
}
