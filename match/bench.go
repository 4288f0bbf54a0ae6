package match

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
)

// BenchConfig sizes a run of Bench. Zero fields take the defaults.
type BenchConfig struct {
	Indicators        int    // indicators in the index (default 100,000)
	Observations      int    // observations streamed through Match (default 100,000)
	NaiveObservations int    // observations for the plain loop over every indicator (default 100)
	Seed              uint64 // generator seed (default 1)
	// CPU, if set, returns the process's CPU time: the rates are then also
	// given per CPU-second, which a loaded machine does not inflate.
	CPU func() time.Duration
}

// BenchResult is what Bench measured, on the calling goroutine alone.
type BenchResult struct {
	Indicators        int
	Residual          int           // indicators filed only by object type
	Build             time.Duration // compiling and adding every indicator
	BytesPerIndicator float64       // live heap of compiled indicators and index, per indicator
	Observations      int
	Hits              int
	ObsPerSec         float64 // Match over the stream
	P50, P99, Max     time.Duration
	NaiveObsPerSec    float64 // the plain loop, every indicator tried on every observation
	// ObsPerCPUSec and NaiveObsPerCPUSec are the same rates per CPU-second
	// of the process (GC included), when BenchConfig.CPU is set.
	ObsPerCPUSec, NaiveObsPerCPUSec float64
}

// String prints the result on a few lines, for a command line.
func (r BenchResult) String() string {
	return fmt.Sprintf("indicators %d (residual %d), built in %v, %.0f bytes/indicator\n"+
		"indexed: %.0f observations/s, p50 %v, p99 %v, max %v, %d hits in %d observations\n"+
		"plain loop: %.1f observations/s (%.0fx slower)",
		r.Indicators, r.Residual, r.Build.Round(time.Millisecond), r.BytesPerIndicator,
		r.ObsPerSec, r.P50, r.P99, r.Max, r.Hits, r.Observations,
		r.NaiveObsPerSec, r.ObsPerSec/max(r.NaiveObsPerSec, 1e-9)) + r.perCPU()
}

func (r BenchResult) perCPU() string {
	if r.ObsPerCPUSec == 0 {
		return ""
	}
	return fmt.Sprintf("\nper CPU-second of the process: indexed %.0f observations, plain loop %.1f", r.ObsPerCPUSec, r.NaiveObsPerCPUSec)
}

// benchT0 is the time of the generated observations; the generated
// START/STOP windows hold it.
var benchT0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func benchIP(k int) string     { return fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255) }
func benchDomain(k int) string { return fmt.Sprintf("d%d.example", k) }
func benchURL(k int) string    { return fmt.Sprintf("http://h%d.example/p", k) }
func benchSHA(k int) string {
	s := sha256.Sum256([]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)})
	return hex.EncodeToString(s[:])
}
func benchMD5(k int) string { return benchSHA(k)[:32] }

// BenchPatterns returns n generated pattern sources: 70% a single
// equality on an ipv4-addr, domain-name, url or file hash; 30% compound:
// AND and OR inside an observation expression, AND and FOLLOWEDBY between
// observations, WITHIN, REPEATS, START/STOP, ISSUBSET, and one in a
// thousand a residual (LIKE or MATCHES) that no value key can file.
func BenchPatterns(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 0x6d61746368))
	out := make([]string, n)
	for i := range out {
		k := r.IntN(max(n, 1))
		k2 := r.IntN(max(n, 1))
		if r.IntN(100) < 70 {
			switch i % 5 {
			case 0:
				out[i] = fmt.Sprintf("[ipv4-addr:value = '%s']", benchIP(k))
			case 1:
				out[i] = fmt.Sprintf("[domain-name:value = '%s']", benchDomain(k))
			case 2:
				out[i] = fmt.Sprintf("[url:value = '%s']", benchURL(k))
			case 3:
				out[i] = fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", benchSHA(k))
			default:
				out[i] = fmt.Sprintf("[file:hashes.MD5 = '%s']", benchMD5(k))
			}
			continue
		}
		if r.IntN(300) == 0 {
			if i%2 == 0 {
				out[i] = fmt.Sprintf("[domain-name:value LIKE '%%.evil%d.example']", k%1000)
			} else {
				out[i] = fmt.Sprintf("[url:value MATCHES '^https?://[a-z0-9.]+/x%d$']", k%1000)
			}
			continue
		}
		switch i % 8 {
		case 0:
			out[i] = fmt.Sprintf("[file:hashes.MD5 = '%s' AND file:size > 1000]", benchMD5(k))
		case 1:
			out[i] = fmt.Sprintf("[ipv4-addr:value = '%s' OR domain-name:value = '%s']", benchIP(k), benchDomain(k2))
		case 2:
			out[i] = fmt.Sprintf("([ipv4-addr:value = '%s'] FOLLOWEDBY [domain-name:value = '%s']) WITHIN 300 SECONDS", benchIP(k), benchDomain(k2))
		case 3:
			out[i] = fmt.Sprintf("[network-traffic:dst_ref.value = '%s' AND network-traffic:dst_port = 443] REPEATS 3 TIMES WITHIN 600 SECONDS", benchIP(k))
		case 4:
			out[i] = fmt.Sprintf("[url:value = '%s'] START t'2026-01-01T00:00:00Z' STOP t'2027-01-01T00:00:00Z'", benchURL(k))
		case 5:
			out[i] = fmt.Sprintf("[file:hashes.'SHA-256' = '%s'] AND [process:name = 'p%d.exe']", benchSHA(k), k2%100)
		case 6:
			out[i] = fmt.Sprintf("[ipv4-addr:value ISSUBSET '10.%d.%d.0/24']", r.IntN(256), r.IntN(256))
		default:
			out[i] = fmt.Sprintf("[domain-name:value IN ('%s', '%s') AND domain-name:resolves_to_refs[*].value = '%s']", benchDomain(k), benchDomain(k2), benchIP(k))
		}
	}
	return out
}

