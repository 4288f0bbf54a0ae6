package taxii

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"liaison"
	"liaison/stix"
)

// addObjects serves POST .../objects/: it reads the whole envelope first
// (so that a malformed one writes nothing), decodes each object, writes the
// good ones to the store in chunks, records the outcome as a status, and
// answers 202 with it. A rejected object is a failure in the status, with
// the reason, and never sinks the others.
func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	started := s.cfg.Now()
	if ct := r.Header.Get("Content-Type"); !isTAXIIContent(ct) {
		s.writeError(w, r, http.StatusUnsupportedMediaType, "Unsupported Media Type",
			fmt.Sprintf("Content-Type %q is not supported: send an envelope as %s", truncate(ct, 100), MediaType), "unsupported_media_type")
		return nil
	}
	if r.ContentLength > s.cfg.MaxContentLength {
		return tooLarge(s.cfg.MaxContentLength)
	}
	c, err := s.visibleCollection(r, p)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return liaison.Errorf(liaison.EFORBIDDEN, "you may not add objects to collection %q", c.ID)
	}

	cands, failures, err := s.readEnvelope(http.MaxBytesReader(w, r.Body, s.cfg.MaxContentLength))
	if err != nil {
		return err
	}
	var res liaison.WriteResult
	for start := 0; start < len(cands); start += writeChunk {
		chunk := cands[start:min(start+writeChunk, len(cands))]
		wr, err := s.store.AddObjects(r.Context(), p, c.ID, chunk)
		if err != nil {
			return fmt.Errorf("taxii: add objects: %w", err)
		}
		res.Accepted = append(res.Accepted, wr.Accepted...)
		res.Rejected = append(res.Rejected, wr.Rejected...)
	}
	failures = append(failures, res.Rejected...)

	st := liaison.Status{
		ID:               newUUID(),
		Org:              p.Org,
		Collection:       c.ID,
		RequestTimestamp: started,
		Complete:         true,
	}
	sort.SliceStable(res.Accepted, func(i, j int) bool { return res.Accepted[i].Index < res.Accepted[j].Index })
	for _, a := range res.Accepted {
		d := liaison.StatusDetail{ID: a.ID, Version: formatVersion(a.Version)}
		switch {
		case a.Conflict != "":
			d.Message = "conflicting: " + a.Conflict
		case a.Present:
			d.Message = "already present"
		}
		st.Successes = append(st.Successes, d)
	}
	sort.SliceStable(failures, func(i, j int) bool { return failures[i].Index < failures[j].Index })
	for _, f := range failures {
		d := liaison.StatusDetail{ID: f.ID, Message: f.Message}
		if !f.Version.IsZero() {
			d.Version = formatVersion(f.Version)
		}
		st.Failures = append(st.Failures, d)
	}
	if err := s.store.SaveStatus(r.Context(), st); err != nil {
		return fmt.Errorf("taxii: save status: %w", err)
	}
	s.cfg.Logger.Info("taxii: add objects", "user", p.Name, "org", p.Org, "collection", c.ID, "status", st.ID,
		"successes", len(st.Successes), "failures", len(st.Failures))
	s.writeJSON(w, http.StatusAccepted, statusResource(st))
	return nil
}

// readEnvelope decodes every object of an envelope. Objects that fail to
// decode become rejections; an envelope that cannot be read is EINVALID
// (or ETOOLARGE past the limit), and then nothing is written.
func (s *Server) readEnvelope(body io.Reader) ([]liaison.Candidate, []liaison.Rejection, error) {
	var cands []liaison.Candidate
	var failures []liaison.Rejection
	rd := stix.NewReader(body)
	for {
		raw, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, nil, tooLarge(mbe.Limit)
			}
			var le *liaison.Error
			if errors.As(err, &le) {
				return nil, nil, err
			}
			return nil, nil, liaison.Errorf(liaison.EINVALID, "the envelope could not be read: %v", err)
		}
		idx := rd.Index()
		cand, err := stix.Decode(idx, raw)
		if err != nil {
			if liaison.ErrorCode(err) == liaison.EINTERNAL {
				return nil, nil, err
			}
			// The decoder's candidate names the object as its message
			// does: by the first "id" member, even if a duplicate follows.
			failures = append(failures, liaison.Rejection{Index: idx, ID: cand.ID, Version: cand.Version(), Message: liaison.ErrorMessage(err)})
			continue
		}
		cands = append(cands, cand)
	}
	return cands, failures, nil
}

func tooLarge(limit int64) error {
	return liaison.Errorf(liaison.ETOOLARGE, "the request body is larger than max_content_length, %d bytes", limit)
}

// status serves GET .../status/{status}/. Only the requesting organisation
// sees a status; for anyone else it does not exist.
func (s *Server) status(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	st, err := s.store.Status(r.Context(), p, r.PathValue("status"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, statusResource(st))
	return nil
}

// statusResource renders a stored status as the TAXII resource.
func statusResource(st liaison.Status) Status {
	out := Status{
		ID:               st.ID,
		Status:           "pending",
		RequestTimestamp: formatDateAdded(st.RequestTimestamp),
		SuccessCount:     len(st.Successes),
		FailureCount:     len(st.Failures),
		PendingCount:     len(st.Pendings),
		Successes:        details(st.Successes),
		Failures:         details(st.Failures),
		Pendings:         details(st.Pendings),
	}
	if st.Complete {
		out.Status = "complete"
	}
	out.TotalCount = out.SuccessCount + out.FailureCount + out.PendingCount
	return out
}

func details(ds []liaison.StatusDetail) []StatusDetail {
	var out []StatusDetail
	for _, d := range ds {
		out = append(out, StatusDetail(d))
	}
	return out
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
