package core

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"liaison"
	"liaison/internal/objquery"
	"liaison/match"
	"liaison/stix"
)

// sightingNamespace is the UUIDv5 namespace of the sightings and
// identities the office derives.
var sightingNamespace = [16]byte{0x6c, 0x69, 0x61, 0x69, 0x73, 0x6f, 0x6e, 0x2d, 0x9a, 0x7e, 0x4f, 0x1b, 0x8c, 0x3d, 0x52, 0x11}

// uuid5 is the name-based UUID of name in the sightings' namespace.
func uuid5(name string) string { return stix.NameUUID(sightingNamespace, name) }

// OrgIdentityID is the identity that where_sighted_refs names for an
// organisation's sightings: derived from its code, the same in every
// office.
func OrgIdentityID(org string) string { return "identity--" + uuid5("organisation\x00"+org) }

// SightingID is the id of the sighting that aggregates, for one day (UTC),
// an organisation's matches of one indicator: each recorded match that day
// is a new version of it.
func SightingID(indicator, org string, day time.Time) string {
	return "sighting--" + uuid5("sighting\x00"+indicator+"\x00"+org+"\x00"+day.UTC().Format(time.DateOnly))
}

// stixTime is a STIX timestamp in UTC with millisecond precision or
// finer, as the write path stores it.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// markingRefs returns the object_marking_refs of a STIX object.
func markingRefs(raw []byte) []string {
	var o struct {
		Refs []string `json:"object_marking_refs"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.Refs
}

// sightingState is what one sighting aggregates so far.
type sightingState struct {
	Created   string   `json:"created"`
	Count     int64    `json:"count"`
	FirstSeen string   `json:"first_seen"`
	LastSeen  string   `json:"last_seen"`
	Observed  []string `json:"observed_data_refs"`
	Markings  []string `json:"object_marking_refs"`
}

// recordSightings writes, in one transaction of the ordinary write path,
// the batch's observations (its observed-data and SCOs) and, for each
// indicator matched, the new version of the day's sighting of it by the
// submitter's organisation. The sighting carries the markings of the
// indicator version matched and of the observations of the match, so its
// audience is never wider than either's (rule 2 intersects them); rule 9
// narrows it again to those who may read its ends as stored here.
func (o *Office) recordSightings(ctx context.Context, sub liaison.Principal, req liaison.MatchRequest, batch []match.Observation, res liaison.MatchResult, indMarks map[string][]string, writeObservations bool) (liaison.MatchResult, error) {
	now := o.Clock()
	byID := map[string][]byte{}
	var cands []liaison.Candidate
	for i, raw := range req.Objects {
		var head struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(raw, &head) != nil || head.Type != "observed-data" && !stix.IsSCO(head.Type) {
			continue
		}
		byID[head.ID] = raw
		if !writeObservations {
			continue // stored already: matched on ingest
		}
		c, err := stix.Decode(i, raw)
		if err != nil {
			res.Rejected = append(res.Rejected, liaison.Rejection{Index: i, ID: head.ID, Message: fmt.Sprintf("object %d (%s): %v", i, head.ID, err)})
			continue
		}
		cands = append(cands, c)
	}
	counts := map[string]match.Observation{}
	for _, ob := range batch {
		counts[ob.ID] = ob
	}
	// One sighting per indicator, whatever collections it matched in.
	type agg struct {
		indicator string
		obs       []string
		markings  []string
		count     int64
		first     time.Time
		last      time.Time
	}
	var order []string
	aggs := map[string]*agg{}
	for _, m := range res.Matches {
		a := aggs[m.Indicator]
		if a == nil {
			a = &agg{indicator: m.Indicator, markings: slices.Clone(indMarks[m.Indicator])}
			aggs[m.Indicator] = a
			order = append(order, m.Indicator)
		}
		for _, id := range m.Observations {
			ob := counts[id]
			if !slices.Contains(a.obs, id) {
				a.obs = append(a.obs, id)
				a.count += max(ob.Count, 1)
				a.markings = append(a.markings, markingRefs(byID[id])...)
				if a.first.IsZero() || ob.First.Before(a.first) {
					a.first = ob.First
				}
				if ob.Last.After(a.last) {
					a.last = ob.Last
				}
			}
		}
	}
	sightingOf := map[string]string{}
	err := o.write(ctx, "Match", func(w *Write) error {
		var last int64
		if err := w.tx.QueryRow(`SELECT last_added_us FROM collections WHERE id = ?`+o.lockRow, req.Collection).Scan(&last); err != nil {
			return fmt.Errorf("lock collection for sightings: %w", err)
		}
		all := slices.Clone(cands)
		for _, ind := range order {
			a := aggs[ind]
			id := SightingID(ind, sub.Org, now)
			prev, err := o.ownSighting(w, sub, req.Collection, id)
			if err != nil {
				return err
			}
			st := sightingState{Created: stixTime(now), FirstSeen: stixTime(a.first), LastSeen: stixTime(a.last)}
			if prev != nil {
				st = *prev
				if t, err := time.Parse(time.RFC3339Nano, st.FirstSeen); err == nil && t.Before(a.first) {
					a.first = t
				}
				if t, err := time.Parse(time.RFC3339Nano, st.LastSeen); err == nil && t.After(a.last) {
					a.last = t
				}
				st.FirstSeen, st.LastSeen = stixTime(a.first), stixTime(a.last)
			}
			st.Count += a.count
			for _, ob := range a.obs {
				if typ, _, _ := stix.SplitID(ob); typ == "observed-data" && !slices.Contains(st.Observed, ob) {
					st.Observed = append(st.Observed, ob)
				}
			}
			st.Markings = append(st.Markings, a.markings...)
			slices.Sort(st.Markings)
			st.Markings = slices.Compact(st.Markings)
			body := map[string]any{
				"type": "sighting", "spec_version": "2.1", "id": id,
				"created": st.Created, "modified": stixTime(now),
				"sighting_of_ref": ind, "where_sighted_refs": []string{OrgIdentityID(sub.Org)},
				"count": min(st.Count, 999999999), "first_seen": st.FirstSeen, "last_seen": st.LastSeen,
			}
			if len(st.Observed) > 0 {
				body["observed_data_refs"] = st.Observed
			}
			if len(st.Markings) > 0 {
				body["object_marking_refs"] = st.Markings
			}
			raw, err := json.Marshal(body)
			if err != nil {
				return fmt.Errorf("sighting of %s: %w", ind, err)
			}
			c, err := stix.Decode(len(req.Objects)+len(all)-len(cands), raw)
			if err != nil {
				return fmt.Errorf("sighting of %s: %w", ind, err)
			}
			all = append(all, c)
			sightingOf[ind] = id
		}
		wr, err := w.AddObjects(sub, req.Collection, all)
		if err != nil {
			return err
		}
		res.Written = append(res.Written, wr.Accepted...)
		res.Rejected = append(res.Rejected, wr.Rejected...)
		return nil
	})
	if err != nil {
		return liaison.MatchResult{Matches: []liaison.Match{}, Written: []liaison.Accepted{}, Rejected: []liaison.Rejection{}}, err
	}
	written := map[string]bool{}
	for _, a := range res.Written {
		written[a.ID] = true
	}
	for i := range res.Matches {
		if id := sightingOf[res.Matches[i].Indicator]; written[id] {
			res.Matches[i].Sighting = id
		}
	}
	return res, nil
}

// ownSighting returns what the latest version of the sighting id that sub
// may read in the collection aggregates, when sub's organisation wrote
// it; nil if there is none. It reads through the store's reader-filtered
// selection, in the write's transaction.
func (o *Office) ownSighting(w *Write, sub liaison.Principal, collection, id string) (*sightingState, error) {
	f, err := objquery.ParseDelete(liaison.ObjectQuery{}, id)
	if err != nil {
		return nil, err
	}
	from, args := o.pages.Select(f, collection, sub.Org)
	var st *sightingState
	err = eachRow(w.tx, func(rows Rows) error {
		var orig string
		var raw []byte
		if err := rows.Scan(&orig, &raw); err != nil {
			return err
		}
		if orig != sub.Org {
			return nil
		}
		var s sightingState
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("read sighting %s: %w", id, err)
		}
		st = &s
		return nil
	}, `SELECT v.originator, v.raw `+from, args...)
	if err != nil {
		return nil, fmt.Errorf("read sighting %s: %w", id, err)
	}
	return st, nil
}
