package web

import (
	"encoding/json"
	"net/http"
	"time"

	"liaison"
)

// MaxMatchBody bounds the body of POST /api/v1/match: one bundle of
// observations.
const MaxMatchBody = 8 << 20

// matchRoutes lists the JSON API of matching.
func (s *Server) matchRoutes() {
	s.handle("POST /api/v1/match", s.authed(s.match))
}

// matchIn is the body of POST /api/v1/match: a STIX bundle of
// observations, with the two options beside its objects.
type matchIn struct {
	Type        string            `json:"type"`
	ID          string            `json:"id"`
	SpecVersion string            `json:"spec_version"`
	Objects     []json.RawMessage `json:"objects"`
	Record      bool              `json:"record"`
	Collection  string            `json:"collection"`
}

type matchOut struct {
	Observations int              `json:"observations"`
	Matches      []matchHitOut    `json:"matches"`
	Written      []matchWritten   `json:"written"`
	Rejected     []matchRejection `json:"rejected"`
}

type matchHitOut struct {
	Collection   string   `json:"collection"`
	Indicator    string   `json:"indicator"`
	Version      string   `json:"version"`
	Observations []string `json:"observations"`
	Sighting     string   `json:"sighting,omitempty"`
}

type matchWritten struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Present bool   `json:"present"`
}

type matchRejection struct {
	Index   int    `json:"index"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// stixStamp is a STIX timestamp as the API writes versions.
func stixStamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (s *Server) match(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in matchIn
	if err := decodeBody(w, r, &in, false, MaxMatchBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case in.Type != "" && in.Type != "bundle":
		s.writeError(w, r, liaison.Errorf(liaison.EINVALID, "request body: type is %q: want a STIX bundle (\"bundle\") of observations", in.Type))
		return
	case in.Objects == nil:
		s.writeError(w, r, liaison.Errorf(liaison.EINVALID, "request body: objects is required: the observed-data and SCOs to match"))
		return
	}
	res, err := s.store.Match(r.Context(), p, liaison.MatchRequest{Objects: in.Objects, Collection: in.Collection, Record: in.Record})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := matchOut{Observations: res.Observations, Matches: []matchHitOut{}, Written: []matchWritten{}, Rejected: []matchRejection{}}
	for _, m := range res.Matches {
		out.Matches = append(out.Matches, matchHitOut{Collection: m.Collection, Indicator: m.Indicator, Version: stixStamp(m.Version), Observations: nonNil(m.Observations), Sighting: m.Sighting})
	}
	for _, a := range res.Written {
		out.Written = append(out.Written, matchWritten{ID: a.ID, Version: stixStamp(a.Version), Present: a.Present})
	}
	for _, rj := range res.Rejected {
		out.Rejected = append(out.Rejected, matchRejection{Index: rj.Index, ID: rj.ID, Message: rj.Message})
	}
	writeJSON(w, http.StatusOK, out)
}
