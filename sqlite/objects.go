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
	return s.AddObjectsWithStatus(ctx, writer, collection, objs, nil)
}

// AddObjectsWithStatus is AddObjects with the status of the call saved in
// the same group transaction (see liaison.StatusService); with status nil
// it is AddObjects.
func (s *Store) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	objs = core.PrepareSearch(objs)
	res, err := s.gw.submit(&addReq{ctx: ctx, writer: writer, collection: collection, objs: objs, status: status, done: make(chan addResult, 1)})
	if err == nil {
		s.Ingested(ctx, writer, collection, objs, res)
	}
	return res, err
}

// Select is the FROM and WHERE of the versions of f (core.Pages).
func (p pages) Select(f objquery.Filter, collection, org string) (string, []any) {
	return filter{f}.source(collection, org)
}
