package core

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"liaison"
	"liaison/match"
)

// matcher is the office's index of live indicator instances (see
// ARCHITECTURE.md, "Matching"). It only proposes candidates: whether a
// submitter may be matched against one is decided by the store's
// reader-filtered read, for that submitter, every time.
type matcher struct {
	mu    sync.Mutex // held while loading, and while feeding writes in
	index *match.Index
	// sums are the SHA-256 of the bytes each indexed instance was compiled
	// from, by key, so that a confirmed read of other bytes is evaluated
	// from what the submitter read, never from what the index holds.
	sums   map[string][32]byte
	sumsMu sync.RWMutex
	// seen is the highest versions.vid the index has caught up to: rows
	// above it were written since, by this process or another.
	seen int64
}

// catchUpLookback is how far below the highest vid seen a catch-up looks
// again, on engines whose identity values can commit out of order
// (PostgreSQL: a transaction that drew a lower vid may commit after one
// that drew a higher). Instances already indexed are skipped by key.
const catchUpLookback = 10000

// instanceKey names one stored instance of an indicator version: the
// versions key (collection, id, version, originator).
func instanceKey(collection, id string, version int64, originator string) string {
	return collection + "\x00" + id + "\x00" + strconv.FormatInt(version, 10) + "\x00" + originator
}

func splitKey(k string) (collection, id string) {
	parts := strings.SplitN(k, "\x00", 3)
	if len(parts) < 2 {
		return "", ""
	}
	return parts[0], parts[1]
}

// addIndicator compiles one stored indicator instance into x. An instance
// the matcher cannot run (another pattern_type, say) is left out.
func (m *matcher) addIndicator(key string, raw []byte) {
	ind, err := match.ParseIndicator(raw)
	if err == nil {
		ind.ID = key
		err = m.index.Add(ind)
	}
	if err != nil {
		// Noted all the same, so that a catch-up does not read it again;
		// no read's bytes hash to zeros, so it is never confirmed.
		m.sumsMu.Lock()
		m.sums[key] = [32]byte{}
		m.sumsMu.Unlock()
		return
	}
	m.sumsMu.Lock()
	m.sums[key] = sha256.Sum256(raw)
	m.sumsMu.Unlock()
}

func (m *matcher) sum(key string) ([32]byte, bool) {
	m.sumsMu.RLock()
	defer m.sumsMu.RUnlock()
	s, ok := m.sums[key]
	return s, ok
}

// matchIndex returns the office's index, filling it on first use from
// indicatorFeed.
func (o *Office) matchIndex(ctx context.Context) (*match.Index, error) {
	m := &o.match
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.index != nil {
		if err := o.catchUp(ctx); err != nil {
			return nil, err
		}
		return m.index, nil
	}
	m.index = match.NewIndex(o.Clock)
	m.sums = map[string][32]byte{}
	err := o.inRead(ctx, "Match", func(tx Tx) error {
		if err := tx.QueryRow(`SELECT COALESCE(MAX(vid), 0) FROM versions`).Scan(&m.seen); err != nil {
			return err
		}
		return o.indicatorFeed(tx, m.addIndicator)
	})
	if err != nil {
		m.index, m.sums = nil, nil
		return nil, err
	}
	return m.index, nil
}

