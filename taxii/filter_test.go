package taxii

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"liaison"
)

func TestParseFilters(t *testing.T) {
	ap := "attack-pattern--00000000-0000-4000-8000-000000000001"
	cases := []struct {
		query   string
		allowed filterSet
		want    liaison.ObjectQuery
		err     string // part of the message; "" means no error
	}{
		{"", objectsFilters, liaison.ObjectQuery{}, ""},
		{"added_after=2016-02-01T00:00:01.000000Z", objectsFilters, liaison.ObjectQuery{AddedAfter: time.Date(2016, 2, 1, 0, 0, 1, 0, time.UTC)}, ""},
		{"added_after=2016-02-01T09:00:01%2B09:00", objectsFilters, liaison.ObjectQuery{AddedAfter: time.Date(2016, 2, 1, 0, 0, 1, 0, time.UTC)}, ""},
		{"limit=10", objectsFilters, liaison.ObjectQuery{Limit: 10}, ""},
		{"limit=5000", objectsFilters, liaison.ObjectQuery{Limit: 100}, ""},
		{"next=abc", objectsFilters, liaison.ObjectQuery{Next: "abc"}, ""},
		{"match[id]=" + ap + "," + ap, objectsFilters, liaison.ObjectQuery{IDs: []string{ap}}, ""},
		{"match[type]=indicator,sighting&match[type]=malware", objectsFilters, liaison.ObjectQuery{Types: []string{"indicator", "sighting", "malware"}}, ""},
		{"match[version]=first,2016-01-01T01:01:01.123Z", objectsFilters, liaison.ObjectQuery{Versions: []string{"first", "2016-01-01T01:01:01.123Z"}}, ""},
		{"match[spec_version]=2.0,2.1", objectsFilters, liaison.ObjectQuery{SpecVersions: []string{"2.0", "2.1"}}, ""},
		{"cachebuster=1", objectsFilters, liaison.ObjectQuery{}, ""},
		{"added_after=yesterday", objectsFilters, liaison.ObjectQuery{}, "added_after"},
		{"limit=-1", objectsFilters, liaison.ObjectQuery{}, "limit"},
		{"limit=ten", objectsFilters, liaison.ObjectQuery{}, "limit"},
		{"next=", objectsFilters, liaison.ObjectQuery{}, "next"},
		{"match[id]=indicator", objectsFilters, liaison.ObjectQuery{}, "match[id]"},
		{"match[type]=", objectsFilters, liaison.ObjectQuery{}, "match[type]"},
		{"match[version]=latest", objectsFilters, liaison.ObjectQuery{}, "match[version]"},
		{"match[spec_version]=2", objectsFilters, liaison.ObjectQuery{}, "match[spec_version]"},
		{"match[version]=all", versionsFilters, liaison.ObjectQuery{}, "match[version] is not supported"},
		{"match[type]=x", objectFilters, liaison.ObjectQuery{Types: []string{"x"}}, ""},
		{"match[version]=last", versionsFilters, liaison.ObjectQuery{}, "match[version] is not supported"},
		{"limit=1", deleteFilters, liaison.ObjectQuery{}, "limit is not supported"},
		{"match[foo]=bar", objectsFilters, liaison.ObjectQuery{}, "match[foo] is not supported"},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		got, err := parseFilters(q, c.allowed, 100)
		if c.err != "" {
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(liaison.ErrorMessage(err), c.err) {
				t.Errorf("%s: err %v, want EINVALID naming %q", c.query, err, c.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %+v %v, want %+v", c.query, got, err, c.want)
		}
	}
}

func TestAcceptsTAXII(t *testing.T) {
	cases := map[string]bool{
		"":                                     true,
		"application/taxii+json;version=2.1":   true,
		"application/taxii+json":               true,
		"application/taxii+json ; version=2.1": true,
		"*/*":                                  true,
		"application/*":                        true,
		"text/html, */*;q=0.1":                 true,
		"application/taxii+json;version=2.0":   false,
		"application/json":                     false,
		"text/html":                            false,
		"application/taxii+json;q=0":           false,
		"*/*, application/taxii+json;q=0":      false,
		"application/taxii+json;q=banana":      false,
		"garbage":                              false,
		",,,":                                  false,
		"application/taxii+json;version=2.1;q=0.001": true,
	}
	for h, want := range cases {
		if got := acceptsTAXII(h); got != want {
			t.Errorf("acceptsTAXII(%q) = %v, want %v", h, got, want)
		}
	}
	ct := map[string]bool{
		"application/taxii+json;version=2.1":    true,
		"application/taxii+json":                true,
		"application/taxii+json; charset=utf-8": true,
		"application/json":                      false,
		"":                                      false,
		"application/stix+json;version=2.1":     false,
		"application/taxii+json;version=2.0":    false,
	}
	for h, want := range ct {
		if got := isTAXIIContent(h); got != want {
			t.Errorf("isTAXIIContent(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestFormatVersion(t *testing.T) {
	cases := map[time.Time]string{
		time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC):         "2023-01-02T03:04:05.000Z",
		time.Date(2023, 1, 2, 3, 4, 5, 120000000, time.UTC): "2023-01-02T03:04:05.120Z",
		time.Date(2023, 1, 2, 3, 4, 5, 123456000, time.UTC): "2023-01-02T03:04:05.123456Z",
		time.Date(2023, 1, 2, 3, 4, 5, 123456789, time.UTC): "2023-01-02T03:04:05.123456789Z",
	}
	for in, want := range cases {
		if got := formatVersion(in); got != want {
			t.Errorf("formatVersion(%v) = %s, want %s", in, got, want)
		}
	}
	if got := formatDateAdded(time.Date(2023, 1, 2, 3, 4, 5, 7000, time.FixedZone("JST", 9*3600))); got != "2023-01-01T18:04:05.000007Z" {
		t.Errorf("formatDateAdded = %s", got)
	}
}

// FuzzParseFilters checks that any query either parses into values that
// satisfy the filter rules or fails with EINVALID, never panicking.
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{
		"added_after=2016-02-01T00:00:01.000000Z&limit=10",
		"match[id]=indicator--00000000-0000-4000-8000-000000000001&match[version]=all",
		"match[type]=a,b,c&match[spec_version]=2.1&next=xyz",
		"match[version]=first,last,2016-01-01T00:00:00Z",
		"limit=99999999999999999999",
		"match[foo]=1", "%zz", "added_after=2016-13-45T99:99:99Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, allowed := range []filterSet{objectsFilters, objectFilters, versionsFilters, deleteFilters} {
			oq, err := parseFilters(q, allowed, 1000)
			if err != nil {
				if liaison.ErrorCode(err) != liaison.EINVALID {
					t.Fatalf("%q: error code %s: %v", raw, liaison.ErrorCode(err), err)
				}
				continue
			}
			if oq.Limit < 0 || oq.Limit > 1000 {
				t.Fatalf("%q: limit %d", raw, oq.Limit)
			}
			for _, id := range oq.IDs {
				if !idRE.MatchString(id) {
					t.Fatalf("%q: id %q", raw, id)
				}
			}
			for _, v := range oq.Versions {
				if v != "first" && v != "last" && v != "all" {
					if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
						t.Fatalf("%q: version %q", raw, v)
					}
				}
			}
		}
	})
}

// FuzzAcceptsTAXII checks that Accept and Content-Type parsing never
// panics and that adding a refused range to an accepted header with a
// exact range keeps it accepted, and that an exact range refused with q=0
// refuses whatever wider ranges say.
func FuzzAcceptsTAXII(f *testing.F) {
	for _, s := range []string{"application/taxii+json;version=2.1", "*/*;q=0.5, text/html", "a/b;q=;;=", "application/taxii+json;version=\"2.1\";q=1.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		_ = isTAXIIContent(h)
		if acceptsTAXII(h) && !acceptsTAXII(h+", application/taxii+json;version=2.1") {
			t.Fatalf("%q accepted, but not with an exact range added", h)
		}
		if !strings.Contains(strings.ToLower(h), "taxii") && acceptsTAXII(h+", application/taxii+json;version=2.1;q=0") {
			t.Fatalf("%q with the exact type refused (q=0) still accepted", h)
		}
	})
}
