package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"liaison"
)

// exportBatch is how many object versions one exported part carries.
const exportBatch = 1000

// Export emits the whole office, unfiltered, for `liaison copy`. It is
// operator-only (see liaison.Snapshotter): no reader-facing path calls it.
// Audiences are brought up to the store's clock first; everything is read
// from one REPEATABLE READ snapshot.
func (s *Store) Export(ctx context.Context, emit func(liaison.SnapshotPart) error) error {
	const op = "postgres.Export"
	if err := s.freshen(ctx); err != nil {
		return err
	}
	if err := s.freshenConsult(ctx); err != nil {
		return err
	}
	return s.inRead(ctx, op, func(tx pgx.Tx) error {
		var t liaison.SnapshotTotals
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM users), (SELECT count(*) FROM tokens),
			(SELECT count(*) FROM collections), (SELECT count(*) FROM versions), (SELECT count(*) FROM consultations),
			(SELECT count(*) FROM contributions), (SELECT count(*) FROM proposals)`).Scan(
			&t.Organisations, &t.Users, &t.Tokens, &t.Collections, &t.Versions, &t.Consultations, &t.Contributions, &t.Proposals); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		d, err := s.snapshot(ctx, tx, -1, false)
		if err != nil {
			return err
		}
		if err := emit(liaison.SnapshotPart{Totals: &t, Organisations: d.orgs, Communities: d.communities, Agreements: d.agreements}); err != nil {
			return err
		}
		if err := exportUsers(ctx, tx, emit); err != nil {
			return err
		}
		if err := exportMarkings(ctx, tx, emit); err != nil {
			return err
		}
		if err := exportVersions(ctx, tx, emit); err != nil {
			return err
		}
		return exportRest(ctx, tx, emit)
	})
}

func exportUsers(ctx context.Context, tx pgx.Tx, emit func(liaison.SnapshotPart) error) error {
	rows, err := tx.Query(ctx, `SELECT id, name, org, roles, password, created_us FROM users ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export users: %w", err)
	}
	var us []liaison.UserRecord
	for rows.Next() {
		var u liaison.UserRecord
		var roles string
		var created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Org, &roles, &u.PasswordHash, &created); err != nil {
			rows.Close()
			return err
		}
		u.Roles, u.Created = splitRoles(roles), fromMicros(created)
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export users: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT t.id, u.name, t.hash, t.created_us, t.revoked FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_us, t.id`)
	if err != nil {
		return fmt.Errorf("export tokens: %w", err)
	}
	var ts []liaison.TokenRecord
	for rows.Next() {
		var t liaison.TokenRecord
		var created int64
		if err := rows.Scan(&t.ID, &t.User, &t.Hash, &created, &t.Revoked); err != nil {
			rows.Close()
			return err
		}
		t.Created = fromMicros(created)
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export tokens: %w", err)
	}
	return emit(liaison.SnapshotPart{Users: us, Tokens: ts})
}

func exportMarkings(ctx context.Context, tx pgx.Tx, emit func(liaison.SnapshotPart) error) error {
	rows, err := tx.Query(ctx, `SELECT body FROM markings ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export markings: %w", err)
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("export markings: %w", err)
	}
	ms := make([]liaison.Marking, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal([]byte(b), &ms[i]); err != nil {
			return fmt.Errorf("export markings: %w", err)
		}
	}
	rows, err = tx.Query(ctx, `SELECT `+collectionCols+`, last_added_us FROM collections ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export collections: %w", err)
	}
	var cs []liaison.CollectionRecord
	for rows.Next() {
		var c liaison.CollectionRecord
		var created, last int64
		if err := rows.Scan(&c.ID, &c.Title, &c.Description, &c.Topic, &c.Read, &c.Write, &c.DefaultMarking, &created, &last); err != nil {
			rows.Close()
			return err
		}
		c.Created, c.LastAdded = fromMicros(created), fromMicros(last)
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export collections: %w", err)
	}
	return emit(liaison.SnapshotPart{Markings: ms, Collections: cs})
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func exportVersions(ctx context.Context, tx pgx.Tx, emit func(liaison.SnapshotPart) error) error {
	rows, err := tx.Query(ctx, `SELECT v.collection, v.id, v.type, v.spec_version, v.version_us, v.date_added_us, v.originator, v.default_marking,
			l.markings, v.ends, v.granular_refs, a.key, v.raw
		FROM versions v JOIN labels l ON l.id = v.label_id JOIN audiences a ON a.id = v.audience_id
		ORDER BY v.collection, v.date_added_us`)
	if err != nil {
		return fmt.Errorf("export versions: %w", err)
	}
	defer rows.Close()
	batch := make([]liaison.VersionRecord, 0, exportBatch)
	for rows.Next() {
		var v liaison.VersionRecord
		var ver, added int64
		var marks, ends, granular, aud string
		if err := rows.Scan(&v.Collection, &v.ID, &v.Type, &v.SpecVersion, &ver, &added, &v.Originator, &v.DefaultMarking,
			&marks, &ends, &granular, &aud, &v.Raw); err != nil {
			return fmt.Errorf("export versions: %w", err)
		}
		v.Modified, v.DateAdded = fromMicros(ver), fromMicros(added)
		v.Markings, v.Ends, v.GranularRefs = splitNonEmpty(marks), splitNonEmpty(ends), splitNonEmpty(granular)
		v.Audience = liaison.ParseAudienceKey(aud)
		batch = append(batch, v)
		if len(batch) == exportBatch {
			if err := emit(liaison.SnapshotPart{Versions: batch}); err != nil {
				return err
			}
			batch = make([]liaison.VersionRecord, 0, exportBatch)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export versions: %w", err)
	}
	if len(batch) > 0 {
		return emit(liaison.SnapshotPart{Versions: batch})
	}
	return nil
}

// exportRest emits statuses, consultations with contributions, and
// proposals with their records.
func exportRest(ctx context.Context, tx pgx.Tx, emit func(liaison.SnapshotPart) error) error {
	rows, err := tx.Query(ctx, `SELECT body FROM statuses ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export statuses: %w", err)
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("export statuses: %w", err)
	}
	sts := make([]liaison.Status, len(bodies))
	for i, b := range bodies {
		if err := json.Unmarshal([]byte(b), &sts[i]); err != nil {
			return fmt.Errorf("export statuses: %w", err)
		}
	}
	rows, err = tx.Query(ctx, `SELECT id, body FROM consultations ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export consultations: %w", err)
	}
	var cs []liaison.Consultation
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return err
		}
		c, err := decodeConsultation(id, body)
		if err != nil {
			rows.Close()
			return err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export consultations: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT `+contributionCols+` FROM contributions k ORDER BY k.id`)
	if err != nil {
		return fmt.Errorf("export contributions: %w", err)
	}
	var ks []liaison.Contribution
	for rows.Next() {
		k, err := scanContribution(rows)
		if err != nil {
			rows.Close()
			return err
		}
		ks = append(ks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export contributions: %w", err)
	}
	if err := loadHistory(ctx, tx, ks); err != nil {
		return err
	}
	prs, err := readProposals(ctx, tx, "")
	if err != nil {
		return err
	}
	ps := make([]liaison.Proposal, len(prs))
	for i, p := range prs {
		ps[len(prs)-1-i] = p.Proposal // oldest first
	}
	return emit(liaison.SnapshotPart{Statuses: sts, Consultations: cs, Contributions: ks, Proposals: ps})
}

