package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
)

// state is the store_state row.
type state struct {
	dirVersion int64
	validUntil int64 // µs; 0: audiences stay right until the directory changes
}

// expired reports whether the audiences' validity has lapsed at now.
func (st state) expired(now time.Time) bool {
	return st.validUntil != 0 && now.UnixMicro() >= st.validUntil
}

func readState(ctx context.Context, q querier) (state, error) {
	var st state
	err := q.QueryRow(ctx, `SELECT directory_version, audiences_valid_until_us FROM store_state WHERE id = 1`).Scan(&st.dirVersion, &st.validUntil)
	if err != nil {
		return st, fmt.Errorf("read store state: %w", err)
	}
	return st, nil
}

// dirSnapshot is the directory tables at one directory_version.
type dirSnapshot struct {
	version     int64
	orgs        []liaison.Organisation
	communities []liaison.Community
	agreements  []liaison.Agreement
}

func (d *dirSnapshot) directory(now time.Time) *liaison.Directory {
	return liaison.NewDirectory(d.orgs, d.communities, d.agreements, now)
}

// snapshot returns the directory tables at version, from the cache when it
// holds that version. Only committed state may be cached: a transaction
// that changed the directory passes cache=false.
func (s *Store) snapshot(ctx context.Context, q querier, version int64, cache bool) (*dirSnapshot, error) {
	if cache {
		s.cache.mu.Lock()
		c := s.cache.dir
		s.cache.mu.Unlock()
		if c != nil && c.version == version {
			return c, nil
		}
	}
	d := &dirSnapshot{version: version}
	var err error
	if d.orgs, err = loadOrganisations(ctx, q); err != nil {
		return nil, err
	}
	if d.communities, err = loadCommunities(ctx, q); err != nil {
		return nil, err
	}
	if d.agreements, err = loadAgreements(ctx, q); err != nil {
		return nil, err
	}
	if cache {
		s.cache.mu.Lock()
		if s.cache.dir == nil || s.cache.dir.version < version {
			s.cache.dir = d
		}
		s.cache.mu.Unlock()
	}
	return d, nil
}

// readDirectory returns the committed directory at now, seen through q.
func (s *Store) readDirectory(ctx context.Context, q querier, now time.Time) (*liaison.Directory, state, error) {
	st, err := readState(ctx, q)
	if err != nil {
		return nil, st, err
	}
	d, err := s.snapshot(ctx, q, st.dirVersion, true)
	if err != nil {
		return nil, st, err
	}
	return d.directory(now), st, nil
}

func loadOrganisations(ctx context.Context, q querier) ([]liaison.Organisation, error) {
	rows, err := q.Query(ctx, `SELECT code, name, kind, time_zone FROM organisations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("load organisations: %w", err)
	}
	return collectOrganisations(rows)
}

func collectOrganisations(rows pgx.Rows) ([]liaison.Organisation, error) {
	defer rows.Close()
	out := []liaison.Organisation{}
	for rows.Next() {
		var o liaison.Organisation
		if err := rows.Scan(&o.Code, &o.Name, &o.Kind, &o.TimeZone); err != nil {
			return nil, fmt.Errorf("load organisations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func loadCommunities(ctx context.Context, q querier) ([]liaison.Community, error) {
	rows, err := q.Query(ctx, `SELECT name, members FROM communities ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("load communities: %w", err)
	}
	return collectCommunities(rows)
}

