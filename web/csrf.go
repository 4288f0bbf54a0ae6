package web

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"liaison"
	"liaison/internal/httpguard"
)

// guard makes the checks that no route may skip, in front of all of them,
// before any credentials are looked at:
//
//   - A request that may change state and that a browser sent from
//     another site's page is refused with 403, whatever its path. A
//     browser that holds a user's Basic credentials attaches them to any
//     form another site makes it submit, so without this any page could
//     concur on a proposal in the user's name. See httpguard.CrossSite.
//   - A request that may change state under /api/ must declare its body
//     as application/json, even when the body is empty; otherwise 415.
//     A form (or a text/plain fetch) can be sent cross-site without a
//     CORS preflight, a JSON body cannot, so this is the second lock on
//     the same door for browsers that send neither Origin nor
//     Sec-Fetch-Site.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !httpguard.Unsafe(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		if why := httpguard.CrossSite(r); why != "" {
			s.log.Warn("refused a cross-site request", "method", r.Method, "path", r.URL.Path, "why", why, "remote", r.RemoteAddr)
			err := liaison.Errorf(liaison.EFORBIDDEN, "cross-site request refused: %s; the JSON API takes writes only from this server's pages or from clients that are not browsers", why)
			if strings.HasPrefix(r.URL.Path, "/api/") {
				s.writeError(w, r, err)
			} else {
				s.errorPage(w, r, liaison.Errorf(liaison.EFORBIDDEN, "cross-site request refused: %s; the office's forms are sent only from its own pages", why))
			}
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
				writeUnsupported(w, ct)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isJSON reports whether a Content-Type is application/json, with any
// parameters (such as charset=utf-8).
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

func writeUnsupported(w http.ResponseWriter, ct string) {
	var body apiError
	body.Error.Code = "unsupported_media_type"
	body.Error.Message = "header Content-Type is missing"
	if ct != "" {
		if len(ct) > 100 {
			ct = ct[:100] + "…"
		}
		body.Error.Message = fmt.Sprintf("header Content-Type %q is not application/json", ct)
	}
	body.Error.Message += ": a request that changes something must send Content-Type: application/json, even with an empty body"
	writeJSON(w, http.StatusUnsupportedMediaType, body)
}
