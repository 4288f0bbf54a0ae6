package taxii

import (
	"net/http"
	"net/url"

	"liaison/internal/httpguard"
)

// guard refuses, before any route runs and before credentials are looked
// at, a request that may change state (POST, DELETE) and that a browser
// sent from another site's page: 403, as an error message resource. A
// browser holding a user's Basic credentials attaches them to any request
// another site makes it send; TAXII clients are not browsers and send no
// Origin, so they pass. The host of Config.BaseURL, if set, counts as the
// server's own. See httpguard.CrossSite.
func (s *Server) guard(next http.Handler) http.Handler {
	var trusted []string
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Host != "" {
		trusted = append(trusted, u.Host)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := httpguard.CrossSite(r, trusted...); why != "" {
			s.cfg.Logger.Warn("taxii: refused a cross-site request", "method", r.Method, "path", r.URL.Path, "why", why, "remote", r.RemoteAddr)
			s.writeError(w, r, http.StatusForbidden, "Forbidden", "cross-site request refused: "+why+"; TAXII takes writes only from clients that are not browsers, or from this server's pages", "forbidden")
			return
		}
		next.ServeHTTP(w, r)
	})
}
