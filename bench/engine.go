package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/core"
	"liaison/sqlite"
	"liaison/stix"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, as the store uses
)

// Engine is a store engine the benchmark runs against.
type Engine struct {
	// Name is shown in the report, such as "sqlite".
	Name string
	// Open makes a new, empty store called name, with the engine's real
	// schema (its migrations), and opens it.
	Open func(ctx context.Context, name string) (liaison.Store, error)
	// Raw opens the tables of the store called name (made by Open and
	// closed since) for raw inserts.
	Raw func(ctx context.Context, name string) (RawInserter, error)
	// Remove deletes the store called name.
	Remove func(name string) error
	// Note says what the RSS figures leave out, if anything.
	Note string
}

// Row is one precomputed row of an object version, ready to insert with no
// parsing or validation.
type Row struct {
	ID      string
	Type    string
	Version int64 // µs
	Label   int   // index into Labels
	Ends    []string
	Raw     []byte
	// Search is the object's search document, made before the timing
	// starts: the raw insert times the database's work for the rows, and
	// making a document is the office's.
	Search liaison.SearchText
}

// RowOf makes the row of a generated object from what the generator knows.
func RowOf(o Object) Row {
	return Row{ID: o.ID, Type: o.Type, Version: o.Modified.UnixMicro(), Label: o.Label, Ends: o.Ends, Raw: o.Raw, Search: core.SearchTextOf(o.Raw)}
}

// hasWords says whether a search document has any word; the store keeps
// no document without one.
func hasWords(t liaison.SearchText) bool { return t.Name != "" || t.Keys != "" || t.Body != "" }

// RawInserter writes precomputed rows straight into a store's tables.
type RawInserter interface {
	// Insert writes rows in one transaction.
	Insert(ctx context.Context, rows []Row) error
	Close() error
}

// SQLite returns the SQLite engine keeping its stores under dir. open is
// the store-opening helper of the command line (sqlite.Open with its
// options).
func SQLite(dir string, open func(ctx context.Context, dir string) (liaison.Store, error)) Engine {
	return Engine{
		Name: "sqlite",
		Open: func(ctx context.Context, name string) (liaison.Store, error) {
			return open(ctx, filepath.Join(dir, name))
		},
		Raw: func(ctx context.Context, name string) (RawInserter, error) {
			return openSQLiteRaw(ctx, filepath.Join(dir, name, sqlite.FileName))
		},
		Remove: func(name string) error { return os.RemoveAll(filepath.Join(dir, name)) },
	}
}

// sqliteRaw inserts rows into an SQLite store's versions and ends tables,
// with the same statements, indexes, pragmas and background checkpoints
// as the store's writer, and
// the same label and audience rows the store would compute.
type sqliteRaw struct {
	w        *sqlite.RawWriter
	db       *sql.DB
	labelIDs []int64 // by Labels index
	audIDs   []int64
	last     int64
}

