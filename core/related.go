package core

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"liaison"
	"liaison/internal/objquery"
	"liaison/stix"
)

// relatedCursorPrefix starts a RelatedAfter cursor: the collection and the
// date added of the last link returned. Both are the reader's already:
// the collection is one they read, the date that of a link they received.
const relatedCursorPrefix = "rl1:"

func encodeRelatedCursor(coll string, added int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(relatedCursorPrefix + coll + ":" + strconv.FormatInt(added, 10)))
}

func decodeRelatedCursor(s string) (coll string, added int64, err error) {
	bad := liaison.Errorf(liaison.EINVALID, "field after: %q is not a cursor this server gave out", clipText(s, 60))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", 0, bad
	}
	rest, ok := strings.CutPrefix(string(raw), relatedCursorPrefix)
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 {
		return "", 0, bad
	}
	added, err = strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || added < 0 {
		return "", 0, bad
	}
	return rest[:i], added, nil
}

// RelatedAfter returns the relationships and sightings that name id as an
// end (source or target, sighting_of, observed data, where sighted), in
// every collection reader may read: for each, the latest version reader
// may read there, collection by collection (by id) and oldest added first
// in each, at most limit of them (0: 100, at most liaison.MaxRelated),
// continuing after the cursor after ("" for the start), and the cursor of
// the next page ("" when there is none). Only what reader may read is
// counted or returned, so an unreadable link and a missing one look the
// same.
func (o *Office) RelatedAfter(ctx context.Context, reader liaison.Principal, id, after string, limit int) ([]liaison.Version, string, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, liaison.MaxRelated)
	if _, _, ok := stix.SplitID(id); !ok {
		// No stored object has such an id, and the test of a link's ends
		// (a LIKE, which in SQLite ignores case) must only ever see one.
		return nil, "", nil
	}
	var fromColl string
	var fromAdded int64
	if after != "" {
		var err error
		if fromColl, fromAdded, err = decodeRelatedCursor(after); err != nil {
			return nil, "", err
		}
	}
	var out []liaison.Version
	next := ""
	err := o.inRead(ctx, "Related", func(tx Tx) error {
		colls, err := o.readableCollections(tx, reader)
		if err != nil {
			return err
		}
		slices.SortFunc(colls, func(a, b liaison.Collection) int { return strings.Compare(a.ID, b.ID) })
		for _, c := range colls {
			if len(out) > limit || (fromColl != "" && c.ID < fromColl) {
				continue
			}
			f := objquery.Filter{Last: true, Limit: limit}
			if c.ID == fromColl {
				f.After = fromAdded
			}
			query, args := relatedQuery(reader.Org, c.ID, id, f, limit+1-len(out))
			rows, err := tx.Query(query, args...)
			if err != nil {
				return fmt.Errorf("related: %w", err)
			}
			page := liaison.ObjectPage{}
			if err := ScanPage(rows, c.ID, false, limit+1, &page); err != nil {
				return err
			}
			out = append(out, page.Versions...)
		}
		if len(out) > limit {
			out = out[:limit]
			last := out[limit-1]
			next = encodeRelatedCursor(last.Collection, Micros(last.DateAdded))
		}
		return nil
	})
	if errors.Is(err, ErrStale) {
		if err := o.Freshen(ctx); err != nil {
			return nil, "", err
		}
		return o.RelatedAfter(ctx, reader, id, after, limit)
	}
	return out, next, err
}

// relatedQuery reads, in one collection, the versions of the links that
// name id as an end, as org may read them, oldest added first. It starts
// from the id's ends and joins their versions (CROSS JOIN fixes that order
// in SQLite): an object has few links, but a collection may hold a
// million versions, and walking the collection's dates in the order asked
// for, testing each for being a link of id, costs the whole collection
// for an object with fewer links than the limit.
func relatedQuery(org, collection, id string, f objquery.Filter, limit int) (string, []any) {
	var a coreSQL
	readable := func(alias string) string { a.Arg(org); return readableBy(alias) }
	a.Arg(stix.IDKey(id))
	where := f.Where(&a, collection, func() string { return readable("v") }, readable)
	// ends holds keys, which two ids may share: the link's own ends say
	// whether it names id.
	named := ` AND ',' || v.ends || ',' LIKE ` + a.Arg("%,"+id+",%")
	return `SELECT ` + PageCols(false) + ` FROM (SELECT DISTINCT rel_vid FROM ends WHERE end_k = ?) e CROSS JOIN versions v WHERE v.vid = e.rel_vid AND ` + where + named +
		` ORDER BY v.date_added_us LIMIT ?`, append(a, limit)
}

// RelatedQuery is the query RelatedAfter reads one collection with, for
// the stores' plan tests.
func RelatedQuery(org, collection, id string) (string, []any) {
	return relatedQuery(org, collection, id, objquery.Filter{Last: true, Limit: 100}, 101)
}
