package core

import (
	"strings"

	"liaison/stix"
)

// endKeys returns the keys (stix.IDKey) of a relationship's
// comma-separated ends, which the ends table holds.
func endKeys(ends string) []int64 { return stix.IDKeys(strings.Split(ends, ",")) }
