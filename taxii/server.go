package taxii

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/auth"
	"liaison/internal/httpguard"
	"liaison/internal/route"
)

// Prefix is where the TAXII service is mounted: discovery is at Prefix and
// the API root below it.
const Prefix = "/taxii2/"

// Defaults for Config.
const (
	DefaultAPIRoot          = "api1"
	DefaultMaxContentLength = 64 << 20
	DefaultMaxPageSize      = 1000
	// writeChunk is how many objects of an add request go to the store in
	// one transaction.
	writeChunk = 2000
)

// Config describes the TAXII service.
type Config struct {
	Title       string // discovery and API root title; default "liaison"
	Description string
	Contact     string
	// APIRoot is the API root's name, one path segment: it is served at
	// /taxii2/<APIRoot>/. Default "api1", as in the specification's examples.
	APIRoot string
	// MaxContentLength bounds a request body in bytes (advertised as the
	// API root's max_content_length); default 64 MiB.
	MaxContentLength int64
	// MaxPageSize bounds the objects of one page, whatever limit a client
	// asks for; default 1000.
	MaxPageSize int
	// BaseURL, when set (such as https://liaison.example.org), is used for
	// the absolute URLs in the discovery resource; otherwise they are built
	// from the request's Host.
	BaseURL string
	Logger  *slog.Logger     // default slog.Default()
	Now     func() time.Time // default time.Now
}

// Server serves TAXII 2.1. It implements http.Handler for the paths under
// Prefix.
type Server struct {
	store liaison.Store
	auth  *auth.Authenticator
	cfg   Config
	mux   *http.ServeMux
	// handler is mux behind the checks every request passes, and the
	// draining of what a refused request leaves unread.
	handler http.Handler
	root    string // "/taxii2/<APIRoot>/"
}

// NewServer returns a TAXII 2.1 server over store. Every request must
// authenticate through a.
func NewServer(store liaison.Store, a *auth.Authenticator, cfg Config) *Server {
	if cfg.Title == "" {
		cfg.Title = "liaison"
	}
	cfg.APIRoot = strings.Trim(cfg.APIRoot, "/")
	if cfg.APIRoot == "" || strings.ContainsAny(cfg.APIRoot, "/{}") {
		cfg.APIRoot = DefaultAPIRoot
	}
	if cfg.MaxContentLength <= 0 {
		cfg.MaxContentLength = DefaultMaxContentLength
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = DefaultMaxPageSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	s := &Server{store: store, auth: a, cfg: cfg, mux: http.NewServeMux(), root: Prefix + cfg.APIRoot + "/"}
	s.routes()
	s.handler = httpguard.DrainUnread(s.guard(s.mux), 2*cfg.MaxContentLength, httpguard.DrainWait)
	return s
}

// Route is one TAXII endpoint, for documentation.
type Route struct {
	Method, Path, Summary string
}

// handler is a TAXII handler: it gets the authenticated principal and
// returns an error that the server turns into an error message resource.
type handler func(w http.ResponseWriter, r *http.Request, p liaison.Principal) error

// table lists every endpoint once; routes and Routes both read it.
func (s *Server) table() []struct {
	Route
	h handler
} {
	root := s.root
	c := root + "collections/{collection}/"
	o := c + "objects/{object}/"
	type entry = struct {
		Route
		h handler
	}
	return []entry{
		{Route{"GET", Prefix, "server discovery"}, s.discovery},
		{Route{"GET", root, "API root information"}, s.apiRoot},
		{Route{"GET", root + "status/{status}/", "status of an add-objects request"}, s.status},
		{Route{"GET", root + "collections/", "collections the principal may read or write"}, s.collections},
		{Route{"GET", c, "one collection"}, s.collection},
		{Route{"GET", c + "manifest/", "object manifests (filters: added_after, limit, next, match[id|type|version|spec_version])"}, s.manifest},
		{Route{"GET", c + "objects/", "objects (filters: added_after, limit, next, match[id|type|version|spec_version])"}, s.objects},
		{Route{"POST", c + "objects/", "add objects (an envelope); answers 202 with a status"}, s.addObjects},
		{Route{"GET", o, "one object (filters: added_after, limit, next, match[version|spec_version])"}, s.object},
		{Route{"DELETE", o, "delete an object (filters: match[version|spec_version])"}, s.deleteObject},
		{Route{"GET", o + "versions/", "versions of an object (filters: added_after, limit, next, match[spec_version])"}, s.versions},
	}
}

// Routes lists the endpoints the server serves, in the order of the
// specification.
func (s *Server) Routes() []Route {
	var out []Route
	for _, e := range s.table() {
		out = append(out, e.Route)
	}
	return out
}

// routes registers every endpoint on the mux.
func (s *Server) routes() {
	for _, e := range s.table() {
		s.mux.Handle(e.Method+" "+e.Path+"{$}", route.Note(s.wrap(e.h)))
	}
	s.mux.Handle("/", route.Note(http.HandlerFunc(s.fallback)))
}

// ServeHTTP serves TAXII requests. Every response forbids MIME sniffing;
// one to a request with credentials holds what that reader may read, and
// no cache may store it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("Authorization") != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	s.handler.ServeHTTP(w, r)
}

