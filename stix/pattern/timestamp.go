package pattern

import (
	"time"

	"liaison/stix/internal/stixtime"
)

// ParseTimestamp reads a STIX 2.1 timestamp, "YYYY-MM-DDTHH:MM:SS[.s+]Z",
// with the same rules as the t'…' constants of a pattern: RFC 3339 in UTC
// with a literal Z and any number of fraction digits. It reports false for
// anything else, including impossible dates. A matcher uses it to read
// timestamp properties of observations, so that a property and a t'…'
// constant are read alike.
func ParseTimestamp(s string) (time.Time, bool) { return stixtime.Parse(s) }
