package postgres_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"liaison"
	"liaison/bench"
	"liaison/postgres"
	"liaison/stix"
	"liaison/storetest"
)

// benchCandidates are the benchmark generator's objects (seed 1) from
// the n-th on, decoded as TAXII decodes them, with TLP markings in the
// place of the hub's (which this store does not hold).
func benchCandidates(b testing.TB, g *bench.Generator, n int) []liaison.Candidate {
	b.Helper()
	marks := [][]string{nil, {liaison.TLPGreenID}, {liaison.TLPAmberID}, {liaison.TLPRedID}}
	out := make([]liaison.Candidate, n)
	for i := range out {
		o := g.Next()
		c, err := stix.Decode(i, o.Raw)
		if err != nil {
			b.Fatal(err)
		}
		c.MarkingRefs = marks[g.Count()%len(marks)]
		out[i] = c
	}
	return out
}

// processCPU is the user and system CPU of process pid (this one: 0),
// from /proc; 0 if it cannot be read.
func processCPU(pid uint32) time.Duration {
	if pid == 0 {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ
}

// smallOffice gives s three organisations (USA, FRA, JPN), an analyst of
// USA and a collection all may read and write.
func smallOffice(t testing.TB, s *postgres.Store) (liaison.Principal, liaison.Collection) {
	return storetest.SmallOffice(t, s)
}

// BenchmarkAddObjects writes envelopes of 1,000 of the benchmark's
// objects (a third relationships and sightings, with search documents)
// into a store that holds LIAISON_BENCH_OBJECTS (default 20,000) first,
// and reports objects per second, per CPU-second of this process, and
// the PostgreSQL server's CPU per 1,000 objects, read from /proc for the
// store's own connections (so the server must run on this machine; the
// figure is 0 otherwise). The server's CPU is most of an ingest's.
func BenchmarkAddObjects(b *testing.B) {
	url := serverURL(b)
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, postgres.Options{Password: testCost, Schema: schema(b, url), Logger: quiet(), MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	p, c := smallOffice(b, s)
	g := bench.NewGenerator(1)
	add := func(cs []liaison.Candidate) {
		res, err := s.AddObjects(ctx, p, c.ID, cs)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Rejected) > 0 {
			b.Fatalf("rejected %+v", res.Rejected[0])
		}
	}
	first := 20000
	if v, err := strconv.Atoi(os.Getenv("LIAISON_BENCH_OBJECTS")); err == nil && v >= 0 {
		first = v
	}
	for range first / 1000 {
		add(benchCandidates(b, g, 1000))
	}
	if err := s.Settle(ctx); err != nil {
		b.Fatal(err)
	}
	batches := make([][]liaison.Candidate, b.N)
	for i := range batches {
		batches[i] = benchCandidates(b, g, 1000)
	}
	pids := postgres.BackendPIDs(b, s, 4)
	server := func() (d time.Duration) {
		for _, pid := range pids {
			d += processCPU(pid)
		}
		return d
	}
	b.ResetTimer()
	start, cpu0, srv0 := time.Now(), processCPU(0), server()
	for i := 0; i < b.N; i++ {
		add(batches[i])
	}
	objects := float64(b.N * 1000)
	b.ReportMetric(objects/time.Since(start).Seconds(), "objects/s")
	b.ReportMetric(objects/(processCPU(0)-cpu0).Seconds(), "objects/cpu-s")
	b.ReportMetric(float64((server()-srv0).Milliseconds())/objects*1000, "server-cpu-ms/1000obj")
}
