package web

import (
	"net/url"
	"testing"
	"time"

	"liaison"
)

// FuzzGraphAndActivityQueries: any query string is a graph or activity
// query, or EINVALID, never a panic nor another error; what parses keeps
// its bounds.
func FuzzGraphAndActivityQueries(f *testing.F) {
	for _, s := range []string{"", "hops=2", "group=malware&page=3", "page=2", "split=type&days=90&to=2026-03-31", "days=0", "to=9999-12-31", "zoom=1"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if q, err := parseGraphQuery(v); err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("graph %q: %v", raw, err)
			}
		} else if q.Hops < 1 || q.Hops > 2 || q.Page < 1 || q.Page > 1000 || (q.Page > 1 && q.Group == "") {
			t.Fatalf("graph %q: %+v", raw, q)
		}
		if q, err := parseActivityQuery(v, now, tokyo); err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("activity %q: %v", raw, err)
			}
		} else if q.Days < 1 || q.Days > liaison.MaxActivityDays || !q.To.Equal(midnight(q.To, tokyo)) {
			t.Fatalf("activity %q: %+v", raw, q)
		}
	})
}
