package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"liaison"
)

// The effect preview (ARCHITECTURE.md, "The effect preview"): what a
// directory change would do to every organisation's reading, computed
// with the audience function that enforcement uses, over the stored
// versions, in one read-only transaction. Nothing is written: label
// audiences are computed in memory, never added to the audiences table.

// previewBatch is how many relationship versions one step of the preview
// holds in memory with their ends.
const previewBatch = 1000

// UpdateOrganisation replaces an organisation's name and time zone. Its
// code and kind never change. ENOTFOUND if there is none; EINVALID if a
// field is malformed or the kind differs.
func (o *Office) UpdateOrganisation(ctx context.Context, org liaison.Organisation) error {
	if err := org.Validate(); err != nil {
		return err
	}
	return o.changeDirectory(ctx, "UpdateOrganisation", func(tx Tx, d *liaison.Directory) error {
		if err := checkOrgUpdate(d, org); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE organisations SET name = ?, time_zone = ? WHERE code = ?`, org.Name, org.TimeZone, org.Code)
		return err
	})
}

// checkOrgUpdate refuses an update of an organisation that is not in d,
// or that would change its kind.
func checkOrgUpdate(d *liaison.Directory, org liaison.Organisation) error {
	cur, ok := d.Organisation(org.Code)
	if !ok {
		return liaison.NotFound("organisation", org.Code)
	}
	if cur.Kind != org.Kind {
		return liaison.Errorf(liaison.EINVALID, "kind: organisation %s is %s %s and stays one; add a new organisation instead", org.Code, article(string(cur.Kind)), cur.Kind)
	}
	return nil
}

// changed returns the directory tables of snap with c applied, refusing
// c as the change itself would be refused.
func changed(snap *DirSnapshot, d *liaison.Directory, c liaison.DirectoryChange) (*DirSnapshot, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	out := &DirSnapshot{Version: snap.Version + 1, Orgs: slices.Clone(snap.Orgs), Communities: slices.Clone(snap.Communities), Agreements: slices.Clone(snap.Agreements)}
	switch c.Kind {
	case liaison.AddOrganisation, liaison.UpdateOrganisation:
		org := *c.Organisation
		if err := org.Validate(); err != nil {
			return nil, err
		}
		if c.Kind == liaison.UpdateOrganisation {
			if err := checkOrgUpdate(d, org); err != nil {
				return nil, err
			}
			i := slices.IndexFunc(out.Orgs, func(x liaison.Organisation) bool { return x.Code == org.Code })
			out.Orgs[i] = org
			break
		}
		if _, ok := d.Organisation(org.Code); ok {
			return nil, liaison.Errorf(liaison.ECONFLICT, "organisation %s exists already", org.Code)
		}
		if d.HasCommunity(org.Code) {
			return nil, liaison.Errorf(liaison.ECONFLICT, "%s is already the name of a community", org.Code)
		}
		out.Orgs = append(out.Orgs, org)
	case liaison.AddCommunity, liaison.SetCommunityMembers:
		cm := *c.Community
		if c.Kind == liaison.SetCommunityMembers && liaison.IsBuiltinCommunity(cm.Name) {
			return nil, liaison.Errorf(liaison.EINVALID, "community %s is built in and follows membership by itself", cm.Name)
		}
		if err := cm.Validate(); err != nil {
			return nil, err
		}
		i := slices.IndexFunc(out.Communities, func(x liaison.Community) bool { return x.Name == cm.Name })
		if c.Kind == liaison.SetCommunityMembers {
			if i < 0 {
				return nil, liaison.NotFound("community", cm.Name)
			}
			if err := checkMembers(d, cm); err != nil {
				return nil, err
			}
			out.Communities[i] = cm
			break
		}
		if d.HasCommunity(cm.Name) {
			return nil, liaison.Errorf(liaison.ECONFLICT, "community %s exists already", cm.Name)
		}
		if _, ok := d.Organisation(cm.Name); ok {
			return nil, liaison.Errorf(liaison.ECONFLICT, "%s is already the code of an organisation", cm.Name)
		}
		if err := checkMembers(d, cm); err != nil {
			return nil, err
		}
		out.Communities = append(out.Communities, cm)
	case liaison.AddAgreement, liaison.UpdateAgreement:
		a := *c.Agreement
		if err := checkAgreement(d, a); err != nil {
			return nil, err
		}
		if c.Kind == liaison.AddAgreement {
			a.ID = -1 // not stored: no id of its own yet
			out.Agreements = append(out.Agreements, a)
			break
		}
		i := slices.IndexFunc(out.Agreements, func(x liaison.Agreement) bool { return x.ID == a.ID })
		if i < 0 {
			return nil, liaison.NotFound("agreement", fmt.Sprint(a.ID))
		}
		out.Agreements[i] = a
	}
	return out, nil
}

// side is one directory of the preview, before or after the change: its
// write state (used only to compute, never to write) and the label
// audiences computed so far.
type side struct {
	w      *Write
	labels map[int64]liaison.Audience
}

// label returns the audience of the stored label id under the side's
// directory.
func (s *side) label(tx Tx, l storedLabel) (liaison.Audience, error) {
	if a, ok := s.labels[l.id]; ok {
		return a, nil
	}
	a, err := s.w.labelAudience(l.originator, l.markings, l.carried)
	if err != nil {
		return nil, err
	}
	s.labels[l.id] = a
	return a, nil
}

type storedLabel struct {
	id                            int64
	originator, markings, carried string
}

// counter adds up the effect per organisation.
type counter map[string]*liaison.OrgEffect

func (c counter) add(before, after liaison.Audience, n int64) {
	for _, org := range before {
		e := c.of(org)
		e.Before += n
		if !after.Contains(org) {
			e.Lose += n
		}
	}
	for _, org := range after {
		e := c.of(org)
		e.After += n
		if !before.Contains(org) {
			e.Gain += n
		}
	}
}

func (c counter) of(org string) *liaison.OrgEffect {
	e, ok := c[org]
	if !ok {
		e = &liaison.OrgEffect{Org: org}
		c[org] = e
	}
	return e
}

// PreviewDirectory weighs a directory change without making it: for each
// organisation, how many stored versions it may read under the directory
// now and how many it would read after the change (each collection's
// read list, then the label's audience by Directory.AudienceOf, then rule
// 9 for relationships and sightings against their ends' readers). Both
// sides are computed the same way, so the difference is the change's
// alone. Admins only.
//
// Memory stays bounded whatever the store holds: versions other than
// relationships are counted by one GROUP BY on (collection, label), and
// relationships are read in batches of previewBatch with the versions of
// their ends. Rule 9 is applied one link deep: an end that is itself a
// relationship counts with its own label's audience (an upper bound), so
// for chains of links the preview may count a little more than the
// recompute will settle.
func (o *Office) PreviewDirectory(ctx context.Context, reader liaison.Principal, c liaison.DirectoryChange) (liaison.DirectoryEffect, error) {
	var eff liaison.DirectoryEffect
	if !reader.HasRole(liaison.RoleAdmin) {
		return eff, liaison.Errorf(liaison.EFORBIDDEN, "the effect preview is for the office's admins")
	}
	err := o.inRead(ctx, "PreviewDirectory", func(tx Tx) error {
		now := o.Clock()
		st, err := ReadState(tx)
		if err != nil {
			return err
		}
		snap, err := o.Snapshot(tx, st.DirVersion, true)
		if err != nil {
			return err
		}
		before := snap.Directory(now)
		afterSnap, err := changed(snap, before, c)
		if err != nil {
			return err
		}
		p := &preview{tx: tx, ctx: ctx, count: counter{}, labels: map[int64]storedLabel{},
			before: &side{w: o.newWrite(ctx, tx, now, before), labels: map[int64]liaison.Audience{}},
			after:  &side{w: o.newWrite(ctx, tx, now, afterSnap.Directory(now)), labels: map[int64]liaison.Audience{}}}
		if err := p.run(); err != nil {
			return err
		}
		eff.Versions = p.versions
		codes := map[string]bool{}
		for _, org := range snap.Orgs {
			codes[org.Code] = true
		}
		for _, org := range afterSnap.Orgs {
			codes[org.Code] = true
		}
		for code := range codes {
			eff.Orgs = append(eff.Orgs, *p.count.of(code))
		}
		slices.SortFunc(eff.Orgs, func(a, b liaison.OrgEffect) int { return strings.Compare(a.Org, b.Org) })
		return nil
	})
	return eff, err
}

// preview is the state of one effect preview.
type preview struct {
	tx            Tx
	ctx           context.Context
	before, after *side
	labels        map[int64]storedLabel
	count         counter
	versions      int64
}

func (p *preview) run() error {
	err := eachRow(p.tx, func(rows Rows) error {
		var l storedLabel
		if err := rows.Scan(&l.id, &l.originator, &l.markings, &l.carried); err != nil {
			return err
		}
		p.labels[l.id] = l
		return nil
	}, `SELECT id, originator, markings, carried FROM labels`)
	if err != nil {
		return fmt.Errorf("preview: labels: %w", err)
	}
	// Versions other than links: their label's audience, counted per
	// collection and label.
	type group struct {
		coll  string
		label int64
		n     int64
	}
	var groups []group
	err = eachRow(p.tx, func(rows Rows) error {
		var g group
		if err := rows.Scan(&g.coll, &g.label, &g.n); err != nil {
			return err
		}
		groups = append(groups, g)
		return nil
	}, `SELECT collection, label_id, count(*) FROM versions WHERE ends = '' GROUP BY collection, label_id`)
	if err != nil {
		return fmt.Errorf("preview: versions: %w", err)
	}
	for _, g := range groups {
		b, a, err := p.audiences(g.coll, g.label)
		if err != nil {
			return err
		}
		p.count.add(b, a, g.n)
		p.versions += g.n
	}
	// Links, a batch at a time.
	for after := int64(0); ; {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		last, n, err := p.links(after)
		if err != nil {
			return fmt.Errorf("preview: relationships: %w", err)
		}
		if n == 0 {
			return nil
		}
		after = last
	}
}

// audiences returns who may read a version of label in coll before and
// after the change, before rule 9: the collection's readers ∩ the
// label's audience.
func (p *preview) audiences(coll string, label int64) (liaison.Audience, liaison.Audience, error) {
	l, ok := p.labels[label]
	if !ok {
		return nil, nil, fmt.Errorf("preview: label %d is missing", label)
	}
	var out [2]liaison.Audience
	for i, s := range []*side{p.before, p.after} {
		la, err := s.label(p.tx, l)
		if err != nil {
			return nil, nil, err
		}
		rd, err := s.w.readers(coll)
		if err != nil {
			return nil, nil, err
		}
		out[i] = rd.Intersect(la)
	}
	return out[0], out[1], nil
}

// links counts one batch of relationship versions after vid, and returns
// the last vid and how many it counted.
func (p *preview) links(after int64) (int64, int, error) {
	type link struct {
		vid   int64
		coll  string
		label int64
		ends  []string
	}
	var batch []link
	err := eachRow(p.tx, func(rows Rows) error {
		var l link
		var ends string
		if err := rows.Scan(&l.vid, &l.coll, &l.label, &ends); err != nil {
			return err
		}
		l.ends = strings.Split(ends, ",")
		batch = append(batch, l)
		return nil
	}, `SELECT vid, collection, label_id, ends FROM versions WHERE ends != '' AND vid > ? ORDER BY vid LIMIT ?`, after, previewBatch)
	if err != nil || len(batch) == 0 {
		return after, 0, err
	}
	var ids []string
	for _, l := range batch {
		ids = append(ids, l.ends...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	readers, err := p.endReaders(ids)
	if err != nil {
		return after, 0, err
	}
	for _, l := range batch {
		b, a, err := p.audiences(l.coll, l.label)
		if err != nil {
			return after, 0, err
		}
		for _, e := range l.ends {
			if rd, ok := readers[e]; ok {
				b, a = b.Intersect(rd[0]), a.Intersect(rd[1])
			}
		}
		p.count.add(b, a, 1)
		p.versions++
	}
	return batch[len(batch)-1].vid, len(batch), nil
}

// endReaders returns, for each of ids stored here, who may read it
// somewhere before and after the change: the union over the collections
// holding it of the collection's readers ∩ its versions' label
// audiences.
func (p *preview) endReaders(ids []string) (map[string][2]liaison.Audience, error) {
	out := map[string][2]liaison.Audience{}
	err := forChunks(ids, func(part []string) error {
		type row struct {
			id, coll string
			label    int64
		}
		var rs []row
		err := eachRow(p.tx, func(rows Rows) error {
			var r row
			if err := rows.Scan(&r.id, &r.coll, &r.label); err != nil {
				return err
			}
			rs = append(rs, r)
			return nil
		}, `SELECT id, collection, label_id FROM versions WHERE id IN (SELECT value FROM json_each(?))`, Strings(part))
		if err != nil {
			return err
		}
		for _, r := range rs {
			b, a, err := p.audiences(r.coll, r.label)
			if err != nil {
				return err
			}
			cur := out[r.id]
			out[r.id] = [2]liaison.Audience{union(cur[0], b), union(cur[1], a)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, rd := range out {
		for i := range rd {
			if rd[i] == nil {
				rd[i] = liaison.Audience{}
			}
		}
		out[id] = rd
	}
	return out, nil
}

// RecordObjectiveProgress records progress on an objective of a
// programme, and sets p.ID and p.At. EINVALID if the agreement is not a
// programme or has no such objective; ENOTFOUND if there is no agreement
// with that id.
func (o *Office) RecordObjectiveProgress(ctx context.Context, p *liaison.ObjectiveProgress) error {
	if p == nil {
		return liaison.Errorf(liaison.EINVALID, "progress is missing")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p.By == "" {
		return liaison.Errorf(liaison.EINVALID, "by: want the name of the user who records the progress")
	}
	at := o.Clock()
	var id int64
	err := o.inWrite(ctx, "RecordObjectiveProgress", func(tx Tx) error {
		a, err := agreementByID(tx, p.Agreement)
		if err != nil {
			return err
		}
		if a.Kind != liaison.Programme {
			return liaison.Errorf(liaison.EINVALID, "agreement: %d is a security agreement, not a programme with objectives", a.ID)
		}
		if p.Objective >= len(a.Objectives) {
			return liaison.Errorf(liaison.EINVALID, "objective: programme %s has %d objective(s); want a number from 1 to %d", a.Name, len(a.Objectives), len(a.Objectives))
		}
		return tx.QueryRow(`INSERT INTO objective_progress (agreement, objective, percent, note, by_user, at_us) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Agreement, p.Objective, p.Percent, p.Note, p.By, Micros(at)).Scan(&id)
	})
	if err == nil {
		p.ID, p.At = id, at
	}
	return err
}

