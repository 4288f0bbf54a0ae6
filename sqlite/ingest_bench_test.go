package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"liaison"
	"liaison/bench"
	"liaison/core"
	"liaison/sqlite"
	"liaison/stix"
)

// BenchmarkIngestVsRaw grows two stores to LIAISON_BENCH_OBJECTS of the
// benchmark's generated objects (default 100000) side by side, in steps
// of 4,000 (a full group commit of liaison bench's 4 clients): one
// through the store's AddObjects, one by the raw inserts of liaison
// bench (the same rows, search documents included, with no checks).
// Each step's objects are decoded and their search documents made before
// it is timed, so both sides time the writer's work alone; the two alternate
// step by step, so a loaded machine weighs on both alike. It reports
// each side's objects per CPU-second (the process's, so each side's
// figure also holds what both stores' background checkpoints did
// meanwhile) and their ratio, the writer's ingest efficiency.
func BenchmarkIngestVsRaw(b *testing.B) {
	total := 100000
	if v, err := strconv.Atoi(os.Getenv("LIAISON_BENCH_OBJECTS")); err == nil && v > 0 {
		total = v
	}
	const step = 4000
	ctx := context.Background()
	for b.Loop() {
		dir := b.TempDir()
		open := func(ctx context.Context, dir string) (liaison.Store, error) {
			return sqlite.Open(ctx, dir, sqlite.Options{Password: testCost, Logger: testLogger(b)})
		}
		eng := bench.SQLite(dir, open)
		s, err := eng.Open(ctx, "store")
		if err != nil {
			b.Fatal(err)
		}
		w, err := bench.Setup(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := eng.Open(ctx, "raw")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bench.Setup(ctx, raw); err != nil {
			b.Fatal(err)
		}
		if err := raw.Close(); err != nil {
			b.Fatal(err)
		}
		ins, err := eng.Raw(ctx, "raw")
		if err != nil {
			b.Fatal(err)
		}
		g := bench.NewGenerator(1)
		objs := g.Preamble()
		var storeCPU, rawCPU time.Duration
		for n := 0; n < total; {
			for len(objs) < min(step, total-n) {
				objs = append(objs, g.Next())
			}
			cands := make([]liaison.Candidate, len(objs))
			rows := make([]bench.Row, len(objs))
			for i, o := range objs {
				if cands[i], err = stix.Decode(i, o.Raw); err != nil {
					b.Fatal(err)
				}
				rows[i] = bench.RowOf(o)
			}
			cands = core.PrepareSearch(cands)
			cpu0 := cpuTime()
			res, err := s.AddObjects(ctx, w.Writer, w.Collection, cands)
			if err != nil {
				b.Fatal(err)
			}
			cpu1 := cpuTime()
			if len(res.Rejected) > 0 {
				b.Fatalf("rejected: %+v", res.Rejected[0])
			}
			if err := ins.Insert(ctx, rows); err != nil {
				b.Fatal(err)
			}
			storeCPU += cpu1 - cpu0
			rawCPU += cpuTime() - cpu1
			n += len(objs)
			objs = objs[:0]
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if err := ins.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total)/storeCPU.Seconds(), "store-objects/cpu-s")
		b.ReportMetric(float64(total)/rawCPU.Seconds(), "raw-objects/cpu-s")
		b.ReportMetric(rawCPU.Seconds()/storeCPU.Seconds(), "efficiency")
		_ = os.RemoveAll(filepath.Join(dir, "store"))
	}
}
