package postgres

import (
	"context"
	"fmt"
	"liaison/internal/objquery"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"liaison"
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
	var b strings.Builder
	orgP := ""
	b.WriteString(`v.collection = ` + a.add(collection))
	orgP = a.add(org)
	b.WriteString(` AND ` + readableBy("v", orgP))
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
	return b.String(), a
}

// freshen recomputes audiences first if an agreement entered or left
// force since they were computed, so a read is right at this instant.
func (s *Store) freshen(ctx context.Context) error {
	st, err := readState(ctx, s.pool)
	if err != nil {
		return s.internal("postgres.freshen", err)
	}
	if !st.expired(s.clock()) {
		return nil
	}
	// beginWrite recomputes when the validity is still lapsed under the lock.
	return s.inWrite(ctx, "postgres.freshen", func(*wtx) error { return nil })
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
	where, args := f.where(collection, reader.Org)
	err = s.snapshotRead(ctx, op, func(b *pgx.Batch) {
		b.Queue(`SELECT `+collectionCols+` FROM collections WHERE id = $1`, collection)
		// The inner query picks the page from the indexes alone; only the
		// page's rows are then read (see migration 0003).
		b.Queue(`SELECT `+cols+` FROM versions v WHERE v.vid IN (SELECT v.vid FROM versions v WHERE `+where+` ORDER BY v.date_added_us LIMIT `+strconv.Itoa(f.limit+1)+`) ORDER BY v.date_added_us`, args...)
	}, func(d *liaison.Directory, br pgx.BatchResults) error {
		// The page was read in the same snapshot; it is returned only if
		// the reader may read the collection.
		acc, err := batchAccess(br, d, reader, collection)
		if err != nil {
			return err
		}
		if !acc.CanRead {
			return liaison.NotFound("collection", collection)
		}
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
			v.Modified, v.DateAdded = fromMicros(ver), fromMicros(added)
			page.Versions = append(page.Versions, v)
		}
		if page.More {
			rows.Close()
		}
		return rows.Err()
	})
	if err != nil {
		return liaison.ObjectPage{}, err
	}
	if n := len(page.Versions); n > 0 {
		page.Next = objquery.EncodeCursor(page.Versions[n-1].DateAdded.UnixMicro())
	}
	return page, nil
}
