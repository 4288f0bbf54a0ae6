package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"liaison"
	"liaison/core"
	"liaison/internal/objquery"
)

// Page sizes of Objects, shared by every store.
const (
	DefaultPageSize = objquery.DefaultPageSize // when ObjectQuery.Limit is 0
	MaxPageSize     = objquery.MaxPageSize     // larger limits are capped here
)

// filter is a parsed ObjectQuery.
type filter struct {
	after             int64 // µs; versions added strictly after
	limit             int
	ids, types, specs []string
	all, first, last  bool
	stamps            []int64
	manifest          bool
}

// parseQuery checks and parses q (objquery.Parse). EINVALID names the bad
// part.
func parseQuery(q liaison.ObjectQuery) (filter, error) {
	p, err := objquery.Parse(q)
	if err != nil {
		return filter{}, err
	}
	return filter{after: p.After, limit: p.Limit, ids: p.IDs, types: p.Types, specs: p.Specs,
		all: p.All, first: p.First, last: p.Last, stamps: p.Stamps, manifest: p.Manifest}, nil
}

// readableBy is the audience filter every read carries, for a version
// aliased as alias: its audience must contain the reader's organisation.
func readableBy(alias string) string {
	return alias + `.audience_id IN (SELECT audience_id FROM audience_members WHERE org = ?)`
}

// where returns the WHERE clause (without ORDER or LIMIT) of versions v in
// the collection that org may read and f selects, and its arguments.
func (f filter) where(collection, org string) (string, []any) {
	var b strings.Builder
	args := []any{collection, org}
	b.WriteString(`v.collection = ? AND ` + readableBy("v"))
	if f.after != 0 {
		b.WriteString(` AND v.date_added_us > ?`)
		args = append(args, f.after)
	}
	// Lists bind as one JSON array each, so no filter can run into
	// SQLite's limit on bound variables however long it is.
	in := func(col string, vals []string) {
		if len(vals) > 0 {
			b.WriteString(` AND ` + col + ` IN (SELECT value FROM json_each(?))`)
			args = append(args, jsonArray(vals))
		}
	}
	in("v.id", f.ids)
	in("v.type", f.types)
	in("v.spec_version", f.specs)
	if !f.all {
		var alts []string
		// first and last are relative to what this reader may read, among
		// the spec versions asked for.
		extreme := func(cmp string) {
			s := `NOT EXISTS (SELECT 1 FROM versions n WHERE n.id = v.id AND n.collection = v.collection AND n.version_us ` + cmp + ` v.version_us AND ` + readableBy("n")
			args = append(args, org)
			if len(f.specs) > 0 {
				s += ` AND n.spec_version IN (SELECT value FROM json_each(?))`
				args = append(args, jsonArray(f.specs))
			}
			alts = append(alts, s+`)`)
		}
		if f.first {
			extreme("<")
		}
		if f.last {
			extreme(">")
		}
		if len(f.stamps) > 0 {
			alts = append(alts, `v.version_us IN (SELECT value FROM json_each(?))`)
			args = append(args, jsonArray(f.stamps))
		}
		b.WriteString(` AND (` + strings.Join(alts, ` OR `) + `)`)
	}
	return b.String(), args
}

// source returns the FROM and WHERE clauses (without ORDER or LIMIT) of
// versions v in the collection that org may read and f selects, and their
// arguments. When f names ids the query is driven from them: each distinct
// id is looked up by (id, collection) and only its few versions are
// filtered and sorted. Otherwise SQLite prefers to walk the collection in
// date_added order for ORDER BY and test every version against the id
// list, which costs the size of the collection. INDEXED BY keeps it from
// looking each id up along (collection, date_added) when added_after
// bounds the date.
func (f filter) source(collection, org string) (string, []any) {
	if len(f.ids) == 0 {
		where, args := f.where(collection, org)
		return `FROM versions v WHERE ` + where, args
	}
	g := f
	g.ids = nil // the join below selects them
	where, args := g.where(collection, org)
	return `FROM (SELECT DISTINCT value AS id FROM json_each(?)) j CROSS JOIN versions v INDEXED BY versions_key ON v.id = j.id WHERE ` + where,
		append([]any{jsonArray(f.ids)}, args...)
}

