package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"liaison"
)

// keptStore is the engine's name of the store that Config.Keep keeps and
// Config.Reuse reads again: the store the TAXII ingest grew.
const keptStore = "ingest"

// keptFile, in the work folder, is what the benchmark knows of a kept
// store that the store cannot tell it: when each count of objects had
// been stored (for added_after), the sample of ids, the graph's hub.
const keptFile = "bench-kept.json"

// kept is the content of keptFile.
type kept struct {
	Seed     uint64     `json:"seed"`
	Stored   int        `json:"stored"`
	Bytes    int64      `json:"bytes"`
	Preamble int        `json:"preamble"`
	Timeline []keptMark `json:"timeline"`
	IDs      []string   `json:"ids"`
	IDsSeen  int        `json:"ids_seen"`
	Hub      string     `json:"hub,omitempty"`
	Saved    time.Time  `json:"saved"`
}

type keptMark struct {
	N int       `json:"n"`
	T time.Time `json:"t"`
}

// saveKept writes what the run knows of its store to the work folder,
// through a temporary file, so a kept store never has half a state file.
func (r *run) saveKept() error {
	r.mu.Lock()
	k := kept{Seed: r.cfg.Seed, Stored: r.stored, Bytes: r.bytes, Preamble: r.preamble,
		IDs: r.ids, IDsSeen: r.idsSeen, Hub: r.hub, Saved: time.Now().UTC()}
	for _, m := range r.timeline {
		k.Timeline = append(k.Timeline, keptMark{m.n, m.t})
	}
	r.mu.Unlock()
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("bench: keep: %w", err)
	}
	path := filepath.Join(r.cfg.WorkDir, keptFile)
	if err := os.WriteFile(path+".tmp", b, 0o640); err != nil {
		return fmt.Errorf("bench: keep: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("bench: keep: %w", err)
	}
	return nil
}

// loadKept reads the state file of a kept store into r.
func (r *run) loadKept() error {
	b, err := os.ReadFile(filepath.Join(r.cfg.WorkDir, keptFile))
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "bench: reuse: %s holds no store kept by --keep: %v", r.cfg.WorkDir, err)
	}
	var k kept
	if err := json.Unmarshal(b, &k); err != nil {
		return fmt.Errorf("bench: reuse: %s: %w", keptFile, err)
	}
	if k.Stored <= 0 || len(k.Timeline) == 0 || len(k.IDs) == 0 {
		return liaison.Errorf(liaison.EINVALID, "bench: reuse: %s describes an empty store", keptFile)
	}
	r.stored, r.bytes, r.preamble = k.Stored, k.Bytes, k.Preamble
	r.ids, r.idsSeen, r.hub = k.IDs, k.IDsSeen, k.Hub
	r.timeline = r.timeline[:0]
	for _, m := range k.Timeline {
		r.timeline = append(r.timeline, mark{m.N, m.T})
	}
	return nil
}

// reuse opens the store a run with Keep left in the work folder, gives
// its two users new tokens, serves it, and measures its reads once, at
// the size it has; nothing is ingested.
func (r *run) reuse(ctx context.Context, rep *Report) (err error) {
	if err := r.loadKept(); err != nil {
		return err
	}
	s, err := r.cfg.Engine.Open(ctx, keptStore)
	if err != nil {
		return fmt.Errorf("bench: reuse: open store: %w", err)
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	if r.world, err = worldOf(ctx, s); err != nil {
		return err
	}
	stop, err := r.serve(ctx, s)
	if err != nil {
		return err
	}
	defer stop()
	r.cfg.Log.Info("reusing a kept store", "objects", r.stored)
	res := SizeResult{Objects: r.stored}
	if st, ok := s.(settler); ok {
		t0 := time.Now()
		if err := st.Settle(ctx); err != nil {
			return fmt.Errorf("bench: settle: %w", err)
		}
		res.SettleS = time.Since(t0).Seconds()
	}
	rss := startRSS()
	err = r.measureReads(ctx, &res)
	res.PeakRSSServingMB = rss.end()
	if err != nil {
		return err
	}
	rep.Sizes = append(rep.Sizes, res)
	if r.stored > r.preamble {
		rep.AvgBytes = int(r.bytes / int64(r.stored-r.preamble))
	}
	// The hub may have been added now.
	return r.saveKept()
}

// worldOf finds the benchmark world in a store that Setup filled, and
// gives its two users new API tokens (the store keeps only the hashes of
// the old ones).
func worldOf(ctx context.Context, s liaison.Store) (World, error) {
	w := World{Collection: CollectionID}
	for _, u := range []struct {
		name  string
		p     *liaison.Principal
		token *string
	}{{WriterName, &w.Writer, &w.WriterToken}, {NarrowName, &w.Narrow, &w.NarrowToken}} {
		p, err := s.User(ctx, u.name)
		if err != nil {
			return World{}, fmt.Errorf("bench: reuse: user %s: %w", u.name, err)
		}
		_, secret, err := s.CreateToken(ctx, u.name)
		if err != nil {
			return World{}, fmt.Errorf("bench: reuse: token for %s: %w", u.name, err)
		}
		*u.p, *u.token = p, secret
	}
	return w, nil
}
