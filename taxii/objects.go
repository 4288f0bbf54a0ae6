package taxii

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"

	"liaison"
)

// Response headers of paged endpoints (TAXII 2.1 section 3.3).
const (
	headerDateAddedFirst = "X-TAXII-Date-Added-First"
	headerDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// query reads the filters of r for an endpoint and applies the server's
// page size when the client gave none.
func (s *Server) query(r *http.Request, allowed filterSet) (liaison.ObjectQuery, error) {
	q, err := parseFilters(r.URL.Query(), allowed, s.cfg.MaxPageSize)
	if err != nil {
		return q, err
	}
	if q.Limit == 0 && allowed[pLimit] {
		q.Limit = s.cfg.MaxPageSize
	}
	return q, nil
}

// page runs a read and explains a refusal (see readDenied).
func (s *Server) page(r *http.Request, p liaison.Principal, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	page, err := s.store.Objects(r.Context(), p, r.PathValue("collection"), q)
	if err != nil {
		return page, s.readDenied(r, p, err)
	}
	return page, nil
}

// objects serves GET .../objects/.
func (s *Server) objects(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	q, err := s.query(r, objectsFilters)
	if err != nil {
		return err
	}
	page, err := s.page(r, p, q)
	if err != nil {
		return err
	}
	return s.writeEnvelope(w, page)
}

// object serves GET .../objects/{object}/. An object the principal cannot
// read in any version is not found; one whose versions the filters all
// exclude gives an empty envelope.
func (s *Server) object(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	q, err := s.query(r, objectFilters)
	if err != nil {
		return err
	}
	id := r.PathValue("object")
	if !idRE.MatchString(id) {
		return liaison.NotFound("object", id)
	}
	var page liaison.ObjectPage
	if selectsID(q, id) {
		q.IDs = []string{id}
		if page, err = s.page(r, p, q); err != nil {
			return err
		}
	}
	if len(page.Versions) == 0 {
		if err := s.mustExist(r, p, id); err != nil {
			return err
		}
	}
	return s.writeEnvelope(w, page)
}

// mustExist returns the uniform not-found unless the principal can read
// some version of the object.
func (s *Server) mustExist(r *http.Request, p liaison.Principal, id string) error {
	any, err := s.page(r, p, liaison.ObjectQuery{IDs: []string{id}, Versions: []string{liaison.VersionAll}, Limit: 1, Manifest: true})
	if err != nil {
		return err
	}
	if len(any.Versions) == 0 {
		return liaison.NotFound("object", id)
	}
	return nil
}

// manifest serves GET .../manifest/.
func (s *Server) manifest(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	q, err := s.query(r, objectsFilters)
	if err != nil {
		return err
	}
	q.Manifest = true
	page, err := s.page(r, p, q)
	if err != nil {
		return err
	}
	m := Manifest{More: page.More}
	if page.More {
		m.Next = page.Next
	}
	for _, v := range page.Versions {
		m.Objects = append(m.Objects, ManifestRecord{
			ID:        v.ID,
			DateAdded: formatDateAdded(v.DateAdded),
			Version:   formatVersion(v.Modified),
			MediaType: "application/stix+json;version=" + v.SpecVersion,
		})
	}
	setDateHeaders(w, page)
	s.writeJSON(w, http.StatusOK, m)
	return nil
}

// versions serves GET .../objects/{object}/versions/.
func (s *Server) versions(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	q, err := s.query(r, versionsFilters)
	if err != nil {
		return err
	}
	id := r.PathValue("object")
	if !idRE.MatchString(id) {
		return liaison.NotFound("object", id)
	}
	var page liaison.ObjectPage
	if selectsID(q, id) {
		q.IDs = []string{id}
		q.Versions = []string{liaison.VersionAll}
		q.Manifest = true
		if page, err = s.page(r, p, q); err != nil {
			return err
		}
	}
	if len(page.Versions) == 0 {
		if err := s.mustExist(r, p, id); err != nil {
			return err
		}
	}
	vs := Versions{More: page.More}
	if page.More {
		vs.Next = page.Next
	}
	for _, v := range page.Versions {
		vs.Versions = append(vs.Versions, formatVersion(v.Modified))
	}
	setDateHeaders(w, page)
	s.writeJSON(w, http.StatusOK, vs)
	return nil
}

// deleteObject serves DELETE .../objects/{object}/.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	q, err := s.query(r, deleteFilters)
	if err != nil {
		return err
	}
	id := r.PathValue("object")
	if !idRE.MatchString(id) {
		return liaison.NotFound("object", id)
	}
	n, err := s.store.DeleteObject(r.Context(), p, r.PathValue("collection"), id, q)
	if err != nil {
		return err
	}
	if n == 0 {
		return liaison.NotFound("object", id)
	}
	s.cfg.Logger.Info("taxii: deleted object", "user", p.Name, "org", p.Org, "collection", r.PathValue("collection"), "object", id, "versions", n)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// setDateHeaders sets X-TAXII-Date-Added-First and -Last from a non-empty
// page.
func setDateHeaders(w http.ResponseWriter, page liaison.ObjectPage) {
	if n := len(page.Versions); n > 0 {
		w.Header().Set(headerDateAddedFirst, formatDateAdded(page.Versions[0].DateAdded))
		w.Header().Set(headerDateAddedLast, formatDateAdded(page.Versions[n-1].DateAdded))
	}
}

// writeEnvelope streams an envelope whose objects are the stored bytes,
// exactly as received. An empty result is the empty envelope {}.
func (s *Server) writeEnvelope(w http.ResponseWriter, page liaison.ObjectPage) error {
	setDateHeaders(w, page)
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteByte('{')
	sep := ""
	if page.More {
		next, _ := json.Marshal(page.Next)
		bw.WriteString(`"more":true,"next":`)
		bw.Write(next)
		sep = ","
	}
	if len(page.Versions) > 0 {
		bw.WriteString(sep + `"objects":[`)
		for i, v := range page.Versions {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(v.Raw)
		}
		bw.WriteByte(']')
	}
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		// The client went away; the status line is sent already.
		s.cfg.Logger.Debug("taxii: write envelope", "err", err)
	}
	return nil
}

// selectsID reports whether a match[id] filter, if any, admits the object
// the path names; when it does not, the result is empty.
func selectsID(q liaison.ObjectQuery, id string) bool {
	return len(q.IDs) == 0 || slices.Contains(q.IDs, id)
}
