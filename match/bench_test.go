package match

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The benchmarks share one index of 100,000 generated indicators.
var (
	benchOnce  sync.Once
	benchIndex *Index
	benchObs   []Observation
)

func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		inds, err := BenchIndicators(1, 100000)
		if err != nil {
			b.Fatal(err)
		}
		benchIndex = NewIndex(func() time.Time { return benchT0 })
		for _, ind := range inds {
			if err := benchIndex.Add(ind); err != nil {
				b.Fatal(err)
			}
		}
		benchObs = BenchObservations(1, 100000, 100000)
	})
}

func benchVisible(id string) bool { return id[len(id)-1] != '7' }

// BenchmarkMatch streams observations through the index of 100,000
// indicators; it reports observations/s and the p99 latency of one
// Match, and, measured the same way on 100 observations, the plain loop
// over every indicator. Run with -cpu 1 for the one-core figure.
func BenchmarkMatch(b *testing.B) {
	benchSetup(b)
	lat := make([]time.Duration, 0, 1<<16)
	hits := 0
	i := 0
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		hits += len(benchIndex.Match(benchObs[i%len(benchObs)], benchVisible))
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t))
		}
		i++
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/obs")
	start := time.Now()
	const naive = 100
	for j := 0; j < naive; j++ {
		benchIndex.matchAll(benchObs[j:j+1], benchVisible)
	}
	b.ReportMetric(naive/time.Since(start).Seconds(), "naive-obs/s")
}

// BenchmarkMatchBatch matches bundles of 20 observations together.
func BenchmarkMatchBatch(b *testing.B) {
	benchSetup(b)
	i := 0
	for b.Loop() {
		j := (i * 20) % (len(benchObs) - 20)
		benchIndex.MatchBatch(benchObs[j:j+20], benchVisible)
		i++
	}
	b.ReportMetric(float64(b.N*20)/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkMemory reports the live heap per indicator of compiled
// patterns and index, at 100,000 and 1,000,000 indicators.
func BenchmarkMemory(b *testing.B) {
	for _, n := range []int{100000, 1000000} {
		b.Run(itoa(n), func(b *testing.B) {
			for b.Loop() {
				srcs := BenchPatterns(2, n)
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				x := NewIndex(nil)
				for i, s := range srcs {
					p, err := Compile(s)
					if err != nil {
						b.Fatal(err)
					}
					if err := x.Add(&Indicator{ID: "indicator--bench-" + itoa(i), Pattern: p}); err != nil {
						b.Fatal(err)
					}
				}
				srcs = nil
				runtime.GC()
				runtime.ReadMemStats(&m1)
				b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(n), "bytes/indicator")
				runtime.KeepAlive(x)
			}
		})
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// TestBench runs Bench small, so that `liaison bench` finds it working.
func TestBench(t *testing.T) {
	r, err := Bench(BenchConfig{Indicators: 2000, Observations: 2000, NaiveObservations: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.Hits == 0 || r.ObsPerSec <= 0 || r.NaiveObsPerSec <= 0 || r.BytesPerIndicator <= 0 {
		t.Fatalf("Bench = %+v", r)
	}
	t.Log(r)
}

// TestBenchAgrees: on the generated workload the index finds what the
// plain loop finds.
func TestBenchAgrees(t *testing.T) {
	inds, err := BenchIndicators(3, 3000)
	if err != nil {
		t.Fatal(err)
	}
	x := NewIndex(func() time.Time { return benchT0 })
	for _, ind := range inds {
		if err := x.Add(ind); err != nil {
			t.Fatal(err)
		}
	}
	obs := BenchObservations(3, 3000, 400)
	hits := 0
	for i := range obs {
		got, want := hitIDs(x.Match(obs[i], benchVisible)), hitIDs(x.matchAll(obs[i:i+1], benchVisible))
		if !slices.Equal(got, want) {
			t.Fatalf("observation %d: index %v, plain %v", i, got, want)
		}
		hits += len(got)
	}
	for i := 0; i+20 <= len(obs); i += 20 {
		got, want := hitIDs(x.MatchBatch(obs[i:i+20], benchVisible)), hitIDs(x.matchAll(obs[i:i+20], benchVisible))
		if !slices.Equal(got, want) {
			t.Fatalf("batch %d: index %v, plain %v", i, got, want)
		}
	}
	if hits == 0 {
		t.Fatal("no hits: the generator's values do not meet")
	}
}
