package sqlite

import (
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"

	"liaison/core"
	"liaison/internal/textsearch"
)

// searchRank is the SQL function that ranks a search document: FTS5's
// own bm25 weighs a word by how many documents hold it, documents a
// reader may not read among them, so the office ranks each document by
// itself (textsearch.Rank).
const searchRank = "liaison_search_rank"

func init() {
	err := sqlite.RegisterDeterministicScalarFunction(searchRank, 4, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var s [4]string
		for i, a := range args {
			switch v := a.(type) {
			case string:
				s[i] = v
			case []byte:
				s[i] = string(v)
			case nil:
			default:
				return nil, fmt.Errorf("%s: argument %d is a %T", searchRank, i+1, a)
			}
		}
		return textsearch.Rank(s[0], s[1], s[2], s[3]), nil
	})
	if err != nil {
		panic(fmt.Sprintf("sqlite: register %s: %v", searchRank, err))
	}
}

var _ core.Searcher = pages{}

// SearchMatch asks the FTS5 index for the documents matching q, newest
// first (FTS5 returns rowids in descending order without sorting, so a
// window stops reading the index when it is full), and ranks them with
// searchRank. CROSS JOIN keeps the index as the outer loop, then the
// gate: each match's audience is read from versions_vid_audience (some
// ten bytes an entry) before its row in versions (a page of 4 KiB for
// every two or three rows), so a reader who may read few versions reads
// a window's worth of small entries, not of pages, to fill it.
func (pages) SearchMatch(q textsearch.Query) core.SearchSQL {
	return core.SearchSQL{
		From:      `search_fts CROSS JOIN versions a INDEXED BY versions_vid_audience CROSS JOIN versions v CROSS JOIN search_docs d`,
		Match:     `search_fts MATCH ? AND a.vid = search_fts.rowid AND v.vid = search_fts.rowid AND d.vid = search_fts.rowid`,
		Gate:      "a",
		MatchArgs: []any{q.FTS5()},
		Key:       `search_fts.rowid`,
		Rank:      searchRank + `(?, d.name, d.tags, d.body)`,
		RankArgs:  []any{q.Key()},
	}
}
