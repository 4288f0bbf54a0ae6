// Package bench measures the office on the machine it runs on: TAXII
// ingest against raw inserts into the same engine, CLI import, and reads
// at growing store sizes by a reader who sees everything and one who sees
// little. It also generates realistic, seeded STIX 2.1 (Generator,
// WriteBundle). The command `liaison bench` drives it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"liaison"
)

// Config is one benchmark run.
type Config struct {
	Engine Engine
	// Handler builds the office's HTTP surface over a store, as `liaison
	// serve` does; the TAXII service must be under /taxii2/.
	Handler func(s liaison.Store) (http.Handler, error)
	// Import imports a bundle into a collection as the principal, as
	// `liaison import` does, and returns how many objects it stored.
	Import func(ctx context.Context, s liaison.Store, p liaison.Principal, collection string, r io.Reader) (int, error)
	// Sizes are the store sizes, in objects, at which reads are measured,
	// ascending.
	Sizes []int
	Seed  uint64
	// Clients post envelopes of Envelope objects concurrently; default 4
	// and 1000.
	Clients  int
	Envelope int
	// Readers is the number of concurrent readers of the throughput
	// measurement; default 16.
	Readers int
	// Samples is how many requests each latency measures; default 200.
	Samples int
	// Throughput is how long the concurrent readers run; default 10 s.
	Throughput time.Duration
	// WorkDir holds the bundle file written for the import, and the state
	// file of a kept store.
	WorkDir string
	// Keep keeps the store the TAXII ingest grew (the engine's store
	// "ingest", with what the run knows of it in WorkDir) instead of
	// removing it, and skips the raw inserts and the import: for Reuse.
	Keep bool
	// Reuse measures the reads again on the store a run with Keep and the
	// same WorkDir kept, at the size it has, with no ingest; Sizes are
	// not used.
	Reuse bool
	// Log receives progress; default discards.
	Log *slog.Logger
}

