package core

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"liaison"
	"liaison/stix"
)

// Federation (ARCHITECTURE.md, "Federation"): the serving side (grants,
// the peer read and the change feed) and the pulling side (what a peer
// served, written with its carried audience and originator, and the
// pull's state), over core.Tx like every other flow.

// PeerTokenPrefix starts every peer token; user tokens start otherwise, so
// neither kind of token works where the other is asked for.
const PeerTokenPrefix = "liapeer_"

var peerNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$`)

func checkPeerName(name string) error {
	if !peerNameRE.MatchString(name) {
		return liaison.Errorf(liaison.EINVALID, "peer name %q is malformed: want letters, digits, '.', '_' or '-', up to 64", name)
	}
	return nil
}

// writeAccess is what writer may do with the collection: as the directory
// says, or, while the write carries a peer's versions, everything (the
// pull is configured by the operator; the versions' audiences come from
// their markings and the carried audience, never from the writer).
func (w *Write) writeAccess(writer liaison.Principal, collection string) (liaison.CollectionAccess, error) {
	if w.carry == nil {
		return VisibleCollection(w.tx, w.dir, writer, collection)
	}
	c, ok, err := w.collection(collection)
	if err != nil {
		return liaison.CollectionAccess{}, err
	}
	if !ok {
		return liaison.CollectionAccess{}, liaison.NotFound("collection", collection)
	}
	return liaison.CollectionAccess{Collection: c, CanRead: true, CanWrite: true}, nil
}

// AllowPeer grants peer office name a token and the organisations it
// serves, and returns the token, shown once.
func (o *Office) AllowPeer(ctx context.Context, name string, serves []string) (string, error) {
	if err := checkPeerName(name); err != nil {
		return "", err
	}
	serves = nonEmpty(serves)
	if len(serves) == 0 {
		return "", liaison.Errorf(liaison.EINVALID, "peer %s serves nobody: give --serves organisation codes or communities", name)
	}
	sec := make([]byte, 32)
	if _, err := rand.Read(sec); err != nil {
		return "", o.Internal(o.op("AllowPeer"), err)
	}
	secret := PeerTokenPrefix + base64.RawURLEncoding.EncodeToString(sec)
	err := o.inWrite(ctx, "AllowPeer", func(tx Tx) error {
		d, _, err := o.ReadDirectory(tx, o.Clock())
		if err != nil {
			return err
		}
		for _, s := range serves {
			if _, ok := d.Organisation(s); !ok && !d.HasCommunity(s) {
				return liaison.Errorf(liaison.EINVALID, "peer %s: %q in --serves is neither an organisation nor a community here", name, s)
			}
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM peer_grants WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return liaison.Errorf(liaison.ECONFLICT, "peer %s has a grant already: remove it first", name)
		}
		body, _ := json.Marshal(serves)
		_, err = tx.Exec(`INSERT INTO peer_grants (name, serves, hash, created_us) VALUES (?, ?, ?, ?)`, name, string(body), tokenHash(secret), o.Clock().UnixMicro())
		return err
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func scanGrant(r Row) (liaison.PeerGrant, error) {
	var g liaison.PeerGrant
	var serves string
	var created int64
	if err := r.Scan(&g.Name, &serves, &created); err != nil {
		return g, err
	}
	g.Created = FromMicros(created)
	if err := json.Unmarshal([]byte(serves), &g.Serves); err != nil {
		return g, fmt.Errorf("peer %s: serves: %w", g.Name, err)
	}
	return g, nil
}

// PeerGrants returns the grants, sorted by name.
func (o *Office) PeerGrants(ctx context.Context) ([]liaison.PeerGrant, error) {
	out := []liaison.PeerGrant{}
	err := o.inRead(ctx, "PeerGrants", func(tx Tx) error {
		return eachRow(tx, func(rows Rows) error {
			g, err := scanGrant(rows)
			out = append(out, g)
			return err
		}, `SELECT name, serves, created_us FROM peer_grants ORDER BY name`)
	})
	return out, err
}

// RemovePeerGrant ends a grant.
func (o *Office) RemovePeerGrant(ctx context.Context, name string) error {
	return o.inWrite(ctx, "RemovePeerGrant", func(tx Tx) error {
		n, err := tx.Exec(`DELETE FROM peer_grants WHERE name = ?`, name)
		if err == nil && n == 0 {
			err = liaison.NotFound("peer grant", name)
		}
		return err
	})
}

// PeerByToken returns the grant of a live peer token.
func (o *Office) PeerByToken(ctx context.Context, secret string) (liaison.PeerGrant, error) {
	bad := liaison.Errorf(liaison.EUNAUTHORIZED, "peer token is unknown or its grant was removed")
	if !strings.HasPrefix(secret, PeerTokenPrefix) || len(secret) > 256 {
		return liaison.PeerGrant{}, bad
	}
	var g liaison.PeerGrant
	err := o.inRead(ctx, "PeerByToken", func(tx Tx) error {
		var err error
		g, err = scanGrant(tx.QueryRow(`SELECT name, serves, created_us FROM peer_grants WHERE hash = ?`, tokenHash(secret)))
		if errors.Is(err, ErrNoRows) {
			return bad
		}
		return err
	})
	return g, err
}

// peerView is what a peer may read under the directory of one read: the
// organisations it is served for in each collection (rule 1, bounded by
// the collection's read list), the labels whose versions never leave the
// office (rule 6), and, by collection, what the ACS 3.0 further_sharing
// rules of a label leave of that (federation rule 9): labels that may be shared on
// to none of the served organisations, and labels that may go to only
// some of them, grouped by those organisations.
type peerView struct {
	served map[string]liaison.Audience // by collection; absent: not pullable
	colls  []liaison.Collection
	strict Int64s
	acs    map[string]*peerSharing // by collection
}

// peerSharing is rule 9 in one collection.
type peerSharing struct {
	blocked Int64s            // shared on to none of the served
	narrow  []peerSharedGroup // shared on to some of the served
}

// peerSharedGroup is the labels whose versions may be shared on to the
// organisations to, a part of the served ones.
type peerSharedGroup struct {
	to     liaison.Audience
	labels Int64s
}

// held is the labels whose versions are not served to the peer from
// collection at all: rule 6's and federation rule 9's.
func (v *peerView) held(collection string) Int64s {
	a := v.acs[collection]
	if a == nil || len(a.blocked) == 0 {
		return v.strict
	}
	out := make(Int64s, 0, len(v.strict)+len(a.blocked))
	out = append(out, v.strict...)
	return append(out, a.blocked...)
}

// sharedTo is the organisations a version of label may go to from
// collection: those it is served for, cut by the label's further_sharing.
func (v *peerView) sharedTo(collection string, label int64) liaison.Audience {
	served := v.served[collection]
	if a := v.acs[collection]; a != nil {
		for _, g := range a.narrow {
			if slices.Contains(g.labels, label) {
				return g.to
			}
		}
	}
	return served
}

// audienceTest is the test, in the query, that a version whose audience
// and label are in the columns aud and label may be served to the peer
// from collection for some organisation: its audience holds one it is
// served for, and which its label's further_sharing lets it go to.
func (v *peerView) audienceTest(collection, aud, label string) (string, []any) {
	const member = ` IN (SELECT audience_id FROM audience_members WHERE org IN (SELECT value FROM json_each(?)))`
	test, args := aud+member, []any{Strings(v.served[collection])}
	a := v.acs[collection]
	if a == nil || len(a.narrow) == 0 {
		return test, args
	}
	var all Int64s
	alts := []string{}
	var altArgs []any
	for _, g := range a.narrow {
		all = append(all, g.labels...)
		alts = append(alts, `(`+label+` IN (SELECT value FROM json_each(?)) AND `+aud+member+`)`)
		altArgs = append(altArgs, g.labels, Strings(g.to))
	}
	test += ` AND (NOT (` + label + ` IN (SELECT value FROM json_each(?))) OR ` + strings.Join(alts, ` OR `) + `)`
	args = append(args, all)
	return test, append(args, altArgs...)
}

// view loads the peer's view in tx.
func (o *Office) peerView(tx Tx, peer liaison.PeerGrant) (*peerView, error) {
	d, _, err := o.ReadDirectory(tx, o.Clock())
	if err != nil {
		return nil, err
	}
	// The grant as stored: a grant removed since the token was checked
	// serves nobody.
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM peer_grants WHERE name = ?`, peer.Name).Scan(&n); err != nil {
		return nil, err
	}
	v := &peerView{served: map[string]liaison.Audience{}, strict: Int64s{}, acs: map[string]*peerSharing{}}
	if n == 0 {
		return v, nil
	}
	serves := d.Expand(peer.Serves...)
	colls, err := loadCollections(tx)
	if err != nil {
		return nil, err
	}
	for _, c := range colls {
		if s := serves.Intersect(d.Expand(c.Read...)); len(s) > 0 {
			v.served[c.ID] = s
			v.colls = append(v.colls, c)
		}
	}
	type lab struct {
		id  int64
		mks string
	}
	var labs []lab
	if err := eachRow(tx, func(rows Rows) error {
		var l lab
		err := rows.Scan(&l.id, &l.mks)
		labs = append(labs, l)
		return err
	}, `SELECT id, markings FROM labels`); err != nil {
		return nil, fmt.Errorf("peer view: labels: %w", err)
	}
	for _, l := range labs {
		strict, named, acs := false, false, false
		var mks []liaison.Marking
		for _, ref := range splitNonEmpty(l.mks) {
			m, ok, err := o.marking(tx, ref)
			if err != nil {
				return nil, err
			}
			if !ok {
				strict = true // unknown: fail closed
				continue
			}
			strict = strict || m.TLP == liaison.TLPRed || m.TLP == liaison.TLPAmberStrict
			named = named || m.ReleasableTo != nil
			acs = acs || m.ACS != nil
			mks = append(mks, m)
		}
		// Rule 6: TLP:RED or TLP:AMBER+STRICT with no releasable_to list.
		if strict && !named {
			v.strict = append(v.strict, l.id)
			continue
		}
		if !acs {
			continue
		}
		// Federation rule 9: ACS further_sharing cuts the organisations the version
		// may go to.
		further := d.FurtherSharingAudience(mks)
		for _, c := range v.colls {
			a := v.acs[c.ID]
			if a == nil {
				a = &peerSharing{}
				v.acs[c.ID] = a
			}
			to := v.served[c.ID].Intersect(further)
			switch {
			case len(to) == 0:
				a.blocked = append(a.blocked, l.id)
			case len(to) < len(v.served[c.ID]):
				i := slices.IndexFunc(a.narrow, func(g peerSharedGroup) bool { return g.to.Key() == to.Key() })
				if i < 0 {
					a.narrow = append(a.narrow, peerSharedGroup{to: to})
					i = len(a.narrow) - 1
				}
				a.narrow[i].labels = append(a.narrow[i].labels, l.id)
			}
		}
	}
	return v, nil
}

