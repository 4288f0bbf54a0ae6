package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"liaison"
)

// DirSnapshot is the directory tables at one directory_version.
type DirSnapshot struct {
	Version     int64
	Orgs        []liaison.Organisation
	Communities []liaison.Community
	Agreements  []liaison.Agreement
}

// Directory is the directory of the snapshot at now.
func (d *DirSnapshot) Directory(now time.Time) *liaison.Directory {
	return liaison.NewDirectory(d.Orgs, d.Communities, d.Agreements, now)
}

// CachedSnapshot returns the cached directory tables if they are at
// version, or whatever version they are at if version is negative.
func (o *Office) CachedSnapshot(version int64) (*DirSnapshot, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.dirCache; c != nil && (version < 0 || c.Version == version) {
		return c, true
	}
	return nil, false
}

// CacheSnapshot keeps d, read from committed state, for later reads.
func (o *Office) CacheSnapshot(d *DirSnapshot) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dirCache == nil || o.dirCache.Version < d.Version {
		o.dirCache = d
	}
}

// Snapshot returns the directory tables at version, from the cache when it
// holds that version. Only committed state may be cached: a transaction
// that changed the directory passes cache=false.
func (o *Office) Snapshot(tx Tx, version int64, cache bool) (*DirSnapshot, error) {
	if cache {
		if c, ok := o.CachedSnapshot(version); ok {
			return c, nil
		}
	}
	d := &DirSnapshot{Version: version}
	var err error
	if d.Orgs, err = loadOrganisations(tx); err != nil {
		return nil, err
	}
	if d.Communities, err = loadCommunities(tx); err != nil {
		return nil, err
	}
	if d.Agreements, err = loadAgreements(tx); err != nil {
		return nil, err
	}
	if cache {
		o.CacheSnapshot(d)
	}
	return d, nil
}

// ReadDirectory returns the committed directory at now, seen through tx,
// and the store state it belongs to.
func (o *Office) ReadDirectory(tx Tx, now time.Time) (*liaison.Directory, State, error) {
	st, err := ReadState(tx)
	if err != nil {
		return nil, st, err
	}
	d, err := o.Snapshot(tx, st.DirVersion, true)
	if err != nil {
		return nil, st, err
	}
	return d.Directory(now), st, nil
}

// The directory tables' queries, which a store may also pipeline itself
// (ScanOrganisations and the others read their rows).
const (
	OrganisationsQuery = `SELECT code, name, kind, time_zone FROM organisations ORDER BY code`
	CommunitiesQuery   = `SELECT name, members FROM communities ORDER BY name`
	AgreementsQuery    = `SELECT id, partner, kind, name, max_classification, from_us, until_us, areas, objectives FROM agreements ORDER BY id`
)

func loadOrganisations(tx Tx) ([]liaison.Organisation, error) {
	rows, err := tx.Query(OrganisationsQuery)
	if err != nil {
		return nil, fmt.Errorf("load organisations: %w", err)
	}
	return ScanOrganisations(rows)
}