// Objects reads one page of versions from a collection, ordered by
// date_added, holding only versions the reader may read. More says whether
// further versions match; Next (set on every non-empty page) continues after
// the last version of this page and never misses or repeats one, even while
// writes go on. ENOTFOUND if the reader may not read the collection;
// EINVALID for a bad cursor, version or limit.
func (s *Store) Objects(ctx context.Context, reader liaison.Principal, collection string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	const op = "sqlite.Objects"
	page := liaison.ObjectPage{Versions: []liaison.Version{}}
	f, err := parseQuery(q)
	if err != nil {
		return page, err
	}
	for attempt := 0; ; attempt++ {
		err = s.MapErr(op, engine{s}.Read(ctx, func(tx core.Tx) error {
			return s.readPage(ctx, tx.(*sqlTx).tx, reader, collection, f, &page)
		}))
		if !errors.Is(err, core.ErrStale) || attempt == 3 {
			break
		}
		// An agreement entered or left force since the audiences were
		// computed: recompute them, then read again.
		if err := s.Freshen(ctx); err != nil {
			return liaison.ObjectPage{}, err
		}
	}
	if errors.Is(err, core.ErrStale) {
		err = s.internal(op, errors.New("audiences kept going stale"))
	}
	if err != nil {
		return liaison.ObjectPage{}, err
	}
	if n := len(page.Versions); n > 0 {
		page.Next = objquery.EncodeCursor(page.Versions[n-1].DateAdded.UnixMicro())
	}
	return page, nil
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
	cols := `v.id, v.type, v.spec_version, v.version_us, v.date_added_us, v.originator, v.default_marking`
	if !f.manifest {
		cols += `, v.raw`
	}
	query, args, err := f.pageQuery(ctx, tx, s.arms, cols, collection, reader.Org)
	if err != nil || query == "" {
		return err
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(page.Versions) == f.limit {
			page.More = true
			break
		}
		v := liaison.Version{Collection: collection}
		var ver, added int64
		dest := []any{&v.ID, &v.Type, &v.SpecVersion, &ver, &added, &v.Originator, &v.DefaultMarking}
		if !f.manifest {
			dest = append(dest, &v.Raw)
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read versions: %w", err)
		}
		v.Modified, v.DateAdded = core.FromMicros(ver), core.FromMicros(added)
		page.Versions = append(page.Versions, v)
	}
	return rows.Err()
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
	if len(f.ids) == 0 && arms > 0 {
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
			return strings.Join(selects, ` UNION ALL `) + ` ORDER BY date_added_us LIMIT ?`, append(args, f.limit+1), nil
		}
	}
	from, args := f.source(collection, org)
	return `SELECT ` + cols + ` ` + from + ` ORDER BY v.date_added_us LIMIT ?`, append(args, f.limit+1), nil
}

// readableAudiences returns up to max of the audiences org may read, and
// how many audiences the store has in all (every collection's, which
// bounds any one collection's). Both come from small tables, in one
// statement: a page read does this before choosing its plan.
func readableAudiences(ctx context.Context, tx *sql.Tx, org string, max int) (readable []int64, all int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT (SELECT count(*) FROM audiences), m.audience_id
		FROM audience_members m WHERE m.org = ? ORDER BY m.audience_id LIMIT ?`, org, max)
	if err != nil {
		return nil, 0, fmt.Errorf("read audiences of %s: %w", org, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a int64
		if err := rows.Scan(&all, &a); err != nil {
			return nil, 0, fmt.Errorf("read audiences of %s: %w", org, err)
		}
		readable = append(readable, a)
	}
	return readable, all, rows.Err()
}