// PeerCollections returns the collections the peer may pull.
func (o *Office) PeerCollections(ctx context.Context, peer liaison.PeerGrant) ([]liaison.Collection, error) {
	var out []liaison.Collection
	err := o.inRead(ctx, "PeerCollections", func(tx Tx) error {
		v, err := o.peerView(tx, peer)
		if err == nil {
			out = v.colls
		}
		return err
	})
	if out == nil {
		out = []liaison.Collection{}
	}
	return out, err
}

// peerReadable is the test, in the query, that version alias may be
// served to the peer from collection: its audience holds an organisation
// the peer is served for and that its label lets it go to, its label may
// leave the office, and it did not come from the peer. Its arguments
// follow, in order.
func (v *peerView) peerReadable(alias, collection, peer string) (string, []any) {
	test, args := v.audienceTest(collection, alias+".audience_id", alias+".label_id")
	return test + `
		AND NOT (` + alias + `.label_id IN (SELECT value FROM json_each(?)))
		AND ` + alias + `.label_id NOT IN (SELECT id FROM labels WHERE via = ?)`, append(args, v.held(collection), peer)
}

// PeerObjects reads one page of what the peer is served from a
// collection: every version added after after, oldest first.
func (o *Office) PeerObjects(ctx context.Context, peer liaison.PeerGrant, collection string, after time.Time, limit int) (liaison.PeerPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if err := o.Freshen(ctx); err != nil {
		return liaison.PeerPage{}, err
	}
	page := liaison.PeerPage{Versions: []liaison.PeerVersion{}}
	err := o.inRead(ctx, "PeerObjects", func(tx Tx) error {
		v, err := o.peerView(tx, peer)
		if err != nil {
			return err
		}
		if _, ok := v.served[collection]; !ok {
			return liaison.NotFound("collection", collection)
		}
		test, targs := v.peerReadable("v", collection, peer.Name)
		shadow, sargs := v.peerReadable("p", collection, peer.Name)
		args := []any{collection, Micros(after)}
		args = append(args, targs...)
		args = append(args, sargs...)
		args = append(args, limit+1)
		return eachRow(tx, func(rows Rows) error {
			var pv liaison.PeerVersion
			var ver, added int64
			var key string
			var label int64
			if err := rows.Scan(&pv.ID, &ver, &added, &pv.Originator, &key, &label, &pv.Raw); err != nil {
				return err
			}
			if len(page.Versions) == limit {
				page.More = true
				return nil
			}
			pv.Version, pv.DateAdded = FromMicros(ver), FromMicros(added)
			pv.Audience = liaison.ParseAudienceKey(key).Intersect(v.sharedTo(collection, label))
			page.Versions = append(page.Versions, pv)
			return nil
		}, `SELECT v.id, v.version_us, v.date_added_us, v.originator, a.key, v.label_id, v.raw
			FROM versions v JOIN audiences a ON a.id = v.audience_id
			WHERE v.collection = ? AND v.date_added_us > ? AND `+test+`
			AND (v.shadow = 0 OR NOT EXISTS (SELECT 1 FROM versions p WHERE p.idk = v.idk AND p.id = v.id AND p.collection = v.collection
				AND p.version_us = v.version_us AND p.date_added_us < v.date_added_us AND `+shadow+`))
			ORDER BY v.date_added_us LIMIT ?`, args...)
	})
	if err != nil {
		return liaison.PeerPage{}, err
	}
	return page, nil
}