// ScanOrganisations reads the rows of OrganisationsQuery and closes them.
func ScanOrganisations(rows Rows) ([]liaison.Organisation, error) {
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

func loadCommunities(tx Tx) ([]liaison.Community, error) {
	rows, err := tx.Query(CommunitiesQuery)
	if err != nil {
		return nil, fmt.Errorf("load communities: %w", err)
	}
	return ScanCommunities(rows)
}

// ScanCommunities reads the rows of CommunitiesQuery and closes them.
func ScanCommunities(rows Rows) ([]liaison.Community, error) {
	defer rows.Close()
	out := []liaison.Community{}
	for rows.Next() {
		var c liaison.Community
		var members Strings
		if err := rows.Scan(&c.Name, &members); err != nil {
			return nil, fmt.Errorf("load communities: %w", err)
		}
		c.Members = nonNil(members)
		out = append(out, c)
	}
	return out, rows.Err()
}

func loadAgreements(tx Tx) ([]liaison.Agreement, error) {
	rows, err := tx.Query(AgreementsQuery)
	if err != nil {
		return nil, fmt.Errorf("load agreements: %w", err)
	}
	return ScanAgreements(rows)
}

// ScanAgreements reads the rows of AgreementsQuery and closes them.
func ScanAgreements(rows Rows) ([]liaison.Agreement, error) {
	defer rows.Close()
	out := []liaison.Agreement{}
	for rows.Next() {
		var a liaison.Agreement
		var from, until *int64
		var areas, objectives Strings
		if err := rows.Scan(&a.ID, &a.Partner, &a.Kind, &a.Name, &a.MaxClassification, &from, &until, &areas, &objectives); err != nil {
			return nil, fmt.Errorf("load agreements: %w", err)
		}
		if from != nil {
			a.From = FromMicros(*from)
		}
		if until != nil {
			a.Until = FromMicros(*until)
		}
		a.Areas, a.Objectives = nonNil(areas), nonNil(objectives)
		out = append(out, a)
	}
	return out, rows.Err()
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// changeDirectory runs change in a write transaction, then bumps the
// directory version and recomputes every audience against the changed
// directory in the same transaction. If anything fails, nothing changes.
func (o *Office) changeDirectory(ctx context.Context, name string, change func(tx Tx, d *liaison.Directory) error) error {
	var w *Write
	err := o.inWrite(ctx, name, func(tx Tx) error {
		now := o.Clock()
		st, err := ReadState(tx)
		if err != nil {
			return err
		}
		before, err := o.Snapshot(tx, st.DirVersion, true)
		if err != nil {
			return err
		}
		if err := change(tx, before.Directory(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE store_state SET directory_version = directory_version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("bump directory version: %w", err)
		}
		after, err := o.Snapshot(tx, st.DirVersion+1, false)
		if err != nil {
			return err
		}
		w = o.newWrite(ctx, tx, now, after.Directory(now))
		return w.recomputeAll(before.Directory(now))
	})
	if err != nil {
		return err
	}
	w.Committed()
	return nil
}

// conflict turns a unique-key violation of err into ECONFLICT with msg.
func (o *Office) conflict(err error, format string, args ...any) error {
	if ce := o.db.ConstraintError(err); ce != nil && ce.Code == liaison.ECONFLICT {
		return liaison.Errorf(liaison.ECONFLICT, format, args...)
	}
	return err
}

// CreateOrganisation adds an organisation and recomputes audiences (ALL
// and NATO grow). ECONFLICT if the code is taken by an organisation or a
// community; EINVALID if it is malformed.
func (o *Office) CreateOrganisation(ctx context.Context, org liaison.Organisation) error {
	if err := org.Validate(); err != nil {
		return err
	}
	return o.changeDirectory(ctx, "CreateOrganisation", func(tx Tx, d *liaison.Directory) error {
		if _, ok := d.Organisation(org.Code); ok {
			return liaison.Errorf(liaison.ECONFLICT, "organisation %s exists already", org.Code)
		}
		if d.HasCommunity(org.Code) {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already the name of a community", org.Code)
		}
		_, err := tx.Exec(`INSERT INTO organisations (code, name, kind, time_zone) VALUES (?, ?, ?, ?)`, org.Code, org.Name, string(org.Kind), org.TimeZone)
		return o.conflict(err, "organisation %s exists already", org.Code)
	})
}

// Organisation returns one organisation. ENOTFOUND if there is none.
func (o *Office) Organisation(ctx context.Context, code string) (liaison.Organisation, error) {
	var org liaison.Organisation
	err := o.inRead(ctx, "Organisation", func(tx Tx) error {
		err := tx.QueryRow(`SELECT code, name, kind, time_zone FROM organisations WHERE code = ?`, code).Scan(&org.Code, &org.Name, &org.Kind, &org.TimeZone)
		if errors.Is(err, ErrNoRows) {
			return liaison.NotFound("organisation", code)
		}
		return err
	})
	return org, err
}

// Organisations returns every organisation, sorted by code.
func (o *Office) Organisations(ctx context.Context) ([]liaison.Organisation, error) {
	var out []liaison.Organisation
	err := o.inRead(ctx, "Organisations", func(tx Tx) error {
		var err error
		out, err = loadOrganisations(tx)
		return err
	})
	return out, err
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
func (o *Office) CreateCommunity(ctx context.Context, c liaison.Community) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return o.changeDirectory(ctx, "CreateCommunity", func(tx Tx, d *liaison.Directory) error {
		if d.HasCommunity(c.Name) {
			return liaison.Errorf(liaison.ECONFLICT, "community %s exists already", c.Name)
		}
		if _, ok := d.Organisation(c.Name); ok {
			return liaison.Errorf(liaison.ECONFLICT, "%s is already the code of an organisation", c.Name)
		}
		if err := checkMembers(d, c); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO communities (name, members) VALUES (?, ?)`, c.Name, Strings(nonNil(c.Members)))
		return o.conflict(err, "community %s exists already", c.Name)
	})
}

// SetCommunityMembers replaces an operator community's members and
// recomputes audiences. ENOTFOUND if there is no such operator community;
// EINVALID if a member is unknown.
func (o *Office) SetCommunityMembers(ctx context.Context, name string, members []string) error {
	return o.changeDirectory(ctx, "SetCommunityMembers", func(tx Tx, d *liaison.Directory) error {
		if liaison.IsBuiltinCommunity(name) {
			return liaison.Errorf(liaison.EINVALID, "community %s is built in and follows membership by itself", name)
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM communities WHERE name = ?`, name).Scan(&n); err != nil {
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
		_, err := tx.Exec(`UPDATE communities SET members = ? WHERE name = ?`, Strings(nonNil(members)), name)
		return err
	})
}

// Communities returns the operator communities, sorted by name.
func (o *Office) Communities(ctx context.Context) ([]liaison.Community, error) {
	var out []liaison.Community
	err := o.inRead(ctx, "Communities", func(tx Tx) error {
		var err error
		out, err = loadCommunities(tx)
		return err
	})
	return out, err
}

// checkAgreement validates a and checks that its partner is a partner
// organisation in d.
func checkAgreement(d *liaison.Directory, a liaison.Agreement) error {
	if err := a.Validate(); err != nil {
		return err
	}
	org, ok := d.Organisation(a.Partner)
	if !ok {
		return liaison.Errorf(liaison.EINVALID, "agreement partner %q is not an organisation on the hub", a.Partner)
	}
	if org.Kind != liaison.Partner {
		return liaison.Errorf(liaison.EINVALID, "agreement partner %s is %s %s, not a partner", a.Partner, article(string(org.Kind)), org.Kind)
	}
	return nil
}

// article is "an" before a vowel, "a" otherwise.
func article(word string) string {
	if word != "" && (word[0] == 'a' || word[0] == 'e' || word[0] == 'i' || word[0] == 'o' || word[0] == 'u') {
		return "an"
	}
	return "a"
}

func agreementArgs(a liaison.Agreement) []any {
	return []any{a.Partner, string(a.Kind), a.Name, int(a.MaxClassification), NullMicros(a.From), NullMicros(a.Until), Strings(nonNil(a.Areas)), Strings(nonNil(a.Objectives))}
}

// CreateAgreement adds an agreement, sets a.ID and recomputes audiences.
// EINVALID if the partner is not a partner organisation on the hub or the
// agreement is malformed.
func (o *Office) CreateAgreement(ctx context.Context, a *liaison.Agreement) error {
	if a == nil {
		return liaison.Errorf(liaison.EINVALID, "agreement is missing")
	}
	var id int64
	err := o.changeDirectory(ctx, "CreateAgreement", func(tx Tx, d *liaison.Directory) error {
		if err := checkAgreement(d, *a); err != nil {
			return err
		}
		return tx.QueryRow(`INSERT INTO agreements (partner, kind, name, max_classification, from_us, until_us, areas, objectives) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, agreementArgs(*a)...).Scan(&id)
	})
	if err == nil {
		a.ID = id
	}
	return err
}

// UpdateAgreement replaces an agreement and recomputes audiences.
// ENOTFOUND if there is none with a.ID; EINVALID as for CreateAgreement.
func (o *Office) UpdateAgreement(ctx context.Context, a liaison.Agreement) error {
	return o.changeDirectory(ctx, "UpdateAgreement", func(tx Tx, d *liaison.Directory) error {
		if err := checkAgreement(d, a); err != nil {
			return err
		}
		n, err := tx.Exec(`UPDATE agreements SET partner = ?, kind = ?, name = ?, max_classification = ?, from_us = ?, until_us = ?, areas = ?, objectives = ? WHERE id = ?`, append(agreementArgs(a), a.ID)...)
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
func (o *Office) Agreements(ctx context.Context) ([]liaison.Agreement, error) {
	var out []liaison.Agreement
	err := o.inRead(ctx, "Agreements", func(tx Tx) error {
		var err error
		out, err = loadAgreements(tx)
		return err
	})
	return out, err
}

// Directory returns the directory as it stands at the store's clock.
func (o *Office) Directory(ctx context.Context) (*liaison.Directory, error) {
	var d *liaison.Directory
	err := o.inRead(ctx, "Directory", func(tx Tx) error {
		var err error
		d, _, err = o.ReadDirectory(tx, o.Clock())
		return err
	})
	return d, err
}