func (c *Config) defaults() {
	if c.Clients <= 0 {
		c.Clients = 4
	}
	if c.Envelope <= 0 {
		c.Envelope = 1000
	}
	if c.Readers <= 0 {
		c.Readers = 16
	}
	if c.Samples <= 0 {
		c.Samples = 200
	}
	if c.Throughput <= 0 {
		c.Throughput = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.WorkDir == "" {
		c.WorkDir = os.TempDir()
	}
}

// Latency is the distribution of one kind of request.
type Latency struct {
	N     int     `json:"n"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1 // nearest rank
		i = min(max(i, 0), len(s)-1)
		return float64(s[i].Microseconds()) / 1000
	}
	return Latency{N: len(s), P50Ms: rank(0.50), P99Ms: rank(0.99)}
}

// Walk is a paging through a whole collection.
type Walk struct {
	Objects     int     `json:"objects"`
	Pages       int     `json:"pages"`
	Seconds     float64 `json:"seconds"`
	ObjectsPerS float64 `json:"objects_per_s"`
}

// Throughput is what concurrent readers achieved.
type Throughput struct {
	Readers      int     `json:"readers"`
	Seconds      float64 `json:"seconds"`
	RequestsPerS float64 `json:"requests_per_s"`
	ObjectsPerS  float64 `json:"objects_per_s"`
	Latency
}

// SizeResult is what was measured at one store size.
type SizeResult struct {
	Objects int `json:"objects"`
	// Ingest over TAXII of the objects added to reach this size, and raw
	// inserts of the same rows into the same engine.
	IngestObjectsPerS    float64 `json:"ingest_objects_per_s"`
	RawInsertObjectsPerS float64 `json:"raw_insert_objects_per_s"`
	IngestEfficiency     float64 `json:"ingest_efficiency"`
	// The same per CPU-second of this process (server, clients and
	// generator together for ingest; the inserting goroutine for raw).
	IngestObjectsPerCPUS    float64 `json:"ingest_objects_per_cpu_s"`
	RawInsertObjectsPerCPUS float64 `json:"raw_insert_objects_per_cpu_s"`
	// IngestWriterBusy is the share of the ingest's wall time that the
	// store's single writer spent writing (SQLite's group writer; 0 for a
	// store that does not say): what is left is the writer waiting for
	// requests to be parsed.
	IngestWriterBusy float64 `json:"ingest_writer_busy,omitempty"`
	// GetPage is a page of 1000 read by the reader who sees everything;
	// the narrow reader's is in Page1000Narrow.
	GetPageP50Ms float64 `json:"get_page_p50_ms"`
	GetPageP99Ms float64 `json:"get_page_p99_ms"`
	// PageGrowth is the p50 of a page of 100 (everything-reader) at this
	// size over that at the smallest size.
	PageGrowth       float64 `json:"page_growth_over_smallest"`
	PeakRSSMB        float64 `json:"peak_rss_mb"`
	PeakRSSIngestMB  float64 `json:"peak_rss_ingest_mb"`
	PeakRSSServingMB float64 `json:"peak_rss_serving_mb"`
	// SettleS is how long the store's maintenance after ingest took
	// before reads were timed (PostgreSQL's VACUUM ANALYZE); 0 for a
	// store with none.
	SettleS float64 `json:"settle_s,omitempty"`

	Page100Wide    Latency    `json:"page_100_wide"`
	Page100Narrow  Latency    `json:"page_100_narrow"`
	Page1000Wide   Latency    `json:"page_1000_wide"`
	Page1000Narrow Latency    `json:"page_1000_narrow"`
	GetByID        Latency    `json:"get_by_id"`
	Manifest       Latency    `json:"manifest_100"`
	WalkWide       Walk       `json:"walk_wide"`
	WalkNarrow     Walk       `json:"walk_narrow"`
	Concurrent     Throughput `json:"concurrent"`
	// NarrowFraction is the share of the collection the narrow reader sees.
	NarrowFraction float64 `json:"narrow_fraction"`

	// Search is GET /api/v1/search at this size.
	Search SearchLatency `json:"search"`
	// Pages are the pages' figures (list, object, graph).
	Pages Pages `json:"pages"`
}

// Report is a whole run.
type Report struct {
	Engine    string       `json:"engine"`
	Server    string       `json:"server"`
	Commit    string       `json:"commit"`
	Machine   Machine      `json:"machine"`
	Seed      uint64       `json:"seed"`
	Started   time.Time    `json:"started"`
	Seconds   float64      `json:"seconds"`
	Clients   int          `json:"clients"`
	Envelope  int          `json:"envelope_objects"`
	AvgBytes  int          `json:"avg_object_bytes"`
	Sizes     []SizeResult `json:"sizes"`
	Narrow    string       `json:"narrow_reader"`
	Everybody string       `json:"everything_reader"`
	// Overall figures, over the whole ingest to the largest size.
	IngestObjectsPerS    float64 `json:"ingest_objects_per_s"`
	RawInsertObjectsPerS float64 `json:"raw_insert_objects_per_s"`
	IngestEfficiency     float64 `json:"ingest_efficiency"`
	ImportObjects        int     `json:"import_objects"`
	ImportObjectsPerS    float64 `json:"import_objects_per_s"`
	ImportEfficiency     float64 `json:"import_efficiency"`
	// PageGrowth is the p50 of a page of 100 at the largest size over that
	// at the smallest (1m over 10k with the default sizes).
	PageGrowth     float64 `json:"page_growth_1m_over_10k"`
	PageGrowthFrom int     `json:"page_growth_from_objects"`
	PageGrowthTo   int     `json:"page_growth_to_objects"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
}

// mark records that n objects had been stored by time t.
type mark struct {
	n int
	t time.Time
}

// run is the state of one benchmark run.
type run struct {
	cfg   Config
	world World
	cl    *client
	base  string // the server's URL, for the JSON API
	gen   *Generator
	rng   *rand.Rand

	mu       sync.Mutex
	timeline []mark // ingest progress, for choosing added_after
	ids      []string
	idsSeen  int
	hub      string // the technique the graph is measured on, once added
	stored   int
	preamble int // objects of the preamble, among the stored
	bytes    int64
}

// Run runs the benchmark and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if len(cfg.Sizes) == 0 && !cfg.Reuse {
		return nil, liaison.Errorf(liaison.EINVALID, "bench: no sizes")
	}
	if cfg.Keep && cfg.Reuse {
		return nil, liaison.Errorf(liaison.EINVALID, "bench: keep and reuse are exclusive")
	}
	if !cfg.Reuse && (!slices.IsSorted(cfg.Sizes) || cfg.Sizes[0] <= 0) {
		return nil, liaison.Errorf(liaison.EINVALID, "bench: sizes must be positive and ascending, got %v", cfg.Sizes)
	}
	rep := &Report{Engine: cfg.Engine.Name, Server: "in-process (RSS is the whole benchmark process: server and load generator)",
		Commit: Commit(), Machine: ThisMachine(), Seed: cfg.Seed, Started: time.Now().UTC(),
		Clients: cfg.Clients, Envelope: cfg.Envelope,
		Narrow: NarrowName + " (" + NarrowOrg + ", reader)", Everybody: WriterName + " (" + WriterOrg + ", originator of every object)"}
	if cfg.Engine.Note != "" {
		rep.Server += "; " + cfg.Engine.Note
	}
	r := &run{cfg: cfg, gen: NewGenerator(cfg.Seed), rng: rand.New(rand.NewPCG(cfg.Seed, 17))}

	if cfg.Reuse {
		if err := r.reuse(ctx, rep); err != nil {
			return rep, err
		}
		finish(rep)
		rep.Seconds = time.Since(rep.Started).Seconds()
		return rep, nil
	}
	if err := r.ingestAndRead(ctx, rep); err != nil {
		return rep, err
	}
	if !cfg.Keep {
		if err := r.rawInsert(ctx, rep); err != nil {
			return rep, err
		}
		if err := r.importBundle(ctx, rep); err != nil {
			return rep, err
		}
	}
	finish(rep)
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep, nil
}

