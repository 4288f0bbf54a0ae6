package web

import (
	"embed"
	"net/http"
	"path"
	"strings"
)

//go:embed assets/*.css assets/*.js
var assetFS embed.FS

// pagePolicy is the Content-Security-Policy of every response: the pages
// load only their own stylesheet, run no script at all (none inline, none
// from elsewhere), post forms only here, and may not be framed, so another
// site can neither inject into them nor overlay them.
const pagePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets, on every response of the pages and the JSON API,
// the headers that keep a browser from misusing it: no MIME sniffing, the
// policy above, no Referer to other sites, no framing (for browsers that
// predate frame-ancestors). Every response but the static assets is for
// one reader's eyes, or may be once a session cookie or credentials come
// with it, so none is ever stored by any cache; the assets hold nothing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", pagePolicy)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/assets/") && r.URL.Path != "/favicon.svg" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// assetTypes are the kinds of embedded asset, by name suffix.
var assetTypes = map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

// asset serves one embedded stylesheet or script.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ct := assetTypes[path.Ext(name)]
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil || ct == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}
