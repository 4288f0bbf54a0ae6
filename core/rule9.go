package core

import (
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/stix"
)

// Rule 9: a relationship or sighting is readable only by those who can
// also read each of its ends that is stored here, wherever it is stored.
// Ends may themselves be relationships (federation and imports can write
// such chains and cycles, which STIX over TAXII cannot), so an audience
// depends on others: settle computes them together, to the greatest
// fixpoint, in memory, and writes the result. Starting every version at
// its label's audience and narrowing only, it always ends: no round cap,
// nothing left wider than it should be.

// endReaders returns, for each id, the organisations that may read it
// somewhere on the hub: the union over the collections C that store it of
// (C's readers ∩ the union of the audiences of its versions in C). Ids
// stored nowhere are absent from the map.
func (w *Write) endReaders(ids []string) (map[string]liaison.Audience, error) {
	type key struct{ id, coll string }
	unions := map[key]liaison.Audience{}
	err := forChunks(ids, func(part []string) error {
		return eachRow(w.tx, func(rows Rows) error {
			var k key
			var aid int64
			if err := rows.Scan(&k.id, &k.coll, &aid); err != nil {
				return err
			}
			a, err := w.audience(aid)
			if err != nil {
				return err
			}
			unions[k] = union(unions[k], a)
			return nil
		}, endReadersQuery, idArgs(part)...)
	})
	if err != nil {
		return nil, fmt.Errorf("end readers: %w", err)
	}
	out := map[string]liaison.Audience{}
	for k, u := range unions {
		r, err := w.readers(k.coll)
		if err != nil {
			return nil, err
		}
		out[k.id] = union(out[k.id], r.Intersect(u))
	}
	return out, nil
}

// relAudience is rule 9 for one version: its label's audience narrowed by
// the readers of each of its ends that is stored.
func relAudience(label liaison.Audience, ends []string, readers map[string]liaison.Audience) liaison.Audience {
	aud := label
	for _, e := range ends {
		if rd, ok := readers[e]; ok {
			aud = aud.Intersect(rd)
		}
	}
	return aud
}

// relsNaming returns the versions (relationships and sightings) that name
// any of ids as an end, by their keys: a version that names another id of
// the same key comes too, and settling it again changes nothing.
func (w *Write) relsNaming(ids []string) ([]int64, error) {
	var vids []int64
	err := forChunks(ids, func(part []string) error {
		return eachRow(w.tx, func(rows Rows) error {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return err
			}
			vids = append(vids, v)
			return nil
		}, `SELECT rel_vid FROM ends WHERE end_k IN (SELECT value FROM json_each(?))`, Int64s(stix.IDKeys(part)))
	})
	return vids, err
}

// relVersion is a relationship or sighting version being settled.
type relVersion struct {
	vid      int64
	id, coll string
	label    liaison.Audience
	ends     []string
	stored   int64            // audience id in the store
	cur      liaison.Audience // in memory, narrowing
}

const relCols = `v.vid, v.id, v.collection, l.audience_id, v.ends, v.audience_id FROM versions v JOIN labels l ON l.id = v.label_id`

func (w *Write) scanRel(rows Rows) (*relVersion, error) {
	r := &relVersion{}
	var ends string
	var labelAud int64
	if err := rows.Scan(&r.vid, &r.id, &r.coll, &labelAud, &ends, &r.stored); err != nil {
		return nil, err
	}
	r.ends = strings.Split(ends, ",")
	la, err := w.audience(labelAud)
	if err != nil {
		return nil, err
	}
	r.label, r.cur = la, la
	return r, nil
}