// finish computes the ratios.
func finish(rep *Report) {
	var total int
	var ingestS, rawS float64
	prev := 0
	for i := range rep.Sizes {
		s := &rep.Sizes[i]
		if s.RawInsertObjectsPerS > 0 {
			s.IngestEfficiency = s.IngestObjectsPerS / s.RawInsertObjectsPerS
		}
		if base := rep.Sizes[0].Page100Wide.P50Ms; base > 0 {
			s.PageGrowth = s.Page100Wide.P50Ms / base
		}
		s.PeakRSSMB = max(s.PeakRSSIngestMB, s.PeakRSSServingMB)
		rep.PeakRSSMB = max(rep.PeakRSSMB, s.PeakRSSMB)
		n := s.Objects - prev
		prev = s.Objects
		total += n
		if s.IngestObjectsPerS > 0 {
			ingestS += float64(n) / s.IngestObjectsPerS
		}
		if s.RawInsertObjectsPerS > 0 {
			rawS += float64(n) / s.RawInsertObjectsPerS
		}
	}
	if ingestS > 0 {
		rep.IngestObjectsPerS = float64(total) / ingestS
	}
	if rawS > 0 {
		rep.RawInsertObjectsPerS = float64(total) / rawS
	}
	if rep.RawInsertObjectsPerS > 0 {
		rep.IngestEfficiency = rep.IngestObjectsPerS / rep.RawInsertObjectsPerS
		rep.ImportEfficiency = rep.ImportObjectsPerS / rep.RawInsertObjectsPerS
	}
	first, last := rep.Sizes[0], rep.Sizes[len(rep.Sizes)-1]
	rep.PageGrowthFrom, rep.PageGrowthTo = first.Objects, last.Objects
	if first.Page100Wide.P50Ms > 0 {
		rep.PageGrowth = last.Page100Wide.P50Ms / first.Page100Wide.P50Ms
	}
}