// PeerChanges reads the change feed after seq as the peer may see it: an
// entry about a version it could read before the change or can read now,
// in a collection it may pull. A version it can read now comes with its
// bytes and new audience; any other is withdrawn.
func (o *Office) PeerChanges(ctx context.Context, peer liaison.PeerGrant, after int64, limit int) (liaison.PeerChanges, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if err := o.Freshen(ctx); err != nil {
		return liaison.PeerChanges{}, err
	}
	out := liaison.PeerChanges{Changes: []liaison.PeerChange{}}
	err := o.inRead(ctx, "PeerChanges", func(tx Tx) error {
		v, err := o.peerView(tx, peer)
		if err != nil {
			return err
		}
		var top int64
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM peer_changes`).Scan(&top); err != nil {
			return err
		}
		cut := top
		var all []liaison.PeerChange
		for _, c := range v.colls {
			held := v.held(c.ID)
			now, nargs := v.peerReadable("v", c.ID, peer.Name)
			before, bargs := v.audienceTest(c.ID, "c.old_audience_id", "c.label_id")
			var got []liaison.PeerChange
			args := append([]any{}, nargs...)
			args = append(args, after, c.ID, held, peer.Name)
			args = append(args, bargs...)
			args = append(args, nargs...)
			args = append(args, limit)
			err := eachRow(tx, func(rows Rows) error {
				var ch liaison.PeerChange
				var ver, added, label int64
				var readable int
				var key string
				var raw []byte
				if err := rows.Scan(&ch.Seq, &ch.ID, &ver, &ch.Version.Originator, &readable, &added, &key, &label, &raw); err != nil {
					return err
				}
				ch.Collection, ch.Modified = c.ID, FromMicros(ver)
				if readable == 1 {
					ch.Version = liaison.PeerVersion{ID: ch.ID, Version: ch.Modified, DateAdded: FromMicros(added), Originator: ch.Version.Originator,
						Audience: liaison.ParseAudienceKey(key).Intersect(v.sharedTo(c.ID, label)), Raw: raw}
				} else {
					ch.Withdrawn, ch.Version = true, liaison.PeerVersion{}
				}
				got = append(got, ch)
				return nil
			}, `SELECT c.seq, c.id, c.version_us, c.originator,
					CASE WHEN v.vid IS NOT NULL AND `+now+` THEN 1 ELSE 0 END AS readable,
					coalesce(v.date_added_us, 0), coalesce(a.key, ''), coalesce(v.label_id, 0), v.raw
				FROM peer_changes c LEFT JOIN versions v ON v.vid = c.vid LEFT JOIN audiences a ON a.id = v.audience_id
				WHERE c.seq > ? AND c.collection = ? AND NOT (c.label_id IN (SELECT value FROM json_each(?)))
					AND c.label_id NOT IN (SELECT id FROM labels WHERE via = ?)
					AND (`+before+`
						OR (v.vid IS NOT NULL AND `+now+`))
				ORDER BY c.seq LIMIT ?`, args...)
			if err != nil {
				return fmt.Errorf("change feed of %s: %w", c.ID, err)
			}
			if len(got) == limit {
				cut = min(cut, got[len(got)-1].Seq)
			}
			all = append(all, got...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
		for _, ch := range all {
			if ch.Seq > cut || len(out.Changes) == limit {
				out.More = true
				break
			}
			out.Changes = append(out.Changes, ch)
		}
		out.Next = cut
		if out.More && len(out.Changes) > 0 {
			out.Next = out.Changes[len(out.Changes)-1].Seq
		}
		return nil
	})
	if err != nil {
		return liaison.PeerChanges{}, err
	}
	return out, nil
}

// AddPeerPull configures a peer to pull from.
func (o *Office) AddPeerPull(ctx context.Context, p liaison.PeerPull) error {
	if err := checkPeerName(p.Name); err != nil {
		return err
	}
	if p.URL == "" {
		return liaison.Errorf(liaison.EINVALID, "peer %s needs --url, the serving office's TAXII API root", p.Name)
	}
	if len(p.Collections) == 0 {
		return liaison.Errorf(liaison.EINVALID, "peer %s needs at least one --collection", p.Name)
	}
	return o.inWrite(ctx, "AddPeerPull", func(tx Tx) error {
		seen := map[string]bool{}
		for _, c := range p.Collections {
			if c.Remote == "" || c.Local == "" {
				return liaison.Errorf(liaison.EINVALID, "peer %s: --collection wants REMOTE-ID or REMOTE-ID=LOCAL-ID", p.Name)
			}
			if seen[c.Remote] {
				return liaison.Errorf(liaison.EINVALID, "peer %s: remote collection %s is named twice", p.Name, c.Remote)
			}
			seen[c.Remote] = true
			if _, err := loadCollection(tx, c.Local); errors.Is(err, ErrNoRows) {
				return liaison.Errorf(liaison.EINVALID, "peer %s: local collection %s does not exist here: create it first", p.Name, c.Local)
			} else if err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM peer_pulls WHERE name = ?`, p.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return liaison.Errorf(liaison.ECONFLICT, "peer %s is configured already: remove it first", p.Name)
		}
		body, _ := json.Marshal(p.Collections)
		_, err := tx.Exec(`INSERT INTO peer_pulls (name, url, token, collections, created_us) VALUES (?, ?, ?, ?, ?)`, p.Name, p.URL, p.Token, string(body), o.Clock().UnixMicro())
		return err
	})
}

