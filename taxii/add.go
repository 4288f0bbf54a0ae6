package taxii

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
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
	st := liaison.Status{
		ID:               newUUID(),
		Org:              p.Org,
		Collection:       c.ID,
		RequestTimestamp: started,
		Complete:         true,
	}
	// The status is saved in the transaction of the last chunk's objects:
	// saved on its own, after them, it would wait for the single writer
	// behind other requests' objects, and this request's client with it.
	var res liaison.WriteResult
	if len(cands) == 0 {
		st = withDetails(st, res, failures)
		if err := s.store.SaveStatus(r.Context(), st); err != nil {
			return fmt.Errorf("taxii: save status: %w", err)
		}
	}
	for start := 0; start < len(cands); start += writeChunk {
		chunk := cands[start:min(start+writeChunk, len(cands))]
		if start+len(chunk) < len(cands) {
			wr, err := s.store.AddObjects(r.Context(), p, c.ID, chunk)
			if err != nil {
				return fmt.Errorf("taxii: add objects: %w", err)
			}
			res = joinResults(res, wr)
			continue
		}
		before := res
		wr, err := s.store.AddObjectsWithStatus(r.Context(), p, c.ID, chunk, func(wr liaison.WriteResult) liaison.Status {
			return withDetails(st, joinResults(before, wr), failures)
		})
		if err != nil {
			return fmt.Errorf("taxii: add objects: %w", err)
		}
		res = joinResults(res, wr)
	}
	st = withDetails(st, res, failures)
	s.cfg.Logger.Info("taxii: add objects", "user", p.Name, "org", p.Org, "collection", c.ID, "status", st.ID,
		"successes", len(st.Successes), "failures", len(st.Failures))
	s.writeJSON(w, http.StatusAccepted, statusResource(st))
	return nil
}

// joinResults returns the results of two writes of one request, a's then
// b's, in new slices.
func joinResults(a, b liaison.WriteResult) liaison.WriteResult {
	return liaison.WriteResult{
		Accepted: append(slices.Clip(a.Accepted), b.Accepted...),
		Rejected: append(slices.Clip(a.Rejected), b.Rejected...),
	}
}

// withDetails returns st with a success for each object res accepted and
// a failure for each it rejected or the envelope's decoding did
// (decoded), in the order of the envelope.
func withDetails(st liaison.Status, res liaison.WriteResult, decoded []liaison.Rejection) liaison.Status {
	accepted := slices.Clone(res.Accepted)
	sort.SliceStable(accepted, func(i, j int) bool { return accepted[i].Index < accepted[j].Index })
	st.Successes = make([]liaison.StatusDetail, 0, len(accepted))
	for _, a := range accepted {
		d := liaison.StatusDetail{ID: a.ID, Version: formatVersion(a.Version)}
		switch {
		case a.Conflict != "":
			d.Message = "conflicting: " + a.Conflict
		case a.Present:
			d.Message = "already present"
		}
		st.Successes = append(st.Successes, d)
	}
	failures := append(slices.Clip(decoded), res.Rejected...)
	sort.SliceStable(failures, func(i, j int) bool { return failures[i].Index < failures[j].Index })
	st.Failures = nil
	for _, f := range failures {
		d := liaison.StatusDetail{ID: f.ID, Message: f.Message}
		if !f.Version.IsZero() {
			d.Version = formatVersion(f.Version)
		}
		st.Failures = append(st.Failures, d)
	}
	return st
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
