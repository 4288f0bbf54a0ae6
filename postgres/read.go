package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

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

// text reports whether s can be stored as PostgreSQL text: valid UTF-8
// without NUL.
func text(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// parseQuery checks and parses q (objquery.Parse), and refuses text that
// PostgreSQL cannot store. EINVALID names the bad part.
func parseQuery(q liaison.ObjectQuery) (filter, error) {
	p, err := objquery.Parse(q)
	if err != nil {
		return filter{}, err
	}
	f := filter{after: p.After, limit: p.Limit, ids: p.IDs, types: p.Types, specs: p.Specs,
		all: p.All, first: p.First, last: p.Last, stamps: p.Stamps, manifest: p.Manifest}
	for _, l := range []struct {
		name string
		vals []string
	}{{"id", f.ids}, {"type", f.types}, {"spec_version", f.specs}} {
		for i, v := range l.vals {
			if !text(v) {
				return f, liaison.Errorf(liaison.EINVALID, "%s filter value %d is not valid UTF-8 text", l.name, i)
			}
		}
	}
	return f, nil
}

// args numbers query arguments as they are added.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// readableBy is the audience filter every read carries, for a row aliased
// as alias with an audience_id: the audience must contain the reader's
// organisation, bound at placeholder org.
func readableBy(alias, org string) string {
	return alias + `.audience_id IN (SELECT m.audience_id FROM audience_members m WHERE m.org = ` + org + `)`
}

// where returns the WHERE clause (without ORDER or LIMIT) of versions v in
// the collection that org may read and f selects, and its arguments.
func (f filter) where(collection, org string) (string, []any) {
	var a args
	w := f.whereInto(&a, collection, org, "")
	return w, a
}

// whereInto is where, numbering its placeholders after those already in
// a. With aud set (an SQL expression), it selects versions of that
// audience only, and its audience test is that org is a member of aud.
func (f filter) whereInto(a *args, collection, org, aud string) string {
	var b strings.Builder
	b.WriteString(`v.collection = ` + a.add(collection))
	orgP := a.add(org)
	if aud != "" {
		b.WriteString(` AND v.audience_id = ` + aud + ` AND EXISTS (SELECT 1 FROM audience_members m WHERE m.org = ` + orgP + ` AND m.audience_id = ` + aud + `)`)
	} else {
		b.WriteString(` AND ` + readableBy("v", orgP))
	}
	if f.after != 0 {
		b.WriteString(` AND v.date_added_us > ` + a.add(f.after))
	}
	in := func(col string, vals []string) {
		if len(vals) > 0 {
			b.WriteString(` AND ` + col + ` = ANY(` + a.add(vals) + `)`)
		}
	}
	in("v.id", f.ids)
	in("v.type", f.types)
	in("v.spec_version", f.specs)
	if !f.all {
		var alts []string
		specs := ""
		if len(f.specs) > 0 {
			specs = ` AND n.spec_version = ANY(` + a.add(f.specs) + `)`
		}
		// first and last are relative to what this reader may read, among
		// the spec versions asked for.
		extreme := func(cmp string) {
			alts = append(alts, `NOT EXISTS (SELECT 1 FROM versions n WHERE n.id = v.id AND n.collection = v.collection AND n.version_us `+cmp+` v.version_us AND `+readableBy("n", orgP)+specs+`)`)
		}
		if f.first {
			extreme("<")
		}
		if f.last {
			extreme(">")
		}
		if len(f.stamps) > 0 {
			alts = append(alts, `v.version_us = ANY(`+a.add(f.stamps)+`)`)
		}
		b.WriteString(` AND (` + strings.Join(alts, ` OR `) + `)`)
	}
	return b.String()
}

// maxAudienceArms is the most audiences a page query walks one by one
// (Store.arms, which tests may change). Each walk reads up to a page, so
// beyond a few the walk along the collection is cheaper.
const maxAudienceArms = 8

// pageQuery returns the query of one page of f, selecting cols of versions
// v in the collection that org may read, ordered by date_added, and its
// arguments. auds are up to arms+1 of the audiences org may read, and all
// the number of audiences in the store; with auds nil or arms 0, the plan
// is the plain walk.
//
// The plain walk goes along (collection, date_added), skipping from the
// covering index what org may not read: about limit ÷ the share of the
// collection org may read, the page itself for a reader who may read
// everything, many times it for one who may read little. For a reader of
// few of the store's audiences (at most arms, and at most half of them or
// 4), the query instead takes the first limit versions of each audience
// along (collection, audience_id, date_added) and keeps the first limit of
// those: about limit times the number of audiences, whatever the share.
// (PostgreSQL does not merge ordered walks of a UNION ALL here, so each
// walk stops at the limit and the few results are sorted.) Each walk keeps
// the whole filter; its audience test is that org is a member of the
// walk's audience, in the same snapshot, so the plan only narrows what the
// filter allows. Either way the inner query picks the page from an index
// and only the page's rows are then read (migrations 0003 and 0004).
func (f filter) pageQuery(cols, collection, org string, auds []int64, all, arms int) (string, []any) {
	var a args
	lim := strconv.Itoa(f.limit + 1)
	var inner string
	if objquery.WalkAudiences(len(auds), all, arms) {
		inner = `SELECT x.vid FROM unnest(` + a.add(auds) + `::bigint[]) aud(id) CROSS JOIN LATERAL (SELECT v.vid, v.date_added_us FROM versions v WHERE ` +
			f.whereInto(&a, collection, org, "aud.id") + ` ORDER BY v.date_added_us LIMIT ` + lim + `) x ORDER BY x.date_added_us LIMIT ` + lim
	} else {
		inner = `SELECT v.vid FROM versions v WHERE ` + f.whereInto(&a, collection, org, "") + ` ORDER BY v.date_added_us LIMIT ` + lim
	}
	return `SELECT ` + cols + ` FROM versions v WHERE v.vid = ANY(ARRAY(` + inner + `)) ORDER BY v.date_added_us`, a
}

// readableAudiencesSQL selects, for the organisation $1, up to $2 of the
// audiences it may read, each beside the number of audiences in the store.
const readableAudiencesSQL = `SELECT (SELECT count(*) FROM audiences), m.audience_id FROM audience_members m WHERE m.org = $1 ORDER BY m.audience_id LIMIT $2`

// scanAudiences reads the rows of readableAudiencesSQL and closes them.
func scanAudiences(rows pgx.Rows) (readable []int64, all int, err error) {
	defer rows.Close()
	for rows.Next() {
		var a int64
		if err := rows.Scan(&all, &a); err != nil {
			return nil, 0, err
		}
		readable = append(readable, a)
	}
	return readable, all, rows.Err()
}

// Objects reads one page of versions from a collection, ordered by
// date_added, holding only versions the reader may read. More says whether
// further versions match; Next (set on every non-empty page) continues after
// the last version of this page and never misses or repeats one, even while
// writes go on. ENOTFOUND if the reader may not read the collection;
// EINVALID for a bad cursor, version, filter or limit.
func (s *Store) Objects(ctx context.Context, reader liaison.Principal, collection string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	const op = "postgres.Objects"
	page := liaison.ObjectPage{Versions: []liaison.Version{}}
	f, err := parseQuery(q)
	if err != nil {
		return page, err
	}
	cols := `v.id, v.type, v.spec_version, v.version_us, v.date_added_us, v.originator, v.default_marking`
	if !f.manifest {
		cols += `, v.raw`
	}
	scan := func(br pgx.BatchResults) error {
		rows, err := br.Query()
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
		if page.More {
			rows.Close()
		}
		return rows.Err()
	}
	// A page without ids may take the per-audience plan (pageQuery),
	// which needs the reader's audiences first: a second round trip in
	// the same snapshot.
	plan := len(f.ids) == 0 && s.arms > 0
	err = s.snapshotRead2(ctx, op, plan, func(b *pgx.Batch) {
		b.Queue(`SELECT `+core.CollectionCols+` FROM collections WHERE id = $1`, collection)
		if plan {
			b.Queue(readableAudiencesSQL, reader.Org, s.arms+1)
		} else {
			query, args := f.pageQuery(cols, collection, reader.Org, nil, 0, 0)
			b.Queue(query, args...)
		}
	}, func(d *liaison.Directory, br pgx.BatchResults) (*phase, error) {
		// The page was read in the same snapshot; it is returned only if
		// the reader may read the collection.
		c, err := core.ScanCollection(pgRow{br.QueryRow()})
		if errors.Is(err, core.ErrNoRows) {
			return nil, liaison.NotFound("collection", collection)
		}
		if err != nil {
			return nil, fmt.Errorf("read collection: %w", err)
		}
		acc, err := core.AccessTo(c, d, reader, collection)
		if err != nil {
			return nil, err
		}
		if !acc.CanRead {
			return nil, liaison.NotFound("collection", collection)
		}
		if !plan {
			return nil, scan(br)
		}
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("read audiences of %s: %w", reader.Org, err)
		}
		auds, all, err := scanAudiences(rows)
		if err != nil {
			return nil, fmt.Errorf("read audiences of %s: %w", reader.Org, err)
		}
		if len(auds) == 0 {
			return nil, nil // nothing can match
		}
		query, args := f.pageQuery(cols, collection, reader.Org, auds, all, s.arms)
		return &phase{
			queue: func(b *pgx.Batch) { b.Queue(query, args...) },
			use:   scan,
		}, nil
	})
	if err != nil {
		return liaison.ObjectPage{}, err
	}
	if n := len(page.Versions); n > 0 {
		page.Next = objquery.EncodeCursor(page.Versions[n-1].DateAdded.UnixMicro())
	}
	return page, nil
}
