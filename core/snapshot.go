package core

// Export and Import of a whole office for `liaison copy` (SQLite ⇄
// PostgreSQL). Operator-only: see liaison.Snapshotter. It touches no read
// path.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"liaison"
)

// exportBatch is how many object versions one exported part carries.
const exportBatch = 1000

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Export emits the whole office, unfiltered, for `liaison copy`, from one
// read transaction, with audiences brought up to the store's clock first.
func (o *Office) Export(ctx context.Context, emit func(liaison.SnapshotPart) error) error {
	if err := o.Freshen(ctx); err != nil {
		return err
	}
	if err := o.writeConsult(ctx, "Export", func(*Write) error { return nil }); err != nil {
		return err
	}
	return o.inRead(ctx, "Export", func(tx Tx) error {
		var t liaison.SnapshotTotals
		if err := tx.QueryRow(`SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM users), (SELECT count(*) FROM tokens),
			(SELECT count(*) FROM collections), (SELECT count(*) FROM versions), (SELECT count(*) FROM consultations),
			(SELECT count(*) FROM contributions), (SELECT count(*) FROM proposals)`).Scan(
			&t.Organisations, &t.Users, &t.Tokens, &t.Collections, &t.Versions, &t.Consultations, &t.Contributions, &t.Proposals); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		d, err := o.Snapshot(tx, -1, false)
		if err != nil {
			return err
		}
		if err := emit(liaison.SnapshotPart{Totals: &t, Organisations: d.Orgs, Communities: d.Communities, Agreements: d.Agreements}); err != nil {
			return err
		}
		var p liaison.SnapshotPart
		if err := each(tx, `SELECT id, name, org, roles, password, created_us, disabled FROM users ORDER BY id`, func(r Rows) error {
			var u liaison.UserRecord
			var roles string
			var created int64
			if err := r.Scan(&u.ID, &u.Name, &u.Org, &roles, &u.PasswordHash, &created, &u.Disabled); err != nil {
				return err
			}
			u.Roles, u.Created = splitRoles(roles), FromMicros(created)
			p.Users = append(p.Users, u)
			return nil
		}); err != nil {
			return fmt.Errorf("export users: %w", err)
		}
		if err := each(tx, `SELECT t.id, u.name, t.hash, t.created_us, t.revoked FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_us, t.id`, func(r Rows) error {
			var t liaison.TokenRecord
			var created int64
			if err := r.Scan(&t.ID, &t.User, &t.Hash, &created, &t.Revoked); err != nil {
				return err
			}
			t.Created = FromMicros(created)
			p.Tokens = append(p.Tokens, t)
			return nil
		}); err != nil {
			return fmt.Errorf("export tokens: %w", err)
		}
		if err := each(tx, `SELECT body FROM markings ORDER BY id`, func(r Rows) error {
			var body string
			var m liaison.Marking
			if err := r.Scan(&body); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				return err
			}
			p.Markings = append(p.Markings, m)
			return nil
		}); err != nil {
			return fmt.Errorf("export markings: %w", err)
		}
		if err := each(tx, `SELECT `+CollectionCols+`, last_added_us FROM collections ORDER BY id`, func(r Rows) error {
			var last int64
			c, err := ScanCollection(rowWith{r, &last})
			if err != nil {
				return err
			}
			p.Collections = append(p.Collections, liaison.CollectionRecord{Collection: c, LastAdded: FromMicros(last)})
			return nil
		}); err != nil {
			return fmt.Errorf("export collections: %w", err)
		}
		if err := emit(p); err != nil {
			return err
		}
		batch := make([]liaison.VersionRecord, 0, exportBatch)
		if err := each(tx, `SELECT v.collection, v.id, v.type, v.spec_version, v.version_us, v.date_added_us, v.originator, v.default_marking,
				l.markings, v.ends, v.granular_refs, a.key, v.raw, l.carried, l.via
			FROM versions v JOIN labels l ON l.id = v.label_id JOIN audiences a ON a.id = v.audience_id
			ORDER BY v.collection, v.date_added_us`, func(r Rows) error {
			var v liaison.VersionRecord
			var ver, added int64
			var marks, ends, granular, aud, carried string
			if err := r.Scan(&v.Collection, &v.ID, &v.Type, &v.SpecVersion, &ver, &added, &v.Originator, &v.DefaultMarking,
				&marks, &ends, &granular, &aud, &v.Raw, &carried, &v.Via); err != nil {
				return err
			}
			v.Modified, v.DateAdded = FromMicros(ver), FromMicros(added)
			v.Markings, v.Ends, v.GranularRefs = splitNonEmpty(marks), splitNonEmpty(ends), splitNonEmpty(granular)
			v.Audience = liaison.ParseAudienceKey(aud)
			if carried != localLabel {
				c := liaison.ParseAudienceKey(carried)
				v.Carried = &c
			}
			batch = append(batch, v)
			if len(batch) == exportBatch {
				if err := emit(liaison.SnapshotPart{Versions: batch}); err != nil {
					return err
				}
				batch = make([]liaison.VersionRecord, 0, exportBatch)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("export versions: %w", err)
		}
		if len(batch) > 0 {
			if err := emit(liaison.SnapshotPart{Versions: batch}); err != nil {
				return err
			}
		}
		return exportRest(tx, emit)
	})
}

// rowWith scans a row into a scanner's targets plus extra ones.
type rowWith struct {
	r     Rows
	extra *int64
}

func (rw rowWith) Scan(dest ...any) error { return rw.r.Scan(append(dest, rw.extra)...) }

// each runs query and calls fn on every row.
func each(tx Tx, query string, fn func(Rows) error) error { return eachRow(tx, fn, query) }

func exportRest(tx Tx, emit func(liaison.SnapshotPart) error) error {
	var p liaison.SnapshotPart
	if err := each(tx, `SELECT body FROM statuses ORDER BY id`, func(r Rows) error {
		var body string
		var st liaison.Status
		if err := r.Scan(&body); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			return err
		}
		p.Statuses = append(p.Statuses, st)
		return nil
	}); err != nil {
		return fmt.Errorf("export statuses: %w", err)
	}
	if err := each(tx, `SELECT id, body FROM consultations ORDER BY id`, func(r Rows) error {
		var id int64
		var body string
		if err := r.Scan(&id, &body); err != nil {
			return err
		}
		c, err := decodeConsultation(id, body)
		p.Consultations = append(p.Consultations, c)
		return err
	}); err != nil {
		return fmt.Errorf("export consultations: %w", err)
	}
	if err := each(tx, `SELECT `+contributionCols+` FROM contributions k ORDER BY k.id`, func(r Rows) error {
		k, err := scanContribution(r)
		p.Contributions = append(p.Contributions, k)
		return err
	}); err != nil {
		return fmt.Errorf("export contributions: %w", err)
	}
	if err := loadHistory(tx, p.Contributions); err != nil {
		return err
	}
	var ids []int64
	if err := each(tx, `SELECT id, proposer, procedure, marking, created_us FROM proposals ORDER BY id`, func(r Rows) error {
		var pr liaison.Proposal
		var mk string
		var created int64
		if err := r.Scan(&pr.ID, &pr.Proposer, &pr.Procedure, &mk, &created); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(mk), &pr.Marking); err != nil {
			return err
		}
		pr.Created = FromMicros(created)
		p.Proposals = append(p.Proposals, pr)
		ids = append(ids, pr.ID)
		return nil
	}); err != nil {
		return fmt.Errorf("export proposals: %w", err)
	}
	recs, err := readRecords(tx, ids)
	if err != nil {
		return err
	}
	for i := range p.Proposals {
		p.Proposals[i].Record = recs[p.Proposals[i].ID]
	}
	return emit(p)
}