func collectCommunities(rows pgx.Rows) ([]liaison.Community, error) {
	defer rows.Close()
	out := []liaison.Community{}
	for rows.Next() {
		var c liaison.Community
		if err := rows.Scan(&c.Name, &c.Members); err != nil {
			return nil, fmt.Errorf("load communities: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func loadAgreements(ctx context.Context, q querier) ([]liaison.Agreement, error) {
	rows, err := q.Query(ctx, `SELECT id, partner, kind, name, max_classification, from_us, until_us, areas, objectives FROM agreements ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load agreements: %w", err)
	}
	return collectAgreements(rows)
}

func collectAgreements(rows pgx.Rows) ([]liaison.Agreement, error) {
	defer rows.Close()
	out := []liaison.Agreement{}
	for rows.Next() {
		var a liaison.Agreement
		var from, until *int64
		if err := rows.Scan(&a.ID, &a.Partner, &a.Kind, &a.Name, &a.MaxClassification, &from, &until, &a.Areas, &a.Objectives); err != nil {
			return nil, fmt.Errorf("load agreements: %w", err)
		}
		if from != nil {
			a.From = fromMicros(*from)
		}
		if until != nil {
			a.Until = fromMicros(*until)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// changeDirectory runs change in a write transaction, then bumps the
// directory version and recomputes every audience against the changed
// directory in the same transaction. If anything fails, nothing changes.
func (s *Store) changeDirectory(ctx context.Context, op string, change func(tx pgx.Tx, d *liaison.Directory) error) error {
	var w *wtx
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		now := s.clock()
		st, err := lockState(ctx, tx)
		if err != nil {
			return err
		}
		before, err := s.snapshot(ctx, tx, st.dirVersion, true)
		if err != nil {
			return err
		}
		if err := change(tx, before.directory(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE store_state SET directory_version = directory_version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("bump directory version: %w", err)
		}
		after, err := s.snapshot(ctx, tx, st.dirVersion+1, false)
		if err != nil {
			return err
		}
		w = s.newWtx(ctx, tx, now)
		w.dir = after.directory(now)
		return w.recomputeAll()
	})
	if err != nil {
		return err
	}
	w.commit()
	return nil
}

// CreateOrganisation adds an organisation and recomputes audiences (ALL
// and NATO grow). ECONFLICT if the code is taken by an organisation or a
// community; EINVALID if it is malformed.
func (s *Store) CreateOrganisation(ctx context.Context, o liaison.Organisation) error {
	const op = "postgres.CreateOrganisation"
	if err := o.Validate(); err != nil {
		return err
	}
	return s.changeDirectory(ctx, op, func(tx pgx.Tx, d *liaison.Directory) error {
		if _, ok := d.Organisation(o.Code); ok {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s exists already", o.Code)
		}
		if d.HasCommunity(o.Code) {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already the name of a community", o.Code)
		}
		_, err := tx.Exec(ctx, `INSERT INTO organisations (code, name, kind, time_zone) VALUES ($1, $2, $3, $4)`, o.Code, o.Name, string(o.Kind), o.TimeZone)
		if ce := constraintError(err); ce != nil && ce.Code == liaison.ECONFLICT {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s exists already", o.Code)
		}
		return err
	})
}

// Organisation returns one organisation. ENOTFOUND if there is none.
func (s *Store) Organisation(ctx context.Context, code string) (liaison.Organisation, error) {
	var o liaison.Organisation
	err := s.pool.QueryRow(ctx, `SELECT code, name, kind, time_zone FROM organisations WHERE code = $1`, code).Scan(&o.Code, &o.Name, &o.Kind, &o.TimeZone)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, liaison.NotFound("organisation", code)
	}
	if err != nil {
		return o, s.internal("postgres.Organisation", err)
	}
	return o, nil
}

// Organisations returns every organisation, sorted by code.
func (s *Store) Organisations(ctx context.Context) ([]liaison.Organisation, error) {
	out, err := loadOrganisations(ctx, s.pool)
	if err != nil {
		return nil, s.internal("postgres.Organisations", err)
	}
	return out, nil
}

// checkMembers returns EINVALID unless every member is an organisation or
// a community in d.
func checkMembers(d *liaison.Directory, c liaison.Community) error {
	for i, m := range c.Members {
		if _, ok := d.Organisation(m); ok {
			continue
		}
		if d.HasCommunity(m) {
			continue
		}
		return liaison.Errorf(liaison.EINVALID, "community %s: member %d (%q) is neither an organisation nor a community on the hub", c.Name, i, m)
	}
	return nil
}

// CreateCommunity adds an operator community and recomputes audiences.
// EINVALID if a member is neither an organisation nor a community;
// ECONFLICT if the name is taken by a community or an organisation.
func (s *Store) CreateCommunity(ctx context.Context, c liaison.Community) error {
	const op = "postgres.CreateCommunity"
	if err := c.Validate(); err != nil {
		return err
	}
	return s.changeDirectory(ctx, op, func(tx pgx.Tx, d *liaison.Directory) error {
		if d.HasCommunity(c.Name) {
			return liaison.Errorf(liaison.ECONFLICT, "community %s exists already", c.Name)
		}
		if _, ok := d.Organisation(c.Name); ok {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already the code of an organisation", c.Name)
		}
		if err := checkMembers(d, c); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO communities (name, members) VALUES ($1, $2)`, c.Name, c.Members)
		if ce := constraintError(err); ce != nil && ce.Code == liaison.ECONFLICT {
			return liaison.Errorf(liaison.ECONFLICT, "community %s exists already", c.Name)
		}
		return err
	})
}

// SetCommunityMembers replaces an operator community's members and
// recomputes audiences. ENOTFOUND if there is no such operator community;
// EINVALID if a member is unknown.
func (s *Store) SetCommunityMembers(ctx context.Context, name string, members []string) error {
	const op = "postgres.SetCommunityMembers"
	return s.changeDirectory(ctx, op, func(tx pgx.Tx, d *liaison.Directory) error {
		if liaison.IsBuiltinCommunity(name) {
			return liaison.Errorf(liaison.EINVALID, "community %s is built in and follows membership by itself", name)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM communities WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return liaison.NotFound("community", name)
		}
		c := liaison.Community{Name: name, Members: members}
		if err := c.Validate(); err != nil {
			return err
		}
		if err := checkMembers(d, c); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE communities SET members = $1 WHERE name = $2`, members, name)
		return err
	})
}

// Communities returns the operator communities, sorted by name.
func (s *Store) Communities(ctx context.Context) ([]liaison.Community, error) {
	out, err := loadCommunities(ctx, s.pool)
	if err != nil {
		return nil, s.internal("postgres.Communities", err)
	}
	return out, nil
}

// checkAgreement validates a and checks that its partner is a partner
// organisation in d.
func checkAgreement(d *liaison.Directory, a liaison.Agreement) error {
	if err := a.Validate(); err != nil {
		return err
	}
	o, ok := d.Organisation(a.Partner)
	if !ok {
		return liaison.Errorf(liaison.EINVALID, "agreement partner %q is not an organisation on the hub", a.Partner)
	}
	if o.Kind != liaison.Partner {
		return liaison.Errorf(liaison.EINVALID, "agreement partner %s is a %s, not a partner", a.Partner, o.Kind)
	}
	return nil
}

func agreementArgs(a liaison.Agreement) []any {
	return []any{a.Partner, string(a.Kind), a.Name, int(a.MaxClassification), nullMicros(a.From), nullMicros(a.Until), nonNil(a.Areas), nonNil(a.Objectives)}
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// CreateAgreement adds an agreement, sets a.ID and recomputes audiences.
// EINVALID if the partner is not a partner organisation on the hub or the
// agreement is malformed.
func (s *Store) CreateAgreement(ctx context.Context, a *liaison.Agreement) error {
	const op = "postgres.CreateAgreement"
	if a == nil {
		return liaison.Errorf(liaison.EINVALID, "agreement is missing")
	}
	var id int64
	err := s.changeDirectory(ctx, op, func(tx pgx.Tx, d *liaison.Directory) error {
		if err := checkAgreement(d, *a); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO agreements (partner, kind, name, max_classification, from_us, until_us, areas, objectives)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, agreementArgs(*a)...).Scan(&id)
	})
	if err == nil {
		a.ID = id
	}
	return err
}

// UpdateAgreement replaces an agreement and recomputes audiences.
// ENOTFOUND if there is none with a.ID; EINVALID as for CreateAgreement.
func (s *Store) UpdateAgreement(ctx context.Context, a liaison.Agreement) error {
	const op = "postgres.UpdateAgreement"
	return s.changeDirectory(ctx, op, func(tx pgx.Tx, d *liaison.Directory) error {
		if err := checkAgreement(d, a); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE agreements SET partner = $1, kind = $2, name = $3, max_classification = $4, from_us = $5, until_us = $6, areas = $7, objectives = $8 WHERE id = $9`,
			append(agreementArgs(a), a.ID)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return liaison.NotFound("agreement", fmt.Sprint(a.ID))
		}
		return nil
	})
}

// Agreements returns every agreement, ordered by id.
func (s *Store) Agreements(ctx context.Context) ([]liaison.Agreement, error) {
	out, err := loadAgreements(ctx, s.pool)
	if err != nil {
		return nil, s.internal("postgres.Agreements", err)
	}
	return out, nil
}

// Directory returns the directory as it stands at the store's clock.
func (s *Store) Directory(ctx context.Context) (*liaison.Directory, error) {
	var d *liaison.Directory
	err := s.inRead(ctx, "postgres.Directory", func(tx pgx.Tx) error {
		var err error
		d, _, err = s.readDirectory(ctx, tx, s.clock())
		return err
	})
	return d, err
}