func openSQLiteRaw(ctx context.Context, path string) (*sqliteRaw, error) {
	w, err := sqlite.OpenRawWriter(path, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: raw: %w", err)
	}
	r := &sqliteRaw{db: w.DB, w: w}
	if err := r.prepareLabels(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return r, nil
}

// prepareLabels stores the hub markings and, for each label, its audience
// (computed by the same rules the store uses) and label row.
func (r *sqliteRaw) prepareLabels(ctx context.Context) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bench: raw: %w", err)
	}
	defer tx.Rollback()
	marks := markings()
	for _, m := range hubMarkings {
		body, _ := json.Marshal(marks[m.id])
		if _, err := tx.ExecContext(ctx, `INSERT INTO markings (id, body) VALUES (?, ?)`, m.id, string(body)); err != nil {
			return fmt.Errorf("bench: raw: marking: %w", err)
		}
	}
	dir := Directory(time.Now())
	for _, l := range Labels {
		refs := l.Refs
		if len(refs) == 0 {
			refs = []string{liaison.TLPAmberID} // the collection's default
		}
		var ms []liaison.Marking
		for _, id := range refs {
			ms = append(ms, marks[id])
		}
		aud := dir.AudienceOf(WriterOrg, ms)
		var aid int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM audiences WHERE key = ?`, aud.Key()).Scan(&aid)
		if errors.Is(err, sql.ErrNoRows) {
			res, err := tx.ExecContext(ctx, `INSERT INTO audiences (key) VALUES (?)`, aud.Key())
			if err != nil {
				return fmt.Errorf("bench: raw: audience: %w", err)
			}
			aid, _ = res.LastInsertId()
			for _, org := range aud {
				if _, err := tx.ExecContext(ctx, `INSERT INTO audience_members (org, audience_id) VALUES (?, ?)`, org, aid); err != nil {
					return fmt.Errorf("bench: raw: audience member: %w", err)
				}
			}
		} else if err != nil {
			return fmt.Errorf("bench: raw: audience: %w", err)
		}
		sorted := slices.Clone(refs)
		slices.Sort(sorted)
		res, err := tx.ExecContext(ctx, `INSERT INTO labels (originator, markings, audience_id) VALUES (?, ?, ?)`, WriterOrg, strings.Join(slices.Compact(sorted), ","), aid)
		if err != nil {
			return fmt.Errorf("bench: raw: label: %w", err)
		}
		lid, _ := res.LastInsertId()
		r.labelIDs = append(r.labelIDs, lid)
		r.audIDs = append(r.audIDs, aid)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bench: raw: %w", err)
	}
	return nil
}

// Insert writes rows in one transaction with the store's own INSERT
// statements: one prepared statement per table, one execution per row.
func (r *sqliteRaw) Insert(ctx context.Context, rows []Row) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO versions (collection, id, idk, version_us, date_added_us, type, spec_version, originator, default_marking, label_id, audience_id, ends, granular_refs, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	defer ins.Close()
	insEnd, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO ends (end_k, rel_vid) VALUES (?, ?)`)
	if err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	defer insEnd.Close()
	now := time.Now().UnixMicro()
	var docs []core.SearchDoc
	for _, row := range rows {
		date := max(now, r.last+1)
		r.last = date
		def := ""
		if len(Labels[row.Label].Refs) == 0 {
			def = liaison.TLPAmberID
		}
		res, err := ins.ExecContext(ctx, CollectionID, row.ID, stix.IDKey(row.ID), row.Version, date, row.Type, "2.1", WriterOrg, def,
			r.labelIDs[row.Label], r.audIDs[row.Label], strings.Join(row.Ends, ","), "", row.Raw)
		if err != nil {
			return fmt.Errorf("bench: raw insert %s: %w", row.ID, err)
		}
		vid, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("bench: raw insert: %w", err)
		}
		if hasWords(row.Search) {
			docs = append(docs, core.SearchDoc{VID: vid, Name: row.Search.Name, Tags: row.Search.Keys, Body: row.Search.Body})
		}
		if len(row.Ends) > 0 {
			for _, e := range row.Ends {
				if _, err := insEnd.ExecContext(ctx, stix.IDKey(e), vid); err != nil {
					return fmt.Errorf("bench: raw insert end: %w", err)
				}
			}
		}
	}
	err = core.EachSearchInsert(docs, func(q string, args []any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("bench: raw insert search documents: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	r.w.Committed()
	return nil
}

func (r *sqliteRaw) Close() error { return r.w.Close() }

// markings returns what the hub understands of every marking the labels
// use, built in or the generator's own.
func markings() map[string]liaison.Marking {
	out := map[string]liaison.Marking{}
	for _, m := range liaison.BuiltinMarkings() {
		out[m.ID] = m
	}
	for _, h := range hubMarkings {
		m := liaison.Marking{ID: h.id, Name: markingName(h), ReleasableTo: h.releasableTo}
		if h.classification != "" {
			c, err := liaison.ParseClassification(h.classification)
			if err != nil {
				panic(err)
			}
			m.Classification = c
		}
		out[h.id] = m
	}
	return out
}
