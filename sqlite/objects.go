package sqlite

import (
	"context"

	"liaison"
	"liaison/core"
	"liaison/internal/objquery"
)

// AddObjects writes candidates into a collection as writer (see
// core.Office.AddObjects). Calls made while the writer is busy are
// committed together (see groupcommit.go), each with its own result.
func (s *Store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	objs = core.PrepareSearch(objs)
	res, err := s.gw.submit(&addReq{ctx: ctx, writer: writer, collection: collection, objs: objs, done: make(chan addResult, 1)})
	if err == nil {
		s.Ingested(ctx, writer, collection, objs, res)
	}
	return res, err
}

// Select is the FROM and WHERE of the versions of f (core.Pages).
func (p pages) Select(f objquery.Filter, collection, org string) (string, []any) {
	return filter{f}.source(collection, org)
}
