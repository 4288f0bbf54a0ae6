package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"liaison"
	"liaison/core"
	"liaison/internal/objquery"
	"liaison/stix"
)

// Page sizes of Objects, shared by every store.
const (
	DefaultPageSize = objquery.DefaultPageSize // when ObjectQuery.Limit is 0
	MaxPageSize     = objquery.MaxPageSize     // larger limits are capped here
)

// filter is a parsed ObjectQuery, with the SQL SQLite reads it with.
type filter struct{ objquery.Filter }

// readableBy is the audience filter every read carries, for a version
// aliased as alias: its audience must contain the reader's organisation.
func readableBy(alias string) string {
	return alias + `.audience_id IN (SELECT audience_id FROM audience_members WHERE org = ?)`
}

// sqlArgs binds arguments as SQLite reads them: lists as one JSON array
// each, so no filter can run into SQLite's limit on bound variables
// however long it is.
type sqlArgs []any

func (a *sqlArgs) Arg(v any) string { *a = append(*a, v); return "?" }

func (a *sqlArgs) In(col string, vals any) string {
	switch v := vals.(type) {
	case []string:
		*a = append(*a, jsonArray(v))
	case []int64:
		*a = append(*a, jsonArray(v))
	default:
		panic(fmt.Sprintf("sqlite: a list of %T", vals))
	}
	return col + ` IN (SELECT value FROM json_each(?))`
}

// where returns the WHERE clause (without ORDER or LIMIT) of versions v in
// the collection that org may read and f selects, and its arguments.
func (f filter) where(collection, org string) (string, []any) {
	var a sqlArgs
	readable := func(alias string) string { a.Arg(org); return readableBy(alias) }
	w := f.Where(&a, collection, func() string { return readable("v") }, readable)
	return w, a
}

// source returns the FROM and WHERE clauses (without ORDER or LIMIT) of
// versions v in the collection that org may read and f selects, and their
// arguments. When f names ids the query is driven from them: each distinct
// id is looked up by its key (stix.IDKey) and only its few versions are
// filtered and sorted. Otherwise SQLite prefers to walk the collection in
// date_added order for ORDER BY and test every version against the id
// list, which costs the size of the collection. INDEXED BY keeps it from
// looking each id up along (collection, date_added) when added_after
// bounds the date.
func (f filter) source(collection, org string) (string, []any) {
	if len(f.IDs) == 0 {
		where, args := f.where(collection, org)
		return `FROM versions v WHERE ` + where, args
	}
	where, args := f.where(collection, org) // which tests the ids too
	return `FROM (SELECT DISTINCT value AS k FROM json_each(?)) j CROSS JOIN versions v INDEXED BY versions_key ON v.idk = j.k WHERE ` + where,
		append([]any{jsonArray(stix.IDKeys(f.IDs))}, args...)
}

// pages reads pages of objects for the core.
type pages struct{ s *Store }

// ReadPage reads one page in one read transaction (see core.Pages).
func (p pages) ReadPage(ctx context.Context, reader liaison.Principal, collection string, f objquery.Filter, page *liaison.ObjectPage) error {
	return p.s.Read(ctx, func(tx core.Tx) error {
		return p.s.readPage(ctx, tx.(*sqlTx).tx, reader, collection, filter{f}, page)
	})
}

// readPage reads one page in tx, the reader's snapshot. It returns
// errStale, reading nothing, if the audiences in the snapshot are no
// longer right at the store's clock.
func (s *Store) readPage(ctx context.Context, tx *sql.Tx, reader liaison.Principal, collection string, f filter, page *liaison.ObjectPage) error {
	now := s.clock()
	ctx0 := &sqlTx{ctx: ctx, tx: tx}
	d, st, err := s.ReadDirectory(ctx0, now)
	if err != nil {
		return err
	}
	if st.Expired(now) {
		return core.ErrStale
	}
	page.Versions, page.More = page.Versions[:0], false
	acc, err := core.VisibleCollection(ctx0, d, reader, collection)
	if err != nil {
		return err
	}
	if !acc.CanRead {
		return liaison.NotFound("collection", collection)
	}
	query, args, err := f.pageQuery(ctx, tx, s.arms, core.PageCols(f.Manifest), collection, reader.Org)
	if err != nil || query == "" {
		return err
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	return core.ScanPage(sqlRows{rows}, collection, f.Manifest, f.Limit, page)
}

// maxAudienceArms is the most audiences a page query walks one by one
// (Store.arms, which tests may change).
const maxAudienceArms = 32

// pageQuery returns the query of one page of f, selecting cols of versions
// v in the collection that org may read, ordered by date_added, and its
// arguments; an empty query when org may read no audience at all, so
// nothing can match.
//
// Without ids there are two plans. Walking (collection, date_added) and
// skipping what org may not read costs about limit ÷ the share of the
// collection org may read: the page itself for a reader who may read
// everything, many times it for one who may read little. Walking
// (collection, audience, date_added) once per audience org may read, each
// walk in date_added order, and letting SQLite merge the walks lazily,
// costs about limit plus one seek per walk, whatever the share. So a
// reader who may read every audience, or many of them, gets the first
// plan; one who may read few of the store's audiences (at most arms, and
// at most half of them or 4) gets the second. The store's audiences stand
// in for the collection's, which would cost a walk of the collection's
// index to count; an audience with no version in the collection costs its
// walk one seek. Each walk keeps the whole
// filter, the audience test included, so the plan only narrows what the
// filter allows, and "first"/"last" are still the extremes among the
// versions this reader may read.
func (f filter) pageQuery(ctx context.Context, tx *sql.Tx, arms int, cols, collection, org string) (string, []any, error) {
	if len(f.IDs) == 0 && arms > 0 {
		auds, all, err := readableAudiences(ctx, tx, org, arms+1)
		if err != nil {
			return "", nil, err
		}
		switch r := len(auds); {
		case r == 0:
			return "", nil, nil
		case objquery.WalkAudiences(r, all, arms):
			where, wargs := f.where(collection, org)
			selects := make([]string, len(auds))
			var args []any
			for i, a := range auds {
				selects[i] = `SELECT ` + cols + ` FROM versions v INDEXED BY versions_audience_added WHERE v.audience_id = ? AND ` + where
				args = append(append(args, a), wargs...)
			}
			return strings.Join(selects, ` UNION ALL `) + ` ORDER BY date_added_us` + f.Order() + ` LIMIT ?`, append(args, f.Limit+1), nil
		}
	}
	from, args := f.source(collection, org)
	return `SELECT ` + cols + ` ` + from + ` ORDER BY v.date_added_us` + f.Order() + ` LIMIT ?`, append(args, f.Limit+1), nil
}

// readableAudiences returns up to max of the audiences org may read, and
// how many audiences the store has in all (every collection's, which
// bounds any one collection's). Both come from small tables, in one
// statement: a page read does this before choosing its plan.
func readableAudiences(ctx context.Context, tx *sql.Tx, org string, limit int) (readable []int64, all int, err error) {
	rows, err := tx.QueryContext(ctx, core.ReadableAudiencesQuery, org, limit)
	if err == nil {
		readable, all, err = core.ScanAudiences(sqlRows{rows})
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read audiences of %s: %w", org, err)
	}
	return readable, all, nil
}
