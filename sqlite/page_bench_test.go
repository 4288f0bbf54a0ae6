package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/bench"
	"liaison/sqlite"
	"liaison/stix"
)

// pageFixture is a store of generated objects, with each batch's
// date_added known from the injected clock.
type pageFixture struct {
	s       *sqlite.Store
	world   bench.World
	t0      time.Time // batch i was added at t0 + i seconds
	batches int
	rows    int
	narrow  int // versions the narrow reader can read
}

// loadPageFixture fills a new store with rows generated objects through
// AddObjects, 1000 per transaction, as a TAXII envelope would.
func loadPageFixture(b *testing.B, rows int) *pageFixture {
	b.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	s, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{Now: now, Password: testCost, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	w, err := bench.Setup(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	writer, err := s.User(ctx, w.Writer.Name)
	if err != nil {
		b.Fatal(err)
	}
	narrow, err := s.User(ctx, w.Narrow.Name)
	if err != nil {
		b.Fatal(err)
	}
	w.Writer, w.Narrow = writer, narrow
	f := &pageFixture{s: s, world: w, t0: t0, rows: rows}
	g := bench.NewGenerator(1)
	add := func(objs []bench.Object) {
		mu.Lock()
		clock = t0.Add(time.Duration(f.batches) * time.Second)
		mu.Unlock()
		cands := make([]liaison.Candidate, len(objs))
		for i, o := range objs {
			c, err := stix.Decode(i, o.Raw)
			if err != nil {
				b.Fatal(err)
			}
			cands[i] = c
		}
		res, err := s.AddObjects(ctx, writer, w.Collection, cands)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Rejected) > 0 {
			b.Fatalf("rejected: %s", res.Rejected[0].Message)
		}
		f.batches++
	}
	add(g.Preamble())
	for done := 0; done < rows; {
		n := min(1000, rows-done)
		objs := make([]bench.Object, n)
		for i := range objs {
			objs[i] = g.Next()
		}
		add(objs)
		done += n
	}
	// Count what the narrow reader sees, with the store's own paging.
	q := liaison.ObjectQuery{Limit: 1000}
	for {
		p, err := s.Objects(ctx, narrow, w.Collection, q)
		if err != nil {
			b.Fatal(err)
		}
		f.narrow += len(p.Versions)
		if !p.More {
			break
		}
		q.Next = p.Next
	}
	return f
}

// starts returns added_after instants from which a full page of limit
// follows for both readers, in a fixed pseudo-random order.
func (f *pageFixture) starts(limit int) []time.Time {
	frac := float64(f.narrow) / float64(f.rows)
	span := f.batches - 1 - int(float64(limit)/frac/1000) - 1
	rng := rand.New(rand.NewPCG(42, uint64(limit)))
	out := make([]time.Time, 256)
	for i := range out {
		batch := 1 + rng.IntN(max(span, 1))
		out[i] = f.t0.Add(time.Duration(batch)*time.Second - time.Microsecond)
	}
	return out
}

// BenchmarkPageByAudience reads one page of latest versions from a collection
// of 100k objects, as a reader who sees everything (the originator) and as
// a reader who sees a small fraction (NZL, about 4%), starting at the same
// added_after instants. The releasability requirement: the narrow reader's
// page costs at most 1.5 times the wide reader's. The ratio
// sub-benchmarks time both reads of the same page in the same iteration
// and report narrow/wide.
func BenchmarkPageByAudience(b *testing.B) {
	f := loadPageFixture(b, 100_000)
	ctx := context.Background()
	b.Logf("fixture: %d objects, the narrow reader sees %d (%.1f%%)", f.rows, f.narrow, 100*float64(f.narrow)/float64(f.rows))
	for _, p := range []liaison.Principal{f.world.Writer, f.world.Narrow} {
		r, all := sqlite.ReadableAudiences(b, f.s, p.Org)
		b.Logf("%s may read %d of the store's %d audiences", p.Org, r, all)
	}
	read := func(b *testing.B, p liaison.Principal, limit int, after time.Time) {
		page, err := f.s.Objects(ctx, p, f.world.Collection, liaison.ObjectQuery{Limit: limit, AddedAfter: after})
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Versions) != limit {
			b.Fatalf("%s: page of %d versions, want %d", p.Name, len(page.Versions), limit)
		}
	}
	for _, limit := range []int{100, 1000} {
		starts := f.starts(limit)
		for _, rd := range []struct {
			name string
			p    liaison.Principal
		}{{"wide", f.world.Writer}, {"narrow", f.world.Narrow}} {
			b.Run(fmt.Sprintf("rows=100k/limit=%d/reader=%s", limit, rd.name), func(b *testing.B) {
				i := 0
				for b.Loop() {
					read(b, rd.p, limit, starts[i%len(starts)])
					i++
				}
			})
		}
		ratio := func(b *testing.B) {
			var wide, narrow time.Duration
			i := 0
			for b.Loop() {
				at := starts[i%len(starts)]
				t := time.Now()
				read(b, f.world.Writer, limit, at)
				t2 := time.Now()
				read(b, f.world.Narrow, limit, at)
				wide += t2.Sub(t)
				narrow += time.Since(t2)
				i++
			}
			b.ReportMetric(float64(narrow)/float64(wide), "narrow/wide")
			b.ReportMetric(float64(wide.Microseconds())/1000/float64(b.N), "wide-ms/op")
			b.ReportMetric(float64(narrow.Microseconds())/1000/float64(b.N), "narrow-ms/op")
		}
		b.Run(fmt.Sprintf("rows=100k/limit=%d/reader=ratio", limit), ratio)
		// The same with every page read along the collection, as before
		// readers of few audiences walked them one by one.
		b.Run(fmt.Sprintf("rows=100k/limit=%d/reader=ratio-scan", limit), func(b *testing.B) {
			sqlite.SetAudienceArms(f.s, 0)
			defer sqlite.SetAudienceArms(f.s, 32)
			ratio(b)
		})
	}
}
