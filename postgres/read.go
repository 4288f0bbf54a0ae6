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

// MaxPageSize caps ObjectQuery.Limit, as in every store.
const MaxPageSize = objquery.MaxPageSize

// filter is a parsed ObjectQuery, with the SQL PostgreSQL reads it with.
type filter struct{ objquery.Filter }

// text reports whether s can be stored as PostgreSQL text: valid UTF-8
// without NUL.
func text(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

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

// In binds vals as one array: col = ANY(…).
func (a *args) In(col string, vals any) string { return col + ` = ANY(` + a.add(vals) + `)` }

// Arg binds v.
func (a *args) Arg(v any) string { return a.add(v) }

// whereInto is where, numbering its placeholders after those already in
// a. With aud set (an SQL expression), it selects versions of that
// audience only, and its audience test is that org is a member of aud.
func (f filter) whereInto(a *args, collection, org, aud string) string {
	f.Superseded = true // migration 2200
	var orgP string
	visible := func() string {
		orgP = a.add(org)
		if aud != "" {
			return `v.audience_id = ` + aud + ` AND EXISTS (SELECT 1 FROM audience_members m WHERE m.org = ` + orgP + ` AND m.audience_id = ` + aud + `)`
		}
		return readableBy("v", orgP)
	}
	w := f.Where(a, collection, visible, func(alias string) string { return readableBy(alias, orgP) })
	if skipSuperseded {
		w = strings.Replace(w, `(v.superseded = 0 OR `, `(v.superseded = 0 AND `, 1)
	}
	return w
}

// skipSuperseded is a mutant for tests only: a page of latest versions
// that drops every superseded version, as if the later version were
// readable by everyone, so a reader from whom the later one is hidden
// misses the version they should see.
var skipSuperseded bool

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
	lim := strconv.Itoa(f.Limit + 1)
	var inner string
	if objquery.WalkAudiences(len(auds), all, arms) {
		inner = `SELECT x.vid FROM unnest(` + a.add(auds) + `::bigint[]) aud(id) CROSS JOIN LATERAL (SELECT v.vid, v.date_added_us FROM versions v WHERE ` +
			f.whereInto(&a, collection, org, "aud.id") + ` ORDER BY v.date_added_us` + f.Order() + ` LIMIT ` + lim + `) x ORDER BY x.date_added_us` + f.Order() + ` LIMIT ` + lim
	} else {
		inner = `SELECT v.vid FROM versions v WHERE ` + f.whereInto(&a, collection, org, "") + ` ORDER BY v.date_added_us` + f.Order() + ` LIMIT ` + lim
	}
	return `SELECT ` + cols + ` FROM versions v WHERE v.vid = ANY(ARRAY(` + inner + `)) ORDER BY v.date_added_us` + f.Order(), a
}

// pages reads pages of objects for the core.
type pages struct{ s *Store }

// ReadPage reads one page, with the collection and the directory, in one
// pipelined snapshot (see core.Pages and snapshotRead).
func (p pages) ReadPage(ctx context.Context, reader liaison.Principal, collection string, of objquery.Filter, page *liaison.ObjectPage) error {
	s, f := p.s, filter{of}
	cols := core.PageCols(f.Manifest)
	scan := func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("read versions: %w", err)
		}
		return core.ScanPage(pgRows{rows}, collection, f.Manifest, f.Limit, page)
	}
	// A page without ids may take the per-audience plan (pageQuery),
	// which needs the reader's audiences first: a second round trip in
	// the same snapshot.
	plan := len(f.IDs) == 0 && s.arms > 0
	return s.snapshotRead(ctx, plan, func(b *pgx.Batch) {
		b.Queue(`SELECT `+core.CollectionCols+` FROM collections WHERE id = $1`, collection)
		if plan {
			b.Queue(rewrite(core.ReadableAudiencesQuery), reader.Org, s.arms+1)
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
		auds, all, err := core.ScanAudiences(pgRows{rows})
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
}

// Select is the FROM and WHERE of the versions of f (core.Pages).
func (p pages) Select(f objquery.Filter, collection, org string) (string, []any) {
	where, args := filter{f}.where(collection, org)
	return `FROM versions v WHERE ` + where, args
}
