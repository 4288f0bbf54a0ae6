package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// A load run serves a store of Objects objects and has Clients clients
// hammer it for Duration from another process, so that the load
// generator's CPU is not the server's: 80% pages with varied filters, 10%
// reads by id and 10% posts of new objects, as two organisations (the
// writer's, which reads everything and posts, and the narrow reader's,
// which reads pages and ids only; the writer's clients post more often so
// that the whole mix is 80/10/10).

// LoadOrders is what the load generator is told: where the office is, who
// it acts as, and what to ask for.
type LoadOrders struct {
	Root        string      `json:"root"` // API root URL, ending in /
	Collection  string      `json:"collection"`
	WriterToken string      `json:"writer_token"`
	NarrowToken string      `json:"narrow_token"`
	Clients     int         `json:"clients"`
	Duration    float64     `json:"duration_s"`
	Seed        uint64      `json:"seed"`
	IDs         []string    `json:"ids"`      // ids stored, for reads by id
	Timeline    []time.Time `json:"timeline"` // instants between writes, for added_after
}

// LoadKind is the distribution of one kind of request under load.
type LoadKind struct {
	Latency
	Errors int `json:"errors"`
}

// LoadResult is what the load generator measured.
type LoadResult struct {
	Requests     int      `json:"requests"`
	Errors       int      `json:"errors"`
	FirstError   string   `json:"first_error,omitempty"`
	Seconds      float64  `json:"seconds"`
	RequestsPerS float64  `json:"requests_per_s"`
	Pages        LoadKind `json:"pages"`
	ByID         LoadKind `json:"by_id"`
	Posts        LoadKind `json:"posts"`
	CPUSeconds   float64  `json:"generator_cpu_s"`
}

// Load is the load generator: it runs the orders' clients until the
// duration has passed and returns what they measured. An error answer (a
// 5xx, or a 4xx where a 2xx is due) counts as an error and the client goes
// on; only an unusable order fails Load.
func Load(ctx context.Context, o LoadOrders) (LoadResult, error) {
	if o.Clients <= 0 || o.Duration <= 0 || o.Root == "" || len(o.Timeline) == 0 {
		return LoadResult{}, errors.New("load: the orders need clients, a duration, an API root and a timeline")
	}
	cpu0 := cpuTime()
	deadline := time.Now().Add(time.Duration(o.Duration * float64(time.Second)))
	type tally struct {
		ds   [3][]time.Duration
		errs [3]int
		err  error
	}
	tallies := make([]tally, o.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[i]
			writer := i%2 == 0
			token := o.NarrowToken
			if writer {
				token = o.WriterToken
			}
			rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
			// Each client connects from a loopback address of its own,
			// as a machine of its own would.
			cl := newClient(o.Root, o.Collection, &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(1+i%250))})
			defer cl.close()
			var gen *Generator
			posts := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				kind, el, err := loadOne(ctx, cl, rng, o, token, writer, &gen, &posts, uint64(i))
				if err != nil {
					t.errs[kind]++
					if t.err == nil {
						t.err = err
					}
					continue
				}
				t.ds[kind] = append(t.ds[kind], el)
			}
		}()
	}
	wg.Wait()
	res := LoadResult{Seconds: time.Since(start).Seconds(), CPUSeconds: (cpuTime() - cpu0).Seconds()}
	var all [3][]time.Duration
	var errs [3]int
	for _, t := range tallies {
		for k := range 3 {
			all[k] = append(all[k], t.ds[k]...)
			errs[k] += t.errs[k]
		}
		if t.err != nil && res.FirstError == "" {
			res.FirstError = t.err.Error()
		}
	}
	kinds := [3]*LoadKind{&res.Pages, &res.ByID, &res.Posts}
	for k, lk := range kinds {
		lk.Latency = latencyOf(all[k])
		lk.Errors = errs[k]
		res.Requests += len(all[k]) + errs[k]
		res.Errors += errs[k]
	}
	if res.Seconds > 0 {
		res.RequestsPerS = float64(res.Requests) / res.Seconds
	}
	return res, ctx.Err()
}

