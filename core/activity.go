package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"liaison"
	"liaison/internal/objquery"
)

const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// Activity counts, per collection the reader may read, the versions added
// per day (UTC) and key of the split that the reader may read. The
// count runs in the query, under the same reader filter as every page
// read (objquery.Filter.Where with every version selected), so nothing
// hidden is counted and no object is loaded to be counted.
func (o *Office) Activity(ctx context.Context, reader liaison.Principal, q liaison.ActivityQuery) ([]liaison.ActivityCount, error) {
	var key string
	switch q.Split {
	case liaison.SplitCollection, "":
		key = `''`
	case liaison.SplitType:
		key = `v.type`
	case liaison.SplitOriginator:
		key = `v.originator`
	default:
		return nil, liaison.Errorf(liaison.EINVALID, "split %q is not collection, type or originator", q.Split)
	}
	if q.Days < 1 || q.Days > liaison.MaxActivityDays {
		return nil, liaison.Errorf(liaison.EINVALID, "days %d is not from 1 to %d", q.Days, liaison.MaxActivityDays)
	}
	from := q.From.UTC()
	if !from.Equal(from.Truncate(24*time.Hour)) || from.Year() < 1970 || from.Year() > 9999 {
		return nil, liaison.Errorf(liaison.EINVALID, "from %s is not a midnight UTC between 1970 and 9999", from.Format(time.RFC3339))
	}
	start := Micros(from)
	end := start + int64(q.Days)*microsPerDay
	var out []liaison.ActivityCount
	err := o.inRead(ctx, "Activity", func(tx Tx) error {
		d, st, err := o.ReadDirectory(tx, o.Clock())
		if err != nil {
			return err
		}
		if st.Expired(o.Clock()) {
			return ErrStale
		}
		colls, err := loadCollections(tx)
		if err != nil {
			return err
		}
		f := objquery.Filter{All: true, After: start - 1, Before: end}
		for _, c := range colls {
			if !d.Access(reader, c).CanRead {
				continue
			}
			a := coreSQL{start}
			readable := func(alias string) string { a.Arg(reader.Org); return readableBy(alias) }
			where := f.Where(&a, c.ID, func() string { return readable("v") }, readable)
			rows, err := tx.Query(`SELECT (v.date_added_us - ?) / `+fmt.Sprint(microsPerDay)+` AS day, `+key+` AS k, count(*) FROM versions v WHERE `+where+
				` GROUP BY 1, 2 ORDER BY 1, 2`, a...)
			if err != nil {
				return fmt.Errorf("activity: %w", err)
			}
			if err := func() error {
				defer rows.Close()
				for rows.Next() {
					var day, n int64
					var k string
					if err := rows.Scan(&day, &k, &n); err != nil {
						return fmt.Errorf("activity: read counts: %w", err)
					}
					out = append(out, liaison.ActivityCount{Day: from.Add(time.Duration(day) * 24 * time.Hour), Collection: c.ID, Key: k, N: int(n)})
				}
				return rows.Err()
			}(); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrStale) {
		if err := o.Freshen(ctx); err != nil {
			return nil, err
		}
		return o.Activity(ctx, reader, q)
	}
	return out, err
}
