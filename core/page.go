package core

import (
	"fmt"

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

// ScanVia scans a row through scan, first putting in place of each
// destination that via knows a stand-in of the engine's own form, and
// then filling the destination from it. Stores read the core's list types
// (Strings, Joined) this way.
func ScanVia(scan func(...any) error, dest []any, via func(d any) (standIn any, fill func() error)) error {
	var fills []func() error
	for i, d := range dest {
		if standIn, fill := via(d); fill != nil {
			if fills == nil {
				dest = append([]any(nil), dest...)
			}
			dest[i] = standIn
			fills = append(fills, fill)
		}
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

// ConvertArgs replaces, in place, each argument that to knows by the
// engine's own form of it, and returns args.
func ConvertArgs(args []any, to func(a any) (any, bool)) []any {
	for i, a := range args {
		if v, ok := to(a); ok {
			args[i] = v
		}
	}
	return args
}

// FinishPage sets the cursor of a page read: Next continues after its
// last version.
func FinishPage(page liaison.ObjectPage) liaison.ObjectPage {
	if n := len(page.Versions); n > 0 {
		page.Next = objquery.EncodeCursor(page.Versions[n-1].DateAdded.UnixMicro())
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
