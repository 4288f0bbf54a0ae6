package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"liaison"
	"liaison/stix"
)

// SetMatchOnIngest turns matching on ingest on or off for a collection
// (see liaison.CollectionService). It is an operator's setting: no
// principal is asked.
func (o *Office) SetMatchOnIngest(ctx context.Context, collection string, on bool) error {
	return o.write(ctx, "SetMatchOnIngest", func(w *Write) error {
		if _, err := loadCollection(w.tx, collection); errors.Is(err, ErrNoRows) {
			return liaison.NotFound("collection", collection)
		} else if err != nil {
			return err
		}
		if on {
			_, err := w.tx.Exec(`INSERT INTO collection_matching (collection, since_us) VALUES (?, ?) ON CONFLICT (collection) DO NOTHING`, collection, Micros(o.Clock()))
			return err
		}
		_, err := w.tx.Exec(`DELETE FROM collection_matching WHERE collection = ?`, collection)
		return err
	})
}

// MatchOnIngest returns the collections with matching on ingest on.
func (o *Office) MatchOnIngest(ctx context.Context) ([]string, error) {
	out := []string{}
	err := o.inRead(ctx, "MatchOnIngest", func(tx Tx) error {
		out = out[:0]
		return eachRow(tx, func(rows Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
			return nil
		}, `SELECT collection FROM collection_matching ORDER BY collection`)
	})
	return out, err
}

// Ingested matches, when the collection has matching on ingest turned
// on, the observed-data a committed write newly stored there: as the
// writer, against the indicators of every collection the writer may read
// (never any other), recording the day's sightings in the same
// collection as the writer, through the ordinary write path (Match with
// record, ARCHITECTURE.md "Matching"). The SCOs of the write resolve the
// observed-data's object_refs. The write has committed whatever happens
// here: a failure is logged, never returned. Stores call it after each
// AddObjects.
func (o *Office) Ingested(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, res liaison.WriteResult) {
	fresh := map[int]bool{}
	for _, a := range res.Accepted {
		if !a.Present {
			fresh[a.Index] = true
		}
	}
	var batch []json.RawMessage
	observed := 0
	for i, c := range objs {
		switch {
		case c.Type == "observed-data" && fresh[i]:
			observed++
			batch = append(batch, c.Raw)
		case stix.IsSCO(c.Type):
			batch = append(batch, c.Raw)
		}
	}
	if observed == 0 {
		return
	}
	on := false
	err := o.inRead(ctx, "Ingested", func(tx Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM collection_matching WHERE collection = ?`, collection).Scan(&n); err != nil {
			return err
		}
		on = n > 0
		return nil
	})
	if err != nil {
		o.log.Warn("match on ingest: read the setting", "collection", collection, "err", err)
		return
	}
	if !on {
		return
	}
	mr, err := o.matchAs(ctx, writer, liaison.MatchRequest{Objects: batch, Record: true, Collection: collection}, true)
	if err != nil {
		o.log.Warn("match on ingest", "collection", collection, "writer", writer.Name, "org", writer.Org, "err", err)
		return
	}
	ids := make([]string, 0, len(mr.Matches))
	for _, m := range mr.Matches {
		ids = append(ids, m.Indicator)
	}
	slices.Sort(ids)
	o.log.Info("matched on ingest", "collection", collection, "writer", writer.Name, "observations", mr.Observations,
		"matches", len(mr.Matches), "sightings", fmt.Sprint(len(slices.Compact(ids))), "rejected", len(mr.Rejected))
}
