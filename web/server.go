// Package web serves the office's own pages and its JSON API (/api/v1/):
// the home page, health, and the API that the UI and scripts use. Every
// read goes through the store's reader-filtered methods.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"liaison"
	"liaison/auth"
	"liaison/core"
	"liaison/internal/httpguard"
	"liaison/internal/route"
	"liaison/match"
)

//go:embed templates/*.html templates/layout/*.html
var templateFS embed.FS

// Config describes the office to the pages.
type Config struct {
	Office    liaison.Organisation // the office's own organisation
	TAXIIPath string               // the TAXII discovery path, e.g. /taxii2/
	APIRoot   string               // the TAXII API root path, e.g. /taxii2/tokyo/
	Logger    *slog.Logger
	Now       func() time.Time
	// SecureCookies marks the session cookie Secure, with the __Host-
	// prefix, on every request: set it when a TLS proxy stands in front.
	// Requests that arrive over TLS get that cookie anyway.
	SecureCookies bool
	// SessionIdle and SessionLifetime end a session after so long
	// without a request, and so long after sign-in; zero means
	// DefaultSessionIdle and DefaultSessionLifetime.
	SessionIdle, SessionLifetime time.Duration
	// Decay scores indicators on their pages; zero fields take
	// match.DefaultDecay's.
	Decay match.Decay
	// MaxUpload bounds a bundle uploaded with the import form, in
	// bytes; zero means DefaultMaxUpload.
	MaxUpload int64
}

// Services are what the pages and the JSON API read and change. Every
// field is required; today one store provides them all.
type Services struct {
	Store         liaison.Store
	Consultations liaison.ConsultationService
	Decisions     liaison.DecisionService
	// Peers, when set, gives admins the peers page (federation).
	Peers liaison.PeerService
	// Audit, when set, is the store's audit log (package audit): the
	// audit page, "Who received this" on the object page, and the
	// witness state on the peers page.
	Audit core.DB
}

// Server is the http.Handler for the pages and the JSON API.
type Server struct {
	store    liaison.Store
	consult  liaison.ConsultationService
	decide   liaison.DecisionService
	peers    liaison.PeerService // nil: no peers page
	audit    core.DB             // nil: no audit page
	auth     *auth.Authenticator
	cfg      Config
	pages    map[string]*template.Template // by file name, each with the layout
	sessions *sessions
	jobs     *jobs // the directory changes and recomputes started from pages
	mux      *http.ServeMux
	handler  http.Handler // mux behind the checks every request passes, and the draining of refused bodies
	// patterns lists every pattern registered on mux, in order, so that
	// tests can reach every route.
	patterns []string
	log      *slog.Logger
}

// NewServer returns the handler for the office's pages and JSON API. It
// fails when a service or the authenticator is missing, so that a wiring
// mistake stops the office at start-up rather than failing live requests.
func NewServer(svc Services, authn *auth.Authenticator, cfg Config) (*Server, error) {
	for _, m := range []struct {
		name    string
		missing bool
	}{
		{"Services.Store", svc.Store == nil},
		{"Services.Consultations", svc.Consultations == nil},
		{"Services.Decisions", svc.Decisions == nil},
		{"the authenticator", authn == nil},
	} {
		if m.missing {
			return nil, fmt.Errorf("web: new server: %s is nil", m.name)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{
		store: svc.Store, consult: svc.Consultations, decide: svc.Decisions, peers: svc.Peers, audit: svc.Audit, auth: authn, cfg: cfg, log: cfg.Logger,
		pages: pages, sessions: newSessions(cfg.SessionIdle, cfg.SessionLifetime, cfg.Now),
		mux: http.NewServeMux(), jobs: newJobs(),
	}
	s.routes()
	s.handler = httpguard.DrainUnread(securityHeaders(s.guard(s.mux)), httpguard.DrainBytes, httpguard.DrainWait)
	return s, nil
}

// routes lists every route of the pages and the JSON API.
func (s *Server) routes() {
	s.handle("GET /{$}", s.pageFor(s.home))
	s.handle("GET /signin", s.pageFor(s.signinForm))
	s.handle("POST /signin", s.pageFor(s.signin))
	s.handle("POST /signout", s.pageFor(s.signout))
	s.handle("GET /objects", s.signedIn(s.listAll))
	s.handle("GET /objects/export", s.signedIn(s.exportAll))
	s.handle("GET /collections/{cid}/objects", s.signedIn(s.listCollection))
	s.handle("GET /collections/{cid}/objects/export", s.signedIn(s.exportCollection))
	s.handle("GET /collections/{cid}/objects/{id}", s.signedIn(s.object))
	s.handle("GET /collections/{cid}/objects/{id}/diff", s.signedIn(s.diff))
	s.handle("GET /search", s.signedIn(s.searchPage))
	s.handle("GET /objects/{id}/graph", s.signedIn(s.graphPage))
	s.handle("GET /activity", s.signedIn(s.activity))
	s.handle("GET /import", s.signedIn(s.importForm))
	s.handle("POST /import", s.pageFor(s.importUpload))
	s.handle("POST /import/preview", s.pageFor(s.importPreview))
	s.handle("GET /markings", s.pageFor(s.markingsHelp))
	s.matrixRoutes()
	s.handle("GET /edt", s.signedIn(s.edtIndex))
	s.handle("GET /edt/{area}", s.signedIn(s.edtArea))
	s.decisionRoutes()
	s.consultationRoutes()
	s.plannerRoutes()
	s.officeRoutes()
	s.accountRoutes()
	s.collectionRoutes()
	if s.peers != nil {
		s.handle("GET /peers", s.signedIn(s.peersPage))
	}
	if s.audit != nil {
		s.handle("GET /audit", s.signedIn(s.auditPage))
	}
	s.handle("GET /healthz", http.HandlerFunc(s.healthz))
	s.handle("GET /assets/{name}", http.HandlerFunc(s.asset))
	s.handle("GET /favicon.svg", http.HandlerFunc(s.favicon))

	s.handle("GET /api/v1/whoami", s.authed(s.whoami))
	s.handle("GET /api/v1/collections", s.authed(s.listCollections))
	s.handle("GET /api/v1/organisations", s.authed(s.listOrganisations))
	s.handle("GET /api/v1/search", s.authed(s.apiSearch))
	s.handle("GET /api/v1/openapi.json", http.HandlerFunc(s.openAPIDoc))
	s.consultRoutes()
	s.decideRoutes()
	s.matchRoutes()
	s.handle("/api/", http.HandlerFunc(s.apiNotFound))
	s.handle("/", s.pageFor(s.notFoundPage))
}

// handle registers h for pattern on the mux and records the pattern. The
// pattern is noted for the request's metrics (see internal/route).
func (s *Server) handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, route.Note(h))
	s.patterns = append(s.patterns, pattern)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// authed wraps an API handler that needs a principal.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, liaison.Principal)) http.Handler {
	return s.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := liaison.PrincipalFrom(r.Context())
		if !ok {
			s.writeError(w, r, liaison.Errorf(liaison.EUNAUTHORIZED, "authentication required"))
			return
		}
		h(w, r, p)
	}))
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, liaison.Errorf(liaison.ENOTFOUND, "no API endpoint %s %s", r.Method, r.URL.Path))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.Organisations(r.Context()); err != nil {
		s.log.Error("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
