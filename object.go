package liaison

import (
	"strings"
	"time"
)

// Candidate is one decoded and validated STIX object on its way into the
// store. The stix package makes candidates; the store resolves their
// markings, computes their audience and writes Raw exactly as received.
type Candidate struct {
	Index       int    // position in the bundle or envelope, for error messages
	ID          string // type--uuid
	Type        string
	SpecVersion string
	Created     time.Time // zero when the object has none
	Modified    time.Time // zero when the object has none
	Raw         []byte    // the object's bytes exactly as received
	// MarkingRefs are object_marking_refs; GranularMarkingRefs are the
	// marking_ref values of granular_markings. Every one must be known.
	MarkingRefs         []string
	GranularMarkingRefs []string
	// Ends are the objects a relationship or sighting joins: a reader must
	// be able to read each end that is stored here.
	Ends    []string
	Revoked bool
	// DefaultMarkings, when set, replace the collection's default
	// marking for this candidate: an object with no marking of its own
	// whose version is new to the hub takes them (rule 8 for one
	// import). They are recorded with the version, as the collection's
	// would be, and the object's bytes stay as received.
	DefaultMarkings []string
	// Marking is set when the object is a marking-definition.
	Marking *Marking
	// Search, when set, is the candidate's search document, already made
	// from Raw (core.PrepareSearch) so that the store's single writer
	// does not parse the object a second time; nil means the writer makes
	// it.
	Search *SearchText
}

// SearchText is the searchable text of one object, as the stores index
// it: each part its lower-case words separated by spaces.
type SearchText struct {
	Name, Keys, Body string
}

// Version returns the candidate's version timestamp as TAXII defines it:
// modified, else created, else the zero time (the store then uses the
// date the version was added).
func (c Candidate) Version() time.Time {
	if !c.Modified.IsZero() {
		return c.Modified
	}
	return c.Created
}

// Version is one stored version of an object in a collection, as a reader
// receives it.
type Version struct {
	Collection  string
	ID          string
	Type        string
	SpecVersion string
	Modified    time.Time // the version: modified, created or date added
	DateAdded   time.Time // unique and strictly increasing in a collection
	Originator  string
	// DefaultMarking is the default applied because the object had no
	// marking: the collection's, or those chosen for the import that
	// first wrote the version (several ids joined by commas).
	DefaultMarking string
	Raw            []byte // nil when the query asked for manifests only
}

// Version selectors for ObjectQuery.Versions.
const (
	VersionFirst = "first"
	VersionLast  = "last"
	VersionAll   = "all"
)

// ObjectQuery filters and pages a read of a collection. It follows the
// TAXII 2.1 filters. The zero value reads the first page of latest versions.
type ObjectQuery struct {
	AddedAfter   time.Time // only versions added strictly after this
	Limit        int       // page size; 0 means the store's default; capped by the store's maximum
	Next         string    // the cursor from a previous page
	IDs          []string
	Types        []string
	Versions     []string // "first", "last", "all" or RFC 3339 timestamps; empty means last
	SpecVersions []string
	Manifest     bool // leave Version.Raw nil
	// Newest reads the newest added first: the page holds the versions
	// added before the cursor (or before AddedBefore), latest first, and
	// Next continues toward older ones. A cursor of one order is refused
	// in the other.
	Newest      bool
	AddedBefore time.Time // only versions added strictly before this; zero: no bound
}

// ObjectPage is one page of a read. More says whether further versions
// match; Next continues after this page.
type ObjectPage struct {
	Versions []Version
	More     bool
	Next     string
}

// Rejection says why one object was not stored.
type Rejection struct {
	Index   int
	ID      string
	Version time.Time
	Message string
	// UnknownMarking is set when the only fault was a reference to a
	// marking-definition the hub does not know yet; an importer may retry
	// the object once the rest of the bundle has been written.
	UnknownMarking bool
}

// Accepted names one version that was stored or was present already.
type Accepted struct {
	Index   int
	ID      string
	Version time.Time
	Present bool // the same (id, version) was stored before: a success, not an error
	// Conflict, when set on a present version, says why it was not the
	// same: the version is stored already, readable by the writer, with
	// other content. STIX gives a changed object a new modified, so the
	// stored version stays.
	Conflict string
	// Added is the date_added of the instance this write stored; zero
	// when it stored none (Present, Conflict).
	Added time.Time
}

// WriteResult reports the fate of each candidate in a write.
type WriteResult struct {
	Accepted []Accepted
	Rejected []Rejection
}

// Ways to split an activity count (ActivityQuery.Split).
const (
	SplitCollection = "collection"
	SplitType       = "type"
	SplitOriginator = "originator"
)

// MaxActivityDays is the longest span one activity count covers.
const MaxActivityDays = 366

// ActivityQuery asks how many versions were added per day from From, a
// midnight in Zone (nil: UTC), for Days days of that zone (a day it
// changes its clocks is 23 or 25 hours long), split by collection, type
// or originator.
type ActivityQuery struct {
	From  time.Time
	Days  int
	Split string
	Zone  *time.Location
}

// ActivityCount is how many versions one reader may read were added to
// one collection on one day (Day, a midnight in the query's zone) under
// one key of the split (a type or an originator; empty when split by
// collection).
type ActivityCount struct {
	Day        time.Time
	Collection string
	Key        string
	N          int
}

// DefaultMarkingIDs splits a version's recorded default marking into
// its marking-definition ids (none when it had markings of its own).
func DefaultMarkingIDs(recorded string) []string {
	if recorded == "" {
		return nil
	}
	return strings.Split(recorded, ",")
}
