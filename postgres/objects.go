package postgres

import (
	"context"

	"liaison"
)

// AddObjects writes candidates into a collection as writer (see
// core.Office.AddObjects); new versions go in with COPY. Enough new
// versions start a background ANALYZE.
func (s *Store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	res, err := s.Office.AddObjects(ctx, writer, collection, objs)
	if err != nil {
		return res, err
	}
	added := 0
	for _, a := range res.Accepted {
		if !a.Present {
			added++
		}
	}
	s.wrote(added)
	return res, nil
}

// DeleteObject deletes the versions of one object selected by q.Versions
// and q.SpecVersions (default: the latest the writer may read). It needs
// write access and the originator's organisation. ENOTFOUND if the writer
// cannot read any matching version; EFORBIDDEN if they may read but not
// delete it. It returns how many versions it deleted.
func (s *Store) DeleteObject(ctx context.Context, writer liaison.Principal, collection, id string, q liaison.ObjectQuery) (int, error) {
	f, err := parseDelete(q, id)
	if err != nil {
		return 0, err
	}
	where, args := f.where(collection, writer.Org)
	from := `FROM versions v WHERE ` + where
	return s.Office.DeleteObject(ctx, writer, collection, id, from, args)
}
