package core

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"liaison"
	"liaison/internal/objquery"
	"liaison/internal/textsearch"
)

// Searcher is the engine's part of full-text search: how its index gives
// the documents that match a query, newest first, and how a document is
// ranked. The rank must depend on the document and the query alone, never
// on other documents, so that no order reveals versions a reader may not
// read.
type Searcher interface {
	SearchMatch(q textsearch.Query) SearchSQL
}

// SearchSQL is how one engine asks its index for the documents matching a
// query. From joins the index, versions v and search_docs d (the
// matching document's own row); Match, with its arguments, is the test
// that joins them and that d matches; Key is the matching version's vid
// in an expression the index can return in descending order, so that a
// window of the newest matches is read without reading every match; Rank
// is d's rank, an integer, higher is better.
//
// Gate, when set, is the alias of a second, narrow row of the matching
// version that From joins before v (its vid and audience_id, from an
// index): the reader's audience test runs on it first, so that a match
// the reader may not read costs an entry of that small index rather than
// a read of the version's row. The whole filter still runs on v.
type SearchSQL struct {
	From      string
	Match     string
	MatchArgs []any
	Key       string
	Rank      string
	RankArgs  []any
	Gate      string
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

// SearchTextOf is the search document of one object's bytes, as the
// stores index it.
func SearchTextOf(raw []byte) liaison.SearchText { return searchText(raw) }

// searchText is the search document of one object's bytes.
func searchText(raw []byte) liaison.SearchText {
	d := textsearch.Extract(raw).Indexed()
	return liaison.SearchText{Name: d.Name, Keys: d.Keys, Body: d.Body}
}

// PrepareSearch returns objs, copied, with each one's search document
// made. A store calls it before it queues a write, so that the parse and
// word split run on the caller's goroutine, many at once, instead of in
// the single writer, where they once took a third of its time.
func PrepareSearch(objs []liaison.Candidate) []liaison.Candidate {
	out := slices.Clone(objs)
	for i := range out {
		if out[i].Search == nil {
			t := searchText(out[i].Raw)
			out[i].Search = &t
		}
	}
	return out
}

// searchDocs returns the documents of rows that have any word.
func searchDocs(rows []VersionRow) []SearchDoc {
	docs := make([]SearchDoc, 0, len(rows))
	for _, r := range rows {
		var t liaison.SearchText
		if r.Search != nil {
			t = *r.Search
		} else {
			t = searchText(r.Raw)
		}
		if t.Name == "" && t.Keys == "" && t.Body == "" {
			continue
		}
		docs = append(docs, SearchDoc{VID: r.VID, Collection: r.Collection, DateAdded: r.DateAdded, Name: t.Name, Tags: t.Keys, Body: t.Body})
	}
	return docs
}

// indexSearch keeps the search documents of versions just inserted for
// flushSearch, which writes them in the same transaction, so a version
// is searchable exactly when it is stored. Deleting a version deletes
// its document (ON DELETE CASCADE).
func (w *Write) indexSearch(rows []VersionRow) error {
	w.search = append(w.search, searchDocs(rows)...)
	return nil
}

// flushSearch writes the documents indexSearch kept. A write calls it
// before its commit, so that a group commit's documents go into the
// index in as few statements as it can: an FTS5 index writes a new
// segment of its pending words at every statement that writes it, and
// merges segments as they pile up, so a statement per document, and even
// one per call, spent most of an ingest in FTS5.
func (w *Write) flushSearch() error {
	if len(w.search) == 0 {
		return nil
	}
	docs := w.search
	w.search = nil
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
	if known {
		return insertSearchRows(tx, docs, onConflict)
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

// searchRowsPerInsert is how many documents one INSERT writes: as many
// as SQLite's 32,766 parameters allow at 4 a row, so that a group
// commit's documents are one FTS5 segment (see flushSearch).
const searchRowsPerInsert = 8000

// insertSearchRows writes documents whose vid is known, many to a
// statement.
func insertSearchRows(tx Tx, docs []SearchDoc, onConflict string) error {
	return EachSearchInsert(docs, func(q string, args []any) error {
		if _, err := tx.Exec(q+onConflict, args...); err != nil {
			return fmt.Errorf("index %d versions for search, from vid %d: %w", len(args)/4, args[0], err)
		}
		return nil
	})
}

// EachSearchInsert calls exec with each INSERT of docs (whose vids are
// known) into search_docs, as many to a statement as SQLite allows, and
// its arguments. The benchmark's raw insert writes the same statements.
func EachSearchInsert(docs []SearchDoc, exec func(q string, args []any) error) error {
	var q strings.Builder
	args := make([]any, 0, 4*min(len(docs), searchRowsPerInsert))
	for start := 0; start < len(docs); start += searchRowsPerInsert {
		chunk := docs[start:min(start+searchRowsPerInsert, len(docs))]
		q.Reset()
		args = args[:0]
		q.WriteString(`INSERT INTO search_docs (vid, name, tags, body) VALUES `)
		for i, d := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?)")
			args = append(args, d.VID, d.Name, d.Tags, d.Body)
		}
		if err := exec(q.String(), args); err != nil {
			return err
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

// searchWindow is how many candidates one search window ranks: the most
// recently stored matching versions that the reader may read, taken from
// the index newest first, at most this many (see Office.Search).
const searchWindow = liaison.SearchWindow

// searchCursor is where a search page ends: the window it is in (the
// version at its top, by collection and date added, and whether the
// window starts just below that version rather than at it), and, unless
// the next page starts a new window, the last hit's rank, date added and
// collection, the order the window is sorted in.
type searchCursor struct {
	topColl  string
	topAdded int64
	below    bool // the window starts below top: top ended the previous one
	keyset   bool // rank, added, coll are set
	rank     int64
	added    int64
	coll     string
}

const searchCursorPrefix = "sr2:"

func (c searchCursor) encode() string {
	b := strconv.FormatBool(c.below) + ":" + strconv.FormatInt(c.topAdded, 10) + ":" + c.topColl
	if c.keyset {
		b += ":" + strconv.FormatInt(c.rank, 10) + ":" + strconv.FormatInt(c.added, 10) + ":" + c.coll
	}
	return base64.RawURLEncoding.EncodeToString([]byte(searchCursorPrefix + b))
}

func decodeSearchCursor(s string) (searchCursor, error) {
	bad := liaison.Errorf(liaison.EINVALID, "field next: %q is not a cursor this server gave out; search again from the first page", clipText(s, 60))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), searchCursorPrefix) || !utf8.Valid(raw) {
		return searchCursor{}, bad
	}
	parts := strings.Split(strings.TrimPrefix(string(raw), searchCursorPrefix), ":")
	if len(parts) != 3 && len(parts) != 6 {
		return searchCursor{}, bad
	}
	var c searchCursor
	if c.below, err = strconv.ParseBool(parts[0]); err != nil {
		return searchCursor{}, bad
	}
	if c.topAdded, err = strconv.ParseInt(parts[1], 10, 64); err != nil || c.topAdded < 0 || parts[2] == "" {
		return searchCursor{}, bad
	}
	c.topColl = parts[2]
	if len(parts) == 6 {
		c.keyset = true
		if c.rank, err = strconv.ParseInt(parts[3], 10, 64); err != nil {
			return searchCursor{}, bad
		}
		if c.added, err = strconv.ParseInt(parts[4], 10, 64); err != nil || c.added < 0 || parts[5] == "" {
			return searchCursor{}, bad
		}
		c.coll = parts[5]
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
// liaison.SearchService).
//
// Ranking is bounded: the index gives the matching documents newest
// first, and the reader's filter (collections, audience, the latest
// version this reader may read, q's filters) runs in the same query, so
// one query takes a window of at most searchWindow versions the reader
// may read, stopping there. The window is ranked, and its versions are
// paged best first; when a full window is used up, the next window is the
// searchWindow readable matches stored before it. A word in a third of a
// million objects so costs about what a rare one costs. When fewer than
// searchWindow versions match, as for ids and phrases, the one window
// holds them all and the ranking is exact.
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
	f, err := searchFilter(q)
	if err != nil {
		return empty, err
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
		page, err := o.search(ctx, se, reader, q, f, tq, cur, limit)
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

// searchFilter checks a search's filters and returns the store filter
// they make.
func searchFilter(q liaison.SearchQuery) (objquery.Filter, error) {
	f := objquery.Filter{Last: true, Types: objquery.SplitList(q.Types)}
	for _, t := range f.Types {
		if !utf8.ValidString(t) || strings.IndexByte(t, 0) >= 0 || len(t) > 250 {
			return f, liaison.Errorf(liaison.EINVALID, "field type: %q is not a STIX type name", clipText(t, 60))
		}
	}
	if !q.AddedAfter.IsZero() {
		f.After = q.AddedAfter.UnixMicro()
	}
	if !q.AddedBefore.IsZero() {
		f.Before = max(1, q.AddedBefore.UnixMicro())
	}
	if f.Before != 0 && f.Before <= f.After {
		return f, liaison.Errorf(liaison.EINVALID, "field added_before must be later than added_after")
	}
	if !q.ModifiedAfter.IsZero() && !q.ModifiedBefore.IsZero() && !q.ModifiedBefore.After(q.ModifiedAfter) {
		return f, liaison.Errorf(liaison.EINVALID, "field modified_before must be later than modified_after")
	}
	if o := q.Originator; o != "" && (!utf8.ValidString(o) || strings.IndexByte(o, 0) >= 0 || len(o) > 64) {
		return f, liaison.Errorf(liaison.EINVALID, "field originator: %q is not an organisation code", clipText(o, 40))
	}
	return f, nil
}

// windowRow is one candidate of a search window: no object bytes.
type windowRow struct {
	vid, added, score int64
	coll              string
}

// before reports whether a comes before b in a window's order: best
// first, then the latest added, then by collection.
func (a windowRow) before(b windowRow) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.added != b.added {
		return a.added > b.added
	}
	return a.coll < b.coll
}

func (o *Office) search(ctx context.Context, se Searcher, reader liaison.Principal, q liaison.SearchQuery, f objquery.Filter, tq textsearch.Query, cur *searchCursor, limit int) (liaison.SearchPage, error) {
	page := liaison.SearchPage{Hits: []liaison.SearchHit{}}
	err := o.inRead(ctx, "Search", func(tx Tx) error {
		colls, err := o.readableCollections(tx, reader)
		if err != nil {
			return err
		}
		var ids []string
		for _, c := range colls {
			if q.Collection == "" || c.ID == q.Collection {
				ids = append(ids, c.ID)
			}
		}
		if q.Collection != "" && len(ids) == 0 {
			return liaison.NotFound("collection", q.Collection)
		}
		if len(ids) == 0 {
			return nil
		}
		sq := se.SearchMatch(tq)
		// The window's top: a version this reader may read, in a
		// collection of this search, named by the cursor. A version
		// hidden from the reader and a missing one are the same refusal.
		var top int64 = -1 // no bound: the newest match
		below := false
		var topRow windowRow
		if cur != nil {
			gone := liaison.Errorf(liaison.EINVALID, "field next: the results changed since this cursor was given (a version it continues from is no longer there for you); search again from the first page")
			if !slices.Contains(ids, cur.topColl) {
				return gone
			}
			err := tx.QueryRow(`SELECT v.vid FROM versions v WHERE v.collection = ? AND v.date_added_us = ? AND `+readableBy("v"), cur.topColl, cur.topAdded, reader.Org).Scan(&top)
			if errors.Is(err, ErrNoRows) {
				return gone
			}
			if err != nil {
				return fmt.Errorf("search: find the cursor's window: %w", err)
			}
			below = cur.below
			topRow = windowRow{vid: top, added: cur.topAdded, coll: cur.topColl}
		}
		// picked are the page's hits, each with the window it is in.
		type pick struct {
			windowRow
			win searchCursor
		}
		var picked []pick
		for {
			rows, err := o.searchWindow(tx, sq, reader, ids, f, q, top, below)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				break
			}
			full := len(rows) == searchWindow
			page.Windowed = page.Windowed || full
			if top < 0 {
				topRow = rows[0] // the first window's top, for the cursor
			}
			win := searchCursor{topColl: topRow.coll, topAdded: topRow.added, below: below}
			lowest := rows[len(rows)-1]
			slices.SortFunc(rows, func(a, b windowRow) int {
				if a.before(b) {
					return -1
				}
				return 1
			})
			if cur != nil && cur.keyset {
				at := windowRow{score: cur.rank, added: cur.added, coll: cur.coll}
				rows = slices.DeleteFunc(rows, func(r windowRow) bool { return !at.before(r) })
				cur.keyset = false // only in the cursor's own window
			}
			for _, r := range rows {
				if len(picked) > limit {
					break
				}
				picked = append(picked, pick{r, win})
			}
			if len(picked) > limit || !full {
				break
			}
			// The window is used up: the next holds what was stored before.
			top, below, topRow = lowest.vid, true, lowest
		}
		if len(picked) > limit {
			picked = picked[:limit]
			last := picked[limit-1]
			c := last.win
			c.keyset, c.rank, c.added, c.coll = true, last.score, last.added, last.coll
			page.More, page.Next = true, c.encode()
		}
		vids := make([]windowRow, len(picked))
		for i, p := range picked {
			vids[i] = p.windowRow
		}
		return searchHits(tx, vids, &page)
	})
	return page, err
}

// searchWindow reads one window: the versions the reader may read that
// match, in the search's collections and filters, newest stored first, at
// most searchWindow, at or below the version top (below: strictly below
// it; top < 0: from the newest), each with its rank.
func (o *Office) searchWindow(tx Tx, sq SearchSQL, reader liaison.Principal, ids []string, f objquery.Filter, q liaison.SearchQuery, top int64, below bool) ([]windowRow, error) {
	query, args := searchWindowQuery(sq, reader.Org, ids, f, q, top, below)
	var out []windowRow
	err := eachRow(tx, func(r Rows) error {
		var w windowRow
		if err := r.Scan(&w.vid, &w.added, &w.coll, &w.score); err != nil {
			return err
		}
		out = append(out, w)
		return nil
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: read a window of matches: %w", err)
	}
	return out, nil
}

// searchWindowQuery is the query of one window (see searchWindow), as org
// may read it.
func searchWindowQuery(sq SearchSQL, org string, ids []string, f objquery.Filter, q liaison.SearchQuery, top int64, below bool) (string, []any) {
	a := coreSQL(slices.Clone(sq.RankArgs))
	a = append(a, sq.MatchArgs...)
	bound := ""
	switch {
	case top >= 0 && below:
		bound = ` AND ` + sq.Key + ` < ` + a.Arg(top)
	case top >= 0:
		bound = ` AND ` + sq.Key + ` <= ` + a.Arg(top)
	}
	readable := func(alias string) string { a.Arg(org); return readableBy(alias) }
	gate := ""
	if sq.Gate != "" {
		// Unary plus: the gate's entry is found by vid alone and its
		// audience tested, rather than sought once per audience org
		// may read.
		gate = ` AND +` + readable(sq.Gate)
	}
	where := f.WhereIn(&a, ids, func() string { return readable("v") }, readable)
	if q.Originator != "" {
		where += ` AND v.originator = ` + a.Arg(q.Originator)
	}
	if !q.ModifiedAfter.IsZero() {
		where += ` AND v.version_us > ` + a.Arg(Micros(q.ModifiedAfter))
	}
	if !q.ModifiedBefore.IsZero() {
		where += ` AND v.version_us < ` + a.Arg(Micros(q.ModifiedBefore))
	}
	a = append(a, searchWindow)
	return `SELECT v.vid, v.date_added_us, v.collection, ` + sq.Rank + ` FROM ` + sq.From + ` WHERE ` + sq.Match + bound + gate + ` AND ` + where +
		` ORDER BY ` + sq.Key + ` DESC LIMIT ?`, a
}

// SearchWindowQuery is the query of a search's first window of text in
// the collections, as org may read them, for the stores' plan tests.
func SearchWindowQuery(se Searcher, org string, collections []string, text string) (string, []any, error) {
	tq, err := textsearch.Parse(text)
	if err != nil {
		return "", nil, err
	}
	f, err := searchFilter(liaison.SearchQuery{Text: text})
	if err != nil {
		return "", nil, err
	}
	query, args := searchWindowQuery(se.SearchMatch(tq), org, collections, f, liaison.SearchQuery{Text: text}, -1, false)
	return query, args, nil
}

// searchHits reads the page's versions in full, in the order picked.
func searchHits(tx Tx, picked []windowRow, page *liaison.SearchPage) error {
	if len(picked) == 0 {
		return nil
	}
	vids := make([]int64, len(picked))
	for i, p := range picked {
		vids[i] = p.vid
	}
	var a coreSQL
	byVID := map[int64]liaison.SearchHit{}
	err := eachRow(tx, func(r Rows) error {
		var h liaison.SearchHit
		var vid, ver, added int64
		if err := r.Scan(&vid, &h.ID, &h.Type, &h.SpecVersion, &ver, &added, &h.Originator, &h.DefaultMarking, &h.Raw, &h.Collection); err != nil {
			return err
		}
		h.Modified, h.DateAdded = FromMicros(ver), FromMicros(added)
		byVID[vid] = h
		return nil
	}, `SELECT v.vid, `+PageCols(false)+`, v.collection FROM versions v WHERE `+a.In("v.vid", vids), a...)
	if err != nil {
		return fmt.Errorf("search: read the page's versions: %w", err)
	}
	for _, p := range picked {
		h, ok := byVID[p.vid]
		if !ok {
			return fmt.Errorf("search: version %d left during the read", p.vid)
		}
		h.Rank = p.score
		page.Hits = append(page.Hits, h)
	}
	return nil
}
