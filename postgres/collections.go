package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"

	"liaison"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// newUUID returns a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

const collectionCols = `id, title, description, topic, read_list, write_list, default_marking, created_us`

func scanCollection(row pgx.Row) (liaison.Collection, error) {
	var c liaison.Collection
	var created int64
	if err := row.Scan(&c.ID, &c.Title, &c.Description, &c.Topic, &c.Read, &c.Write, &c.DefaultMarking, &created); err != nil {
		return c, err
	}
	c.Created = fromMicros(created)
	return c, nil
}

// loadCollection returns pgx.ErrNoRows when there is no such collection.
func loadCollection(ctx context.Context, q querier, id string) (liaison.Collection, error) {
	return scanCollection(q.QueryRow(ctx, `SELECT `+collectionCols+` FROM collections WHERE id = $1`, id))
}

func loadCollections(ctx context.Context, q querier) ([]liaison.Collection, error) {
	rows, err := q.Query(ctx, `SELECT `+collectionCols+` FROM collections ORDER BY title, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []liaison.Collection{}
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateCollection adds a collection, setting c.ID to a random UUID if it
// is empty and c.Created to the store's clock. EINVALID if the id is not a
// UUID, a read or write entry names nobody known, or the default marking is
// unknown; ECONFLICT if the id is taken.
func (s *Store) CreateCollection(ctx context.Context, c *liaison.Collection) error {
	const op = "postgres.CreateCollection"
	if c == nil {
		return liaison.Errorf(liaison.EINVALID, "collection is missing")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	nc := *c
	if nc.ID == "" {
		id, err := newUUID()
		if err != nil {
			return s.internal(op, err)
		}
		nc.ID = id
	} else if !uuidRE.MatchString(nc.ID) {
		return liaison.Errorf(liaison.EINVALID, "collection id %q is not a lower-case UUID", nc.ID)
	}
	nc.Created = s.clock()
	if nc.Read == nil {
		nc.Read = []string{}
	}
	if nc.Write == nil {
		nc.Write = []string{}
	}
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		// Under the write lock, so the directory cannot change between the
		// check of the lists and the insert.
		st, err := lockState(ctx, tx)
		if err != nil {
			return err
		}
		snap, err := s.snapshot(ctx, tx, st.dirVersion, true)
		if err != nil {
			return err
		}
		d := snap.directory(nc.Created)
		for _, l := range []struct {
			name  string
			names []string
		}{{"read", nc.Read}, {"write", nc.Write}} {
			for i, n := range l.names {
				if _, ok := d.Organisation(n); !ok && !d.HasCommunity(n) {
					return liaison.Errorf(liaison.EINVALID, "collection %q: %s list entry %d (%q) is neither an organisation nor a community on the hub", nc.Title, l.name, i, n)
				}
			}
		}
		if nc.DefaultMarking != "" {
			if _, ok := liaison.TLPByID[nc.DefaultMarking]; !ok {
				var n int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM markings WHERE id = $1`, nc.DefaultMarking).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					return liaison.Errorf(liaison.EINVALID, "collection %q: default marking %s is not known to this hub", nc.Title, nc.DefaultMarking)
				}
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO collections (`+collectionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			nc.ID, nc.Title, nc.Description, nc.Topic, nc.Read, nc.Write, nc.DefaultMarking, nc.Created.UnixMicro())
		if ce := constraintError(err); ce != nil && ce.Code == liaison.ECONFLICT {
			return liaison.Errorf(liaison.ECONFLICT, "collection %s exists already", nc.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	*c = nc
	return nil
}

// AllCollections returns every collection, for operators, sorted by title.
func (s *Store) AllCollections(ctx context.Context) ([]liaison.Collection, error) {
	out, err := loadCollections(ctx, s.pool)
	if err != nil {
		return nil, s.internal("postgres.AllCollections", err)
	}
	return out, nil
}

// Collections returns the collections the reader may read or write, sorted
// by title.
func (s *Store) Collections(ctx context.Context, reader liaison.Principal) ([]liaison.CollectionAccess, error) {
	out := []liaison.CollectionAccess{}
	err := s.snapshotRead(ctx, "postgres.Collections", func(b *pgx.Batch) {
		b.Queue(`SELECT ` + collectionCols + ` FROM collections ORDER BY title, id`)
	}, func(d *liaison.Directory, br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCollection(rows)
			if err != nil {
				return err
			}
			if a := d.Access(reader, c); a.CanRead || a.CanWrite {
				out = append(out, a)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Collection returns one collection as the reader sees it. ENOTFOUND if it
// does not exist or the reader may neither read nor write it.
func (s *Store) Collection(ctx context.Context, reader liaison.Principal, id string) (liaison.CollectionAccess, error) {
	var out liaison.CollectionAccess
	err := s.snapshotRead(ctx, "postgres.Collection", func(b *pgx.Batch) {
		b.Queue(`SELECT `+collectionCols+` FROM collections WHERE id = $1`, id)
	}, func(d *liaison.Directory, br pgx.BatchResults) error {
		var err error
		out, err = batchAccess(br, d, reader, id)
		return err
	})
	return out, err
}

// visibleCollection returns the reader's access to a collection, or
// NotFound if it does not exist or the reader may neither read nor write it.
func visibleCollection(ctx context.Context, q querier, d *liaison.Directory, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	c, err := loadCollection(ctx, q, id)
	return accessTo(c, err, d, p, id)
}

// accessTo is visibleCollection for a collection row already read.
func accessTo(c liaison.Collection, err error, d *liaison.Directory, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return liaison.CollectionAccess{}, liaison.NotFound("collection", id)
	}
	if err != nil {
		return liaison.CollectionAccess{}, fmt.Errorf("load collection: %w", err)
	}
	a := d.Access(p, c)
	if !a.CanRead && !a.CanWrite {
		return liaison.CollectionAccess{}, liaison.NotFound("collection", id)
	}
	return a, nil
}

// batchAccess reads a collection row from the batch and returns the
// reader's access to it, as visibleCollection does.
func batchAccess(br pgx.BatchResults, d *liaison.Directory, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	c, err := scanCollection(br.QueryRow())
	return accessTo(c, err, d, p, id)
}
