package stix

import (
	"time"

	"liaison/stix/internal/stixtime"
)

// ParseTimestamp reads a STIX 2.1 timestamp: RFC 3339 in UTC with a
// literal Z, "YYYY-MM-DDTHH:MM:SS[.s+]Z", any number of fraction digits.
// It reports false for anything else, including impossible dates.
func ParseTimestamp(s string) (time.Time, bool) { return stixtime.Parse(s) }
