package audit

import (
	"errors"
	"net/http"
	"strings"

	"liaison"
	"liaison/core"
)

// PathOf classes a request path into the path an entry names: export,
// search and graph wherever they appear, then TAXII, the JSON API, and
// the pages for the rest.
func PathOf(urlPath string) string {
	for _, seg := range strings.Split(urlPath, "/") {
		switch seg {
		case "export":
			return PathExport
		case "search":
			return PathSearch
		case "graph":
			return PathGraph
		}
	}
	switch {
	case strings.HasPrefix(urlPath, "/taxii2/"):
		return PathTAXII
	case strings.HasPrefix(urlPath, "/api/"):
		return PathAPI
	}
	return PathPages
}

// Paths sets, once for each request, the path its store calls are
// recorded as taken on.
func Paths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithPath(r.Context(), PathOf(r.URL.Path))))
	})
}

// CheckpointHandler serves the newest signed checkpoint, as a C2SP signed
// note (text/plain), for GET /audit/checkpoint, to the office's admins
// only; 404 before the first. The tree size is a count of the office's
// activity, so anyone else is answered as for a path that does not exist
// (peers that witness the log read it on the peer endpoint).
func CheckpointHandler(db core.DB, log interface{ Error(string, ...any) }) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := liaison.PrincipalFrom(r.Context()); !ok || !p.HasRole(liaison.RoleAdmin) {
			http.NotFound(w, r)
			return
		}
		c, err := Latest(r.Context(), db)
		var le *liaison.Error
		switch {
		case errors.As(err, &le) && le.Code == liaison.ENOTFOUND:
			http.Error(w, "no audit checkpoint has been signed yet", http.StatusNotFound)
			return
		case err != nil:
			log.Error("audit: read the newest checkpoint", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(c.Note)
	})
}
