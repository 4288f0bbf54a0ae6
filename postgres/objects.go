package postgres

import (
	"context"
	"fmt"

	"liaison"
	"liaison/core"
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
	f, err := parseQuery(q)
	if err != nil {
		return 0, err
	}
	f.ids = []string{id}
	f.types = nil
	f.after = 0
	return s.Office.DeleteObject(ctx, writer, collection, id, func(t core.Tx, _ *liaison.Directory) (vids []int64, originators, ends []string, err error) {
		tx := t.(*pgTx)
		where, args := f.where(collection, writer.Org)
		rows, err := tx.tx.Query(tx.ctx, `SELECT v.vid, v.originator, v.ends FROM versions v WHERE `+where, args...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("select versions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var vid int64
			var org, e string
			if err := rows.Scan(&vid, &org, &e); err != nil {
				return nil, nil, nil, err
			}
			vids, originators, ends = append(vids, vid), append(originators, org), append(ends, e)
		}
		return vids, originators, ends, rows.Err()
	})
}
