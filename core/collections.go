package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"

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

// CollectionCols are the columns ScanCollection reads.
const CollectionCols = `id, title, description, topic, read_list, write_list, default_marking, created_us`

// ScanCollection reads a row of CollectionCols.
func ScanCollection(row Row) (liaison.Collection, error) {
	var c liaison.Collection
	var read, write Strings
	var created int64
	if err := row.Scan(&c.ID, &c.Title, &c.Description, &c.Topic, &read, &write, &c.DefaultMarking, &created); err != nil {
		return c, err
	}
	c.Read, c.Write = nonNil(read), nonNil(write)
	c.Created = FromMicros(created)
	return c, nil
}

// loadCollection returns ErrNoRows when there is no such collection.
func loadCollection(tx Tx, id string) (liaison.Collection, error) {
	return ScanCollection(tx.QueryRow(`SELECT `+CollectionCols+` FROM collections WHERE id = ?`, id))
}

func loadCollections(tx Tx) ([]liaison.Collection, error) {
	out := []liaison.Collection{}
	err := eachRow(tx, func(rows Rows) error {
		c, err := ScanCollection(rows)
		out = append(out, c)
		return err
	}, `SELECT `+CollectionCols+` FROM collections ORDER BY title, id`)
	return out, err
}

// CreateCollection adds a collection, setting c.ID to a random UUID if it
// is empty and c.Created to the store's clock. EINVALID if the id is not a
// UUID, a read or write entry names nobody known, or the default marking is
// unknown; ECONFLICT if the id is taken.
func (o *Office) CreateCollection(ctx context.Context, c *liaison.Collection) error {
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
			return o.Internal(o.op("CreateCollection"), err)
		}
		nc.ID = id
	} else if !uuidRE.MatchString(nc.ID) {
		return liaison.Errorf(liaison.EINVALID, "collection id %q is not a lower-case UUID", nc.ID)
	}
	nc.Created = o.Clock()
	nc.Read, nc.Write = nonNil(nc.Read), nonNil(nc.Write)
	err := o.inWrite(ctx, "CreateCollection", func(tx Tx) error {
		if err := o.checkCollectionNames(tx, nc); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO collections (`+CollectionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			nc.ID, nc.Title, nc.Description, nc.Topic, Strings(nc.Read), Strings(nc.Write), nc.DefaultMarking, nc.Created.UnixMicro())
		return o.conflict(err, "collection %s exists already", nc.ID)
	})
	if err != nil {
		return err
	}
	*c = nc
	return nil
}

// AllCollections returns every collection, for operators, sorted by title.
func (o *Office) AllCollections(ctx context.Context) ([]liaison.Collection, error) {
	var out []liaison.Collection
	err := o.inRead(ctx, "AllCollections", func(tx Tx) error {
		var err error
		out, err = loadCollections(tx)
		return err
	})
	return out, err
}

// Collections returns the collections the reader may read or write, sorted
// by title.
func (o *Office) Collections(ctx context.Context, reader liaison.Principal) ([]liaison.CollectionAccess, error) {
	out := []liaison.CollectionAccess{}
	err := o.inRead(ctx, "Collections", func(tx Tx) error {
		d, _, err := o.ReadDirectory(tx, o.Clock())
		if err != nil {
			return err
		}
		all, err := loadCollections(tx)
		if err != nil {
			return err
		}
		for _, c := range all {
			if a := d.Access(reader, c); a.CanRead || a.CanWrite {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Collection returns one collection as the reader sees it. ENOTFOUND if it
// does not exist or the reader may neither read nor write it.
func (o *Office) Collection(ctx context.Context, reader liaison.Principal, id string) (liaison.CollectionAccess, error) {
	var out liaison.CollectionAccess
	err := o.inRead(ctx, "Collection", func(tx Tx) error {
		d, _, err := o.ReadDirectory(tx, o.Clock())
		if err != nil {
			return err
		}
		out, err = VisibleCollection(tx, d, reader, id)
		return err
	})
	return out, err
}

// VisibleCollection returns the reader's access to a collection, or
// NotFound if it does not exist or the reader may neither read nor write it.
func VisibleCollection(tx Tx, d *liaison.Directory, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	c, err := loadCollection(tx, id)
	if errors.Is(err, ErrNoRows) {
		return liaison.CollectionAccess{}, liaison.NotFound("collection", id)
	}
	if err != nil {
		return liaison.CollectionAccess{}, err
	}
	return AccessTo(c, d, p, id)
}

// AccessTo is the reader's access to c, or NotFound if the reader may
// neither read nor write it.
func AccessTo(c liaison.Collection, d *liaison.Directory, p liaison.Principal, id string) (liaison.CollectionAccess, error) {
	a := d.Access(p, c)
	if !a.CanRead && !a.CanWrite {
		return liaison.CollectionAccess{}, liaison.NotFound("collection", id)
	}
	return a, nil
}

// checkCollectionNames checks that every read and write entry names an
// organisation or a community on the hub, and that the default marking is
// known.
func (o *Office) checkCollectionNames(tx Tx, c liaison.Collection) error {
	d, _, err := o.ReadDirectory(tx, o.Clock())
	if err != nil {
		return err
	}
	for _, l := range []struct {
		name  string
		names []string
	}{{"read", c.Read}, {"write", c.Write}} {
		for i, n := range l.names {
			if _, ok := d.Organisation(n); !ok && !d.HasCommunity(n) {
				return liaison.Errorf(liaison.EINVALID, "collection %q: %s list entry %d (%q) is neither an organisation nor a community on the hub", c.Title, l.name, i, n)
			}
		}
	}
	if c.DefaultMarking != "" {
		if _, ok := liaison.TLPByID[c.DefaultMarking]; !ok {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM markings WHERE id = ?`, c.DefaultMarking).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return liaison.Errorf(liaison.EINVALID, "collection %q: default marking %s is not known to this hub", c.Title, c.DefaultMarking)
			}
		}
	}
	return nil
}