const (
	kindPage = iota
	kindByID
	kindPost
)

// pageTypes are the type filters pages ask for; "" is none.
var pageTypes = []string{"", "", "indicator", "malware,threat-actor", "relationship", "attack-pattern"}

// loadOne makes one request of the mix and returns its kind and time.
func loadOne(ctx context.Context, cl *client, rng *rand.Rand, o LoadOrders, token string, writer bool, gen **Generator, posts *int, client uint64) (int, time.Duration, error) {
	// The writer's clients post one request in five, the narrow reader's
	// never: 10% of the whole mix, with reads by id 10% of each.
	p := rng.IntN(100)
	switch {
	case p < 10:
		id := o.IDs[rng.IntN(len(o.IDs))]
		r, err := cl.do(ctx, http.MethodGet, cl.coll+"objects/"+url.PathEscape(id)+"/", token, nil)
		if err != nil {
			return kindByID, 0, err
		}
		// The narrow reader may not read every object: a 404 is its
		// answer then, not a failure.
		if r.status != http.StatusOK && (writer || r.status != http.StatusNotFound) {
			return kindByID, 0, fmt.Errorf("GET object %s: status %d: %s", id, r.status, clip(r.body))
		}
		return kindByID, r.elapsed, nil
	case writer && p < 30:
		if *gen == nil {
			*gen = NewGenerator(o.Seed<<16 + 1000 + client)
			pre := (*gen).Preamble()
			if err := cl.post(ctx, token, envelope(pre), len(pre)); err != nil {
				return kindPost, 0, err
			}
		}
		objs := make([]Object, 10)
		for i := range objs {
			objs[i] = (*gen).Next()
		}
		*posts++
		start := time.Now()
		if err := cl.post(ctx, token, envelope(objs), len(objs)); err != nil {
			return kindPost, 0, err
		}
		return kindPost, time.Since(start), nil
	}
	v := url.Values{}
	v.Set("limit", []string{"10", "100", "100", "1000"}[rng.IntN(4)])
	if at := o.Timeline[rng.IntN(len(o.Timeline))]; rng.IntN(4) > 0 {
		v.Set("added_after", at.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	if ty := pageTypes[rng.IntN(len(pageTypes))]; ty != "" {
		v.Set("match[type]", ty)
	}
	if rng.IntN(5) == 0 {
		v.Set("match[version]", "all")
	}
	r, err := cl.do(ctx, http.MethodGet, cl.coll+"objects/?"+v.Encode(), token, nil)
	if err != nil {
		return kindPage, 0, err
	}
	if r.status != http.StatusOK {
		return kindPage, 0, fmt.Errorf("GET objects?%s: status %d: %s", v.Encode(), r.status, clip(r.body))
	}
	return kindPage, r.elapsed, nil
}

// LoadReport is a whole load run.
type LoadReport struct {
	Engine       string     `json:"engine"`
	Commit       string     `json:"commit"`
	Machine      Machine    `json:"machine"`
	Seed         uint64     `json:"seed"`
	Started      time.Time  `json:"started"`
	Objects      int        `json:"objects"`
	Clients      int        `json:"clients"`
	Result       LoadResult `json:"result"`
	ServerCPUS   float64    `json:"server_cpu_s"`
	Narrow       string     `json:"narrow_reader"`
	Everybody    string     `json:"everything_reader"`
	IngestSecond float64    `json:"preload_s"`
}

// LoadGenerator runs orders in another process and returns its result.
type LoadGenerator func(ctx context.Context, o LoadOrders) (LoadResult, error)

// RunLoad fills a fresh store of cfg's engine with objects over TAXII,
// then has gen put clients' load on it for duration, and reports.
func RunLoad(ctx context.Context, cfg Config, objects, clients int, duration time.Duration, gen LoadGenerator) (*LoadReport, error) {
	cfg.defaults()
	if objects <= 0 || clients <= 0 || duration <= 0 {
		return nil, errors.New("bench: a load run needs objects, clients and a duration")
	}
	rep := &LoadReport{Engine: cfg.Engine.Name, Commit: Commit(), Machine: ThisMachine(), Seed: cfg.Seed, Started: time.Now().UTC(),
		Objects: objects, Clients: clients,
		Narrow: NarrowName + " (" + NarrowOrg + ", reader)", Everybody: WriterName + " (" + WriterOrg + ", originator of every object)"}
	r := &run{cfg: cfg, gen: NewGenerator(cfg.Seed), rng: rand.New(rand.NewPCG(cfg.Seed, 17))}
	const name = "load"
	_ = cfg.Engine.Remove(name)
	s, err := cfg.Engine.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bench: open store: %w", err)
	}
	defer func() { s.Close(); cfg.Engine.Remove(name) }()
	if r.world, err = Setup(ctx, s); err != nil {
		return nil, err
	}
	stop, err := r.serve(ctx, s)
	if err != nil {
		return nil, err
	}
	defer stop()
	pre := r.gen.Preamble()
	r.timeline = append(r.timeline, mark{0, time.Now()})
	if err := r.cl.post(ctx, r.world.WriterToken, envelope(pre), len(pre)); err != nil {
		return nil, fmt.Errorf("bench: preamble: %w", err)
	}
	r.stored = len(pre)
	t0 := time.Now()
	if _, err := r.ingest(ctx, objects); err != nil {
		return nil, err
	}
	rep.IngestSecond = time.Since(t0).Seconds()
	if st, ok := s.(settler); ok {
		if err := st.Settle(ctx); err != nil {
			return nil, fmt.Errorf("bench: settle: %w", err)
		}
	}
	cfg.Log.Info("preloaded; load starts", "objects", r.stored, "clients", clients, "duration", duration)
	o := LoadOrders{Root: r.cl.root, Collection: r.world.Collection, WriterToken: r.world.WriterToken, NarrowToken: r.world.NarrowToken,
		Clients: clients, Duration: duration.Seconds(), Seed: cfg.Seed, IDs: r.ids}
	for _, m := range r.timeline {
		o.Timeline = append(o.Timeline, m.t)
	}
	cpu0 := cpuTime()
	res, err := gen(ctx, o)
	rep.ServerCPUS = (cpuTime() - cpu0).Seconds()
	if err != nil {
		return rep, fmt.Errorf("bench: load generator: %w", err)
	}
	rep.Result = res
	return rep, nil
}

// WriteMarkdown writes the load report as a table.
func (rep *LoadReport) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	res := rep.Result
	fmt.Fprintf(&b, "## liaison bench load: %s, %d clients for %.0f s on %s objects\n\n", rep.Engine, rep.Clients, res.Seconds, SizeName(rep.Objects))
	fmt.Fprintf(&b, "Machine: %s, %d cores, %.1f GB; %s/%s %s. Commit %s. Seed %d. The load generator ran in a process of its own (%.1f CPU-s); the server used %.1f CPU-s. Clients alternate between %s and %s.\n\n",
		rep.Machine.CPU, rep.Machine.Cores, rep.Machine.MemoryGB, rep.Machine.OS, rep.Machine.Arch, rep.Machine.GoVersion, rep.Commit, rep.Seed,
		res.CPUSeconds, rep.ServerCPUS, rep.Everybody, rep.Narrow)
	b.WriteString("| kind | requests | errors | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n")
	for _, k := range []struct {
		name string
		k    LoadKind
	}{{"pages (80%)", res.Pages}, {"by id (10%)", res.ByID}, {"posts of 10 objects (10%)", res.Posts}} {
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %.1f |\n", k.name, k.k.N+k.k.Errors, k.k.Errors, k.k.P50Ms, k.k.P99Ms)
	}
	fmt.Fprintf(&b, "\nIn all: %d requests, %.0f a second, %d errors.\n", res.Requests, res.RequestsPerS, res.Errors)
	if res.FirstError != "" {
		fmt.Fprintf(&b, "First error: %s\n", res.FirstError)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the load report as JSON.
func (rep *LoadReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
