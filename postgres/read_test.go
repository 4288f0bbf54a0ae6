package postgres

import (
	"context"
	"liaison/internal/objquery"
	"strings"
	"testing"
	"time"

	"liaison"
)

// FuzzParseQuery feeds arbitrary filters and cursors to the query parser:
// it never panics, a cursor it gave out always parses back, and every
// value it accepts can be bound as PostgreSQL text.
func FuzzParseQuery(f *testing.F) {
	f.Add("indicator--1", "indicator,malware", "last,first", "2.1", objquery.EncodeCursor(1767225600000000), 10)
	f.Add("", "", "2026-01-01T00:00:00Z", "", "ZGExOjE", 0)
	f.Add("\xff\x00", "a\x00b", "all", "\xc3", "!!", -1)
	f.Fuzz(func(t *testing.T, ids, types, versions, specs, next string, limit int) {
		q := liaison.ObjectQuery{IDs: []string{ids}, Types: []string{types}, Versions: []string{versions}, SpecVersions: []string{specs}, Next: next, Limit: limit}
		f, err := parseQuery(q)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		for _, v := range append(append(append([]string{}, f.IDs...), f.Types...), f.Specs...) {
			if !text(v) {
				t.Fatalf("accepted %q, which PostgreSQL text cannot hold", v)
			}
		}
		if f.Limit < 1 || f.Limit > MaxPageSize {
			t.Fatalf("limit %d", f.Limit)
		}
		if f.After >= 0 {
			if got, err := objquery.DecodeCursor(objquery.EncodeCursor(f.After)); err != nil || got != f.After {
				t.Fatalf("cursor of %d reads back as %d, %v", f.After, got, err)
			}
		}
	})
}

func TestOpenRefusesBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, url, schema, want string
	}{
		{"not a url", "postgres://[::1", "", "database url is malformed"},
		{"schema with a quote", "postgres://nobody@127.0.0.1:1/x", `x"; DROP SCHEMA public; --`, "schema name"},
		{"schema in upper case", "postgres://nobody@127.0.0.1:1/x", "Office", "schema name"},
		{"schema in the url", "postgres://nobody@127.0.0.1:1/x?search_path=a,b", "", "schema name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(ctx, tc.url, Options{Schema: tc.schema})
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
	// No server: an error, not a hang or a panic.
	if _, err := Open(ctx, "postgres://nobody@127.0.0.1:1/x?connect_timeout=2", Options{}); err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
}
