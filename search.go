package liaison

import "context"

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
// match; Next continues after this page.
type SearchPage struct {
	Hits []SearchHit
	More bool
	Next string
}
