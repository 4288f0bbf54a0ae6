package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"liaison/core"
	"liaison/internal/textsearch"
)

var (
	_ core.Searcher       = pages{}
	_ core.SearchInserter = engine{}
)

// SearchMatch asks the GIN index on search_docs.doc for the documents
// matching q, or, for a word in many of them, lets the planner walk
// search_docs newest first and test each (ORDER BY vid DESC LIMIT: the
// planner picks by the word's frequency), ranked by ts_rank: the weights
// of the name (A), tags (B) and body (C) in textsearch's proportions,
// from the document alone (no statistics of other documents, which a
// reader may not read, enter it).
func (pages) SearchMatch(q textsearch.Query) core.SearchSQL {
	w := func(n int) float64 { return float64(n) / textsearch.NameWeight }
	weights := fmt.Sprintf("{0, %g, %g, 1}", w(textsearch.BodyWeight), w(textsearch.KeysWeight))
	return core.SearchSQL{
		From:      `search_docs d JOIN versions v ON v.vid = d.vid`,
		Match:     `d.doc @@ to_tsquery('simple', ?)`,
		MatchArgs: []any{q.TSQuery()},
		Key:       `d.vid`,
		Rank:      `CAST(ts_rank('` + weights + `'::float4[], d.doc, to_tsquery('simple', ?)) * 1000000 AS bigint)`,
		RankArgs:  []any{q.TSQuery()},
	}
}

// InsertSearchDocs copies new search documents in, each with its
// tsvector where searchVector can make it; the search_docs_doc trigger
// makes the others' from their text.
func (engine) InsertSearchDocs(t core.Tx, docs []core.SearchDoc) error {
	tx := t.(*pgTx)
	src := make([][]any, len(docs))
	for i, d := range docs {
		var doc any // NULL: the trigger makes it
		if v, ok := searchVector(d.Name, d.Tags, d.Body); ok {
			doc = v
		}
		src[i] = []any{d.VID, d.Name, d.Tags, d.Body, doc}
	}
	if _, err := tx.tx.CopyFrom(tx.ctx, pgx.Identifier{"search_docs"}, []string{"vid", "name", "tags", "body", "doc"}, pgx.CopyFromRows(src)); err != nil {
		return fmt.Errorf("copy search documents: %w", err)
	}
	return nil
}
