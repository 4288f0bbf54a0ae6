package web

import (
	"fmt"
	"net/http"
	"time"

	"liaison"
	"liaison/internal/objquery"
	"liaison/stix"
)

// exportCollection downloads a collection's list, its filters applied, as
// one STIX bundle.
func (s *Server) exportCollection(p *page) error {
	id := p.r.PathValue("cid")
	c, err := s.store.Collection(p.r.Context(), *p.p, id)
	if err != nil {
		return err
	}
	if !c.CanRead {
		return liaison.Errorf(liaison.EFORBIDDEN, "your organisation may write to collection %q but not read it", c.Title)
	}
	return s.export(p, []liaison.CollectionAccess{c}, true, "collection-"+c.ID)
}

// exportAll downloads the list across every readable collection.
func (s *Server) exportAll(p *page) error {
	cs, err := s.readable(p)
	if err != nil {
		return err
	}
	return s.export(p, cs, false, "all")
}

// export streams every version the list selects, every page of it, in
// date-added order, each object's bytes exactly as stored. It reads the
// store a page at a time and flushes after each, so neither side holds
// the whole bundle. Errors before the first object are error pages;
// after it, the bundle stops short and the log says why.
func (s *Server) export(p *page, colls []liaison.CollectionAccess, strict bool, name string) error {
	q, err := parseListQuery(p.r.URL.Query())
	if err != nil {
		return err
	}
	q.Cursor = nil
	st := newStream(p, q, colls, objquery.MaxPageSize, strict)
	take := func() (liaison.Version, bool, error) {
		for {
			v, _, ok, err := st.next()
			if err != nil || !ok {
				return v, false, err
			}
			if !q.AddedBefore.IsZero() && !v.DateAdded.Before(q.AddedBefore) {
				return v, false, nil
			}
			if !q.rowFiltered() {
				return v, true, nil
			}
			l, err := p.marks.labelOf(v)
			if err != nil {
				return v, false, err
			}
			if !q.matches(v, l, fieldsOf(v.Raw), p.expand) {
				continue
			}
			if _, ok, err := s.scoreFilter(p, q, v); err != nil || ok {
				return v, ok, err
			}
		}
	}
	v, ok, err := take()
	if err != nil {
		return err
	}
	h := p.w.Header()
	h.Set("Content-Type", "application/stix+json;version=2.1")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="liaison-%s-%s.json"`, name, s.cfg.Now().UTC().Format("20060102T150405Z")))
	bw := stix.NewBundleWriter(p.w)
	flusher, _ := p.w.(http.Flusher)
	st.onFill = func() error {
		if err := bw.Flush(); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	started := time.Now()
	for ok {
		if err = bw.Write(v.Raw); err != nil {
			break
		}
		if v, ok, err = take(); err != nil {
			break
		}
	}
	if err == nil {
		err = bw.Close()
	}
	if err != nil {
		// The status line has gone: break the response off, so that the
		// client sees a failed download and not a bundle cut short.
		s.log.Error("export stopped short", "user", p.p.Name, "path", p.r.URL.Path, "objects", bw.Count(), "err", err)
		panic(http.ErrAbortHandler)
	}
	s.log.Info("export", "user", p.p.Name, "org", p.p.Org, "path", p.r.URL.Path, "objects", bw.Count(), "ms", time.Since(started).Milliseconds())
	return nil
}