// Import writes an exported office into this empty store in one writer
// transaction, keeping every id, password and token hash, date_added,
// originator and audience. ECONFLICT if the store holds any organisation,
// user or collection already; if export or any part fails, nothing is
// written.
func (o *Office) Import(ctx context.Context, export func(emit func(liaison.SnapshotPart) error) error) error {
	var w *Write
	err := o.inWrite(ctx, "Import", func(tx Tx) error {
		var used bool
		if err := tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM organisations) OR EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM collections)`).Scan(&used); err != nil {
			return err
		}
		if used {
			return liaison.Errorf(liaison.ECONFLICT, "the target store holds data already: copy only into an empty store")
		}
		var err error
		if w, err = o.Begin(ctx, tx); err != nil {
			return err
		}
		im := &importer{w: w, users: map[string]int64{}}
		if err := export(im.part); err != nil {
			return err
		}
		if err := im.finish(); err != nil {
			return err
		}
		return w.flushSearch()
	})
	if err != nil {
		return err
	}
	w.Committed()
	return nil
}

// AfterImport is what a store may implement to put its own house in
// order once an import has written every row with its ids (PostgreSQL
// moves its identity sequences past them).
type AfterImport interface {
	AfterImport(tx Tx) error
}

// importer writes the parts of an export through one writer transaction.
type importer struct {
	w    *Write
	keys map[[3]string]bool // versions imported so far: collection, id, version
	// insts are the instances imported so far: collection, id, version,
	// originator. The stores' versions_key need not be unique (SQLite's is
	// the id alone), so a snapshot that names one instance twice is
	// refused here.
	insts map[[4]string]bool
	users map[string]int64
	orgs  []liaison.Organisation
	comms []liaison.Community
	agrs  []liaison.Agreement
}

// exec runs one prepared statement of the transaction.
func (im *importer) exec(what, q string, args ...any) error {
	if _, err := im.w.tx.Exec(q, args...); err != nil {
		return fmt.Errorf("import %s: %w", what, err)
	}
	return nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (im *importer) part(p liaison.SnapshotPart) error {
	w := im.w
	if err := w.ctx.Err(); err != nil {
		return err
	}
	for _, o := range p.Organisations {
		if err := im.exec("organisation", `INSERT INTO organisations (code, name, kind, time_zone) VALUES (?, ?, ?, ?)`, o.Code, o.Name, string(o.Kind), o.TimeZone); err != nil {
			return err
		}
	}
	for _, c := range p.Communities {
		if err := im.exec("community", `INSERT INTO communities (name, members) VALUES (?, ?)`, c.Name, Strings(nonNil(c.Members))); err != nil {
			return err
		}
	}
	for _, a := range p.Agreements {
		args := agreementArgs(a)
		if err := im.exec("agreement", `INSERT INTO agreements (id, partner, kind, name, max_classification, from_us, until_us, areas, objectives) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{a.ID}, args...)...); err != nil {
			return err
		}
	}
	if len(p.Organisations)+len(p.Communities)+len(p.Agreements) > 0 {
		im.orgs = append(im.orgs, p.Organisations...)
		im.comms = append(im.comms, p.Communities...)
		im.agrs = append(im.agrs, p.Agreements...)
		w.dir = liaison.NewDirectory(im.orgs, im.comms, im.agrs, w.now)
		if _, err := w.tx.Exec(`UPDATE store_state SET directory_version = directory_version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("import: bump directory version: %w", err)
		}
	}
	for _, u := range p.Users {
		if err := im.exec("user", `INSERT INTO users (id, name, org, roles, password, created_us, disabled) VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Name, u.Org, joinRoles(u.Roles), u.PasswordHash, Micros(u.Created), u.Disabled); err != nil {
			return err
		}
		im.users[u.Name] = u.ID
	}
	for _, t := range p.Tokens {
		uid, ok := im.users[t.User]
		if !ok {
			return liaison.Errorf(liaison.EINVALID, "import: token %s belongs to %q, who is not among the users", t.ID, t.User)
		}
		if err := im.exec("token", `INSERT INTO tokens (id, user_id, hash, created_us, revoked) VALUES (?, ?, ?, ?, ?)`, t.ID, uid, t.Hash, Micros(t.Created), t.Revoked); err != nil {
			return err
		}
	}
	for _, m := range p.Markings {
		if err := im.exec("marking", `INSERT INTO markings (id, body) VALUES (?, ?)`, m.ID, jsonText(m)); err != nil {
			return err
		}
		w.newMarking[m.ID] = m
	}
	for _, c := range p.Collections {
		if err := im.exec("collection", `INSERT INTO collections (`+CollectionCols+`, last_added_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Title, c.Description, c.Topic, Strings(nonNil(c.Read)), Strings(nonNil(c.Write)), c.DefaultMarking, Micros(c.Created), Micros(c.LastAdded)); err != nil {
			return err
		}
	}
	rows := make([]VersionRow, 0, len(p.Versions))
	if im.keys == nil {
		im.keys = map[[3]string]bool{}
		im.insts = map[[4]string]bool{}
	}
	for _, v := range p.Versions {
		// Exports come in date_added order within a collection: the first
		// instance of a version comes first, the later are shadows.
		key := [3]string{v.Collection, v.ID, fmt.Sprint(Micros(v.Modified))}
		inst := [4]string{key[0], key[1], key[2], v.Originator}
		if im.insts[inst] {
			return liaison.Errorf(liaison.EINVALID, "import: version %s of %s from %s is in collection %s twice", v.Modified.Format(time.RFC3339Nano), v.ID, v.Originator, v.Collection)
		}
		im.insts[inst] = true
		shadow := im.keys[key]
		im.keys[key] = true
		carried := localLabel
		if v.Carried != nil {
			carried = liaison.NewAudience(*v.Carried...).Key()
		}
		lab, err := w.labelOf(v.Originator, SortedRefs(v.Markings), carried, v.Via)
		if err != nil {
			return err
		}
		aid, err := w.audienceID(liaison.NewAudience(v.Audience...))
		if err != nil {
			return err
		}
		rows = append(rows, VersionRow{Collection: v.Collection, ID: v.ID, Version: Micros(v.Modified), DateAdded: Micros(v.DateAdded),
			Type: v.Type, SpecVersion: v.SpecVersion, Originator: v.Originator, DefaultMarking: v.DefaultMarking,
			LabelID: lab.id, AudienceID: aid, Ends: strings.Join(v.Ends, ","), GranularRefs: SortedRefs(v.GranularRefs), Raw: v.Raw, Shadow: shadow})
	}
	if err := w.insert(rows); err != nil {
		return fmt.Errorf("import versions: %w", err)
	}
	var rels []VersionRow
	for _, r := range rows {
		if r.Ends != "" {
			rels = append(rels, r)
		}
	}
	if err := w.insertEnds(rels); err != nil {
		return err
	}
	for _, st := range p.Statuses {
		if err := im.exec("status", `INSERT INTO statuses (id, org, body) VALUES (?, ?, ?)`, st.ID, st.Org, jsonText(st)); err != nil {
			return err
		}
	}
	for _, c := range p.Consultations {
		aid, err := w.consultationAudience(c)
		if err != nil {
			return err
		}
		body, err := encodeConsultation(c)
		if err != nil {
			return err
		}
		if err := im.exec("consultation", `INSERT INTO consultations (id, convenor, status, body, audience_id, created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Convenor, c.Status, body, aid, Micros(c.Created), Micros(c.Updated)); err != nil {
			return err
		}
	}
	for _, k := range p.Contributions {
		if err := im.exec("contribution", `INSERT INTO contributions (id, consultation_id, agenda_item, author_id, author, org, text, refs, withdrawn, created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Consultation, k.AgendaItem, k.AuthorID, k.Author, k.Org, k.Text, Strings(nonNil(k.Refs)), k.Withdrawn, Micros(k.Created), Micros(k.Updated)); err != nil {
			return err
		}
		for i, h := range k.History {
			if err := im.exec("contribution history", `INSERT INTO contribution_history (contribution_id, seq, text, refs, at_us, change, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				k.ID, i+1, h.Text, Strings(nonNil(h.Refs)), Micros(h.At), h.Change, h.Reason); err != nil {
				return err
			}
		}
	}
	for _, pr := range p.Proposals {
		aid, err := w.proposalAudience(pr)
		if err != nil {
			return err
		}
		if err := im.exec("proposal", `INSERT INTO proposals (id, proposer, procedure, marking, audience_id, created_us) VALUES (?, ?, ?, ?, ?, ?)`,
			pr.ID, pr.Proposer, pr.Procedure, jsonText(pr.Marking), aid, Micros(pr.Created)); err != nil {
			return err
		}
		for _, a := range pr.Record {
			if err := w.appendAction(pr.ID, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish records the directory the audiences were computed against.
func (im *importer) finish() error {
	w := im.w
	if after, ok := w.o.db.(AfterImport); ok {
		if err := after.AfterImport(w.tx); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	until := Micros(w.dir.NextChange())
	if _, err := w.tx.Exec(`UPDATE store_state SET audiences_valid_until_us = ? WHERE id = 1`, until); err != nil {
		return fmt.Errorf("import: state: %w", err)
	}
	if _, err := w.tx.Exec(`UPDATE consult_state SET directory_version = (SELECT directory_version FROM store_state WHERE id = 1), valid_until_us = ? WHERE id = 1`, until); err != nil {
		return fmt.Errorf("import: consult state: %w", err)
	}
	return nil
}
