package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/stix"
)

// PostgreSQL returns the PostgreSQL engine on the database at url. Each
// store is a fresh schema, liaison_bench_<name>, dropped by Remove. open
// is the store-opening helper of the command line (postgres.Open with its
// options) for a schema.
func PostgreSQL(url string, open func(ctx context.Context, url, schema string) (liaison.Store, error)) Engine {
	schema := func(name string) string { return "liaison_bench_" + name }
	return Engine{
		Name: "postgres",
		Note: "PostgreSQL's own server processes are not in the RSS figures",
		Open: func(ctx context.Context, name string) (liaison.Store, error) {
			return open(ctx, url, schema(name))
		},
		Raw: func(ctx context.Context, name string) (RawInserter, error) {
			return openPostgresRaw(ctx, url, schema(name))
		},
		Remove: func(name string) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return fmt.Errorf("bench: drop schema: %w", err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema(name)}.Sanitize()+` CASCADE`); err != nil {
				return fmt.Errorf("bench: drop schema: %w", err)
			}
			return nil
		},
	}
}

// pgRaw writes rows into a PostgreSQL store's tables with COPY, as the
// store itself writes versions and ends, with vids drawn from the same
// sequence.
type pgRaw struct {
	conn     *pgx.Conn
	labelIDs []int64
	audIDs   []int64
	last     int64
}

func openPostgresRaw(ctx context.Context, url, schema string) (*pgRaw, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("bench: raw: %w", err)
	}
	cfg.RuntimeParams["search_path"] = schema
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: raw: %w", err)
	}
	r := &pgRaw{conn: conn}
	if err := r.prepareLabels(ctx); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return r, nil
}

func (r *pgRaw) prepareLabels(ctx context.Context) error {
	tx, err := r.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("bench: raw: %w", err)
	}
	defer tx.Rollback(ctx)
	marks := markings()
	for _, m := range hubMarkings {
		body, _ := json.Marshal(marks[m.id])
		if _, err := tx.Exec(ctx, `INSERT INTO markings (id, body) VALUES ($1, $2)`, m.id, string(body)); err != nil {
			return fmt.Errorf("bench: raw: marking: %w", err)
		}
	}
	dir := Directory(time.Now())
	for _, l := range Labels {
		refs := l.Refs
		if len(refs) == 0 {
			refs = []string{liaison.TLPAmberID}
		}
		var ms []liaison.Marking
		for _, id := range refs {
			ms = append(ms, marks[id])
		}
		aud := dir.AudienceOf(WriterOrg, ms)
		var aid int64
		err := tx.QueryRow(ctx, `SELECT id FROM audiences WHERE key = $1`, aud.Key()).Scan(&aid)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := tx.QueryRow(ctx, `INSERT INTO audiences (key) VALUES ($1) RETURNING id`, aud.Key()).Scan(&aid); err != nil {
				return fmt.Errorf("bench: raw: audience: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO audience_members (org, audience_id) SELECT unnest($1::text[]), $2`, []string(aud), aid); err != nil {
				return fmt.Errorf("bench: raw: audience members: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("bench: raw: audience: %w", err)
		}
		sorted := slices.Clone(refs)
		slices.Sort(sorted)
		var lid int64
		if err := tx.QueryRow(ctx, `INSERT INTO labels (originator, markings, audience_id) VALUES ($1, $2, $3) RETURNING id`,
			WriterOrg, strings.Join(slices.Compact(sorted), ","), aid).Scan(&lid); err != nil {
			return fmt.Errorf("bench: raw: label: %w", err)
		}
		r.labelIDs = append(r.labelIDs, lid)
		r.audIDs = append(r.audIDs, aid)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("bench: raw: %w", err)
	}
	return nil
}

// Insert COPYs rows and their ends in one transaction.
func (r *pgRaw) Insert(ctx context.Context, rows []Row) error {
	tx, err := r.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	defer tx.Rollback(ctx)
	q, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('versions', 'vid')) FROM generate_series(1, $1)`, len(rows))
	if err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	vids, err := pgx.CollectRows(q, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	now := time.Now().UnixMicro()
	vrows := make([][]any, len(rows))
	var erows, drows [][]any
	for i, row := range rows {
		date := max(now, r.last+1)
		r.last = date
		def := ""
		if len(Labels[row.Label].Refs) == 0 {
			def = liaison.TLPAmberID
		}
		vrows[i] = []any{vids[i], CollectionID, row.ID, stix.IDKey(row.ID), row.Version, date, row.Type, "2.1", WriterOrg, def,
			r.labelIDs[row.Label], r.audIDs[row.Label], strings.Join(row.Ends, ","), "", row.Raw}
		if hasWords(row.Search) {
			drows = append(drows, []any{vids[i], row.Search.Name, row.Search.Keys, row.Search.Body})
		}
		seen := map[int64]bool{}
		for _, e := range row.Ends {
			if k := stix.IDKey(e); !seen[k] {
				seen[k] = true
				erows = append(erows, []any{k, vids[i]})
			}
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"versions"},
		[]string{"vid", "collection", "id", "idk", "version_us", "date_added_us", "type", "spec_version", "originator", "default_marking", "label_id", "audience_id", "ends", "granular_refs", "raw"},
		pgx.CopyFromRows(vrows)); err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	if len(erows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ends"}, []string{"end_k", "rel_vid"}, pgx.CopyFromRows(erows)); err != nil {
			return fmt.Errorf("bench: raw insert ends: %w", err)
		}
	}
	if len(drows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"search_docs"}, []string{"vid", "name", "tags", "body"}, pgx.CopyFromRows(drows)); err != nil {
			return fmt.Errorf("bench: raw insert search documents: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("bench: raw insert: %w", err)
	}
	return nil
}

func (r *pgRaw) Close() error { return r.conn.Close(context.Background()) }
