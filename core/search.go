package core

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"liaison"
	"liaison/internal/objquery"
	"liaison/internal/textsearch"
)

// Searcher is the engine's part of full-text search: how its index is
// asked whether a document matches, and how a document is ranked. Both
// are over search_docs d, and the rank must depend on d and the query
// alone, never on other documents, so that no order reveals versions a
// reader may not read.
type Searcher interface {
	// SearchMatch returns the test that d matches q, and the expression
	// of d's rank (an integer, higher is better), each with its
	// arguments in order.
	SearchMatch(q textsearch.Query) (match string, matchArgs []any, rank string, rankArgs []any)
}

// SearchDoc is the searchable text of one stored version, as indexed.
type SearchDoc struct {
	VID              int64 // 0: look the version up by collection and date added
	Collection       string
	DateAdded        int64
	Name, Tags, Body string
}

// SearchInserter is what a store may implement to write new search
// documents its own way (COPY); without it the core inserts them one by
// one. It is used only for documents whose VID is known.
type SearchInserter interface {
	InsertSearchDocs(tx Tx, docs []SearchDoc) error
}

// searchDocs returns the documents of rows that have any word.
func searchDocs(rows []VersionRow) []SearchDoc {
	docs := make([]SearchDoc, 0, len(rows))
	for _, r := range rows {
		d := textsearch.Extract(r.Raw).Indexed()
		if d.Empty() {
			continue
		}
		docs = append(docs, SearchDoc{VID: r.VID, Collection: r.Collection, DateAdded: r.DateAdded, Name: d.Name, Tags: d.Keys, Body: d.Body})
	}
	return docs
}

// indexSearch writes the search documents of versions just inserted, in
// the same transaction, so a version is searchable exactly when it is
// stored. Deleting a version deletes its document (ON DELETE CASCADE).
func (w *Write) indexSearch(rows []VersionRow) error {
	docs := searchDocs(rows)
	if len(docs) == 0 {
		return nil
	}
	return insertSearchDocs(w.tx, w.o.db, docs, false)
}

func insertSearchDocs(tx Tx, db Engine, docs []SearchDoc, skipPresent bool) error {
	known := true
	for _, d := range docs {
		known = known && d.VID != 0
	}
	if si, ok := db.(SearchInserter); ok && known && !skipPresent {
		return si.InsertSearchDocs(tx, docs)
	}
	onConflict := ""
	if skipPresent {
		onConflict = ` ON CONFLICT (vid) DO NOTHING`
	}
	for _, d := range docs {
		var err error
		if d.VID != 0 {
			_, err = tx.Exec(`INSERT INTO search_docs (vid, name, tags, body) VALUES (?, ?, ?, ?)`+onConflict, d.VID, d.Name, d.Tags, d.Body)
		} else {
			_, err = tx.Exec(`INSERT INTO search_docs (vid, name, tags, body) SELECT vid, ?, ?, ? FROM versions WHERE collection = ? AND date_added_us = ?`+onConflict,
				d.Name, d.Tags, d.Body, d.Collection, d.DateAdded)
		}
		if err != nil {
			return fmt.Errorf("index version for search: %w", err)
		}
	}
	return nil
}

// backfillBatch is how many versions one backfill transaction indexes.
const backfillBatch = 2000