// UpdateCollection replaces the title, description, topic, read and write
// lists and default marking of collection c.ID; c.Created is set to the
// stored one. Every read takes a collection's lists from its row in the
// read's own transaction, so a narrowed read list holds for the next read
// of anyone. A new default marking applies to unmarked objects written
// from now on: stored versions keep the default they were written with
// (rule 8). ENOTFOUND if there is no such collection; EINVALID as for
// CreateCollection.
func (o *Office) UpdateCollection(ctx context.Context, c *liaison.Collection) error {
	if c == nil {
		return liaison.Errorf(liaison.EINVALID, "collection is missing")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	nc := *c
	nc.Read, nc.Write = nonNil(nc.Read), nonNil(nc.Write)
	err := o.inWrite(ctx, "UpdateCollection", func(tx Tx) error {
		old, err := loadCollection(tx, nc.ID)
		if errors.Is(err, ErrNoRows) {
			return liaison.NotFound("collection", nc.ID)
		}
		if err != nil {
			return err
		}
		if err := o.checkCollectionNames(tx, nc); err != nil {
			return err
		}
		nc.Created = old.Created
		if err := o.checkPeersKeepReaders(tx, old, nc); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE collections SET title = ?, description = ?, topic = ?, read_list = ?, write_list = ?, default_marking = ? WHERE id = ?`,
			nc.Title, nc.Description, nc.Topic, Strings(nc.Read), Strings(nc.Write), nc.DefaultMarking, nc.ID)
		return err
	})
	if err != nil {
		return err
	}
	*c = nc
	return nil
}

// checkPeersKeepReaders refuses a read-list change that would take
// organisations away from what a peer office is served of the collection.
// The federation change feed carries changes of versions' audiences, and
// a read list is not one: the peer would keep its copies with the old
// list's organisations and could serve them on to one this office now
// excludes. Until the feed carries read-list changes, such a change
// fails closed, naming the peer and how to go on.
func (o *Office) checkPeersKeepReaders(tx Tx, old, nc liaison.Collection) error {
	var grants []liaison.PeerGrant
	if err := eachRow(tx, func(rows Rows) error {
		g, err := scanGrant(rows)
		grants = append(grants, g)
		return err
	}, `SELECT name, serves, created_us FROM peer_grants ORDER BY name`); err != nil {
		return err
	}
	if len(grants) == 0 {
		return nil
	}
	d, _, err := o.ReadDirectory(tx, o.Clock())
	if err != nil {
		return err
	}
	before, after := d.Expand(old.Read...), d.Expand(nc.Read...)
	for _, g := range grants {
		serves := d.Expand(g.Serves...)
		for _, org := range serves.Intersect(before) {
			if !after.Contains(org) {
				return liaison.Errorf(liaison.ECONFLICT, "collection %s: its read list would no longer include %s, which peer office %s is served; copies that %s already pulled would not narrow. Remove the peer grant (liaison peer remove %s), or leave %s on the read list", nc.ID, org, g.Name, g.Name, g.Name, org)
			}
		}
	}
	return nil
}

// readableCollections returns, inside a read, the collections reader may
// read by the directory at the store's clock: what every read
// across collections starts from. ErrStale when an agreement has entered
// or left force since the audiences were computed (the caller freshens
// and retries), so no read runs on stale audiences.
func (o *Office) readableCollections(tx Tx, reader liaison.Principal) ([]liaison.Collection, error) {
	d, st, err := o.ReadDirectory(tx, o.Clock())
	if err != nil {
		return nil, err
	}
	if st.Expired(o.Clock()) {
		return nil, ErrStale
	}
	colls, err := loadCollections(tx)
	if err != nil {
		return nil, err
	}
	readable := colls[:0]
	for _, c := range colls {
		if d.Access(reader, c).CanRead {
			readable = append(readable, c)
		}
	}
	return readable, nil
}
