package sqlite

import (
	"testing"

	"liaison"
)

// FuzzParseQuery: any version and limit either parse or are EINVALID.
func FuzzParseQuery(f *testing.F) {
	f.Add("last", 0, "")
	f.Add("first,2025-01-01T00:00:00Z", 5000, "indicator,malware")
	f.Add("latest", -1, "")
	f.Fuzz(func(t *testing.T, versions string, limit int, types string) {
		fl, err := parseQuery(liaison.ObjectQuery{Versions: []string{versions}, Limit: limit, Types: []string{types}})
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if fl.Limit < 1 || fl.Limit > MaxPageSize {
			t.Fatalf("limit %d out of range", fl.Limit)
		}
		if !fl.All && !fl.First && !fl.Last && len(fl.Stamps) == 0 {
			t.Fatal("no version selector")
		}
	})
}
