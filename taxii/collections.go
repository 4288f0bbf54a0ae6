package taxii

import (
	"net/http"

	"liaison"
)

// discovery serves GET /taxii2/: the one API root, as an absolute URL.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ liaison.Principal) error {
	root := s.baseURL(r) + s.root
	s.writeJSON(w, http.StatusOK, Discovery{
		Title:       s.cfg.Title,
		Description: s.cfg.Description,
		Contact:     s.cfg.Contact,
		Default:     root,
		APIRoots:    []string{root},
	})
	return nil
}

// apiRoot serves GET /taxii2/<root>/.
func (s *Server) apiRoot(w http.ResponseWriter, _ *http.Request, _ liaison.Principal) error {
	s.writeJSON(w, http.StatusOK, APIRootInfo{
		Title:            s.cfg.Title,
		Description:      s.cfg.Description,
		Versions:         []string{MediaType},
		MaxContentLength: s.cfg.MaxContentLength,
	})
	return nil
}

// collections serves GET .../collections/: those the principal may read or
// write, with what they may do.
func (s *Server) collections(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	cs, err := s.store.Collections(r.Context(), p)
	if err != nil {
		return err
	}
	var out Collections
	for _, c := range cs {
		if c.CanRead || c.CanWrite {
			out.Collections = append(out.Collections, collectionInfo(c))
		}
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// collection serves GET .../collections/{collection}/. A collection the
// principal may neither read nor write does not exist for them.
func (s *Server) collection(w http.ResponseWriter, r *http.Request, p liaison.Principal) error {
	c, err := s.visibleCollection(r, p)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, collectionInfo(c))
	return nil
}

// visibleCollection returns the collection named in the path if the
// principal may read or write it, and the uniform not-found otherwise.
func (s *Server) visibleCollection(r *http.Request, p liaison.Principal) (liaison.CollectionAccess, error) {
	id := r.PathValue("collection")
	c, err := s.store.Collection(r.Context(), p, id)
	if err != nil {
		return c, err
	}
	if !c.CanRead && !c.CanWrite {
		return c, liaison.NotFound("collection", id)
	}
	return c, nil
}

// readDenied explains a store's ENOTFOUND on a read: when the principal may
// see the collection (because they may write it) but not read it, that is
// 403; otherwise the not-found stands as it is.
func (s *Server) readDenied(r *http.Request, p liaison.Principal, err error) error {
	if !isNotFound(err) {
		return err
	}
	c, cerr := s.visibleCollection(r, p)
	if cerr != nil || c.CanRead {
		return err
	}
	return liaison.Errorf(liaison.EFORBIDDEN, "you may add objects to collection %q but not read it", c.ID)
}

func collectionInfo(c liaison.CollectionAccess) CollectionInfo {
	return CollectionInfo{
		ID:          c.ID,
		Title:       c.Title,
		Description: c.Description,
		CanRead:     c.CanRead,
		CanWrite:    c.CanWrite,
		MediaTypes:  []string{STIXMediaType},
	}
}
