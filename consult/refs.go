package consult

import (
	"context"
	"fmt"

	"liaison"
)

// ObjectReader is the part of the store that ReadableRefs needs: the
// reader-filtered listing of collections and objects.
type ObjectReader interface {
	Collections(ctx context.Context, reader liaison.Principal) ([]liaison.CollectionAccess, error)
	Objects(ctx context.Context, reader liaison.Principal, collection string, q liaison.ObjectQuery) (liaison.ObjectPage, error)
}

// ReadableRefs returns the subset of ids that reader may read in at least
// one collection. It asks only the store's reader-filtered queries, with
// an IDs filter and manifests only, so it never touches an object the
// reader may not read.
func ReadableRefs(ctx context.Context, store ObjectReader, reader liaison.Principal, ids []string) (map[string]bool, error) {
	found := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	cols, err := store.Collections(ctx, reader)
	if err != nil {
		return nil, fmt.Errorf("consult: readable refs: %w", err)
	}
	for _, c := range cols {
		if !c.CanRead {
			continue
		}
		var want []string
		for _, id := range ids {
			if !found[id] {
				want = append(want, id)
			}
		}
		if len(want) == 0 {
			break
		}
		q := liaison.ObjectQuery{IDs: want, Manifest: true, Limit: len(want)}
		for {
			page, err := store.Objects(ctx, reader, c.ID, q)
			if err != nil {
				if liaison.ErrorCode(err) == liaison.ENOTFOUND {
					break
				}
				return nil, fmt.Errorf("consult: readable refs in %s: %w", c.ID, err)
			}
			for _, v := range page.Versions {
				found[v.ID] = true
			}
			if !page.More || page.Next == "" {
				break
			}
			q.Next = page.Next
		}
	}
	return found, nil
}
