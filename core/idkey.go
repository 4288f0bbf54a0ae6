package core

import (
	"strings"

	"liaison/stix"
)

// IDKey is stix.IDKey, the integer the stores index an object id by.
func IDKey(id string) int64 { return stix.IDKey(id) }

// IDKeys is stix.IDKeys.
func IDKeys(ids []string) []int64 { return stix.IDKeys(ids) }

// endKeys returns the keys of a relationship's comma-separated ends.
func endKeys(ends string) []int64 { return IDKeys(strings.Split(ends, ",")) }
