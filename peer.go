package liaison

import (
	"context"
	"time"
)

// Federation between offices (ARCHITECTURE.md, "Federation"). The serving
// office grants a peer office a token and the organisations it serves; the
// pulling office keeps, per peer, where to pull from, its cursors and what
// went wrong.

// PeerGrant is a peer office as the serving office knows it: its name and
// the organisations and communities it serves (expanded under the serving
// office's directory when it reads).
type PeerGrant struct {
	Name    string
	Serves  []string
	Created time.Time
}

// PeerVersion is one object version as a peer is served it: the bytes
// exactly as stored, and the facts that travel beside them (rules 3 and
// 4): the originator, the serving office's audience (only the
// organisations the peer serves) and the serving office's date_added.
type PeerVersion struct {
	ID         string
	Version    time.Time
	DateAdded  time.Time
	Originator string
	Audience   Audience
	Raw        []byte
	// Candidate and Fault are filled by the pulling office: the decoded
	// object, or why it could not be decoded.
	Candidate Candidate
	Fault     string
}

// PeerPage is one page of a peer read of a collection, oldest first.
type PeerPage struct {
	Versions []PeerVersion
	More     bool
}

// PeerChange is one entry of the change feed (rule 5): a version's
// audience changed or it was deleted. When the peer may read the version
// now, Version carries it as it stands (its new audience and bytes);
// otherwise Withdrawn says the peer must drop it.
type PeerChange struct {
	Seq        int64
	Collection string
	ID         string
	Modified   time.Time
	Withdrawn  bool
	Version    PeerVersion
}

// PeerChanges is one page of the change feed. Next is the cursor to ask
// after next time.
type PeerChanges struct {
	Changes []PeerChange
	Next    int64
	More    bool
}

// PeerCollection maps a collection of the serving office to one here.
type PeerCollection struct {
	Remote string
	Local  string
}

// PeerCursor is how far the pull of one remote collection has come.
type PeerCursor struct {
	Remote   string
	After    time.Time // the serving office's date_added of the last version written
	Received int64     // versions written here from it
}

// PeerReject is an object a peer sent that was refused here.
type PeerReject struct {
	Remote  string
	ID      string
	Message string
	At      time.Time
}

// PeerPull is a peer office this office pulls from, with its state.
type PeerPull struct {
	Name        string
	URL         string // the serving office's TAXII API root
	Token       string // never shown by list or status
	Collections []PeerCollection
	ChangeSeq   int64
	LastOK      time.Time
	LastTry     time.Time
	LastError   string
	Failures    int
	Cursors     []PeerCursor
	Rejects     []PeerReject // the latest, newest first
}

// PeerReceived is what one received page did here.
type PeerReceived struct {
	Written  int
	Present  int
	Rejected []Rejection
}

// PeerService is federation in the store. Reads for a peer are filtered
// in the query by rules 1 and 6 and never serve a version back to the
// peer it came from (rule 7).
type PeerService interface {
	// AllowPeer grants peer office name a token; serves are organisation
	// codes and community names. It returns the token, shown once.
	// ECONFLICT if the name has a grant; EINVALID if serves names nobody.
	AllowPeer(ctx context.Context, name string, serves []string) (string, error)
	// PeerGrants returns the grants, sorted by name.
	PeerGrants(ctx context.Context) ([]PeerGrant, error)
	// RemovePeerGrant ends a grant: its token stops working. ENOTFOUND if
	// there is none.
	RemovePeerGrant(ctx context.Context, name string) error
	// PeerByToken returns the grant of a token. EUNAUTHORIZED if unknown.
	PeerByToken(ctx context.Context, secret string) (PeerGrant, error)
	// PeerCollections returns the collections the peer may pull.
	PeerCollections(ctx context.Context, peer PeerGrant) ([]Collection, error)
	// PeerObjects reads a page of what the peer is served from a
	// collection, every version added after after, oldest first.
	// ENOTFOUND if the peer may not pull the collection.
	PeerObjects(ctx context.Context, peer PeerGrant, collection string, after time.Time, limit int) (PeerPage, error)
	// PeerChanges reads the change feed after seq, as the peer may see it.
	PeerChanges(ctx context.Context, peer PeerGrant, after int64, limit int) (PeerChanges, error)

	// AddPeerPull configures a peer to pull from. ECONFLICT if the name
	// is taken; EINVALID if a local collection does not exist.
	AddPeerPull(ctx context.Context, p PeerPull) error
	// PeerPulls returns every configured peer with its state, by name.
	PeerPulls(ctx context.Context) ([]PeerPull, error)
	// RemovePeerPull forgets a peer (what it sent stays). ENOTFOUND if
	// there is none.
	RemovePeerPull(ctx context.Context, name string) error
	// ReceivePeerPage writes what a peer served from its collection
	// remote, and moves that collection's cursor to after, in one
	// transaction: the audience of each version is its markings' under
	// this office's directory intersected with the carried audience, and
	// its originator the carried one (rules 2 and 3).
	ReceivePeerPage(ctx context.Context, peer, remote string, versions []PeerVersion, after time.Time) (PeerReceived, error)
	// ApplyPeerChanges applies a page of the peer's change feed and moves
	// the feed's cursor to next, in one transaction.
	ApplyPeerChanges(ctx context.Context, peer string, changes []PeerChange, next int64) (PeerReceived, error)
	// NotePeerSync records the outcome of a sync: errText empty for
	// success.
	NotePeerSync(ctx context.Context, peer, errText string) error
}
