package liaison

import (
	"context"
	"time"
)

// DirectoryService keeps organisations, communities and agreements. Every
// change that can alter an audience recomputes the stored audiences in the
// same transaction, so no reader ever sees a half-updated state.
type DirectoryService interface {
	// CreateOrganisation adds an organisation. ECONFLICT if the code is
	// taken, EINVALID if it is malformed.
	CreateOrganisation(ctx context.Context, o Organisation) error
	// Organisation returns one organisation. ENOTFOUND if there is none.
	Organisation(ctx context.Context, code string) (Organisation, error)
	// Organisations returns every organisation, sorted by code.
	Organisations(ctx context.Context) ([]Organisation, error)

	// CreateCommunity adds an operator community. EINVALID if a member is
	// neither an organisation nor a community; ECONFLICT if it exists.
	CreateCommunity(ctx context.Context, c Community) error
	// SetCommunityMembers replaces an operator community's members.
	// ENOTFOUND if there is no such community.
	SetCommunityMembers(ctx context.Context, name string, members []string) error
	// Communities returns the operator communities, sorted by name.
	Communities(ctx context.Context) ([]Community, error)

	// CreateAgreement adds an agreement and sets a.ID. EINVALID if the
	// partner is not a partner organisation on the hub.
	CreateAgreement(ctx context.Context, a *Agreement) error
	// UpdateAgreement replaces an agreement (for example to end it).
	// ENOTFOUND if there is none with a.ID.
	UpdateAgreement(ctx context.Context, a Agreement) error
	// Agreements returns every agreement, ordered by id.
	Agreements(ctx context.Context) ([]Agreement, error)

	// UpdateOrganisation replaces an organisation's name and time zone
	// (its code and kind never change). ENOTFOUND if there is none with
	// o.Code; EINVALID if a field is malformed or the kind differs.
	UpdateOrganisation(ctx context.Context, o Organisation) error

	// PreviewDirectory computes, without writing anything, how many
	// stored object versions each organisation would gain or lose if the
	// change were made, with the audience function that enforcement
	// uses. It is for admins only: EFORBIDDEN for anyone else, whatever
	// the store holds. EINVALID (or ENOTFOUND) as the change itself would
	// be refused.
	PreviewDirectory(ctx context.Context, reader Principal, c DirectoryChange) (DirectoryEffect, error)

	// RecordObjectiveProgress records progress on an objective of a
	// programme and sets p.ID and p.At. EINVALID if the agreement is not
	// a programme or has no such objective.
	RecordObjectiveProgress(ctx context.Context, p *ObjectiveProgress) error
	// ObjectiveProgress returns the progress records of a programme,
	// oldest first. ENOTFOUND if there is no such agreement.
	ObjectiveProgress(ctx context.Context, agreement int64) ([]ObjectiveProgress, error)

	// Directory returns the directory as it stands at the store's clock.
	Directory(ctx context.Context) (*Directory, error)
	// RecomputeAudiences recomputes every stored audience in one
	// transaction, reporting progress through the context (WithProgress).
	RecomputeAudiences(ctx context.Context) error
}

