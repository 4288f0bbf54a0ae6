package misp

import (
	"strings"
	"time"

	"liaison/stix"
)

// namespace is the UUIDv5 namespace of every id this package derives: a
// fixed random UUID of our own, so that ids are stable across runs and
// machines and never collide with other producers' name-based ids.
var namespace = [16]byte{0x3f, 0x0e, 0x5b, 0x2a, 0x91, 0x6c, 0x4d, 0x1e, 0xa7, 0x58, 0x0c, 0x33, 0xe2, 0x9d, 0x41, 0x7b}

// uuid5 returns the name-based UUID of name in our namespace.
func uuid5(name string) string { return stix.NameUUID(namespace, name) }

// stixID is the STIX id of type typ derived from the MISP uuid (or other
// stable key) and the role the object plays for it, so that one MISP
// attribute can give, say, an indicator and a sighting with distinct ids.
func stixID(typ, key string) string {
	return typ + "--" + uuid5(typ+"\x00"+strings.ToLower(key))
}

// stamp formats a Unix time the STIX way, with milliseconds.
func stamp(unix int) string {
	return time.Unix(int64(unix), 0).UTC().Format("2006-01-02T15:04:05.000Z")
}

// seenStamp reads MISP's first_seen/last_seen (ISO 8601 with an offset, or
// with microseconds) as a STIX timestamp; false when it cannot.
func seenStamp(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format("2006-01-02T15:04:05.000000Z"), true
		}
	}
	return "", false
}
