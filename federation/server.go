// Package federation lets offices pull from each other over HTTP
// (ARCHITECTURE.md, "Federation"). The serving side is a peer-only
// endpoint under the TAXII API root, {root}peer/, that answers only peer
// tokens: pages of a collection in the TAXII envelope, with the facts
// that travel beside the bytes (originator, audience, date_added) in an
// extra envelope member, and the change feed. Plain TAXII clients never
// reach it and see standard TAXII 2.1 unchanged. The pulling side is
// Puller.
package federation

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// MediaType is the media type of every answer, as for TAXII.
const MediaType = "application/taxii+json;version=2.1"

// FactsMember is the envelope member that carries, for each object of
// the page in the same order, the facts that travel beside its bytes.
const FactsMember = "x_liaison_peer"

// Fact is what travels beside one object's bytes.
type Fact struct {
	ID         string   `json:"id"`
	Version    string   `json:"version"`
	DateAdded  string   `json:"date_added"`
	Originator string   `json:"originator"`
	Audience   []string `json:"audience"`
}

// Envelope is a page of a peer read: a TAXII envelope with one more
// member.
type Envelope struct {
	More    bool              `json:"more"`
	Objects []json.RawMessage `json:"objects"`
	Facts   []Fact            `json:"x_liaison_peer"`
}

// Change is one entry of the change feed on the wire.
type Change struct {
	Seq        int64           `json:"seq"`
	Collection string          `json:"collection"`
	ID         string          `json:"id"`
	Version    string          `json:"version"`
	Withdrawn  bool            `json:"withdrawn,omitempty"`
	Object     json.RawMessage `json:"object,omitempty"`
	Fact       *Fact           `json:"fact,omitempty"`
}

// Changes is a page of the change feed on the wire.
type Changes struct {
	Next    int64    `json:"next"`
	More    bool     `json:"more"`
	Changes []Change `json:"changes"`
}

// CollectionInfo names a collection a peer may pull.
type CollectionInfo struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// stamp is how times travel: RFC 3339 with microseconds, in UTC.
const stamp = "2006-01-02T15:04:05.000000Z"

func fact(v liaison.PeerVersion) Fact {
	aud := v.Audience
	if aud == nil {
		aud = liaison.Audience{}
	}
	return Fact{ID: v.ID, Version: v.Version.UTC().Format(stamp), DateAdded: v.DateAdded.UTC().Format(stamp), Originator: v.Originator, Audience: aud}
}

// Server serves the peer endpoint. Mount it at {root}peer/.
type Server struct {
	// Audit, when set, serves this office's audit log to the peers that
	// witness it (witness.go).
	Audit  AuditLog
	store  liaison.PeerService
	prefix string // the path it is mounted at, ending in /
	log    *slog.Logger
}

// NewServer returns the peer endpoint over store, mounted at prefix (for
// example /taxii2/tokyo/peer/).
func NewServer(store liaison.PeerService, prefix string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{store: store, prefix: prefix, log: log}
}

// Error is the body of a refusal, shaped as the TAXII error message.
type Error struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	status, title := http.StatusInternalServerError, "internal error"
	var le *liaison.Error
	if errors.As(err, &le) {
		switch le.Code {
		case liaison.ENOTFOUND:
			status, title = http.StatusNotFound, le.Message
		case liaison.EUNAUTHORIZED:
			status, title = http.StatusUnauthorized, le.Message
		case liaison.EINVALID:
			status, title = http.StatusBadRequest, le.Message
		case liaison.EFORBIDDEN:
			status, title = http.StatusForbidden, le.Message
		default:
			s.log.Error("peer endpoint", "err", err)
		}
	} else {
		s.log.Error("peer endpoint", "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="liaison peers"`)
	}
	write(w, status, Error{Title: title, HTTPStatus: strconv.Itoa(status)})
}