// catchUp feeds the index the indicator instances written since it last
// looked, by another process too (liaison import while liaison serve
// runs): those of the versions rows above the highest vid it has seen.
// When nothing was written it costs one read of the highest vid. m.mu
// is held.
func (o *Office) catchUp(ctx context.Context) error {
	m := &o.match
	return o.inRead(ctx, "Match", func(tx Tx) error {
		var top int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(vid), 0) FROM versions`).Scan(&top); err != nil {
			return fmt.Errorf("match: catch up: %w", err)
		}
		if top == m.seen {
			return nil
		}
		from := m.seen
		if o.lockRow != "" {
			from = max(0, from-catchUpLookback)
		}
		var missing []int64
		err := eachRow(tx, func(rows Rows) error {
			var vid, ver int64
			var coll, id, orig string
			if err := rows.Scan(&vid, &coll, &id, &ver, &orig); err != nil {
				return err
			}
			if _, ok := m.sum(instanceKey(coll, id, ver, orig)); !ok {
				missing = append(missing, vid)
			}
			return nil
		}, `SELECT vid, collection, id, version_us, originator FROM versions WHERE vid > ? AND vid <= ? AND type = 'indicator'`, from, top)
		if err != nil {
			return fmt.Errorf("match: catch up: %w", err)
		}
		err = forChunks(missing, func(part []int64) error {
			return eachRow(tx, func(rows Rows) error {
				var coll, id, orig string
				var ver int64
				var raw []byte
				if err := rows.Scan(&coll, &id, &ver, &orig, &raw); err != nil {
					return err
				}
				m.addIndicator(instanceKey(coll, id, ver, orig), raw)
				return nil
			}, `SELECT collection, id, version_us, originator, raw FROM versions WHERE vid IN (SELECT value FROM json_each(?))`, Int64s(part))
		})
		if err != nil {
			return fmt.Errorf("match: catch up: %w", err)
		}
		m.seen = top
		return nil
	})
}

// indicatorFeed calls fn with every stored indicator instance, whoever
// may read it. It is the one read of the core that no reader filters,
// and it exists only to fill the matcher's index: nothing it reads is
// ever returned to a caller (Match confirms every candidate through the
// reader-filtered Objects).
func (o *Office) indicatorFeed(tx Tx, fn func(key string, raw []byte)) error {
	return eachRow(tx, func(rows Rows) error {
		var coll, id, orig string
		var ver int64
		var raw []byte
		if err := rows.Scan(&coll, &id, &ver, &orig, &raw); err != nil {
			return err
		}
		fn(instanceKey(coll, id, ver, orig), raw)
		return nil
	}, `SELECT collection, id, version_us, originator, raw FROM versions WHERE type = 'indicator'`)
}

// indicatorsCommitted feeds the indicator instances a committed write
// stored into the index, if it has been filled.
func (o *Office) indicatorsCommitted(rows []VersionRow) {
	if len(rows) == 0 {
		return
	}
	m := &o.match
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.index == nil {
		return
	}
	for _, r := range rows {
		m.addIndicator(instanceKey(r.Collection, r.ID, r.Version, r.Originator), r.Raw)
	}
}

// Match evaluates a batch of observations against the indicators the
// submitter may read (see liaison.MatchService). Candidates come from the
// index; each is confirmed by reading, as the submitter, the latest
// version of its id in its collection: only an instance that read
// returns is evaluated, and from the bytes the read returned.
func (o *Office) Match(ctx context.Context, sub liaison.Principal, req liaison.MatchRequest) (liaison.MatchResult, error) {
	return o.matchAs(ctx, sub, req, false)
}

// matchAs is Match; on ingest (core/ingest.go) the observations are stored
// already and req.Collection only says where the sightings go: sub is
// matched against the indicators of every collection it may read.
func (o *Office) matchAs(ctx context.Context, sub liaison.Principal, req liaison.MatchRequest, ingest bool) (liaison.MatchResult, error) {
	res := liaison.MatchResult{Matches: []liaison.Match{}, Written: []liaison.Accepted{}, Rejected: []liaison.Rejection{}}
	if req.Record && req.Collection == "" {
		return res, liaison.Errorf(liaison.EINVALID, "record: recording sightings needs a collection to write them to: name one with \"collection\"")
	}
	var readable []string
	if req.Collection != "" {
		acc, err := o.Collection(ctx, sub, req.Collection)
		if err != nil {
			return res, err
		}
		if req.Record && !acc.CanWrite {
			return res, liaison.Errorf(liaison.EFORBIDDEN, "user %s (%s) may not write to collection %s, so cannot record sightings there", sub.Name, sub.Org, req.Collection)
		}
		if acc.CanRead && !ingest {
			readable = []string{req.Collection}
		}
	}
	if req.Collection == "" || ingest {
		cols, err := o.Collections(ctx, sub)
		if err != nil {
			return res, err
		}
		for _, c := range cols {
			if c.CanRead {
				readable = append(readable, c.ID)
			}
		}
	}
	batch, err := match.FromObjects(req.Objects, o.Clock())
	if err != nil {
		return res, liaison.Errorf(liaison.EINVALID, "observations: %v", err)
	}
	res.Observations = len(batch)
	var marks map[string][]string
	if len(batch) > 0 && len(readable) > 0 {
		if res.Matches, marks, err = o.matchBatch(ctx, sub, batch, readable); err != nil {
			return res, err
		}
	}
	if req.Record {
		return o.recordSightings(ctx, sub, req, batch, res, marks, !ingest)
	}
	return res, nil
}

// matchBatch is Match once the batch is decoded, over the collections
// sub may read. It returns too the object_marking_refs of the versions
// matched, by indicator id, as sub read them.
func (o *Office) matchBatch(ctx context.Context, sub liaison.Principal, batch []match.Observation, readable []string) ([]liaison.Match, map[string][]string, error) {
	x, err := o.matchIndex(ctx)
	if err != nil {
		return nil, nil, err
	}
	marks := map[string][]string{} // by instance key, for those confirmed
	cands := x.Candidates(batch)
	byColl := map[string][]string{}
	want := make(map[string]bool, len(cands))
	for _, k := range cands {
		c, id := splitKey(k)
		if slices.Contains(readable, c) {
			byColl[c] = append(byColl[c], id)
			want[k] = true
		}
	}
	confirmed := map[string]bool{}
	var reread []*match.Indicator // confirmed, but read with other bytes than the index holds
	colls := make([]string, 0, len(byColl))
	for c := range byColl {
		colls = append(colls, c)
	}
	slices.Sort(colls)
	for _, c := range colls {
		ids := byColl[c]
		slices.Sort(ids)
		ids = slices.Compact(ids)
		err := forChunks(ids, func(part []string) error {
			q := liaison.ObjectQuery{IDs: part, Types: []string{"indicator"}, Limit: len(part)}
			for {
				page, err := o.objects.Objects(ctx, sub, c, q)
				if err != nil {
					if liaison.ErrorCode(err) == liaison.ENOTFOUND {
						return nil
					}
					return fmt.Errorf("match: confirm candidates in %s: %w", c, err)
				}
				for _, v := range page.Versions {
					k := instanceKey(c, v.ID, Micros(v.Modified), v.Originator)
					if !want[k] {
						continue
					}
					marks[k] = markingRefs(v.Raw)
					if s, ok := o.match.sum(k); ok && s == sha256.Sum256(v.Raw) {
						confirmed[k] = true
						continue
					}
					if ind, err := match.ParseIndicator(v.Raw); err == nil {
						ind.ID = k
						reread = append(reread, ind)
					}
				}
				if !page.More || page.Next == "" {
					return nil
				}
				q.Next = page.Next
			}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	hits := x.MatchBatch(batch, func(k string) bool { return confirmed[k] })
	now := o.Clock()
	for _, ind := range reread {
		if !ind.Live(now) {
			continue
		}
		if at, ok := ind.Pattern.Match(batch); ok {
			h := match.Hit{IndicatorID: ind.ID, Modified: ind.Modified}
			for _, i := range at {
				h.Observations = append(h.Observations, batch[i].ID)
			}
			hits = append(hits, h)
		}
	}
	out := make([]liaison.Match, 0, len(hits))
	hitMarks := map[string][]string{}
	for _, h := range hits {
		c, id := splitKey(h.IndicatorID)
		hitMarks[id] = append(hitMarks[id], marks[h.IndicatorID]...)
		out = append(out, liaison.Match{Collection: c, Indicator: id, Version: h.Modified, Observations: h.Observations})
	}
	slices.SortFunc(out, func(a, b liaison.Match) int {
		if n := strings.Compare(a.Indicator, b.Indicator); n != 0 {
			return n
		}
		return strings.Compare(a.Collection, b.Collection)
	})
	return out, hitMarks, nil
}

// forget empties the index, to be filled again on the next match.
func (m *matcher) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.index, m.sums = nil, nil
}
