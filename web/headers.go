package web

import (
	"embed"
	"net/http"
	"strings"
)

//go:embed assets/*.css
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
// predate frame-ancestors). A response to a request with credentials is
// for one user's eyes and what their organisation may read: it is never
// stored by any cache (the static assets excepted, which hold nothing).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", pagePolicy)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if r.Header.Get("Authorization") != "" && !strings.HasPrefix(r.URL.Path, "/assets/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// asset serves one embedded stylesheet.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil || !strings.HasSuffix(name, ".css") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}
