package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

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
	err := q.QueryRowContext(ctx, `SELECT directory_version, audiences_valid_until_us FROM store_state WHERE id = 1`).Scan(&st.dirVersion, &st.validUntil)
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
		s.mu.Lock()
		c := s.dirCache
		s.mu.Unlock()
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
		s.mu.Lock()
		if s.dirCache == nil || s.dirCache.version < version {
			s.dirCache = d
		}
		s.mu.Unlock()
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
	rows, err := q.QueryContext(ctx, `SELECT code, name, kind, time_zone FROM organisations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("load organisations: %w", err)
	}
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
	rows, err := q.QueryContext(ctx, `SELECT name, members FROM communities ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("load communities: %w", err)
	}
	defer rows.Close()
	out := []liaison.Community{}
	for rows.Next() {
		var c liaison.Community
		var members string
		if err := rows.Scan(&c.Name, &members); err != nil {
			return nil, fmt.Errorf("load communities: %w", err)
		}
		if err := json.Unmarshal([]byte(members), &c.Members); err != nil {
			return nil, fmt.Errorf("load community %s: %w", c.Name, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func loadAgreements(ctx context.Context, q querier) ([]liaison.Agreement, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, partner, kind, name, max_classification, from_us, until_us, areas, objectives FROM agreements ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load agreements: %w", err)
	}
	defer rows.Close()
	out := []liaison.Agreement{}
	for rows.Next() {
		var a liaison.Agreement
		var from, until sql.NullInt64
		var areas, objectives string
		if err := rows.Scan(&a.ID, &a.Partner, &a.Kind, &a.Name, &a.MaxClassification, &from, &until, &areas, &objectives); err != nil {
			return nil, fmt.Errorf("load agreements: %w", err)
		}
		if from.Valid {
			a.From = fromMicros(from.Int64)
		}
		if until.Valid {
			a.Until = fromMicros(until.Int64)
		}
		if err := json.Unmarshal([]byte(areas), &a.Areas); err != nil {
			return nil, fmt.Errorf("load agreement %d: %w", a.ID, err)
		}
		if err := json.Unmarshal([]byte(objectives), &a.Objectives); err != nil {
			return nil, fmt.Errorf("load agreement %d: %w", a.ID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// changeDirectory runs change in a writer transaction, then bumps the
// directory version and recomputes every audience against the changed
// directory in the same transaction. If anything fails, nothing changes.
func (s *Store) changeDirectory(ctx context.Context, op string, change func(tx *sql.Tx, d *liaison.Directory) error) error {
	var w *wtx
	err := s.inWrite(ctx, op, func(tx *sql.Tx) error {
		now := s.clock()
		st, err := readState(ctx, tx)
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
		if _, err := tx.ExecContext(ctx, `UPDATE store_state SET directory_version = directory_version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("bump directory version: %w", err)
		}
		after, err := s.snapshot(ctx, tx, st.dirVersion+1, false)
		if err != nil {
			return err
		}
		w = &wtx{
			s: s, ctx: context.WithoutCancel(ctx), done: ctx, tx: tx, now: now, dir: after.directory(now),
			newAudKey: map[string]int64{}, newAudID: map[int64]liaison.Audience{},
			newMarking: map[string]liaison.Marking{}, labels: map[string]labelRef{},
			collRead: map[string]liaison.Audience{}, collRow: map[string]liaison.Collection{},
			stmts: map[string]*sql.Stmt{},
		}
		defer w.close()
		return w.recomputeAll(before.directory(now))
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
	const op = "sqlite.CreateOrganisation"
	if err := o.Validate(); err != nil {
		return err
	}
	return s.changeDirectory(ctx, op, func(tx *sql.Tx, d *liaison.Directory) error {
		if _, ok := d.Organisation(o.Code); ok {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s exists already", o.Code)
		}
		if d.HasCommunity(o.Code) {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already the name of a community", o.Code)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO organisations (code, name, kind, time_zone) VALUES (?, ?, ?, ?)`, o.Code, o.Name, string(o.Kind), o.TimeZone)
		if ce := constraintError(err); ce != nil && ce.Code == liaison.ECONFLICT {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s exists already", o.Code)
		}
		return err
	})
}

// Organisation returns one organisation. ENOTFOUND if there is none.
func (s *Store) Organisation(ctx context.Context, code string) (liaison.Organisation, error) {
	var o liaison.Organisation
	err := s.reader.QueryRowContext(ctx, `SELECT code, name, kind, time_zone FROM organisations WHERE code = ?`, code).Scan(&o.Code, &o.Name, &o.Kind, &o.TimeZone)
	if err == sql.ErrNoRows {
		return o, liaison.NotFound("organisation", code)
	}
	if err != nil {
		return o, s.internal("sqlite.Organisation", err)
	}
	return o, nil
}

// Organisations returns every organisation, sorted by code.
func (s *Store) Organisations(ctx context.Context) ([]liaison.Organisation, error) {
	out, err := loadOrganisations(ctx, s.reader)
	if err != nil {
		return nil, s.internal("sqlite.Organisations", err)
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
	const op = "sqlite.CreateCommunity"
	if err := c.Validate(); err != nil {
		return err
	}
	return s.changeDirectory(ctx, op, func(tx *sql.Tx, d *liaison.Directory) error {
		if d.HasCommunity(c.Name) {
			return liaison.Errorf(liaison.ECONFLICT, "community %s exists already", c.Name)
		}
		if _, ok := d.Organisation(c.Name); ok {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already the code of an organisation", c.Name)
		}
		if err := checkMembers(d, c); err != nil {
			return err
		}
		members, err := json.Marshal(c.Members)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO communities (name, members) VALUES (?, ?)`, c.Name, string(members))
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
	const op = "sqlite.SetCommunityMembers"
	return s.changeDirectory(ctx, op, func(tx *sql.Tx, d *liaison.Directory) error {
		if liaison.IsBuiltinCommunity(name) {
			return liaison.Errorf(liaison.EINVALID, "community %s is built in and follows membership by itself", name)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM communities WHERE name = ?`, name).Scan(&n); err != nil {
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
		body, err := json.Marshal(members)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE communities SET members = ? WHERE name = ?`, string(body), name)
		return err
	})
}

// Communities returns the operator communities, sorted by name.
func (s *Store) Communities(ctx context.Context) ([]liaison.Community, error) {
	out, err := loadCommunities(ctx, s.reader)
	if err != nil {
		return nil, s.internal("sqlite.Communities", err)
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

func agreementArgs(a liaison.Agreement) ([]any, error) {
	areas, err := json.Marshal(nonNil(a.Areas))
	if err != nil {
		return nil, err
	}
	objectives, err := json.Marshal(nonNil(a.Objectives))
	if err != nil {
		return nil, err
	}
	return []any{a.Partner, string(a.Kind), a.Name, int(a.MaxClassification), nullMicros(a.From), nullMicros(a.Until), string(areas), string(objectives)}, nil
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
	const op = "sqlite.CreateAgreement"
	if a == nil {
		return liaison.Errorf(liaison.EINVALID, "agreement is missing")
	}
	var id int64
	err := s.changeDirectory(ctx, op, func(tx *sql.Tx, d *liaison.Directory) error {
		if err := checkAgreement(d, *a); err != nil {
			return err
		}
		args, err := agreementArgs(*a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO agreements (partner, kind, name, max_classification, from_us, until_us, areas, objectives) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err == nil {
		a.ID = id
	}
	return err
}

// UpdateAgreement replaces an agreement and recomputes audiences.
// ENOTFOUND if there is none with a.ID; EINVALID as for CreateAgreement.
func (s *Store) UpdateAgreement(ctx context.Context, a liaison.Agreement) error {
	const op = "sqlite.UpdateAgreement"
	return s.changeDirectory(ctx, op, func(tx *sql.Tx, d *liaison.Directory) error {
		if err := checkAgreement(d, a); err != nil {
			return err
		}
		args, err := agreementArgs(a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE agreements SET partner = ?, kind = ?, name = ?, max_classification = ?, from_us = ?, until_us = ?, areas = ?, objectives = ? WHERE id = ?`, append(args, a.ID)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return liaison.NotFound("agreement", fmt.Sprint(a.ID))
		}
		return nil
	})
}

// Agreements returns every agreement, ordered by id.
func (s *Store) Agreements(ctx context.Context) ([]liaison.Agreement, error) {
	out, err := loadAgreements(ctx, s.reader)
	if err != nil {
		return nil, s.internal("sqlite.Agreements", err)
	}
	return out, nil
}

// Directory returns the directory as it stands at the store's clock.
func (s *Store) Directory(ctx context.Context) (*liaison.Directory, error) {
	var d *liaison.Directory
	err := s.inRead(ctx, "sqlite.Directory", func(tx *sql.Tx) error {
		var err error
		d, _, err = s.readDirectory(ctx, tx, s.clock())
		return err
	})
	return d, err
}