// agreementByID reads one agreement. ENOTFOUND if there is none.
func agreementByID(tx Tx, id int64) (liaison.Agreement, error) {
	rows, err := tx.Query(strings.Replace(AgreementsQuery, "ORDER BY id", "WHERE id = ?", 1), id)
	if err != nil {
		return liaison.Agreement{}, fmt.Errorf("load agreement: %w", err)
	}
	as, err := ScanAgreements(rows)
	if err != nil {
		return liaison.Agreement{}, err
	}
	if len(as) == 0 {
		return liaison.Agreement{}, liaison.NotFound("agreement", fmt.Sprint(id))
	}
	return as[0], nil
}

// ObjectiveProgress returns the progress records of a programme, oldest
// first. ENOTFOUND if there is no such agreement.
func (o *Office) ObjectiveProgress(ctx context.Context, agreement int64) ([]liaison.ObjectiveProgress, error) {
	out := []liaison.ObjectiveProgress{}
	err := o.inRead(ctx, "ObjectiveProgress", func(tx Tx) error {
		if _, err := agreementByID(tx, agreement); err != nil {
			return err
		}
		return eachRow(tx, func(rows Rows) error {
			var p liaison.ObjectiveProgress
			var at int64
			if err := rows.Scan(&p.ID, &p.Agreement, &p.Objective, &p.Percent, &p.Note, &p.By, &at); err != nil {
				return err
			}
			p.At = FromMicros(at)
			out = append(out, p)
			return nil
		}, `SELECT id, agreement, objective, percent, note, by_user, at_us FROM objective_progress WHERE agreement = ? ORDER BY id`, agreement)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