// BackfillSearch indexes, for search, the versions stored before the
// search index existed (the search_backfill row the migration left), in
// batches of their own transactions, logging progress; it does nothing
// when there is nothing to do. A store calls it when it opens.
func (o *Office) BackfillSearch(ctx context.Context) error {
	var after, total int64
	err := o.inRead(ctx, "BackfillSearch", func(tx Tx) error {
		err := tx.QueryRow(`SELECT b.after_vid, (SELECT count(*) FROM versions v WHERE v.vid > b.after_vid) FROM search_backfill b WHERE b.id = 1`).Scan(&after, &total)
		if errors.Is(err, ErrNoRows) {
			total = -1
			return nil
		}
		return err
	})
	if err != nil || total < 0 {
		return err
	}
	o.log.Info("indexing stored versions for search", "versions", total)
	var done int64
	for {
		var n int
		err := o.inWrite(ctx, "BackfillSearch", func(tx Tx) error {
			var rows []VersionRow
			err := eachRow(tx, func(r Rows) error {
				var v VersionRow
				if err := r.Scan(&v.VID, &v.Collection, &v.DateAdded, &v.Raw); err != nil {
					return err
				}
				rows = append(rows, v)
				return nil
			}, `SELECT vid, collection, date_added_us, raw FROM versions WHERE vid > ? ORDER BY vid LIMIT ?`, after, backfillBatch)
			if err != nil {
				return fmt.Errorf("read versions to index: %w", err)
			}
			n = len(rows)
			if n == 0 {
				_, err := tx.Exec(`DELETE FROM search_backfill WHERE id = 1`)
				return err
			}
			if err := insertSearchDocs(tx, o.db, searchDocs(rows), true); err != nil {
				return err
			}
			after = rows[n-1].VID
			_, err = tx.Exec(`UPDATE search_backfill SET after_vid = ? WHERE id = 1`, after)
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			o.log.Info("indexed stored versions for search", "versions", done)
			return nil
		}
		done += int64(n)
		liaison.ProgressFrom(ctx)(done, total)
		if done%(10*backfillBatch) == 0 || int64(n) < backfillBatch {
			o.log.Info("indexing for search", "done", done, "of", total)
		}
	}
}

// searchCursor is where a search page ends: the last hit's rank, date
// added and collection, the order the search sorts in.
type searchCursor struct {
	rank, added int64
	coll        string
}

const searchCursorPrefix = "sr1:"

func (c searchCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(searchCursorPrefix + strconv.FormatInt(c.rank, 10) + ":" + strconv.FormatInt(c.added, 10) + ":" + c.coll))
}

func decodeSearchCursor(s string) (searchCursor, error) {
	bad := liaison.Errorf(liaison.EINVALID, "field next: %q is not a cursor this server gave out; search again from the first page", clipText(s, 60))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), searchCursorPrefix) {
		return searchCursor{}, bad
	}
	parts := strings.SplitN(strings.TrimPrefix(string(raw), searchCursorPrefix), ":", 3)
	if len(parts) != 3 || parts[2] == "" || !utf8.ValidString(parts[2]) {
		return searchCursor{}, bad
	}
	var c searchCursor
	c.coll = parts[2]
	if c.rank, err = strconv.ParseInt(parts[0], 10, 64); err != nil {
		return searchCursor{}, bad
	}
	if c.added, err = strconv.ParseInt(parts[1], 10, 64); err != nil || c.added < 0 {
		return searchCursor{}, bad
	}
	return c, nil
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// Search finds the versions whose words match q (see
// liaison.SearchService). One query does it all: the index match, the
// reader's audience and collections, the latest version that reader may
// read, the rank and the page, so nothing the reader may not read is
// ever read out of the store, counted or ranked.
func (o *Office) Search(ctx context.Context, reader liaison.Principal, q liaison.SearchQuery) (liaison.SearchPage, error) {
	empty := liaison.SearchPage{Hits: []liaison.SearchHit{}}
	tq, err := textsearch.Parse(q.Text)
	if err != nil {
		return empty, err
	}
	limit := q.Limit
	switch {
	case limit < 0:
		return empty, liaison.Errorf(liaison.EINVALID, "field limit: %d is negative", limit)
	case limit == 0:
		limit = liaison.DefaultSearchLimit
	}
	limit = min(limit, liaison.MaxSearchLimit)
	types := objquery.SplitList(q.Types)
	for _, t := range types {
		if !utf8.ValidString(t) || strings.IndexByte(t, 0) >= 0 || len(t) > 250 {
			return empty, liaison.Errorf(liaison.EINVALID, "field type: %q is not a STIX type name", clipText(t, 60))
		}
	}
	var cur *searchCursor
	if q.Next != "" {
		c, err := decodeSearchCursor(q.Next)
		if err != nil {
			return empty, err
		}
		cur = &c
	}
	se, ok := o.pages.(Searcher)
	if !ok {
		return empty, o.Internal(o.op("Search"), errors.New("the store has no search index"))
	}
	for attempt := 0; ; attempt++ {
		page, err := o.search(ctx, se, reader, q.Collection, tq, types, cur, limit)
		switch {
		case err == nil:
			return page, nil
		case !errors.Is(err, ErrStale):
			return empty, err
		case attempt == 3:
			return empty, o.Internal(o.op("Search"), errors.New("audiences kept going stale"))
		}
		if err := o.Freshen(ctx); err != nil {
			return empty, err
		}
	}
}