// fallback answers what no route matched: a path of the specification
// without its trailing slash is served as if it had one; a known path with
// another method gets 405; anything else 404. All as error messages.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/") {
		r2 := r.Clone(r.Context())
		r2.URL.Path += "/"
		r2.URL.RawPath = ""
		if _, pat := s.mux.Handler(r2); pat != "/" && pat != "" {
			s.mux.ServeHTTP(w, r2)
			return
		}
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pat := s.mux.Handler(r2); pat != "/" && pat != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed", "method "+r.Method+" is not allowed here: use "+strings.Join(allow, " or "), "method_not_allowed")
		return
	}
	s.writeErr(w, r, liaison.Errorf(liaison.ENOTFOUND, "no TAXII resource at %s: discovery is at %s and the API root at %s", truncate(r.URL.Path, 200), Prefix, s.root))
}

// wrap authenticates, checks Accept, runs h and turns its error into an
// error message resource.
func (s *Server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Principal(r)
		if err != nil {
			status := s.auth.SetHeaders(w, err)
			title := http.StatusText(status)
			code := liaison.ErrorCode(err)
			if status == http.StatusTooManyRequests {
				code = "rate_limited"
			}
			s.writeError(w, r, status, title, liaison.ErrorMessage(err), code)
			return
		}
		if !acceptsTAXII(r.Header.Get("Accept")) {
			s.writeError(w, r, http.StatusNotAcceptable, "Not Acceptable",
				"this server answers only with "+MediaType+": send that in Accept (or application/taxii+json)", "not_acceptable")
			return
		}
		if err := h(w, r, p); err != nil {
			s.writeErr(w, r, err)
		}
	})
}

var errorTitles = map[string]string{
	liaison.ENOTFOUND:     "Not Found",
	liaison.EINVALID:      "Bad Request",
	liaison.EUNAUTHORIZED: "Unauthorized",
	liaison.EFORBIDDEN:    "Forbidden",
	liaison.ECONFLICT:     "Conflict",
	liaison.ETOOLARGE:     "Request Entity Too Large",
	liaison.EINTERNAL:     "Internal Server Error",
}

// writeErr writes err as an error message resource with the status of its
// code. Internal errors are logged and shown only as "internal error".
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	code := liaison.ErrorCode(err)
	status := liaison.HTTPStatus(code)
	if code == liaison.EINTERNAL {
		s.cfg.Logger.Error("taxii: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	title := errorTitles[code]
	if title == "" {
		title = http.StatusText(status)
	}
	s.writeError(w, r, status, title, liaison.ErrorMessage(err), code)
}

// writeError writes a TAXII error message resource.
func (s *Server) writeError(w http.ResponseWriter, _ *http.Request, status int, title, description, code string) {
	s.writeJSON(w, status, ErrorMessage{
		Title:       title,
		Description: description,
		ErrorCode:   code,
		HTTPStatus:  flexString(strconv.Itoa(status)),
	})
}

// writeJSON writes v as a TAXII resource.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		s.cfg.Logger.Error("taxii: encode response", "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"title":"Internal Server Error","description":"internal error","http_status":"500"}`)
	}
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// baseURL returns the scheme and host the client used, or Config.BaseURL.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// isNotFound reports whether err is ENOTFOUND.
func isNotFound(err error) bool {
	var e *liaison.Error
	return errors.As(err, &e) && e.Code == liaison.ENOTFOUND
}
