package liaison

import (
	"context"
	"time"
)

// Snapshotter copies a whole office out of one store and into another:
// `liaison copy` moves an office between SQLite and PostgreSQL with it.
//
// It is for operators only. Export reads everything, unfiltered by any
// reader: password hashes, token hashes and every object version whatever
// its audience. It is deliberately not part of Store or of any read
// interface, and no HTTP handler, TAXII endpoint or JSON API may reach it;
// only the operator CLI, which has the database itself, type-asserts a
// store to Snapshotter.
type Snapshotter interface {
	// Export calls emit with the whole office in parts, in an order that
	// Import replays: the directory first, then users and tokens,
	// markings, collections, object versions (in batches, by collection
	// and date_added), statuses, consultations and proposals. It reads one
	// consistent snapshot, with audiences fresh at the store's clock.
	Export(ctx context.Context, emit func(SnapshotPart) error) error
	// Import writes the parts that export emits into this store in one
	// transaction, keeping every id, hash, date_added, originator and
	// audience as exported. ECONFLICT if the store holds any data already;
	// if export or a part fails, nothing is written.
	Import(ctx context.Context, export func(emit func(SnapshotPart) error) error) error
}

// SnapshotPart is one part of an exported office. Each part fills one or
// a few fields; the others are empty.
type SnapshotPart struct {
	// Totals is set on the first part: how much the export will emit.
	Totals *SnapshotTotals

	Organisations []Organisation
	Communities   []Community
	Agreements    []Agreement
	Users         []UserRecord
	Tokens        []TokenRecord
	Markings      []Marking
	Collections   []CollectionRecord
	Versions      []VersionRecord
	Statuses      []Status
	Consultations []Consultation
	Contributions []Contribution // with their history
	Proposals     []Proposal     // with their records, unsettled
}

// SnapshotTotals counts what an export holds.
type SnapshotTotals struct {
	Organisations, Users, Tokens, Collections, Versions int64
	Consultations, Contributions, Proposals             int64
}

// UserRecord is a user as a store keeps it: the principal, the password
// hash (a PHC string, empty for token-only users) and when it was made.
type UserRecord struct {
	Principal
	PasswordHash string
	Created      time.Time
}

// TokenRecord is an API token as a store keeps it: the record and the
// SHA-256 of the secret, never the secret itself.
type TokenRecord struct {
	Token
	Hash []byte
}

// CollectionRecord is a collection and the high-water mark of its
// date_added.
type CollectionRecord struct {
	Collection
	LastAdded time.Time
}

// VersionRecord is one stored object version with everything that decides
// who reads it: the exact bytes, date_added, originator, the resolved
// object-level marking refs its audience was computed from, the ends of a
// relationship or sighting, the granular marking refs, and the audience
// itself.
type VersionRecord struct {
	Version
	Markings     []string // sorted; the collection default when applied
	Ends         []string
	GranularRefs []string
	Audience     Audience
	// Carried is the audience a peer's version carried (nil for a version
	// written here); Via names the peer it came from (ARCHITECTURE.md,
	// "Federation").
	Carried *Audience `json:",omitempty"`
	Via     string    `json:",omitempty"`
}