// Import writes an exported office into this empty store in one
// transaction, keeping every id, password and token hash, date_added,
// originator and audience; new versions go in with COPY. ECONFLICT if the
// store holds any organisation, user or collection already; if export or
// any part fails, nothing is written. Operator-only (see
// liaison.Snapshotter).
func (s *Store) Import(ctx context.Context, export func(emit func(liaison.SnapshotPart) error) error) error {
	const op = "postgres.Import"
	var w *wtx
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := lockState(ctx, tx); err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations) OR EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM collections)`).Scan(&used); err != nil {
			return err
		}
		if used {
			return liaison.Errorf(liaison.ECONFLICT, "the target store holds data already: copy only into an empty store")
		}
		w = s.newWtx(ctx, tx, s.clock())
		w.dir = liaison.NewDirectory(nil, nil, nil, w.now)
		im := &importer{w: w, users: map[string]int64{}}
		if err := export(im.part); err != nil {
			return err
		}
		return im.finish()
	})
	if err != nil {
		return err
	}
	w.commit()
	s.analyze(ctx) // the copy's reads plan well from the start
	return nil
}

// importer writes the parts of an export through one write transaction.
type importer struct {
	w     *wtx
	users map[string]int64
	orgs  []liaison.Organisation
	comms []liaison.Community
	agrs  []liaison.Agreement
}

func (im *importer) copyRows(table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := im.w.tx.CopyFrom(im.w.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("import %s: %w", table, err)
	}
	return nil
}

func (im *importer) part(p liaison.SnapshotPart) error {
	w, ctx := im.w, im.w.ctx
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(p.Organisations)+len(p.Communities)+len(p.Agreements) > 0 {
		var rows [][]any
		for _, o := range p.Organisations {
			rows = append(rows, []any{o.Code, o.Name, string(o.Kind), o.TimeZone})
		}
		if err := im.copyRows("organisations", []string{"code", "name", "kind", "time_zone"}, rows); err != nil {
			return err
		}
		rows = nil
		for _, c := range p.Communities {
			rows = append(rows, []any{c.Name, nonNil(c.Members)})
		}
		if err := im.copyRows("communities", []string{"name", "members"}, rows); err != nil {
			return err
		}
		rows = nil
		for _, a := range p.Agreements {
			rows = append(rows, append([]any{a.ID}, agreementArgs(a)...))
		}
		if err := im.copyRows("agreements", []string{"id", "partner", "kind", "name", "max_classification", "from_us", "until_us", "areas", "objectives"}, rows); err != nil {
			return err
		}
		im.orgs = append(im.orgs, p.Organisations...)
		im.comms = append(im.comms, p.Communities...)
		im.agrs = append(im.agrs, p.Agreements...)
		w.dir = liaison.NewDirectory(im.orgs, im.comms, im.agrs, w.now)
		if _, err := w.tx.Exec(ctx, `UPDATE store_state SET directory_version = directory_version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("import: bump directory version: %w", err)
		}
	}
	var rows [][]any
	for _, u := range p.Users {
		rows = append(rows, []any{u.ID, u.Name, u.Org, joinRoles(u.Roles), u.PasswordHash, micros(u.Created)})
		im.users[u.Name] = u.ID
	}
	if err := im.copyRows("users", []string{"id", "name", "org", "roles", "password", "created_us"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, t := range p.Tokens {
		uid, ok := im.users[t.User]
		if !ok {
			return liaison.Errorf(liaison.EINVALID, "import: token %s belongs to %q, who is not among the users", t.ID, t.User)
		}
		rows = append(rows, []any{t.ID, uid, t.Hash, micros(t.Created), t.Revoked})
	}
	if err := im.copyRows("tokens", []string{"id", "user_id", "hash", "created_us", "revoked"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, m := range p.Markings {
		body, err := json.Marshal(m)
		if err != nil {
			return err
		}
		rows = append(rows, []any{m.ID, string(body)})
		w.newMarking[m.ID] = m
	}
	if err := im.copyRows("markings", []string{"id", "body"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, c := range p.Collections {
		rows = append(rows, []any{c.ID, c.Title, c.Description, c.Topic, nonNil(c.Read), nonNil(c.Write), c.DefaultMarking, micros(c.Created), micros(c.LastAdded)})
	}
	if err := im.copyRows("collections", []string{"id", "title", "description", "topic", "read_list", "write_list", "default_marking", "created_us", "last_added_us"}, rows); err != nil {
		return err
	}
	if err := im.versions(p.Versions); err != nil {
		return err
	}
	return im.rest(p)
}

func (im *importer) versions(vs []liaison.VersionRecord) error {
	if len(vs) == 0 {
		return nil
	}
	w := im.w
	vids, err := w.nextVids(len(vs))
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(vs))
	var ends [][]any
	for i, v := range vs {
		lab, err := w.label(v.Originator, sortedRefs(v.Markings))
		if err != nil {
			return err
		}
		aid, err := w.audienceID(liaison.NewAudience(v.Audience...))
		if err != nil {
			return err
		}
		rows = append(rows, []any{vids[i], v.Collection, v.ID, micros(v.Modified), micros(v.DateAdded), v.Type, v.SpecVersion, v.Originator, v.DefaultMarking,
			lab.id, aid, strings.Join(v.Ends, ","), sortedRefs(v.GranularRefs), v.Raw})
		seen := map[string]bool{}
		for _, e := range v.Ends {
			if !seen[e] {
				seen[e] = true
				ends = append(ends, []any{e, vids[i]})
			}
		}
	}
	if err := im.copyRows("versions", []string{"vid", "collection", "id", "version_us", "date_added_us", "type", "spec_version", "originator", "default_marking", "label_id", "audience_id", "ends", "granular_refs", "raw"}, rows); err != nil {
		return err
	}
	return im.copyRows("ends", []string{"end_id", "rel_vid"}, ends)
}

func (im *importer) rest(p liaison.SnapshotPart) error {
	w, ctx := im.w, im.w.ctx
	for _, st := range p.Statuses {
		body, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := w.tx.Exec(ctx, `INSERT INTO statuses (id, org, body) VALUES ($1, $2, $3)`, st.ID, st.Org, string(body)); err != nil {
			return fmt.Errorf("import statuses: %w", err)
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
		if _, err := w.tx.Exec(ctx, `INSERT INTO consultations (id, convenor, status, body, audience_id, created_us, updated_us) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.Convenor, c.Status, body, aid, micros(c.Created), micros(c.Updated)); err != nil {
			return fmt.Errorf("import consultation %d: %w", c.ID, err)
		}
	}
	var rows, hist [][]any
	for _, k := range p.Contributions {
		rows = append(rows, []any{k.ID, k.Consultation, k.AgendaItem, k.AuthorID, k.Author, k.Org, k.Text, nonNil(k.Refs), k.Withdrawn, micros(k.Created), micros(k.Updated)})
		for i, h := range k.History {
			hist = append(hist, []any{k.ID, i + 1, h.Text, nonNil(h.Refs), micros(h.At), h.Change, h.Reason})
		}
	}
	if err := im.copyRows("contributions", []string{"id", "consultation_id", "agenda_item", "author_id", "author", "org", "text", "refs", "withdrawn", "created_us", "updated_us"}, rows); err != nil {
		return err
	}
	if err := im.copyRows("contribution_history", []string{"contribution_id", "seq", "text", "refs", "at_us", "change", "reason"}, hist); err != nil {
		return err
	}
	for _, p := range p.Proposals {
		aid, err := w.proposalAudience(p)
		if err != nil {
			return err
		}
		mk, err := json.Marshal(p.Marking)
		if err != nil {
			return err
		}
		if _, err := w.tx.Exec(ctx, `INSERT INTO proposals (id, proposer, procedure, marking, audience_id, created_us) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, p.Proposer, p.Procedure, string(mk), aid, micros(p.Created)); err != nil {
			return fmt.Errorf("import proposal %d: %w", p.ID, err)
		}
		for _, a := range p.Record {
			if err := w.appendAction(p.ID, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish moves the identity sequences past the imported ids and records
// the directory the audiences were computed against.
func (im *importer) finish() error {
	w, ctx := im.w, im.w.ctx
	for _, table := range []string{"agreements", "users", "consultations", "contributions", "proposals"} {
		if _, err := w.tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), coalesce(max(id), 0) + 1, false) FROM `+table); err != nil {
			return fmt.Errorf("import: sequence of %s: %w", table, err)
		}
	}
	if _, err := w.tx.Exec(ctx, `UPDATE store_state SET audiences_valid_until_us = $1 WHERE id = 1`, micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("import: state: %w", err)
	}
	if _, err := w.tx.Exec(ctx, `UPDATE consult_state SET directory_version = (SELECT directory_version FROM store_state WHERE id = 1), valid_until_us = $1 WHERE id = 1`, micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("import: consult state: %w", err)
	}
	return nil
}
