package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"liaison"
	"liaison/internal/objquery"
)

// PageCols are the columns of versions v that ScanPage reads: with the
// object's bytes unless the page is a manifest.
func PageCols(manifest bool) string {
	cols := `v.id, v.type, v.spec_version, v.version_us, v.date_added_us, v.originator, v.default_marking`
	if !manifest {
		cols += `, v.raw`
	}
	return cols
}

// ScanPage appends to page the versions rows holds (of PageCols, ordered
// by date_added, at most limit+1 of them), setting More when there are
// more than limit. It closes rows.
func ScanPage(rows Rows, collection string, manifest bool, limit int, page *liaison.ObjectPage) error {
	defer rows.Close()
	for rows.Next() {
		if len(page.Versions) == limit {
			page.More = true
			break
		}
		v := liaison.Version{Collection: collection}
		var ver, added int64
		dest := []any{&v.ID, &v.Type, &v.SpecVersion, &ver, &added, &v.Originator, &v.DefaultMarking}
		if !manifest {
			dest = append(dest, &v.Raw)
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read versions: %w", err)
		}
		v.Modified, v.DateAdded = FromMicros(ver), FromMicros(added)
		page.Versions = append(page.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	return nil
}

// ListForms is how an engine keeps the core's list types (Strings,
// Int64s, Joined): the forms it binds them in, and how it reads list
// columns back.
type ListForms struct {
	Strings func([]string) any
	Int64s  func([]int64) any
	Joined  func([]string) any
	// ReadStrings and ReadJoined return a stand-in to scan a list column
	// into, and the function that then fills the list from it.
	ReadStrings func(*[]string) (standIn any, fill func() error)
	ReadJoined  func(*[]string) (standIn any, fill func() error)
}

// Args replaces, in place, each list argument by the engine's form of it,
// and returns args.
func (lf ListForms) Args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case Strings:
			args[i] = lf.Strings(v)
		case Int64s:
			args[i] = lf.Int64s(v)
		case Joined:
			args[i] = lf.Joined(v)
		}
	}
	return args
}

// Scan scans a row through scan, reading list destinations through the
// engine's stand-ins.
func (lf ListForms) Scan(scan func(...any) error, dest []any) error {
	var fills []func() error
	for i, d := range dest {
		var standIn any
		var fill func() error
		switch d := d.(type) {
		case *Strings:
			standIn, fill = lf.ReadStrings((*[]string)(d))
		case *Joined:
			standIn, fill = lf.ReadJoined((*[]string)(d))
		default:
			continue
		}
		if fills == nil {
			dest = append([]any(nil), dest...)
		}
		dest[i] = standIn
		fills = append(fills, fill)
	}
	if err := scan(dest...); err != nil {
		return err
	}
	for _, fill := range fills {
		if err := fill(); err != nil {
			return err
		}
	}
	return nil
}

// FinishPage sets the cursor of a page read: Next continues after its
// last version.
func FinishPage(page liaison.ObjectPage) liaison.ObjectPage {
	return FinishPageOrder(page, false)
}

// FinishPageOrder is FinishPage for a page read in either order (desc:
// newest first, Next continuing toward older versions).
func FinishPageOrder(page liaison.ObjectPage, desc bool) liaison.ObjectPage {
	if n := len(page.Versions); n > 0 {
		page.Next = objquery.EncodeCursorOrder(page.Versions[n-1].DateAdded.UnixMicro(), desc)
	}
	return page
}

// ReadableAudiencesQuery returns up to ? (the second argument) of the
// audiences the organisation bound first may read, each beside how many
// audiences the store has in all; ScanAudiences reads it.
const ReadableAudiencesQuery = `SELECT (SELECT count(*) FROM audiences), m.audience_id FROM audience_members m WHERE m.org = ? ORDER BY m.audience_id LIMIT ?`