const pullCols = `name, url, token, collections, change_seq, last_ok_us, last_try_us, last_error, failures`

func scanPull(r Row) (liaison.PeerPull, error) {
	var p liaison.PeerPull
	var colls string
	var ok, try int64
	if err := r.Scan(&p.Name, &p.URL, &p.Token, &colls, &p.ChangeSeq, &ok, &try, &p.LastError, &p.Failures); err != nil {
		return p, err
	}
	p.LastOK, p.LastTry = FromMicros(ok), FromMicros(try)
	if err := json.Unmarshal([]byte(colls), &p.Collections); err != nil {
		return p, fmt.Errorf("peer %s: collections: %w", p.Name, err)
	}
	return p, nil
}

// peerRejectsShown is how many of a peer's latest rejections status shows.
const peerRejectsShown = 20

// PeerPulls returns every configured peer with its state.
func (o *Office) PeerPulls(ctx context.Context) ([]liaison.PeerPull, error) {
	out := []liaison.PeerPull{}
	err := o.inRead(ctx, "PeerPulls", func(tx Tx) error {
		if err := eachRow(tx, func(rows Rows) error {
			p, err := scanPull(rows)
			out = append(out, p)
			return err
		}, `SELECT `+pullCols+` FROM peer_pulls ORDER BY name`); err != nil {
			return err
		}
		for i := range out {
			p := &out[i]
			if err := eachRow(tx, func(rows Rows) error {
				var c liaison.PeerCursor
				var after int64
				err := rows.Scan(&c.Remote, &after, &c.Received)
				c.After = FromMicros(after)
				p.Cursors = append(p.Cursors, c)
				return err
			}, `SELECT remote, after_us, received FROM peer_cursors WHERE peer = ? ORDER BY remote`, p.Name); err != nil {
				return err
			}
			if err := eachRow(tx, func(rows Rows) error {
				var r liaison.PeerReject
				var at int64
				err := rows.Scan(&r.Remote, &r.ID, &r.Message, &at)
				r.At = FromMicros(at)
				p.Rejects = append(p.Rejects, r)
				return err
			}, `SELECT remote, id, message, at_us FROM peer_rejects WHERE peer = ? ORDER BY seq DESC LIMIT ?`, p.Name, peerRejectsShown); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// RemovePeerPull forgets a peer; what it sent stays.
func (o *Office) RemovePeerPull(ctx context.Context, name string) error {
	return o.inWrite(ctx, "RemovePeerPull", func(tx Tx) error {
		n, err := tx.Exec(`DELETE FROM peer_pulls WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n == 0 {
			return liaison.NotFound("peer", name)
		}
		if _, err := tx.Exec(`DELETE FROM peer_cursors WHERE peer = ?`, name); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM peer_rejects WHERE peer = ?`, name)
		return err
	})
}

// NotePeerSync records the outcome of a sync.
func (o *Office) NotePeerSync(ctx context.Context, peer, errText string) error {
	now := o.Clock().UnixMicro()
	return o.inWrite(ctx, "NotePeerSync", func(tx Tx) error {
		var n int64
		var err error
		if errText == "" {
			n, err = tx.Exec(`UPDATE peer_pulls SET last_ok_us = ?, last_try_us = ?, last_error = '', failures = 0 WHERE name = ?`, now, now, peer)
		} else {
			n, err = tx.Exec(`UPDATE peer_pulls SET last_try_us = ?, last_error = ?, failures = failures + 1 WHERE name = ?`, now, errText, peer)
		}
		if err == nil && n == 0 {
			err = liaison.NotFound("peer", peer)
		}
		return err
	})
}

// localOf returns the local collection a peer's remote collection is
// pulled into.
func localOf(tx Tx, peer, remote string) (string, error) {
	p, err := scanPull(tx.QueryRow(`SELECT `+pullCols+` FROM peer_pulls WHERE name = ?`, peer))
	if errors.Is(err, ErrNoRows) {
		return "", liaison.NotFound("peer", peer)
	}
	if err != nil {
		return "", err
	}
	for _, c := range p.Collections {
		if c.Remote == remote {
			return c.Local, nil
		}
	}
	return "", liaison.Errorf(liaison.EINVALID, "peer %s: remote collection %s is not pulled", peer, remote)
}

// receive writes versions a peer served into the local collection, in
// runs of the same originator and carried audience, in their order, and
// records the rejections.
func (w *Write) receive(peer, remote, local string, vs []liaison.PeerVersion, out *liaison.PeerReceived) error {
	defer func() { w.carry = nil }()
	reject := func(id, msg string) error {
		out.Rejected = append(out.Rejected, liaison.Rejection{ID: id, Message: msg})
		_, err := w.tx.Exec(`INSERT INTO peer_rejects (peer, remote, id, message, at_us) VALUES (?, ?, ?, ?, ?)`, peer, remote, id, msg, w.now.UnixMicro())
		return err
	}
	for i := 0; i < len(vs); {
		if vs[i].Fault != "" {
			if err := reject(vs[i].ID, vs[i].Fault); err != nil {
				return err
			}
			i++
			continue
		}
		j := i + 1
		for j < len(vs) && vs[j].Fault == "" && vs[j].Originator == vs[i].Originator && vs[j].Audience.Key() == vs[i].Audience.Key() {
			j++
		}
		objs := make([]liaison.Candidate, 0, j-i)
		for k := i; k < j; k++ {
			c := vs[k].Candidate
			c.Index = k
			if c.ID != vs[k].ID {
				// The facts must describe the bytes they travel with.
				c.ID = ""
			}
			objs = append(objs, c)
		}
		if vs[i].Originator == "" || !text(vs[i].Originator) {
			for k := i; k < j; k++ {
				if err := reject(vs[k].ID, "it came with no originator"); err != nil {
					return err
				}
			}
			i = j
			continue
		}
		w.carry = &carry{audience: liaison.NewAudience(vs[i].Audience...).Key(), via: peer}
		res, err := w.AddObjects(liaison.Principal{Name: "peer " + peer, Org: vs[i].Originator}, local, objs)
		if err != nil {
			return err
		}
		for _, a := range res.Accepted {
			if a.Present {
				out.Present++
			} else {
				out.Written++
			}
		}
		for _, r := range res.Rejected {
			if err := reject(r.ID, r.Message); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}

// ReceivePeerPage writes a page a peer served and moves the collection's
// cursor, in one transaction.
func (o *Office) ReceivePeerPage(ctx context.Context, peer, remote string, vs []liaison.PeerVersion, after time.Time) (liaison.PeerReceived, error) {
	var out liaison.PeerReceived
	err := o.write(ctx, "ReceivePeerPage", func(w *Write) error {
		out = liaison.PeerReceived{}
		local, err := localOf(w.tx, peer, remote)
		if err != nil {
			return err
		}
		if err := w.receive(peer, remote, local, vs, &out); err != nil {
			return err
		}
		n, err := w.tx.Exec(`UPDATE peer_cursors SET after_us = ?, received = received + ? WHERE peer = ? AND remote = ? AND after_us <= ?`,
			Micros(after), out.Written, peer, remote, Micros(after))
		if err != nil {
			return err
		}
		if n == 0 {
			var have int
			if err := w.tx.QueryRow(`SELECT count(*) FROM peer_cursors WHERE peer = ? AND remote = ?`, peer, remote).Scan(&have); err != nil {
				return err
			}
			if have == 0 {
				_, err = w.tx.Exec(`INSERT INTO peer_cursors (peer, remote, after_us, received) VALUES (?, ?, ?, ?)`, peer, remote, Micros(after), out.Written)
			}
		}
		return err
	})
	return out, err
}

// carriedInstances returns the local instances of a version that came
// from peer, with their labels.
func (w *Write) carriedInstances(local, id string, version int64, peer string) ([]carriedRow, error) {
	var out []carriedRow
	err := eachRow(w.tx, func(rows Rows) error {
		var r carriedRow
		err := rows.Scan(&r.vid, &r.ends, &r.originator, &r.markings)
		out = append(out, r)
		return err
	}, `SELECT v.vid, v.ends, l.originator, l.markings FROM versions v JOIN labels l ON l.id = v.label_id
		WHERE v.idk = ? AND v.id = ? AND v.collection = ? AND v.version_us = ? AND l.via = ?`, stix.IDKey(id), id, local, version, peer)
	return out, err
}

type carriedRow struct {
	vid                        int64
	ends, originator, markings string
}

// ApplyPeerChanges applies a page of the change feed: a withdrawn version
// is deleted here, a changed one takes its new carried audience (or is
// written, if it never came), and the feed's cursor moves to next.
func (o *Office) ApplyPeerChanges(ctx context.Context, peer string, changes []liaison.PeerChange, next int64) (liaison.PeerReceived, error) {
	var out liaison.PeerReceived
	err := o.write(ctx, "ApplyPeerChanges", func(w *Write) error {
		out = liaison.PeerReceived{}
		for _, ch := range changes {
			local, err := localOf(w.tx, peer, ch.Collection)
			if liaison.ErrorCode(err) == liaison.EINVALID {
				continue // a collection this office does not pull
			}
			if err != nil {
				return err
			}
			rows, err := w.carriedInstances(local, ch.ID, Micros(ch.Modified), peer)
			if err != nil {
				return fmt.Errorf("apply change %d: %w", ch.Seq, err)
			}
			if !ch.Withdrawn && len(rows) == 0 {
				if err := w.receive(peer, ch.Collection, local, []liaison.PeerVersion{ch.Version}, &out); err != nil {
					return err
				}
				continue
			}
			var rels []int64
			for _, r := range rows {
				if ch.Withdrawn {
					if err := w.flushSearch(); err != nil {
						return err
					}
					if _, err := w.tx.Exec(`DELETE FROM versions WHERE vid = ?`, r.vid); err != nil {
						return fmt.Errorf("withdraw version: %w", err)
					}
					if _, err := w.tx.Exec(`DELETE FROM ends WHERE rel_vid = ?`, r.vid); err != nil {
						return fmt.Errorf("withdraw ends: %w", err)
					}
					continue
				}
				lab, err := w.labelOf(r.originator, r.markings, liaison.NewAudience(ch.Version.Audience...).Key(), peer)
				if err != nil {
					return err
				}
				if _, err := w.tx.Exec(`UPDATE versions SET label_id = ?, audience_id = ? WHERE vid = ?`, lab.id, lab.audience, r.vid); err != nil {
					return fmt.Errorf("narrow version: %w", err)
				}
				if r.ends != "" {
					rels = append(rels, r.vid)
				}
				out.Written++
			}
			if err := w.settle(rels, []string{ch.ID}, nil); err != nil {
				return err
			}
		}
		_, err := w.tx.Exec(`UPDATE peer_pulls SET change_seq = ? WHERE name = ? AND change_seq <= ?`, next, peer, next)
		return err
	})
	return out, err
}
