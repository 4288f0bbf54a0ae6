package sqlite

import (
	"context"

	"liaison"
	"liaison/internal/objquery"
)

// AddObjects writes candidates into a collection as writer (see
// core.Office.AddObjects). Calls made while the writer is busy are
// committed together (see groupcommit.go), each with its own result.
func (s *Store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	return s.gw.submit(&addReq{ctx: ctx, writer: writer, collection: collection, objs: objs, done: make(chan addResult, 1)})
}

// DeleteObject deletes the versions of one object selected by q.Versions
// and q.SpecVersions (default: the latest the writer may read). It needs
// write access and the originator's organisation. ENOTFOUND if the writer
// cannot read any matching version; EFORBIDDEN if they may read but not
// delete it. It returns how many versions it deleted.
func (s *Store) DeleteObject(ctx context.Context, writer liaison.Principal, collection, id string, q liaison.ObjectQuery) (int, error) {
	p, err := objquery.ParseDelete(q, id)
	if err != nil {
		return 0, err
	}
	f := filter{p}
	from, args := f.source(collection, writer.Org)
	return s.Office.DeleteObject(ctx, writer, collection, id, from, args)
}
