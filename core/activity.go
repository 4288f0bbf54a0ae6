package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"liaison"
	"liaison/internal/objquery"
)

const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// Activity counts, per collection the reader may read, the versions added
// per day (of the query's zone) and key of the split that the reader may read. The
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
	zone := q.Zone
	if zone == nil {
		zone = time.UTC
	}
	from := q.From.In(zone)
	if y, m, dd := from.Date(); !from.Equal(time.Date(y, m, dd, 0, 0, 0, 0, zone)) || y < 1970 || y > 9999 {
		return nil, liaison.Errorf(liaison.EINVALID, "from %s is not a midnight in %s between 1970 and 9999", from.Format(time.RFC3339), zone)
	}
	// The days' bounds in the zone. When every day is 24 hours, the query
	// divides by a day; otherwise (the zone changes its clocks within the
	// span) it counts by quarter hours, every zone's offsets being whole
	// quarters, and each quarter is given to its day here.
	bounds := make([]int64, q.Days+1)
	even := true
	for i := range bounds {
		bounds[i] = Micros(from.AddDate(0, 0, i))
		if i > 0 && bounds[i]-bounds[i-1] != microsPerDay {
			even = false
		}
	}
	bucket := microsPerDay
	if !even {
		bucket = int64(15 * time.Minute / time.Microsecond)
	}
	start := bounds[0]
	end := bounds[q.Days]
	dayOf := func(b int64) int {
		if even {
			return int(b)
		}
		t := start + b*bucket
		i, found := slices.BinarySearch(bounds, t)
		if !found {
			i--
		}
		return i
	}
	var out []liaison.ActivityCount
	err := o.inRead(ctx, "Activity", func(tx Tx) error {
		colls, err := o.readableCollections(tx, reader)
		if err != nil {
			return err
		}
		f := objquery.Filter{All: true, After: start - 1, Before: end}
		for _, c := range colls {
			a := coreSQL{start}
			readable := func(alias string) string { a.Arg(reader.Org); return readableBy(alias) }
			where := f.Where(&a, c.ID, func() string { return readable("v") }, readable)
			rows, err := tx.Query(`SELECT (v.date_added_us - ?) / `+fmt.Sprint(bucket)+` AS day, `+key+` AS k, count(*) FROM versions v WHERE `+where+
				` GROUP BY 1, 2 ORDER BY 1, 2`, a...)
			if err != nil {
				return fmt.Errorf("activity: %w", err)
			}
			if err := func() error {
				defer rows.Close()
				seen := map[string]int{}
				for rows.Next() {
					var day, n int64
					var k string
					if err := rows.Scan(&day, &k, &n); err != nil {
						return fmt.Errorf("activity: read counts: %w", err)
					}
					d := dayOf(day)
					if d < 0 || d >= q.Days {
						continue
					}
					at := strconv.Itoa(d) + " " + k
					if i, ok := seen[at]; ok {
						out[i].N += int(n) // another quarter of the same day
						continue
					}
					seen[at] = len(out)
					out = append(out, liaison.ActivityCount{Day: from.AddDate(0, 0, d), Collection: c.ID, Key: k, N: int(n)})
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
