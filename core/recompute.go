package core

import (
	"context"
	"fmt"
	"slices"
	"time"

	"liaison"
)

// State is the store_state row.
type State struct {
	DirVersion int64
	ValidUntil int64 // µs; 0: audiences stay right until the directory changes
}

// Expired reports whether the audiences' validity has lapsed at now.
func (st State) Expired(now time.Time) bool {
	return st.ValidUntil != 0 && now.UnixMicro() >= st.ValidUntil
}

// StateQuery reads the store_state row (see ScanState).
const StateQuery = `SELECT directory_version, audiences_valid_until_us FROM store_state WHERE id = 1`

// ReadState reads the store_state row.
func ReadState(tx Tx) (State, error) {
	var st State
	if err := tx.QueryRow(StateQuery).Scan(&st.DirVersion, &st.ValidUntil); err != nil {
		return st, fmt.Errorf("read store state: %w", err)
	}
	return st, nil
}

// recomputeAll recomputes every stored audience against w.dir: each
// label's, then each version's from its label, then rule 9 for
// relationships and sightings. It reports progress through the context:
// labels, then versions whose label changed, then relationships, each
// counted once.
//
// prev is the directory the stored audiences were computed against, or
// nil if unknown. When every collection's readers are the same under prev
// and w.dir (always so when only the clock moved), rule 9 is reapplied
// only where an input changed: relationships whose label changed and
// those naming a version whose audience changed. Otherwise every
// relationship is settled afresh.
func (w *Write) recomputeAll(prev *liaison.Directory) error {
	report := liaison.ProgressFrom(w.ctx)
	var nLabels int64
	if err := w.tx.QueryRow(`SELECT count(*) FROM labels`).Scan(&nLabels); err != nil {
		return fmt.Errorf("recompute: count: %w", err)
	}
	full := prev == nil
	if !full {
		var err error
		if full, err = w.readersChanged(prev); err != nil {
			return err
		}
	}
	total := nLabels
	var done int64
	step := func(n int64) error {
		done += n
		report(min(done, total), total)
		return w.ctx.Err()
	}
	if err := step(0); err != nil {
		return err
	}

	// 1. Labels.
	type lab struct {
		id                            int64
		originator, mks, carried, via string
		aud                           int64
	}
	var labs []lab
	err := eachRow(w.tx, func(rows Rows) error {
		var l lab
		if err := rows.Scan(&l.id, &l.originator, &l.mks, &l.carried, &l.via, &l.aud); err != nil {
			return err
		}
		labs = append(labs, l)
		return nil
	}, `SELECT id, originator, markings, carried, via, audience_id FROM labels`)
	if err != nil {
		return fmt.Errorf("recompute: labels: %w", err)
	}
	var changedLabels []int64
	for _, l := range labs {
		a, err := w.labelAudience(l.originator, l.mks, l.carried)
		if err != nil {
			return err
		}
		aid, err := w.audienceID(a)
		if err != nil {
			return err
		}
		if aid != l.aud {
			if _, err := w.tx.Exec(`UPDATE labels SET audience_id = ? WHERE id = ?`, aid, l.id); err != nil {
				return fmt.Errorf("recompute: label: %w", err)
			}
			changedLabels = append(changedLabels, l.id)
		}
		w.labels[labelKey(l.originator, l.mks, l.carried, l.via)] = labelRef{id: l.id, audience: aid}
	}
	if err := step(nLabels); err != nil {
		return err
	}

	// 2. Versions other than relationships take their label's audience;
	// the ids whose audience changed feed rule 9.
	var changedIDs []string
	err = forChunks(changedLabels, func(part []int64) error {
		return eachRow(w.tx, func(rows Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			changedIDs = append(changedIDs, id)
			return nil
		}, `UPDATE versions SET audience_id = (SELECT audience_id FROM labels WHERE labels.id = versions.label_id)
			WHERE label_id IN (SELECT value FROM json_each(?)) AND ends = ''
			RETURNING id`, Int64s(part))
	})
	if err != nil {
		return fmt.Errorf("recompute: versions: %w", err)
	}
	total += int64(len(changedIDs))
	if err := step(int64(len(changedIDs))); err != nil {
		return err
	}

	// 3. Rule 9.
	relDone := func(n int) { _ = step(int64(n)) }
	if full {
		var n int64
		if err := w.tx.QueryRow(`SELECT count(*) FROM versions WHERE ends != ''`).Scan(&n); err != nil {
			return fmt.Errorf("recompute: relationships: %w", err)
		}
		total += n
		report(done, total)
		if err := w.settleAll(relDone); err != nil {
			return err
		}
	} else if len(changedLabels) > 0 || len(changedIDs) > 0 {
		var rels []int64
		err := forChunks(changedLabels, func(part []int64) error {
			return eachRow(w.tx, func(rows Rows) error {
				var v int64
				err := rows.Scan(&v)
				rels = append(rels, v)
				return err
			}, `SELECT vid FROM versions WHERE ends != '' AND label_id IN (SELECT value FROM json_each(?))`, Int64s(part))
		})
		if err != nil {
			return fmt.Errorf("recompute: relationships: %w", err)
		}
		total += int64(len(rels))
		report(done, total)
		if err := w.settle(rels, changedIDs, nil); err != nil {
			return err
		}
	}
	done = total
	if err := step(0); err != nil {
		return err
	}
	if _, err := w.tx.Exec(`UPDATE store_state SET audiences_valid_until_us = ? WHERE id = 1`, Micros(w.dir.NextChange())); err != nil {
		return fmt.Errorf("recompute: state: %w", err)
	}
	return nil
}

// readersChanged reports whether any collection's read list stands for
// other organisations under w.dir than under prev.
func (w *Write) readersChanged(prev *liaison.Directory) (bool, error) {
	colls, err := loadCollections(w.tx)
	if err != nil {
		return false, fmt.Errorf("recompute: collections: %w", err)
	}
	for _, c := range colls {
		if !slices.Equal(prev.Expand(c.Read...), w.dir.Expand(c.Read...)) {
			return true, nil
		}
	}
	return false, nil
}

// RecomputeAudiences recomputes every stored audience against the
// directory at the store's clock, in one transaction, reporting progress
// through the context.
func (o *Office) RecomputeAudiences(ctx context.Context) error {
	return o.write(ctx, "RecomputeAudiences", func(w *Write) error {
		return w.recomputeAll(nil)
	})
}

// Freshen recomputes audiences first if an agreement entered or left force
// since they were computed, so that a read is right at this instant.
func (o *Office) Freshen(ctx context.Context) error {
	var st State
	err := o.inRead(ctx, "freshen", func(tx Tx) error {
		var err error
		st, err = ReadState(tx)
		return err
	})
	if err != nil || !st.Expired(o.Clock()) {
		return err
	}
	// Begin recomputes when the audiences are still expired.
	return o.write(ctx, "freshen", func(*Write) error { return nil })
}