// BenchIndicators compiles BenchPatterns into indicators with IDs
// indicator--bench-<i>.
func BenchIndicators(seed uint64, n int) ([]*Indicator, error) {
	srcs := BenchPatterns(seed, n)
	out := make([]*Indicator, n)
	for i, s := range srcs {
		p, err := Compile(s)
		if err != nil {
			return nil, fmt.Errorf("bench pattern %d %s: %v", i, s, err)
		}
		out[i] = &Indicator{ID: fmt.Sprintf("indicator--bench-%d", i), Modified: benchT0, ValidFrom: benchT0.Add(-time.Hour), Pattern: p}
	}
	return out, nil
}

// BenchObservations returns n generated observations, one observed-data
// each, whose values are drawn from twice the value space of nIndicators
// indicators, so that some match: an address, a domain resolving to an
// address, a URL, a file with hashes, or network traffic to an address.
func BenchObservations(seed uint64, nIndicators, n int) []Observation {
	r := rand.New(rand.NewPCG(seed, 0x6f6273))
	space := max(2*nIndicators, 1)
	out := make([]Observation, n)
	for i := range out {
		k := r.IntN(space)
		at := benchT0.Add(time.Duration(i) * time.Millisecond)
		o := Observation{ID: fmt.Sprintf("observed-data--bench-%d", i), First: at, Last: at, Count: 1}
		switch i % 5 {
		case 0:
			o.Objects = []Object{{"type": "ipv4-addr", "value": benchIP(k)}}
		case 1:
			ip := Object{"type": "ipv4-addr", "value": benchIP(r.IntN(space))}
			o.Objects = []Object{{"type": "domain-name", "value": benchDomain(k), "resolves_to_refs": []any{"1"}}, ip}
			o.Refs = map[string]Object{"1": ip}
		case 2:
			o.Objects = []Object{{"type": "url", "value": benchURL(k)}}
		case 3:
			o.Objects = []Object{{"type": "file", "name": fmt.Sprintf("f%d.exe", k), "size": int64(k % 5000),
				"hashes": map[string]any{"SHA-256": benchSHA(k), "MD5": benchMD5(r.IntN(space))}}}
		default:
			ip := Object{"type": "ipv4-addr", "value": benchIP(k)}
			o.Objects = []Object{{"type": "network-traffic", "dst_ref": "1", "dst_port": int64(443), "protocols": []any{"tcp"}}, ip}
			o.Refs = map[string]Object{"1": ip}
			o.Count = int64(1 + k%4)
		}
		out[i] = o
	}
	return out
}

// Bench builds an index of generated indicators and streams generated
// observations through Match on the calling goroutine, timing each; then
// it runs the plain loop over every indicator on the first few
// observations for comparison. Run it on an otherwise idle core
// (GOMAXPROCS=1 gives the one-core figure). `liaison bench` can call it.
func Bench(cfg BenchConfig) (BenchResult, error) {
	if cfg.Indicators <= 0 {
		cfg.Indicators = 100000
	}
	if cfg.Observations <= 0 {
		cfg.Observations = 100000
	}
	if cfg.NaiveObservations <= 0 {
		cfg.NaiveObservations = 100
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	res := BenchResult{Indicators: cfg.Indicators, Observations: cfg.Observations}
	srcs := BenchPatterns(cfg.Seed, cfg.Indicators)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	x := NewIndex(func() time.Time { return benchT0 })
	for i, s := range srcs {
		p, err := Compile(s)
		if err != nil {
			return res, fmt.Errorf("bench pattern %d %s: %v", i, s, err)
		}
		ind := &Indicator{ID: fmt.Sprintf("indicator--bench-%d", i), Modified: benchT0, Pattern: p}
		if err := x.Add(ind); err != nil {
			return res, err
		}
	}
	res.Build = time.Since(start)
	srcs = nil
	runtime.GC()
	runtime.ReadMemStats(&m1)
	res.BytesPerIndicator = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(cfg.Indicators)
	for k, ps := range x.post {
		if k.kind == kType {
			res.Residual += len(ps)
		}
	}

	obs := BenchObservations(cfg.Seed, cfg.Indicators, cfg.Observations)
	// The reader may see all but a tenth of the indicators.
	visible := func(id string) bool { return id[len(id)-1] != '7' }
	lat := make([]time.Duration, len(obs))
	cpu := cfg.CPU
	if cpu == nil {
		cpu = func() time.Duration { return 0 }
	}
	c0 := cpu()
	start = time.Now()
	for i := range obs {
		t := time.Now()
		res.Hits += len(x.Match(obs[i], visible))
		lat[i] = time.Since(t)
	}
	total := time.Since(start)
	res.ObsPerSec = float64(len(obs)) / total.Seconds()
	if c := cpu() - c0; c > 0 {
		res.ObsPerCPUSec = float64(len(obs)) / c.Seconds()
	}
	slices.Sort(lat)
	res.P50 = lat[len(lat)/2]
	res.P99 = lat[len(lat)*99/100]
	res.Max = lat[len(lat)-1]

	n := min(cfg.NaiveObservations, len(obs))
	c0 = cpu()
	start = time.Now()
	for i := 0; i < n; i++ {
		x.matchAll(obs[i:i+1], visible)
	}
	res.NaiveObsPerSec = float64(n) / time.Since(start).Seconds()
	if c := cpu() - c0; c > 0 {
		res.NaiveObsPerCPUSec = float64(n) / c.Seconds()
	}
	runtime.KeepAlive(x)
	return res, nil
}
