package web

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 description of the JSON API under /api/v1.
// The tests validate every API response they receive against it, and
// fail when a route is registered that it does not describe.
//
//go:embed openapi.json
var openAPI []byte

// openAPIDoc serves the description. It needs no credentials: it says
// what the API is, nothing of what the office holds.
func (s *Server) openAPIDoc(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
}