// settle applies rule 9 to the relationship versions vids, to those
// naming an id in changed, and to every relationship naming any of them,
// transitively, and writes the audiences that changed. progress, if set,
// is told of each version settled.
func (w *Write) settle(vids []int64, changed []string, progress func(n int)) error {
	if len(changed) > 0 {
		more, err := w.relsNaming(changed)
		if err != nil {
			return err
		}
		vids = append(vids, more...)
	}
	if len(vids) == 0 {
		return nil
	}
	slices.Sort(vids)
	vids = slices.Compact(vids)
	// The ids of vids, then every version of each, and the relationships
	// naming them, until nothing new comes.
	var ids []string
	err := forChunks(vids, func(part []int64) error {
		return eachRow(w.tx, func(rows Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		}, `SELECT DISTINCT id FROM versions WHERE vid IN (SELECT value FROM json_each(?)) AND ends != ''`, Int64s(part))
	})
	if err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	var rels []*relVersion
	inSet := map[string]bool{}
	for len(ids) > 0 {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		var fresh []string
		for _, id := range ids {
			if !inSet[id] {
				inSet[id] = true
				fresh = append(fresh, id)
			}
		}
		if len(fresh) == 0 {
			break
		}
		err := forChunks(fresh, func(part []string) error {
			return eachRow(w.tx, func(rows Rows) error {
				r, err := w.scanRel(rows)
				if err == nil {
					rels = append(rels, r)
				}
				return err
			}, relsByIDQuery, idArgs(part)...)
		})
		if err != nil {
			return fmt.Errorf("settle: load: %w", err)
		}
		naming, err := w.relsNaming(fresh)
		if err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		ids = nil
		err = forChunks(naming, func(part []int64) error {
			return eachRow(w.tx, func(rows Rows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				if !inSet[id] {
					ids = append(ids, id)
				}
				return nil
			}, `SELECT DISTINCT id FROM versions WHERE vid IN (SELECT value FROM json_each(?))`, Int64s(part))
		})
		if err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	return w.narrow(rels, inSet, progress)
}

// settleAll applies rule 9 afresh to every relationship and sighting.
func (w *Write) settleAll(progress func(n int)) error {
	var rels []*relVersion
	inSet := map[string]bool{}
	err := eachRow(w.tx, func(rows Rows) error {
		r, err := w.scanRel(rows)
		if err == nil {
			rels = append(rels, r)
			inSet[r.id] = true
		}
		return err
	}, `SELECT `+relCols+` WHERE v.ends != ''`)
	if err != nil {
		return fmt.Errorf("settle all: %w", err)
	}
	return w.narrow(rels, inSet, progress)
}

// narrow settles rels, which hold every version of each id in inSet, to
// the greatest fixpoint of rule 9 and writes the audiences that changed.
// Ends outside the set are read as stored.
func (w *Write) narrow(rels []*relVersion, inSet map[string]bool, progress func(n int)) error {
	var outside []string
	for _, r := range rels {
		for _, e := range r.ends {
			if !inSet[e] {
				outside = append(outside, e)
			}
		}
	}
	slices.Sort(outside)
	readers, err := w.endReaders(slices.Compact(outside))
	if err != nil {
		return err
	}
	byID := map[string][]*relVersion{}
	for _, r := range rels {
		byID[r.id] = append(byID[r.id], r)
	}
	// Only ids that some version in the set names need their readers
	// recomputed each round.
	named := map[string]bool{}
	for _, r := range rels {
		for _, e := range r.ends {
			if inSet[e] {
				named[e] = true
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for e := range named {
			per := map[string]liaison.Audience{}
			for _, v := range byID[e] {
				per[v.coll] = union(per[v.coll], v.cur)
			}
			var rd liaison.Audience
			for coll, u := range per {
				cr, err := w.readers(coll)
				if err != nil {
					return err
				}
				rd = union(rd, cr.Intersect(u))
			}
			if rd == nil {
				rd = liaison.Audience{}
			}
			readers[e] = rd
		}
		for _, r := range rels {
			next := relAudience(r.label, r.ends, readers)
			if !slices.Equal(next, r.cur) {
				r.cur = next
				changed = true
			}
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	for i, r := range rels {
		aid, err := w.audienceID(r.cur)
		if err != nil {
			return err
		}
		if aid != r.stored {
			if _, err := w.tx.Exec(`UPDATE versions SET audience_id = ? WHERE vid = ?`, aid, r.vid); err != nil {
				return fmt.Errorf("update relationship audience: %w", err)
			}
		}
		if progress != nil && (i+1)%1000 == 0 {
			progress(1000)
		}
	}
	if progress != nil {
		progress(len(rels) % 1000)
	}
	return nil
}
