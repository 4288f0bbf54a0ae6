package liaison

import (
	"context"
	"encoding/json"
	"time"
)

// MatchService matches observations against the indicators a submitter
// may read, and records what matched as sightings.
type MatchService interface {
	// Match evaluates the observations of req (observed-data and SCOs, as
	// in a bundle) against the live indicators that submitter may read:
	// for each indicator id, the latest version that submitter may read
	// in each collection it may read (or only in req.Collection), when
	// that version is neither revoked nor past its valid_until. An
	// indicator the submitter may not read is never tried, so it never
	// shows in the answer. EINVALID, naming the object and property, for
	// a malformed observation; ENOTFOUND if req.Collection is not one the
	// submitter may read; EFORBIDDEN if req.Record and the submitter may
	// not write req.Collection.
	Match(ctx context.Context, submitter Principal, req MatchRequest) (MatchResult, error)
}

// MatchRequest is one batch of observations to match.
type MatchRequest struct {
	// Objects are the batch: observed-data objects with the SCOs they
	// name, and lone SCOs. Other objects are ignored.
	Objects []json.RawMessage
	// Collection, when set, limits the match to the indicators of that
	// collection, and is where Record writes.
	Collection string
	// Record writes a sighting for each match (see Sighting), with the
	// batch's observations, into Collection, through the ordinary write
	// path.
	Record bool
}

// MatchResult is what a batch matched.
type MatchResult struct {
	Observations int // observations in the batch
	Matches      []Match
	// Written are the objects Record wrote: the observations and the
	// sightings, as the write answered them.
	Written  []Accepted
	Rejected []Rejection
}

// Match is one indicator version that the batch satisfied, as the
// submitter reads it in one collection.
type Match struct {
	Collection   string
	Indicator    string    // indicator--…
	Version      time.Time // its modified
	Observations []string  // the ids of the observations of the match
	// Sighting is the id of the sighting recorded for it, if any.
	Sighting string
}
