package sqlite

import (
	"context"
	"fmt"

	"liaison"
	"liaison/core"
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
	f, err := parseQuery(q)
	if err != nil {
		return 0, err
	}
	f.ids = []string{id}
	f.types = nil
	f.after = 0
	return s.Office.DeleteObject(ctx, writer, collection, id, func(tx core.Tx, _ *liaison.Directory) (vids []int64, originators, ends []string, err error) {
		from, args := f.source(collection, writer.Org)
		rows, err := tx.Query(`SELECT v.vid, v.originator, v.ends `+from, args...)
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