// UserService keeps principals and their credentials.
type UserService interface {
	// CreateUser adds a user with a password (hashed with a modern
	// password hash; empty means token-only) and sets p.ID. ECONFLICT for
	// a duplicate name, EINVALID for an unknown organisation or role.
	CreateUser(ctx context.Context, p *Principal, password string) error
	// User returns a user by name. ENOTFOUND if there is none.
	User(ctx context.Context, name string) (Principal, error)
	// Users returns every user, sorted by name.
	Users(ctx context.Context) ([]Principal, error)
	// Authenticate checks a name and password. EUNAUTHORIZED on any
	// mismatch, without saying which part was wrong.
	Authenticate(ctx context.Context, name, password string) (Principal, error)
	// SetPassword replaces a user's password (empty: token-only).
	// ENOTFOUND if there is no such user.
	SetPassword(ctx context.Context, name, password string) error
	// SetRoles replaces a user's roles. ENOTFOUND if there is no such
	// user, EINVALID for an empty list or an unknown role.
	SetRoles(ctx context.Context, name string, roles []Role) error
	// SetDisabled disables or enables a user. A disabled user cannot
	// authenticate, with a password or a token, until enabled again.
	// ENOTFOUND if there is no such user.
	SetDisabled(ctx context.Context, name string, disabled bool) error
	// CredentialStamp returns an opaque value that changes whenever the
	// user's password, organisation, roles or disabled state change, so that a cache of
	// verified credentials can tell, cheaply, that an entry went stale.
	// ENOTFOUND if there is no such user.
	CredentialStamp(ctx context.Context, name string) (string, error)
	// CreateToken makes a random API token for the user, stores only its
	// hash, and returns its record and the secret, which is shown once.
	CreateToken(ctx context.Context, user string) (Token, string, error)
	// RevokeToken revokes a token by id. ENOTFOUND if there is none.
	RevokeToken(ctx context.Context, id string) error
	// Tokens returns the tokens of a user.
	Tokens(ctx context.Context, user string) ([]Token, error)
	// PrincipalByToken returns the owner of a live token. EUNAUTHORIZED if
	// the token is unknown or revoked.
	PrincipalByToken(ctx context.Context, secret string) (Principal, error)
}

// Token is an API token's record. The secret itself is never stored.
type Token struct {
	ID      string
	User    string
	Created time.Time
	Revoked bool
}

// CollectionService keeps collections.
type CollectionService interface {
	// CreateCollection adds a collection and sets c.ID if it is empty.
	// EINVALID if a read or write entry names nobody known, or the default
	// marking is unknown.
	CreateCollection(ctx context.Context, c *Collection) error
	// AllCollections returns every collection, for operators.
	AllCollections(ctx context.Context) ([]Collection, error)
	// SetMatchOnIngest turns matching on ingest on or off for a
	// collection, for operators: with it on, the observed-data each write
	// stores there is matched against the indicators the writer may read,
	// and the sightings recorded there as the writer. ENOTFOUND if there
	// is no such collection.
	SetMatchOnIngest(ctx context.Context, collection string, on bool) error
	// MatchOnIngest returns the ids of the collections with matching on
	// ingest turned on, for operators, sorted.
	MatchOnIngest(ctx context.Context) ([]string, error)
	// Collections returns the collections the reader may read or write.
	Collections(ctx context.Context, reader Principal) ([]CollectionAccess, error)
	// Collection returns one collection as the reader sees it. ENOTFOUND
	// if it does not exist or the reader may neither read nor write it.
	Collection(ctx context.Context, reader Principal, id string) (CollectionAccess, error)
	// UpdateCollection replaces the title, description, topic, read and
	// write lists and default marking of the collection c.ID, for
	// operators and admins; every later read uses the new lists.
	// ENOTFOUND if there is no such collection, EINVALID as for
	// CreateCollection.
	UpdateCollection(ctx context.Context, c *Collection) error
}

