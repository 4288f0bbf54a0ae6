package taxii

import (
	"strconv"
	"strings"
)

// Media types of TAXII 2.1 and STIX 2.1.
const (
	// MediaType is the media type of every TAXII 2.1 resource this server
	// sends.
	MediaType = "application/taxii+json;version=2.1"
	// STIXMediaType is the media type of the objects the collections hold.
	STIXMediaType = "application/stix+json;version=2.1"
)

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	params   map[string]string
	q        float64
}

// parseMediaType reads "type/subtype; k=v; ..." leniently: it lower-cases
// names, strips quotes from values and reports ok=false for a missing or
// malformed type/subtype.
func parseMediaType(s string) (mediaRange, bool) {
	parts := strings.Split(s, ";")
	full := strings.ToLower(strings.TrimSpace(parts[0]))
	typ, sub, found := strings.Cut(full, "/")
	if !found || typ == "" || sub == "" || strings.ContainsAny(full, " \t\"") {
		return mediaRange{}, false
	}
	m := mediaRange{typ: typ, sub: sub, q: 1}
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(p, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !found || k == "" {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if k == "q" {
			q, err := strconv.ParseFloat(v, 64)
			if err != nil || q < 0 || q > 1 {
				q = 0 // a malformed weight excludes the range rather than widening it
			}
			m.q = q
			continue
		}
		if m.params == nil {
			m.params = map[string]string{}
		}
		m.params[k] = v
	}
	return m, true
}

// isTAXII21 reports whether m names TAXII 2.1 JSON: the taxii+json type
// with version 2.1 or no version at all.
func (m mediaRange) isTAXII21() bool {
	if m.typ != "application" || m.sub != "taxii+json" {
		return false
	}
	v, ok := m.params["version"]
	return !ok || v == "2.1"
}

// acceptsTAXII reports whether an Accept header lets the server answer with
// MediaType. A missing or empty header accepts anything. Otherwise some
// range with a positive weight must match: application/taxii+json (version
// 2.1 or unversioned), application/* or */*. A more specific range decides
// over a wider one, so "*/*, application/taxii+json;q=0" refuses.
func acceptsTAXII(header string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	best, bestRank := 0.0, -1
	for _, part := range strings.Split(header, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		m, ok := parseMediaType(part)
		if !ok {
			continue
		}
		rank := -1
		switch {
		case m.typ == "*" && m.sub == "*":
			rank = 0
		case m.typ == "application" && m.sub == "*":
			rank = 1
		case m.isTAXII21():
			rank = 2
			if _, versioned := m.params["version"]; versioned {
				rank = 3
			}
		}
		if rank > bestRank || rank == bestRank && m.q > best {
			best, bestRank = m.q, rank
		}
	}
	return bestRank >= 0 && best > 0
}

// isTAXIIContent reports whether a Content-Type names TAXII 2.1 JSON. Other
// parameters (such as charset=utf-8) are allowed.
func isTAXIIContent(header string) bool {
	m, ok := parseMediaType(header)
	return ok && m.isTAXII21()
}
