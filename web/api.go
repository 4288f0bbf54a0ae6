package web

import (
	"net/http"

	"liaison"
)

type principalJSON struct {
	Name  string   `json:"name"`
	Org   string   `json:"org"`
	Roles []string `json:"roles"`
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	out := principalJSON{Name: p.Name, Org: p.Org, Roles: []string{}}
	for _, role := range p.Roles {
		out.Roles = append(out.Roles, string(role))
	}
	writeJSON(w, http.StatusOK, out)
}

type collectionJSON struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Description    string   `json:"description,omitempty"`
	Topic          string   `json:"topic"`
	CanRead        bool     `json:"can_read"`
	CanWrite       bool     `json:"can_write"`
	Read           []string `json:"read"`
	Write          []string `json:"write"`
	DefaultMarking string   `json:"default_marking,omitempty"`
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	cs, err := s.store.Collections(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]collectionJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, collectionJSON{ID: c.ID, Title: c.Title, Description: c.Description, Topic: c.Topic,
			CanRead: c.CanRead, CanWrite: c.CanWrite, Read: nonNil(c.Read), Write: nonNil(c.Write), DefaultMarking: c.DefaultMarking})
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": out})
}

type organisationJSON struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	TimeZone string `json:"time_zone,omitempty"`
}

func (s *Server) listOrganisations(w http.ResponseWriter, r *http.Request, _ liaison.Principal) {
	orgs, err := s.store.Organisations(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]organisationJSON, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, organisationJSON{Code: o.Code, Name: o.Name, Kind: string(o.Kind), TimeZone: o.TimeZone})
	}
	writeJSON(w, http.StatusOK, map[string]any{"organisations": out})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
