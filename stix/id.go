package stix

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
)

// NewUUID returns a random (version 4) UUID in its canonical lower-case form.
func NewUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	return FormatUUIDv4(u)
}

// FormatUUIDv4 sets the version 4 and variant bits on 16 random bytes and
// returns the UUID in canonical lower-case form. Callers that need
// reproducible ids (the benchmark generator) supply seeded bytes.
func FormatUUIDv4(u [16]byte) string {
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// IsUUID reports whether s is a UUID in canonical form: 8-4-4-4-12
// lower-case hexadecimal digits.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// IsTypeName reports whether s is a valid STIX object type name: 3 to 250
// characters of a-z, 0-9 and single hyphens, not starting or ending with a
// hyphen.
func IsTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// SplitID splits a STIX identifier "type--uuid" into its type and UUID. It
// reports false unless the type is a valid type name and the UUID is
// canonical.
func SplitID(id string) (typ, uuid string, ok bool) {
	i := strings.Index(id, "--")
	if i < 0 {
		return "", "", false
	}
	typ, uuid = id[:i], id[i+2:]
	if !IsTypeName(typ) || !IsUUID(uuid) {
		return "", "", false
	}
	return typ, uuid, true
}

// isPropertyName reports whether s may name a property: ASCII letters,
// digits and underscores.
func isPropertyName(s string) bool {
	if s == "" || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// NameUUID is the RFC 9562 name-based UUID (version 5, SHA-1) of name in
// the namespace ns: the same name always gives the same UUID, for the ids
// the office derives (sightings, MISP imports, the import picker's
// markings).
func NameUUID(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// IDKey is the integer the stores index an object id by: the first 16
// hexadecimal digits of the id's UUID, as a signed 64-bit integer, or 0
// for an id that does not end in a canonical UUID (the stores accept none,
// but a lookup may name one). STIX ids are "type--UUID" with random or
// hashed UUIDs, so the key is spread evenly, and 8 bytes rather than the
// id's 40 to 60: the indexes keyed by it (versions_key, ends) hold two to
// three times as many entries to a page. Ingest updates them at random
// places, about a page an object once they outgrow a commit, so at 1M
// objects their size decides how much of them stays in the writer's cache
// (see the README, Performance). Two ids may share a key; every lookup by key
// also tests the id itself.
//
// The SQLite and PostgreSQL migrations that filled the key for stored
// versions compute the same function in SQL (TestIDKeyMigration in
// each store).
func IDKey(id string) int64 {
	if len(id) < 36 {
		return 0
	}
	u := id[len(id)-36:]
	if !IsUUID(u) {
		return 0
	}
	var k uint64
	for _, c := range u[:18] { // 8-4-4: the first 16 digits
		switch {
		case c == '-':
			continue
		case c <= '9':
			k = k<<4 | uint64(c-'0')
		default:
			k = k<<4 | uint64(c-'a'+10)
		}
	}
	return int64(k)
}

// IDKeys returns the key of each id, in order.
func IDKeys(ids []string) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = IDKey(id)
	}
	return out
}
