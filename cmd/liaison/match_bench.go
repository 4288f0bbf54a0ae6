package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/bench"
	"liaison/match"
	"liaison/sqlite"
	"liaison/stix"
)

// matchBenchResult is what liaison bench --match measured.
type matchBenchResult struct {
	Index  match.BenchResult `json:"index"`
	Office officeMatchResult `json:"office"`
}

// officeMatchResult is Store.Match measured end to end on a SQLite store:
// index candidates, confirmed by the submitter's reader-filtered reads.
type officeMatchResult struct {
	Indicators   int           `json:"indicators"`
	Batches      int           `json:"batches"`
	BatchSize    int           `json:"batch_size"`
	ObsPerSec    float64       `json:"observations_per_s"`
	ObsPerCPUSec float64       `json:"observations_per_cpu_s"`
	P50          time.Duration `json:"p50_ns"` // per batch
	P99          time.Duration `json:"p99_ns"`
	Matches      int           `json:"matches"`
	Fill         time.Duration `json:"fill_ns"` // the first match: filling the index from the store
}

// parseMatchSizes reads --match INDICATORS:OBSERVATIONS, such as 100k:1m.
func parseMatchSizes(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want INDICATORS:OBSERVATIONS such as 100k:1m", s)
	}
	ni, err := bench.ParseSize(a)
	if err != nil {
		return 0, 0, err
	}
	no, err := bench.ParseSize(b)
	if err != nil {
		return 0, 0, err
	}
	return ni, no, nil
}

// runMatchBench measures the matcher: the index against the plain loop in
// the same run, then the office's Match through a real store.
func (o *benchCmd) runMatchBench(ctx context.Context, e *env) error {
	ni, no, err := parseMatchSizes(o.match)
	if err != nil {
		return usagef("--match: %v", err)
	}
	// The plain loop tries every indicator on each observation: a few
	// observations give its rate.
	naive := min(no, max(5, 2_000_000/max(ni, 1)))
	fmt.Fprintf(e.stderr, "matcher: %d indicators, %d observations (index), then the plain loop on %d\n", ni, no, naive)
	ix, err := match.Bench(match.BenchConfig{Indicators: ni, Observations: no, NaiveObservations: naive, Seed: uint64(max(o.seed, 1)), CPU: processCPU})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, ix.String())
	office, err := o.officeMatch(ctx, e, min(ni, o.matchOffice), 50, 20)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "office Match (SQLite, %d indicators, batches of %d lone SCOs, each candidate confirmed by the submitter's read): %.0f observations/s (%.0f per CPU-second), per batch p50 %v, p99 %v; first match filled the index in %v; %d matches\n",
		office.Indicators, office.BatchSize, office.ObsPerSec, office.ObsPerCPUSec, office.P50, office.P99, office.Fill.Round(time.Millisecond), office.Matches)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(matchBenchResult{Index: ix, Office: office}, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: write %s: %w", o.jsonOut, err)
		}
	}
	return nil
}

// officeMatch writes n indicators to a fresh SQLite store and times
// Store.Match on batches of observations.
func (o *benchCmd) officeMatch(ctx context.Context, e *env, n, batch, batches int) (officeMatchResult, error) {
	res := officeMatchResult{Indicators: n, Batches: batches, BatchSize: batch}
	dir := o.workdir
	if dir == "" {
		d, err := os.MkdirTemp("", "liaison-match-bench-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	s, err := sqlite.Open(ctx, filepath.Join(dir, "match-office"), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		return res, err
	}
	defer s.Close()
	if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}); err != nil {
		return res, err
	}
	p := liaison.Principal{Name: "bench", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &p, ""); err != nil {
		return res, err
	}
	c := liaison.Collection{Title: "Indicators", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		return res, err
	}
	srcs := match.BenchPatterns(uint64(max(o.seed, 1)), n)
	var cands []liaison.Candidate
	flush := func() error {
		if len(cands) == 0 {
			return nil
		}
		wr, err := s.AddObjects(ctx, p, c.ID, cands)
		if err != nil {
			return err
		}
		if len(wr.Rejected) > 0 {
			return fmt.Errorf("bench indicator rejected: %s", wr.Rejected[0].Message)
		}
		cands = cands[:0]
		return nil
	}
	for i, src := range srcs {
		raw, _ := json.Marshal(map[string]any{"type": "indicator", "spec_version": "2.1", "id": fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i),
			"created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern_type": "stix", "pattern": src, "valid_from": "2026-01-01T00:00:00Z"})
		cand, err := stix.Decode(i, raw)
		if err != nil {
			return res, fmt.Errorf("bench indicator %d: %w", i, err)
		}
		if cands = append(cands, cand); len(cands) == 1000 {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	r := rand.New(rand.NewPCG(uint64(max(o.seed, 1)), 7))
	space := max(2*n, 1)
	mk := func(b int) []json.RawMessage {
		objs := make([]json.RawMessage, batch)
		for i := range objs {
			k := r.IntN(space)
			objs[i] = json.RawMessage(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%08x-%04x-4000-8000-000000000000","value":"10.%d.%d.%d"}`, b, i, k>>16&255, k>>8&255, k&255))
		}
		return objs
	}
	t := time.Now()
	first, err := s.Match(ctx, p, liaison.MatchRequest{Objects: mk(0)})
	if err != nil {
		return res, err
	}
	res.Fill = time.Since(t)
	res.Matches += len(first.Matches)
	lat := make([]time.Duration, batches)
	c0 := processCPU()
	start := time.Now()
	for b := range batches {
		objs := mk(b + 1)
		t := time.Now()
		m, err := s.Match(ctx, p, liaison.MatchRequest{Objects: objs})
		if err != nil {
			return res, err
		}
		lat[b] = time.Since(t)
		res.Matches += len(m.Matches)
	}
	res.ObsPerSec = float64(batch*batches) / time.Since(start).Seconds()
	if c := processCPU() - c0; c > 0 {
		res.ObsPerCPUSec = float64(batch*batches) / c.Seconds()
	}
	slices.Sort(lat)
	res.P50, res.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	return res, nil
}