// ingestAndRead starts the server on a fresh store, grows the store to
// each size over TAXII and measures reads at each.
func (r *run) ingestAndRead(ctx context.Context, rep *Report) (err error) {
	const name = keptStore
	_ = r.cfg.Engine.Remove(name)
	s, err := r.cfg.Engine.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("bench: open store: %w", err)
	}
	defer func() {
		err = errors.Join(err, s.Close())
		if !r.cfg.Keep {
			err = errors.Join(err, r.cfg.Engine.Remove(name))
		}
	}()
	if r.world, err = Setup(ctx, s); err != nil {
		return err
	}
	stop, err := r.serve(ctx, s)
	if err != nil {
		return err
	}
	defer stop()

	if err := r.postPreamble(ctx); err != nil {
		return err
	}

	for _, size := range r.cfg.Sizes {
		res := SizeResult{Objects: size}
		before := r.stored
		rss := startRSS()
		cpu0 := cpuTime()
		busy0 := writerBusy(s)
		el, err := r.ingest(ctx, size)
		cpu := cpuTime() - cpu0
		res.IngestWriterBusy = (writerBusy(s) - busy0).Seconds() / el.Seconds()
		res.PeakRSSIngestMB = rss.end()
		if err != nil {
			return err
		}
		res.IngestObjectsPerS = float64(r.stored-before) / el.Seconds()
		if cpu > 0 {
			res.IngestObjectsPerCPUS = float64(r.stored-before) / cpu.Seconds()
		}
		attrs := []any{"objects", r.stored, "objects_per_s", int(res.IngestObjectsPerS)}
		if res.IngestWriterBusy > 0 { // only SQLite's single writer says
			attrs = append(attrs, "writer_busy", fmt.Sprintf("%.2f", res.IngestWriterBusy))
		}
		r.cfg.Log.Info("ingested", attrs...)
		if r.cfg.Keep {
			if err := r.saveKept(); err != nil {
				return err
			}
		}
		if st, ok := s.(settler); ok {
			t0 := time.Now()
			if err := st.Settle(ctx); err != nil {
				return fmt.Errorf("bench: settle: %w", err)
			}
			res.SettleS = time.Since(t0).Seconds()
			r.cfg.Log.Info("store settled before reads", "objects", r.stored, "seconds", res.SettleS)
		}
		rss = startRSS()
		err = r.measureReads(ctx, &res)
		res.PeakRSSServingMB = rss.end()
		if err != nil {
			return err
		}
		rep.Sizes = append(rep.Sizes, res)
		if r.cfg.Keep {
			if err := r.saveKept(); err != nil { // with the hub
				return err
			}
		}
	}
	if r.stored > 0 {
		rep.AvgBytes = int(r.bytes / int64(r.stored-r.preamble))
	}
	return nil
}

// writerBusy is the time the store's single writer has spent writing, if
// it says (sqlite.Store.GroupWriterBusy), else 0.
func writerBusy(s liaison.Store) time.Duration {
	if b, ok := s.(interface{ GroupWriterBusy() time.Duration }); ok {
		return b.GroupWriterBusy()
	}
	return 0
}

// postPreamble posts the preamble (marking-definitions, the producer)
// first, alone, with r's client, and starts the ingest timeline.
func (r *run) postPreamble(ctx context.Context) error {
	pre := r.gen.Preamble()
	r.timeline = append(r.timeline, mark{0, time.Now()})
	if err := r.cl.post(ctx, r.world.WriterToken, envelope(pre), len(pre)); err != nil {
		return fmt.Errorf("bench: preamble: %w", err)
	}
	r.stored, r.preamble = len(pre), len(pre)
	r.timeline = append(r.timeline, mark{r.stored, time.Now()})
	return nil
}

// pageAfter draws an added_after instant from which a full page of limit
// still follows for a reader who sees the share visible of the store.
func (r *run) pageAfter(limit int, visible float64) time.Time {
	k := 0
	if span := r.stored - int(float64(limit)/max(visible, 1e-9)); span > 0 {
		k = r.rng.IntN(span)
	}
	return r.after(k)
}

// listAfter draws an added_after instant for the list page, from which
// its 50 rows follow.
func (r *run) listAfter() string {
	return url.QueryEscape(r.after(r.rng.IntN(max(1, r.stored-200))).UTC().Format(time.RFC3339Nano))
}

// explained is what an object page shows where it says who may read the
// version, and why.
const explained = "Who can read this version"

// serve starts the office's HTTP server over s on a loopback port, finds
// its API root and makes r's client of it; stop closes both.
func (r *run) serve(ctx context.Context, s liaison.Store) (stop func(), err error) {
	h, err := r.cfg.Handler(s)
	if err != nil {
		return nil, fmt.Errorf("bench: build the handler: %w", err)
	}
	var base string
	r.cl, base, stop, err = r.serveHandler(ctx, h)
	if err != nil {
		return nil, err
	}
	r.base = base
	r.cfg.Log.Info("server up", "url", base, "api_root", r.cl.root, "engine", r.cfg.Engine.Name)
	return stop, nil
}

