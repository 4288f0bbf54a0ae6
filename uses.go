package liaison

import "context"

// UseService counts, for a catalogue of techniques (a matrix), the
// objects that use each one.
type UseService interface {
	// CountUses returns, for each of q.Targets, how many distinct objects
	// of q.SourceTypes use it: objects that are the source of a
	// relationship of q.Relationship naming the target, where the reader
	// may read both the latest version of that relationship (in some
	// collection the reader may read) and a version of its source. The
	// counting happens inside reader-filtered queries: a hidden link, a
	// hidden user and a missing one count alike, as nothing. Targets with
	// no user are left out. A revoked link or user is not counted.
	// EINVALID, naming the field, for a bad query.
	CountUses(ctx context.Context, reader Principal, q UseQuery) (map[string]int, error)
}

// UseQuery is what CountUses counts.
type UseQuery struct {
	Targets      []string // object ids, at most MaxUseTargets
	SourceTypes  []string // the STIX types of the users counted; at least one
	Relationship string   // the relationship_type; "": "uses"
}

// MaxUseTargets is the most targets one CountUses call counts for: more
// than ATT&CK Enterprise has techniques and sub-techniques.
const MaxUseTargets = 5000

// UserTypes are the types of object a matrix counts as using a
// technique: incidents, campaigns, threat actors and intrusion sets.
var UserTypes = []string{"incident", "campaign", "threat-actor", "intrusion-set"}
