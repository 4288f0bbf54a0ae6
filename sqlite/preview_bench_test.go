package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaison"
)

// BenchmarkPreviewDirectory weighs a security agreement for KOR (the
// effect preview, read-only) over stores of 10,000 and
// LIAISON_BENCH_OBJECTS (default 100,000) objects, a third of them
// relationships, and reports its time, CPU time, and the largest live
// heap seen while it runs, to show that memory does not grow with the
// store.
func BenchmarkPreviewDirectory(b *testing.B) {
	large := 100000
	if v, err := strconv.Atoi(os.Getenv("LIAISON_BENCH_OBJECTS")); err == nil && v > 0 {
		large = v
	}
	for _, total := range []int{10000, large} {
		b.Run(fmt.Sprintf("objects=%d", total), func(b *testing.B) {
			s, p, coll := benchWorld(b, b.TempDir())
			ctx := context.Background()
			for base := 0; base < total; base += 1000 {
				if _, err := s.AddObjects(ctx, p, coll, benchBatch(base)); err != nil {
					b.Fatal(err)
				}
			}
			admin := liaison.Principal{Name: "admin", Org: "USA", Roles: []liaison.Role{liaison.RoleAdmin}}
			change := liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &liaison.Agreement{Partner: "KOR", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATORestricted}}
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
			}()
			cpu0 := cpuTime()
			b.ResetTimer()
			var eff liaison.DirectoryEffect
			for i := 0; i < b.N; i++ {
				var err error
				if eff, err = s.PreviewDirectory(ctx, admin, change); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			if eff.Versions != int64(total) {
				b.Fatalf("weighed %d versions, want %d", eff.Versions, total)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/preview")
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/preview")
			grown := int64(peak.Load()) - int64(base.HeapInuse)
			b.ReportMetric(float64(max(grown, 0))/(1<<20), "heap-MB-peak")
		})
	}
}
