package taxii

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// The URL parameters each endpoint accepts (TAXII 2.1 section 3.4).
const (
	pAddedAfter  = "added_after"
	pLimit       = "limit"
	pNext        = "next"
	pID          = "match[id]"
	pType        = "match[type]"
	pVersion     = "match[version]"
	pSpecVersion = "match[spec_version]"
)

// filterSet names the parameters an endpoint supports.
type filterSet map[string]bool

var (
	objectsFilters = filterSet{pAddedAfter: true, pLimit: true, pNext: true, pID: true, pType: true, pVersion: true, pSpecVersion: true}
	// match[id] and match[type] on one object's endpoints only narrow
	// further; clients such as taxii2-client pass them through.
	objectFilters   = filterSet{pAddedAfter: true, pLimit: true, pNext: true, pID: true, pType: true, pVersion: true, pSpecVersion: true}
	versionsFilters = filterSet{pAddedAfter: true, pLimit: true, pNext: true, pID: true, pType: true, pSpecVersion: true}
	deleteFilters   = filterSet{pVersion: true, pSpecVersion: true}
)

var (
	typeRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}$`)
	idRE          = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	specVersionRE = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,3}$`)
)

// parseFilters reads the TAXII filters of a request's query into an
// ObjectQuery. Parameters the endpoint does not define, among
// added_after, limit, next and match[...], are refused with EINVALID
// naming the parameter; any other parameter (such as a cache buster) is
// ignored. Values of match[...] may be comma-separated lists, and a
// parameter may repeat: the values then add up (logical OR). limit above
// maxLimit is lowered to it.
func parseFilters(q url.Values, allowed filterSet, maxLimit int) (liaison.ObjectQuery, error) {
	var oq liaison.ObjectQuery
	for _, name := range slices.Sorted(maps.Keys(q)) {
		vals := q[name]
		if !allowed[name] {
			if strings.HasPrefix(name, "match[") || name == pAddedAfter || name == pLimit || name == pNext {
				return oq, liaison.Errorf(liaison.EINVALID, "URL parameter %s is not supported on this endpoint", truncate(name, 64))
			}
			continue
		}
		switch name {
		case pAddedAfter, pLimit, pNext:
			if len(vals) != 1 {
				return oq, liaison.Errorf(liaison.EINVALID, "URL parameter %s is given %d times: give it once", name, len(vals))
			}
		}
		v := vals[0]
		switch name {
		case pAddedAfter:
			t, err := parseTimestamp(v)
			if err != nil {
				return oq, liaison.Errorf(liaison.EINVALID, "added_after %q is not an RFC 3339 timestamp such as 2016-01-01T01:01:01.000000Z", truncate(v, 64))
			}
			oq.AddedAfter = t
		case pLimit:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return oq, liaison.Errorf(liaison.EINVALID, "limit %q is not a positive whole number", truncate(v, 64))
			}
			oq.Limit = min(n, maxLimit)
		case pNext:
			if v == "" || len(v) > 1024 {
				return oq, liaison.Errorf(liaison.EINVALID, "next must be the non-empty value of a previous response's next")
			}
			oq.Next = v
		case pID:
			ids, err := splitValues(name, vals, func(s string) bool { return idRE.MatchString(s) }, "an object id such as indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
			if err != nil {
				return oq, err
			}
			oq.IDs = ids
		case pType:
			ts, err := splitValues(name, vals, typeRE.MatchString, "a STIX type such as indicator (lower-case letters, digits and -)")
			if err != nil {
				return oq, err
			}
			oq.Types = ts
		case pVersion:
			vs, err := splitValues(name, vals, func(s string) bool {
				if s == liaison.VersionFirst || s == liaison.VersionLast || s == liaison.VersionAll {
					return true
				}
				_, err := parseTimestamp(s)
				return err == nil
			}, "first, last, all or an RFC 3339 timestamp")
			if err != nil {
				return oq, err
			}
			for i, s := range vs {
				if t, err := parseTimestamp(s); err == nil {
					vs[i] = t.Format(time.RFC3339Nano)
				}
			}
			oq.Versions = vs
		case pSpecVersion:
			ss, err := splitValues(name, vals, specVersionRE.MatchString, "a STIX specification version such as 2.1")
			if err != nil {
				return oq, err
			}
			oq.SpecVersions = ss
		}
	}
	return oq, nil
}

// splitValues splits comma-separated values, checks each and drops
// duplicates, keeping the first order.
func splitValues(name string, vals []string, valid func(string) bool, want string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if !valid(s) {
				return nil, liaison.Errorf(liaison.EINVALID, "%s value %q is malformed: want %s", name, truncate(s, 100), want)
			}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
			if len(out) > 1000 {
				return nil, liaison.Errorf(liaison.EINVALID, "%s has more than 1000 values", name)
			}
		}
	}
	return out, nil
}

// parseTimestamp reads an RFC 3339 timestamp, as TAXII timestamps are, in UTC.
func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// formatDateAdded formats a date_added with microseconds, as TAXII
// recommends for values clients send back in added_after.
func formatDateAdded(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// formatVersion formats a STIX version timestamp with at least millisecond
// precision, and more only when the timestamp has it.
func formatVersion(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Nanosecond()%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case t.Nanosecond()%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