// ObjectService stores STIX object versions and reads them back, always
// filtered, inside the query, by what the reader may read.
type ObjectService interface {
	// AddObjects writes candidates into a collection as writer, in one
	// transaction. Each candidate is accepted or rejected on its own: one
	// bad object never sinks the others. ENOTFOUND if the writer cannot
	// see the collection; EFORBIDDEN if they may see but not write it.
	AddObjects(ctx context.Context, writer Principal, collection string, objs []Candidate) (WriteResult, error)
	// Objects reads one page of versions from a collection. It returns
	// only versions the reader may read. ENOTFOUND if the reader may not
	// read the collection.
	Objects(ctx context.Context, reader Principal, collection string, q ObjectQuery) (ObjectPage, error)
	// DeleteObject deletes the versions of one object selected by
	// q.Versions and q.SpecVersions. It needs write access and the
	// originator's organisation. ENOTFOUND if the writer cannot read any
	// matching version; EFORBIDDEN if they may read but not delete it.
	DeleteObject(ctx context.Context, writer Principal, collection, id string, q ObjectQuery) (int, error)
	// Marking returns a marking-definition known to the hub, built in or
	// stored. ENOTFOUND if unknown.
	Marking(ctx context.Context, id string) (Marking, error)
	// Related returns the relationships and sightings naming id as an
	// end in every collection reader may read, the latest version of
	// each that reader may read, oldest first, at most limit (0: 100),
	// and whether there are more. Only what reader may read is returned.
	Related(ctx context.Context, reader Principal, id string, limit int) ([]Version, bool, error)
	// RelatedAfter is Related a page at a time: the links after the
	// cursor after ("": from the start), in a stable order, at most limit
	// (0: 100, at most MaxRelated), and the cursor of the next page (""
	// when there is no more). EINVALID, naming after, for a bad cursor.
	RelatedAfter(ctx context.Context, reader Principal, id, after string, limit int) ([]Version, string, error)
	// ExplainAudience says who may read the version of id (its modified
	// time; zero: the latest the reader may read) in a collection, and
	// why. ENOTFOUND, the same as for a missing one, unless reader may
	// read that version.
	ExplainAudience(ctx context.Context, reader Principal, collection, id string, version time.Time) (Explanation, error)
	// Activity counts the versions reader may read that were added to
	// each collection reader may read, per day and key of q.Split, in
	// the query: nothing the reader may not read is counted. Days with
	// nothing are left out. EINVALID names a bad part of q.
	Activity(ctx context.Context, reader Principal, q ActivityQuery) ([]ActivityCount, error)
}

// Explanation says who may read one version and why: the audience the
// store enforces (already bounded by the collection's read list), and the
// rules that made it, in order (Directory.Explain, then the collection's
// read list, then rule 9 for links).
type Explanation struct {
	Version  Version
	Audience Audience
	Steps    []Step
}

// MaxRelated is the most links one Related call returns.
const MaxRelated = 1000

// StatusService keeps the status resources of TAXII add requests.
type StatusService interface {
	// SaveStatus stores or replaces a status.
	SaveStatus(ctx context.Context, s Status) error
	// AddObjectsWithStatus is AddObjects, then SaveStatus of what status
	// makes of its result, in the same transaction: the status is stored
	// exactly when the objects are, and an add request costs one write
	// rather than two, the second queued behind other writers' objects.
	// status must depend on its argument alone (it may be called more
	// than once); an error from SaveStatus fails the call, and nothing is
	// written. A store that wraps another and changes what AddObjects
	// does must change this the same way: TAXII adds come through here.
	AddObjectsWithStatus(ctx context.Context, writer Principal, collection string, objs []Candidate, status func(WriteResult) Status) (WriteResult, error)
	// Status returns a status. ENOTFOUND unless the reader's organisation
	// made the request.
	Status(ctx context.Context, reader Principal, id string) (Status, error)
}

// Status is the outcome of one add-objects request, as TAXII reports it.
type Status struct {
	ID               string
	Org              string // the requesting principal's organisation
	Collection       string
	RequestTimestamp time.Time
	Complete         bool
	Successes        []StatusDetail
	Failures         []StatusDetail
	Pendings         []StatusDetail
}

// StatusDetail names one object in a status.
type StatusDetail struct {
	ID      string
	Version string
	Message string
}

// Store is everything the office keeps.
type Store interface {
	DirectoryService
	UserService
	CollectionService
	ObjectService
	SearchService
	StatusService
	ConsultationService
	DecisionService
	MatchService
	UseService
	Close() error
}

// Progress receives the progress of long work: done of total units.
type Progress func(done, total int64)

type progressKey struct{}

// WithProgress returns a context whose long operations report to p.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressFrom returns the context's progress reporter, or one that
// discards reports.
func ProgressFrom(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok && p != nil {
		return p
	}
	return func(int64, int64) {}
}