// serveHandler serves h on a loopback port, finds its API root and
// returns a client of it and the server's URL; stop closes both.
func (r *run) serveHandler(ctx context.Context, h http.Handler) (cl *client, base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("bench: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	base = "http://" + ln.Addr().String()
	disc := newClient("", r.world.Collection, nil)
	root, err := discover(ctx, disc, base+"/taxii2/", r.world.WriterToken)
	disc.close()
	if err != nil {
		srv.Close()
		return nil, "", nil, fmt.Errorf("bench: %w", err)
	}
	cl = newClient(root, r.world.Collection, nil)
	return cl, base, func() { cl.close(); srv.Close() }, nil
}

// settler is a store with maintenance after bulk writes (PostgreSQL's
// VACUUM ANALYZE) that reads should not be timed against: the benchmark
// waits for it after ingest, and reports how long that took.
type settler interface {
	Settle(ctx context.Context) error
}

func dir(u string) string {
	if len(u) > 0 && u[len(u)-1] == '/' {
		return u
	}
	return u + "/"
}

// envelope builds a TAXII envelope of objects.
func envelope(objs []Object) []byte {
	n := 16
	for _, o := range objs {
		n += len(o.Raw) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"objects":[`...)
	for i, o := range objs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o.Raw...)
	}
	return append(b, "]}"...)
}

// ingest posts generated objects from concurrent clients until the store
// holds target objects, and returns the wall time.
func (r *run) ingest(ctx context.Context, target int) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type env struct {
		body []byte
		n    int
	}
	envs := make(chan env, r.cfg.Clients*2)
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	start := time.Now()
	go func() {
		defer close(envs)
		queued := r.stored
		for queued < target {
			n := min(r.cfg.Envelope, target-queued)
			objs := make([]Object, n)
			for i := range objs {
				objs[i] = r.gen.Next()
				r.sampleID(objs[i].ID)
				r.bytes += int64(len(objs[i].Raw))
			}
			queued += n
			select {
			case envs <- env{envelope(objs), n}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var done atomic.Int64
	done.Store(int64(r.stored))
	for i := 0; i < r.cfg.Clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range envs {
				if ctx.Err() != nil {
					continue
				}
				if err := r.cl.post(ctx, r.world.WriterToken, e.body, e.n); err != nil {
					fail(fmt.Errorf("bench: ingest: %w", err))
					continue
				}
				n := done.Add(int64(e.n))
				r.mu.Lock()
				r.timeline = append(r.timeline, mark{int(n), time.Now()})
				r.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if firstErr != nil {
		return el, firstErr
	}
	if err := ctx.Err(); err != nil {
		return el, err
	}
	r.stored = int(done.Load())
	return el, nil
}

// sampleID keeps a uniform sample of 1000 generated ids (reservoir).
func (r *run) sampleID(id string) {
	r.idsSeen++
	if len(r.ids) < 1000 {
		r.ids = append(r.ids, id)
		return
	}
	if j := r.rng.IntN(r.idsSeen); j < len(r.ids) {
		r.ids[j] = id
	}
}

// after returns an added_after instant before which about k objects had
// been stored.
func (r *run) after(k int) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.timeline), func(i int) bool { return r.timeline[i].n > k })
	if i == 0 {
		return r.timeline[0].t
	}
	return r.timeline[i-1].t
}

// measureReads measures every read at the current size.
func (r *run) measureReads(ctx context.Context, res *SizeResult) error {
	cl, wide, narrow := r.cl, r.world.WriterToken, r.world.NarrowToken
	var err error
	if res.WalkWide, err = r.walk(ctx, wide); err != nil {
		return err
	}
	if res.WalkWide.Objects != r.stored {
		return fmt.Errorf("bench: the everything-reader paged through %d objects, the store holds %d", res.WalkWide.Objects, r.stored)
	}
	if res.WalkNarrow, err = r.walk(ctx, narrow); err != nil {
		return err
	}
	frac := float64(res.WalkNarrow.Objects) / float64(r.stored)
	res.NarrowFraction = frac
	r.cfg.Log.Info("paged through", "objects", r.stored, "wide_s", res.WalkWide.Seconds, "narrow_objects", res.WalkNarrow.Objects, "narrow_s", res.WalkNarrow.Seconds)

	pages := func(token string, limit int, visible float64) (Latency, error) {
		var ds []time.Duration
		for i := 0; i < r.cfg.Samples; i++ {
			resp, err := cl.get(ctx, cl.objectsURL("objects", limit, r.pageAfter(limit, visible), ""), token)
			if err != nil {
				return Latency{}, fmt.Errorf("bench: page: %w", err)
			}
			ds = append(ds, resp.elapsed)
		}
		l := latencyOf(ds)
		// Each as it is measured: the later reads of a large store take
		// long, and a run stopped then still tells its pages.
		r.cfg.Log.Info("pages measured", "objects", r.stored, "limit", limit, "visible", visible, "n", l.N, "p50_ms", l.P50Ms, "p99_ms", l.P99Ms)
		return l, nil
	}
	if res.Page100Wide, err = pages(wide, 100, 1); err != nil {
		return err
	}
	if res.Page100Narrow, err = pages(narrow, 100, frac); err != nil {
		return err
	}
	if res.Page1000Wide, err = pages(wide, 1000, 1); err != nil {
		return err
	}
	if res.Page1000Narrow, err = pages(narrow, 1000, frac); err != nil {
		return err
	}
	res.GetPageP50Ms, res.GetPageP99Ms = res.Page1000Wide.P50Ms, res.Page1000Wide.P99Ms

	var ds []time.Duration
	for i := 0; i < r.cfg.Samples; i++ {
		id := r.ids[r.rng.IntN(len(r.ids))]
		resp, err := cl.get(ctx, cl.coll+"objects/"+id+"/", wide)
		if err != nil {
			return fmt.Errorf("bench: get by id: %w", err)
		}
		ds = append(ds, resp.elapsed)
	}
	res.GetByID = latencyOf(ds)

	ds = ds[:0]
	for i := 0; i < r.cfg.Samples; i++ {
		resp, err := cl.get(ctx, cl.objectsURL("manifest", 100, r.after(r.rng.IntN(max(1, r.stored-100))), ""), wide)
		if err != nil {
			return fmt.Errorf("bench: manifest: %w", err)
		}
		ds = append(ds, resp.elapsed)
	}
	res.Manifest = latencyOf(ds)

	if err := r.measureSearch(ctx, r.base, res); err != nil {
		return err
	}
	if res.Concurrent, err = r.concurrent(ctx, wide); err != nil {
		return err
	}
	if err := r.measurePages(ctx, res); err != nil {
		return err
	}
	r.cfg.Log.Info("reads measured", "objects", r.stored,
		"page1000_wide_p50_ms", res.Page1000Wide.P50Ms, "page1000_narrow_p50_ms", res.Page1000Narrow.P50Ms,
		"page100_wide_p50_ms", res.Page100Wide.P50Ms, "page100_narrow_p50_ms", res.Page100Narrow.P50Ms)
	return nil
}

// walk pages through the whole collection with next, 1000 at a time.
func (r *run) walk(ctx context.Context, token string) (Walk, error) {
	var w Walk
	var total time.Duration
	next := ""
	for {
		resp, err := r.cl.get(ctx, r.cl.objectsURL("objects", 1000, time.Time{}, next), token)
		if err != nil {
			return w, fmt.Errorf("bench: walk: %w", err)
		}
		total += resp.elapsed
		w.Pages++
		n, err := countObjects(resp.body)
		if err != nil {
			return w, fmt.Errorf("bench: walk: page %d: %w", w.Pages, err)
		}
		w.Objects += n
		more, nx, err := envelopeNext(resp.body)
		if err != nil {
			return w, fmt.Errorf("bench: walk: page %d: %w", w.Pages, err)
		}
		if !more {
			break
		}
		if nx == "" || nx == next {
			return w, fmt.Errorf("bench: walk: page %d says more but gives no new next", w.Pages)
		}
		next = nx
	}
	w.Seconds = total.Seconds()
	if w.Seconds > 0 {
		w.ObjectsPerS = float64(w.Objects) / w.Seconds
	}
	return w, nil
}

// concurrent runs Readers readers of random pages of 100 for the
// configured time.
func (r *run) concurrent(ctx context.Context, token string) (Throughput, error) {
	t := Throughput{Readers: r.cfg.Readers}
	deadline := time.Now().Add(r.cfg.Throughput)
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < r.cfg.Readers; i++ {
		rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(i)))
		// Each reader connects from its own loopback address, as 16
		// machines would: the server's failed-login limiter counts
		// requests in flight per address (see the report).
		cl := newClient(r.cl.root, r.world.Collection, &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i%250))})
		defer cl.close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ds []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				k := rng.IntN(max(1, r.stored-100))
				resp, err := cl.get(ctx, cl.objectsURL("objects", 100, r.after(k), ""), token)
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				ds = append(ds, resp.elapsed)
			}
			mu.Lock()
			all = append(all, ds...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return t, fmt.Errorf("bench: concurrent readers: %w", firstErr)
	}
	t.Seconds = time.Since(start).Seconds()
	t.Latency = latencyOf(all)
	t.RequestsPerS = float64(len(all)) / t.Seconds
	t.ObjectsPerS = t.RequestsPerS * 100
	return t, nil
}

// rawInsert inserts the same rows into a fresh store of the same engine,
// with no parsing, validation or HTTP, and times only the inserts.
func (r *run) rawInsert(ctx context.Context, rep *Report) (err error) {
	const name = "raw"
	_ = r.cfg.Engine.Remove(name)
	s, err := r.cfg.Engine.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("bench: open raw store: %w", err)
	}
	if _, err := Setup(ctx, s); err != nil {
		s.Close()
		return err
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("bench: close raw store: %w", err)
	}
	defer func() { err = errors.Join(err, r.cfg.Engine.Remove(name)) }()
	ins, err := r.cfg.Engine.Raw(ctx, name)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, ins.Close()) }()
	g := NewGenerator(r.cfg.Seed)
	var rows []Row
	for _, o := range g.Preamble() {
		rows = append(rows, RowOf(o))
	}
	stored := 0
	for i := range rep.Sizes {
		size := rep.Sizes[i].Objects
		before := stored
		var el, cpu time.Duration
		for stored < size {
			// Transactions as large as the store's group commit can
			// make of the clients' envelopes in flight at once.
			n := min(r.cfg.Envelope*r.cfg.Clients-len(rows), size-stored-len(rows))
			for j := 0; j < n; j++ {
				rows = append(rows, RowOf(g.Next()))
			}
			start, cpu0 := time.Now(), cpuTime()
			if err := ins.Insert(ctx, rows); err != nil {
				return err
			}
			el += time.Since(start)
			cpu += cpuTime() - cpu0
			stored += len(rows)
			rows = rows[:0]
		}
		rep.Sizes[i].RawInsertObjectsPerS = float64(stored-before) / el.Seconds()
		if cpu > 0 {
			rep.Sizes[i].RawInsertObjectsPerCPUS = float64(stored-before) / cpu.Seconds()
		}
		r.cfg.Log.Info("raw inserts", "objects", stored, "objects_per_s", int(rep.Sizes[i].RawInsertObjectsPerS))
	}
	return nil
}

// importBundle writes the largest size's objects as one bundle file and
// imports it into a fresh store as the command line does.
func (r *run) importBundle(ctx context.Context, rep *Report) (err error) {
	if r.cfg.Import == nil {
		return nil
	}
	const name = "import"
	n := rep.Sizes[len(rep.Sizes)-1].Objects
	path := filepath.Join(r.cfg.WorkDir, "liaison-bench-bundle.json")
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: bundle: %w", err)
	}
	defer os.Remove(path)
	pre := len(NewGenerator(r.cfg.Seed).Preamble())
	if _, err := WriteBundle(f, r.cfg.Seed, n-pre); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: bundle: %w", err)
	}
	_ = r.cfg.Engine.Remove(name)
	s, err := r.cfg.Engine.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("bench: open import store: %w", err)
	}
	defer func() { err = errors.Join(err, s.Close(), r.cfg.Engine.Remove(name)) }()
	w, err := Setup(ctx, s)
	if err != nil {
		return err
	}
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bench: bundle: %w", err)
	}
	defer in.Close()
	p, err := s.User(ctx, w.Writer.Name)
	if err != nil {
		return err
	}
	start := time.Now()
	stored, err := r.cfg.Import(ctx, s, p, w.Collection, in)
	el := time.Since(start)
	if err != nil {
		return fmt.Errorf("bench: import: %w", err)
	}
	if stored != n {
		return fmt.Errorf("bench: import stored %d of %d objects", stored, n)
	}
	rep.ImportObjects = stored
	rep.ImportObjectsPerS = float64(stored) / el.Seconds()
	r.cfg.Log.Info("imported", "objects", stored, "objects_per_s", int(rep.ImportObjectsPerS))
	return nil
}