func (o *Office) search(ctx context.Context, se Searcher, reader liaison.Principal, collection string, tq textsearch.Query, types []string, cur *searchCursor, limit int) (liaison.SearchPage, error) {
	page := liaison.SearchPage{Hits: []liaison.SearchHit{}}
	err := o.inRead(ctx, "Search", func(tx Tx) error {
		d, st, err := o.ReadDirectory(tx, o.Clock())
		if err != nil {
			return err
		}
		if st.Expired(o.Clock()) {
			return ErrStale
		}
		colls, err := loadCollections(tx)
		if err != nil {
			return err
		}
		var ids []string
		for _, c := range colls {
			if d.Access(reader, c).CanRead && (collection == "" || c.ID == collection) {
				ids = append(ids, c.ID)
			}
		}
		if collection != "" && len(ids) == 0 {
			return liaison.NotFound("collection", collection)
		}
		if len(ids) == 0 {
			return nil
		}
		match, matchArgs, rank, rankArgs := se.SearchMatch(tq)
		a := coreSQL(rankArgs)
		a = append(a, matchArgs...)
		readable := func(alias string) string { a.Arg(reader.Org); return readableBy(alias) }
		f := objquery.Filter{Last: true, Types: types}
		where := f.WhereIn(&a, ids, func() string { return readable("v") }, readable)
		// The rank is computed once per matching version, in a
		// materialised step that carries no object bytes; only the page's
		// versions are read in full.
		matched := `WITH s AS MATERIALIZED (SELECT v.vid, v.date_added_us, v.collection, ` + rank + ` AS score FROM search_docs d JOIN versions v ON v.vid = d.vid WHERE ` + match + ` AND ` + where + `)`
		after := ""
		if cur != nil {
			after = ` WHERE (s.score < ? OR (s.score = ? AND (s.date_added_us < ? OR (s.date_added_us = ? AND s.collection > ?))))`
			a = append(a, cur.rank, cur.rank, cur.added, cur.added, cur.coll)
		}
		a = append(a, limit+1)
		rows, err := tx.Query(matched+` SELECT v.id, v.type, v.spec_version, v.version_us, v.date_added_us, v.originator, v.default_marking, v.raw, v.collection, s.score FROM s JOIN versions v ON v.vid = s.vid`+after+
			` ORDER BY s.score DESC, s.date_added_us DESC, s.collection LIMIT ?`, a...)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if len(page.Hits) == limit {
				page.More = true
				break
			}
			var h liaison.SearchHit
			var ver, added int64
			if err := rows.Scan(&h.ID, &h.Type, &h.SpecVersion, &ver, &added, &h.Originator, &h.DefaultMarking, &h.Raw, &h.Collection, &h.Rank); err != nil {
				return fmt.Errorf("search: %w", err)
			}
			h.Modified, h.DateAdded = FromMicros(ver), FromMicros(added)
			page.Hits = append(page.Hits, h)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if page.More {
			last := page.Hits[len(page.Hits)-1]
			page.Next = searchCursor{rank: last.Rank, added: Micros(last.DateAdded), coll: last.Collection}.encode()
		}
		return nil
	})
	return page, err
}
