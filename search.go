package liaison

import (
	"context"
	"time"
)

// SearchService finds object versions by their words.
type SearchService interface {
	// Search returns one page of the versions whose text matches q.Text,
	// best first: in every collection reader may read (or the one
	// q.Collection names), the latest version of each object that reader
	// may read, and only if that version's own text matches. Nothing is
	// counted, ranked or returned from a version the reader may not read.
	// EINVALID, naming the field (q, next, limit…), for a bad query;
	// ENOTFOUND if q.Collection is not one the reader may read.
	Search(ctx context.Context, reader Principal, q SearchQuery) (SearchPage, error)
}

// SearchQuery is a full-text search.
type SearchQuery struct {
	Text       string   // as typed: words, "phrases", prefix*
	Collection string   // "": every collection the reader may read
	Types      []string // STIX types; none: any
	Limit      int      // 0: DefaultSearchLimit; capped at MaxSearchLimit
	Next       string   // the cursor of the previous page
	// Filters, applied in the store's query like the reader's own:
	// the originating organisation, when the version was added and its
	// modified time: strictly after the After and strictly before the
	// Before bound. Zero: no bound.
	Originator                    string
	AddedAfter, AddedBefore       time.Time
	ModifiedAfter, ModifiedBefore time.Time
}

// Page sizes of a search.
const (
	DefaultSearchLimit = 25
	MaxSearchLimit     = 100
)

// SearchHit is one version a search found, with its rank (higher is
// better; only the order means anything).
type SearchHit struct {
	Version
	Rank int64
}

// SearchPage is one page of a search. More says whether further versions
// match; Next continues after this page. Windowed says that more than
// SearchWindow versions matched, so hits are ranked best first within
// windows of the SearchWindow most recently stored matches, one window
// after another, rather than across every match.
type SearchPage struct {
	Hits     []SearchHit
	More     bool
	Next     string
	Windowed bool
}

// SearchWindow is how many matching versions one search window ranks.
const SearchWindow = 400