// ScanAudiences reads the rows of ReadableAudiencesQuery and closes them.
func ScanAudiences(rows Rows) (readable []int64, all int, err error) {
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

// Pages is what a store plans for itself: reading one page.
type Pages interface {
	// ReadPage reads one page of f from the collection, as reader, into
	// page, all in one snapshot, holding only versions reader may read
	// (ScanPage). It returns ErrStale, reading nothing, when the
	// audiences in that snapshot are no longer right at the store's
	// clock, and ENOTFOUND if reader may not read the collection.
	ReadPage(ctx context.Context, reader liaison.Principal, collection string, f objquery.Filter, page *liaison.ObjectPage) error
	// Select returns the FROM and WHERE clauses, over versions v, of the
	// versions in the collection that f selects and org may read, with
	// their arguments, in the store's own SQL.
	Select(f objquery.Filter, collection, org string) (from string, args []any)
}

// Objects reads one page of versions from a collection, ordered by
// date_added, holding only versions the reader may read. More says
// whether further versions match; Next (set on every non-empty page)
// continues after the last version of this page and never misses or
// repeats one, even while writes go on. ENOTFOUND if the reader may not
// read the collection; EINVALID for a bad cursor, version, filter or
// limit.
func (o *Office) Objects(ctx context.Context, reader liaison.Principal, collection string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	op := o.op("Objects")
	f, err := objquery.Parse(q)
	if err != nil {
		return liaison.ObjectPage{Versions: []liaison.Version{}}, err
	}
	for attempt := 0; ; attempt++ {
		page := liaison.ObjectPage{Versions: []liaison.Version{}}
		err := o.pages.ReadPage(ctx, reader, collection, f, &page)
		switch {
		case err == nil:
			return FinishPageOrder(page, f.Desc), nil
		case !errors.Is(err, ErrStale):
			return liaison.ObjectPage{}, o.MapErr(op, err)
		case attempt == 3:
			return liaison.ObjectPage{}, o.Internal(op, errors.New("audiences kept going stale"))
		}
		// An agreement entered or left force since the audiences were
		// computed: recompute them, then read again.
		if err := o.Freshen(ctx); err != nil {
			return liaison.ObjectPage{}, err
		}
	}
}

// Read runs fn in a read transaction of the store; errors are the
// caller's to map.
func (o *Office) Read(ctx context.Context, fn func(tx Tx) error) error {
	return run(ctx, o.db, false, fn)
}

// coreSQL binds arguments in the core's own SQL (see Tx): ? placeholders,
// lists as Strings or Int64s.
type coreSQL []any

func (a *coreSQL) Arg(v any) string { *a = append(*a, v); return "?" }

func (a *coreSQL) In(col string, vals any) string {
	switch v := vals.(type) {
	case []string:
		*a = append(*a, Strings(v))
	case []int64:
		*a = append(*a, Int64s(v))
	default:
		panic(fmt.Sprintf("core: a list of %T", vals))
	}
	return col + ` IN (SELECT value FROM json_each(?))`
}

// Related returns the first page of RelatedAfter, and whether there are
// more.
func (o *Office) Related(ctx context.Context, reader liaison.Principal, id string, limit int) ([]liaison.Version, bool, error) {
	vs, next, err := o.RelatedAfter(ctx, reader, id, "", limit)
	return vs, next != "", err
}

// ExplainAudience says who may read a version and why (see
// liaison.ObjectService). It reads the version through the reader's own
// page query first, so a version the reader may not read is not found.
func (o *Office) ExplainAudience(ctx context.Context, reader liaison.Principal, collection, id string, version time.Time) (liaison.Explanation, error) {
	q := liaison.ObjectQuery{IDs: []string{id}, Manifest: true}
	if !version.IsZero() {
		q.Versions = []string{version.UTC().Format(time.RFC3339Nano)}
	}
	page, err := o.Objects(ctx, reader, collection, q)
	if err != nil {
		return liaison.Explanation{}, err
	}
	if len(page.Versions) == 0 {
		return liaison.Explanation{}, liaison.NotFound("object", id)
	}
	v := page.Versions[len(page.Versions)-1]
	ex := liaison.Explanation{Version: v}
	err = o.inRead(ctx, "ExplainAudience", func(tx Tx) error {
		d, _, err := o.ReadDirectory(tx, o.Clock())
		if err != nil {
			return err
		}
		var refs, ends, carried, via string
		var aid int64
		if err := tx.QueryRow(`SELECT l.markings, v.audience_id, v.ends, l.carried, l.via FROM versions v JOIN labels l ON l.id = v.label_id
			WHERE v.collection = ? AND v.date_added_us = ?`, collection, Micros(v.DateAdded)).Scan(&refs, &aid, &ends, &carried, &via); err != nil {
			if errors.Is(err, ErrNoRows) {
				return liaison.NotFound("object", id) // deleted since the read
			}
			return err
		}
		var ms []liaison.Marking
		if refs != "" {
			for _, ref := range strings.Split(refs, ",") {
				m, ok, err := o.marking(tx, ref)
				if err != nil {
					return err
				}
				if !ok {
					m = liaison.Marking{ID: ref, TLP: liaison.TLPRed, ReleasableTo: []string{}}
				}
				ms = append(ms, m)
			}
		}
		label, steps := d.Explain(v.Originator, ms)
		if carried != localLabel {
			// Federation rule 2: what the serving office computed bounds it.
			from := liaison.ParseAudienceKey(carried)
			next := label.Intersect(from)
			steps = append(steps, liaison.Step{Rule: 2, Removed: minus(label, next),
				Text: "it came from the peer office " + via + ", which let it travel for " + strings.Join(from, ", ") + ": never wider here"})
			label = next
		}
		var defaults []liaison.Step
		for _, id := range liaison.DefaultMarkingIDs(v.DefaultMarking) {
			defaults = append(defaults, liaison.Step{Rule: 8, MarkingID: id, Text: "it had no marking, so it takes the default marking of the collection it was first written to, or the one chosen for the import that wrote it"})
		}
		steps = append(defaults, steps...)
		c, err := loadCollection(tx, collection)
		if err != nil {
			return err
		}
		readers := d.Expand(c.Read...)
		bounded := label.Intersect(readers)
		if removed := minus(label, bounded); len(removed) > 0 {
			steps = append(steps, liaison.Step{Rule: 1, Removed: removed, Text: "the collection " + c.Title + " is read by " + strings.Join(c.Read, ", ")})
		}
		stored, err := o.Audience(tx, aid)
		if err != nil {
			return err
		}
		ex.Audience = stored.Intersect(readers)
		if removed := minus(bounded, ex.Audience); len(removed) > 0 && ends != "" {
			steps = append(steps, liaison.Step{Rule: 9, Removed: removed, Text: "it joins " + strings.ReplaceAll(ends, ",", " and ") + ": only those who can read each end that is stored here read it"})
		}
		ex.Steps = steps
		return nil
	})
	return ex, err
}

// marking returns a marking the hub knows, built in or stored.
func (o *Office) marking(tx Tx, id string) (liaison.Marking, bool, error) {
	if t, ok := liaison.TLPByID[id]; ok {
		return liaison.Marking{ID: id, Name: t.String(), TLP: t}, true, nil
	}
	return o.storedMarking(tx, id)
}

// minus returns the organisations of a that are not in b.
func minus(a, b liaison.Audience) []string {
	var out []string
	for _, x := range a {
		if !b.Contains(x) {
			out = append(out, x)
		}
	}
	return out
}
