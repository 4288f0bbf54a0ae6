package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/stix"
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

// label returns the audience of the stored label under the side's
// directory.
func (s *side) label(l storedLabel) (liaison.Audience, error) {
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
// organisation, how many stored versions it reads now and how many it
// would read after the change. "Now" is what the store enforces: each
// version's stored audience within its collection's read list, with the
// shadow rule, exactly as the read filter applies them. "After" is
// computed as a recompute would: the read list under the changed
// directory, then the label's audience by Directory.AudienceOf, then rule
// 9 for relationships and sightings against their ends' readers. Admins
// only.
//
// Memory stays bounded whatever the store holds: plain versions are
// counted by one GROUP BY on (collection, label, audience), and
// relationships and shadow instances are read in batches of previewBatch
// with the versions of their ends; only links that are themselves ends
// of links (chains, which are few) are settled together, to rule 9's
// greatest fixpoint as the recompute does, and remembered for the run.
func (o *Office) PreviewDirectory(ctx context.Context, reader liaison.Principal, c liaison.DirectoryChange) (liaison.DirectoryEffect, error) {
	var eff liaison.DirectoryEffect
	if !reader.HasRole(liaison.RoleAdmin) {
		return eff, liaison.Errorf(liaison.EFORBIDDEN, "the effect preview is for the office's admins")
	}
	// "Now" is the stored audiences: right for this instant first.
	if err := o.Freshen(ctx); err != nil {
		return eff, err
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
		if _, ok := before.Organisation(reader.Org); !ok {
			// An admin of no organisation on the hub is nobody's admin.
			return liaison.Errorf(liaison.EFORBIDDEN, "the effect preview is for the office's admins")
		}
		afterSnap, err := changed(snap, before, c)
		if err != nil {
			return err
		}
		p := &preview{tx: tx, ctx: ctx, o: o, count: counter{}, labels: map[int64]storedLabel{}, linkMemo: map[string]liaison.Audience{},
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
	o             *Office
	before, after *side
	labels        map[int64]storedLabel
	count         counter
	versions      int64
	linkMemo      map[string]liaison.Audience // readers after the change of links that are ends, settled
}

// prow is one stored version as the preview weighs it.
type prow struct {
	vid            int64
	coll, id       string
	version, added int64
	label, aud     int64
	ends           []string
	shadow         bool
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
	// Plain versions (not links, not shadow instances): counted per
	// collection, label and stored audience.
	type group struct {
		coll       string
		label, aud int64
		n          int64
	}
	var groups []group
	err = eachRow(p.tx, func(rows Rows) error {
		var g group
		if err := rows.Scan(&g.coll, &g.label, &g.aud, &g.n); err != nil {
			return err
		}
		groups = append(groups, g)
		return nil
	}, `SELECT collection, label_id, audience_id, count(*) FROM versions WHERE ends = '' AND shadow = 0 GROUP BY collection, label_id, audience_id`)
	if err != nil {
		return fmt.Errorf("preview: versions: %w", err)
	}
	for _, g := range groups {
		b, err := p.now(g.coll, g.aud)
		if err != nil {
			return err
		}
		a, err := p.computed(g.coll, g.label)
		if err != nil {
			return err
		}
		p.count.add(b, a, g.n)
		p.versions += g.n
	}
	// Links, then versions with several instances, a batch at a time.
	for _, step := range []func(int64) (int64, int, error){p.links, p.shadows} {
		for after := int64(0); ; {
			if err := p.ctx.Err(); err != nil {
				return err
			}
			last, n, err := step(after)
			if err != nil {
				return fmt.Errorf("preview: %w", err)
			}
			if n == 0 {
				break
			}
			after = last
		}
	}
	return nil
}

// now returns who reads a version with the stored audience aud in coll
// now: the collection's readers ∩ the audience.
func (p *preview) now(coll string, aud int64) (liaison.Audience, error) {
	a, err := p.o.Audience(p.tx, aud)
	if err != nil {
		return nil, err
	}
	rd, err := p.before.w.readers(coll)
	if err != nil {
		return nil, err
	}
	return rd.Intersect(a), nil
}

// computed returns who would read a version of label in coll after the
// change, before rule 9: the collection's readers ∩ the label's audience.
func (p *preview) computed(coll string, label int64) (liaison.Audience, error) {
	l, ok := p.labels[label]
	if !ok {
		return nil, fmt.Errorf("preview: label %d is missing", label)
	}
	la, err := p.after.label(l)
	if err != nil {
		return nil, err
	}
	rd, err := p.after.w.readers(coll)
	if err != nil {
		return nil, err
	}
	return rd.Intersect(la), nil
}

// after is computed with rule 9 against the ends' readers after the
// change (readers, which must hold every stored end of r).
func (p *preview) afterAudience(r prow, readers map[string]liaison.Audience) (liaison.Audience, error) {
	a, err := p.computed(r.coll, r.label)
	if err != nil {
		return nil, err
	}
	for _, e := range r.ends {
		if rd, ok := readers[e]; ok {
			a = a.Intersect(rd)
		}
	}
	return a, nil
}

const prowCols = `vid, collection, id, version_us, date_added_us, label_id, audience_id, ends, shadow`

func scanProw(rows Rows) (prow, error) {
	var r prow
	var ends string
	var shadow int64
	if err := rows.Scan(&r.vid, &r.coll, &r.id, &r.version, &r.added, &r.label, &r.aud, &ends, &shadow); err != nil {
		return r, err
	}
	if ends != "" {
		r.ends = strings.Split(ends, ",")
	}
	r.shadow = shadow != 0
	return r, nil
}

// pair is who reads a stored version now and who would after.
func (p *preview) pair(r prow, readers map[string]liaison.Audience) (liaison.Audience, liaison.Audience, error) {
	b, err := p.now(r.coll, r.aud)
	if err != nil {
		return nil, nil, err
	}
	a, err := p.afterAudience(r, readers)
	return b, a, err
}

// readersOf returns the readers after the change of every end of rows.
func (p *preview) readersOf(rows []prow) (map[string]liaison.Audience, error) {
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ends...)
	}
	slices.Sort(ids)
	return p.endReaders(slices.Compact(ids))
}

// links counts one batch of the first instances of links after vid, and
// returns the last vid and how many it read.
func (p *preview) links(after int64) (int64, int, error) {
	var rows []prow
	err := eachRow(p.tx, func(rs Rows) error {
		r, err := scanProw(rs)
		rows = append(rows, r)
		return err
	}, `SELECT `+prowCols+` FROM versions WHERE ends != '' AND shadow = 0 AND vid > ? ORDER BY vid LIMIT ?`, after, previewBatch)
	if err != nil {
		return after, 0, fmt.Errorf("relationships: %w", err)
	}
	if len(rows) == 0 {
		return after, 0, nil
	}
	readers, err := p.readersOf(rows)
	if err != nil {
		return after, 0, err
	}
	for _, r := range rows {
		b, a, err := p.pair(r, readers)
		if err != nil {
			return after, 0, err
		}
		p.count.add(b, a, 1)
		p.versions++
	}
	return rows[len(rows)-1].vid, len(rows), nil
}

// shadows counts one batch of versions stored in several instances (see
// "Writes over hidden versions"): a reader reads such a version when it
// may read any of its instances, and the first instance was counted
// already on its own, so that count is replaced by the version's.
func (p *preview) shadows(after int64) (int64, int, error) {
	var rows []prow
	err := eachRow(p.tx, func(rs Rows) error {
		r, err := scanProw(rs)
		rows = append(rows, r)
		return err
	}, `SELECT `+prowCols+` FROM versions WHERE shadow != 0 AND vid > ? ORDER BY vid LIMIT ?`, after, previewBatch)
	if err != nil {
		return after, 0, fmt.Errorf("instances: %w", err)
	}
	if len(rows) == 0 {
		return after, 0, nil
	}
	for _, r := range rows {
		var all []prow
		err := eachRow(p.tx, func(rs Rows) error {
			e, err := scanProw(rs)
			all = append(all, e)
			return err
		}, `SELECT `+prowCols+` FROM versions WHERE idk = ? AND id = ? AND collection = ? AND version_us = ? ORDER BY date_added_us`, stix.IDKey(r.id), r.id, r.coll, r.version)
		if err != nil {
			return after, 0, fmt.Errorf("instances: %w", err)
		}
		// The version is weighed once, with its earliest shadow instance.
		if i := slices.IndexFunc(all, func(e prow) bool { return e.shadow }); i < 0 || all[i].vid != r.vid {
			continue
		}
		readers, err := p.readersOf(all)
		if err != nil {
			return after, 0, err
		}
		var kb, ka liaison.Audience
		for _, e := range all {
			b, a, err := p.pair(e, readers)
			if err != nil {
				return after, 0, err
			}
			if !e.shadow {
				p.count.add(b, a, -1)
			}
			kb, ka = union(kb, b), union(ka, a)
		}
		if kb == nil {
			kb = liaison.Audience{}
		}
		if ka == nil {
			ka = liaison.Audience{}
		}
		p.count.add(kb, ka, 1)
	}
	return rows[len(rows)-1].vid, len(rows), nil
}

// endReaders returns, for each of ids stored here, who would read it
// somewhere after the change: the union over its versions of their
// collection's readers ∩ their audience, with rule 9 for the versions
// that are links themselves. Links reached through ends are settled
// together to the greatest fixpoint, as the recompute does (each starts
// at its label's audience and only narrows), and remembered for the run:
// chains of links are few, so the memory that takes is too.
func (p *preview) endReaders(ids []string) (map[string]liaison.Audience, error) {
	out := map[string]liaison.Audience{}
	rowsOf := map[string][]prow{}
	var frontier []string
	seen := map[string]bool{}
	for _, id := range ids {
		if a, ok := p.linkMemo[id]; ok {
			out[id] = a
		} else if !seen[id] {
			seen[id] = true
			frontier = append(frontier, id)
		}
	}
	for len(frontier) > 0 {
		var next []string
		err := forChunks(frontier, func(part []string) error {
			var rs []prow
			err := eachRow(p.tx, func(rows Rows) error {
				r, err := scanProw(rows)
				rs = append(rs, r)
				return err
			}, `SELECT `+prowCols+` FROM versions v WHERE `+byIDs, idArgs(part)...)
			for _, r := range rs {
				rowsOf[r.id] = append(rowsOf[r.id], r)
				for _, e := range r.ends {
					if _, ok := p.linkMemo[e]; !ok && !seen[e] {
						seen[e] = true
						next = append(next, e)
					}
				}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		frontier = next
	}
	// Each version's audience: plain ones fixed, links narrowing.
	cur := map[int64]liaison.Audience{}
	for _, rs := range rowsOf {
		for _, r := range rs {
			a, err := p.computed(r.coll, r.label)
			if err != nil {
				return nil, err
			}
			cur[r.vid] = a
		}
	}
	readersOf := func(id string) (liaison.Audience, bool) {
		if a, ok := p.linkMemo[id]; ok {
			return a, true
		}
		rs, ok := rowsOf[id]
		if !ok {
			return nil, false // stored nowhere: no narrowing
		}
		u := liaison.Audience{}
		for _, r := range rs {
			u = union(u, cur[r.vid])
		}
		return u, true
	}
	for changed := true; changed; {
		changed = false
		for _, rs := range rowsOf {
			for _, r := range rs {
				if len(r.ends) == 0 {
					continue
				}
				a, err := p.computed(r.coll, r.label)
				if err != nil {
					return nil, err
				}
				for _, e := range r.ends {
					if rd, ok := readersOf(e); ok {
						a = a.Intersect(rd)
					}
				}
				if !slices.Equal(a, cur[r.vid]) {
					cur[r.vid], changed = a, true
				}
			}
		}
		if err := p.ctx.Err(); err != nil {
			return nil, err
		}
	}
	asked := map[string]bool{}
	for _, id := range ids {
		asked[id] = true
	}
	for id, rs := range rowsOf {
		rd, _ := readersOf(id)
		if slices.ContainsFunc(rs, func(r prow) bool { return len(r.ends) > 0 }) {
			p.linkMemo[id] = rd
		}
		if asked[id] {
			out[id] = rd
		}
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
