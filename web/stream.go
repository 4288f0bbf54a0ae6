package web

import (
	"fmt"

	"liaison"
)

// source is one collection read in date-added order, a store page at a
// time, continuing after the date added of the last version taken.
type source struct {
	coll  liaison.CollectionAccess
	after int64 // µs: the date added of the last version taken
	buf   []liaison.Version
	more  bool // the store holds more after buf
	begun bool
	reads int
}

// stream merges the collections' versions into one date-added order,
// through the store's reader-filtered Objects only. Ties between
// collections go to the one listed first, so the order is stable.
type stream struct {
	pg    *page
	q     listQuery
	srcs  []*source
	limit int // the store's page size
	// strict makes a collection the store will not read an error (a
	// collection's own list); otherwise that collection is left out (the
	// list across collections, when the directory changed meanwhile).
	strict bool
	// onFill is called after each store read (to flush an export).
	onFill func() error
}

func newStream(pg *page, q listQuery, colls []liaison.CollectionAccess, limit int, strict bool) *stream {
	st := &stream{pg: pg, q: q, limit: limit, strict: strict}
	for _, c := range colls {
		st.srcs = append(st.srcs, &source{coll: c, after: q.startUS(c.ID)})
	}
	return st
}

func (st *stream) fill(src *source) error {
	src.begun = true
	src.reads++
	res, err := st.pg.s.store.Objects(st.pg.r.Context(), *st.pg.p, src.coll.ID, st.q.storeQuery(src.after, st.limit))
	if err != nil {
		code := liaison.ErrorCode(err)
		if !st.strict && (code == liaison.ENOTFOUND || code == liaison.EFORBIDDEN) {
			src.buf, src.more = nil, false
			return nil
		}
		if code == liaison.EINTERNAL {
			return fmt.Errorf("web: read collection %s: %w", src.coll.ID, err)
		}
		return err
	}
	src.buf, src.more = res.Versions, res.More
	if st.onFill != nil {
		return st.onFill()
	}
	return nil
}

// next returns the next version in the list's date-added order (oldest
// or newest first), and whether there was one.
func (st *stream) next() (liaison.Version, *source, bool, error) {
	var best *source
	for _, src := range st.srcs {
		if len(src.buf) == 0 && (!src.begun || src.more) {
			if err := st.fill(src); err != nil {
				return liaison.Version{}, nil, false, err
			}
		}
		if len(src.buf) > 0 && (best == nil || st.first(src.buf[0], best.buf[0])) {
			best = src
		}
	}
	if best == nil {
		return liaison.Version{}, nil, false, nil
	}
	v := best.buf[0]
	best.buf = best.buf[1:]
	best.after = v.DateAdded.UnixMicro()
	return v, best, true, nil
}

// first reports whether a comes strictly before b in the list's order.
func (st *stream) first(a, b liaison.Version) bool {
	if st.q.Newest {
		return a.DateAdded.After(b.DateAdded)
	}
	return a.DateAdded.Before(b.DateAdded)
}

// more reports whether versions may follow the last one taken.
func (st *stream) more() bool {
	for _, src := range st.srcs {
		if len(src.buf) > 0 || src.more || !src.begun {
			return true
		}
	}
	return false
}

// reads is how many store pages the stream has read.
func (st *stream) reads() int {
	n := 0
	for _, src := range st.srcs {
		n += src.reads
	}
	return n
}

// cursor returns where the stream stands, for the next page's link.
func (st *stream) cursor() string {
	var base int64
	if !st.q.AddedAfter.IsZero() && !st.q.Newest {
		base = st.q.AddedAfter.UnixMicro()
	}
	ids := make([]string, 0, len(st.srcs))
	after := map[string]int64{}
	for _, src := range st.srcs {
		ids = append(ids, src.coll.ID)
		if src.after > base {
			after[src.coll.ID] = src.after
		}
	}
	return encodeCursor(ids, after)
}