func write(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// ServeHTTP answers GET {prefix}collections/, {prefix}collections/{id}/objects/
// and {prefix}changes/, and the witness resources {prefix}audit/…, for a
// peer token only.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && !(r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/audit/cosignature")) {
		w.Header().Set("Allow", "GET")
		write(w, http.StatusMethodNotAllowed, Error{Title: "the peer endpoint answers GET only", HTTPStatus: "405"})
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		s.fail(w, liaison.Errorf(liaison.EUNAUTHORIZED, "the peer endpoint needs a peer token: Authorization: Bearer liapeer_…"))
		return
	}
	peer, err := s.store.PeerByToken(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		s.fail(w, err)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, s.prefix)
	if s.serveAudit(w, r, peer, path) {
		return
	}
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit <= 0 {
			s.fail(w, liaison.Errorf(liaison.EINVALID, "limit %q is not a positive whole number", l))
			return
		}
	}
	switch {
	case path == "collections/":
		colls, err := s.store.PeerCollections(r.Context(), peer)
		if err != nil {
			s.fail(w, err)
			return
		}
		out := struct {
			Collections []CollectionInfo `json:"collections"`
		}{Collections: []CollectionInfo{}}
		for _, c := range colls {
			out.Collections = append(out.Collections, CollectionInfo{ID: c.ID, Title: c.Title})
		}
		write(w, http.StatusOK, out)
	case strings.HasPrefix(path, "collections/") && strings.HasSuffix(path, "/objects/"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "collections/"), "/objects/")
		var after time.Time
		if a := q.Get("added_after"); a != "" {
			if after, err = time.Parse(time.RFC3339Nano, a); err != nil {
				s.fail(w, liaison.Errorf(liaison.EINVALID, "added_after %q is not an RFC 3339 timestamp", a))
				return
			}
		}
		page, err := s.store.PeerObjects(r.Context(), peer, id, after, limit)
		if err != nil {
			s.fail(w, err)
			return
		}
		// The bytes go out as stored: encoding/json would compact and
		// escape a RawMessage, so the envelope is written by hand.
		facts := make([]Fact, 0, len(page.Versions))
		b := []byte(`{"more":` + strconv.FormatBool(page.More) + `,"objects":[`)
		for i, v := range page.Versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, v.Raw...)
			facts = append(facts, fact(v))
		}
		fb, err := json.Marshal(facts)
		if err != nil {
			s.fail(w, err)
			return
		}
		b = append(append(append(b, `],"`+FactsMember+`":`...), fb...), '}')
		if n := len(page.Versions); n > 0 {
			w.Header().Set("X-TAXII-Date-Added-First", page.Versions[0].DateAdded.UTC().Format(stamp))
			w.Header().Set("X-TAXII-Date-Added-Last", page.Versions[n-1].DateAdded.UTC().Format(stamp))
		}
		w.Header().Set("Content-Type", MediaType)
		_, _ = w.Write(b)
	case path == "changes/":
		var after int64
		if a := q.Get("after"); a != "" {
			if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
				s.fail(w, liaison.Errorf(liaison.EINVALID, "after %q is not a change sequence number", a))
				return
			}
		}
		page, err := s.store.PeerChanges(r.Context(), peer, after, limit)
		if err != nil {
			s.fail(w, err)
			return
		}
		// Each change is marshalled without its object, whose bytes are
		// then put in as stored.
		b := []byte(`{"next":` + strconv.FormatInt(page.Next, 10) + `,"more":` + strconv.FormatBool(page.More) + `,"changes":[`)
		for i, c := range page.Changes {
			ch := Change{Seq: c.Seq, Collection: c.Collection, ID: c.ID, Version: c.Modified.UTC().Format(stamp), Withdrawn: c.Withdrawn}
			if !c.Withdrawn {
				f := fact(c.Version)
				ch.Fact = &f
			}
			cb, err := json.Marshal(ch)
			if err != nil {
				s.fail(w, err)
				return
			}
			if i > 0 {
				b = append(b, ',')
			}
			if !c.Withdrawn {
				cb = append(append(append(cb[:len(cb)-1], `,"object":`...), c.Version.Raw...), '}')
			}
			b = append(b, cb...)
		}
		b = append(b, "]}"...)
		w.Header().Set("Content-Type", MediaType)
		_, _ = w.Write(b)
	default:
		s.fail(w, liaison.NotFound("peer resource", path))
	}
}
