package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"liaison"
)

// AuditPair is one store served twice, as `liaison serve` serves it: with
// its audit log off (Plain) and on (Audited). Flush appends every audit
// entry recorded so far and returns once it is appended; Stats counts
// what the log has appended.
type AuditPair struct {
	Plain, Audited http.Handler
	Flush          func(ctx context.Context) error
	Stats          func() AuditStats
}

// AuditStats are the audit log's counts: entries appended and, of the
// read entries, how many, their leaves' bytes, the versions they name
// and their rows in the index of object references.
type AuditStats struct {
	Entries     int64 `json:"entries"`
	ReadEntries int64 `json:"read_entries"`
	ReadBytes   int64 `json:"read_leaf_bytes"`
	ReadRefs    int64 `json:"read_versions_named"`
	ReadKeys    int64 `json:"read_index_rows"`
}

// ReadCost says what the read entries cost: how many, their bytes of
// leaf each and per 1,000 versions served, and their index rows; "" when
// there were none.
func (a AuditStats) ReadCost() string {
	if a.ReadEntries <= 0 || a.ReadRefs <= 0 {
		return ""
	}
	return fmt.Sprintf("%d read entries: %.0f bytes of leaf each, %.0f bytes per 1,000 versions served (plus %.1f index rows an entry, %.0f per 1,000 versions)",
		a.ReadEntries, float64(a.ReadBytes)/float64(a.ReadEntries), float64(a.ReadBytes)/float64(a.ReadRefs)*1000,
		float64(a.ReadKeys)/float64(a.ReadEntries), float64(a.ReadKeys)/float64(a.ReadRefs)*1000)
}

// AuditComparison is audit on against audit off in one run, on one
// store: ingest in alternating blocks of envelopes, and each read as the
// same requests sent to both servers in alternating blocks. Every block
// served with the audit on ends by waiting for the log to append what the
// block recorded, and that wait counts in the block's time (ingest) and
// CPU (reads), so no audit work is left to be paid by the next block.
type AuditComparison struct {
	Engine  string    `json:"engine"`
	Commit  string    `json:"commit"`
	Machine Machine   `json:"machine"`
	Seed    uint64    `json:"seed"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// Objects is the store's size at the end of the ingest, where the
	// reads are compared.
	Objects int `json:"objects"`
	// BlockObjects is how many objects each ingest block posts.
	BlockObjects int            `json:"block_objects"`
	Ingest       IngestCompared `json:"ingest"`
	// BlockRequests is how many requests a read block sends to each
	// server.
	BlockRequests int            `json:"block_requests"`
	Reads         []ReadCompared `json:"reads"`
	Audit         AuditStats     `json:"audit"`
}

// IngestCompared is TAXII ingest with the audit off and on.
type IngestCompared struct {
	// Blocks is how many blocks each mode posted, off then on.
	Blocks [2]int `json:"blocks_off_on"`
	// Objects per second of wall time over all of a mode's blocks, and
	// per CPU-second of the whole process.
	OffObjectsPerS    float64 `json:"off_objects_per_s"`
	OnObjectsPerS     float64 `json:"on_objects_per_s"`
	OffObjectsPerCPUS float64 `json:"off_objects_per_cpu_s"`
	OnObjectsPerCPUS  float64 `json:"on_objects_per_cpu_s"`
	// Ratio is on over off (objects/s); PairMedian the median of the
	// ratios of neighbouring blocks, one of each mode.
	Ratio      float64 `json:"ratio_on_over_off"`
	PairMedian float64 `json:"pair_median_ratio"`
}

// ReadCompared is one kind of read with the audit off and on.
type ReadCompared struct {
	Name string  `json:"name"`
	Off  Latency `json:"off"`
	On   Latency `json:"on"`
	// P50Ratio is on over off.
	P50Ratio float64 `json:"p50_ratio_on_over_off"`
	// CPU of the whole process per request, the audit's appends
	// included, and the wall time per request spent waiting for them
	// at the end of the audited blocks.
	OffCPUMs  float64 `json:"off_cpu_ms_per_request"`
	OnCPUMs   float64 `json:"on_cpu_ms_per_request"`
	OnFlushMs float64 `json:"on_flush_ms_per_request"`
	CPURatio  float64 `json:"cpu_ratio_on_over_off"`
}

// compareBlock is how many requests a read block sends to each server:
// enough for the log to append several times within the block, at its
// usual pace, so that the block pays what the audit costs the reads
// beside it (each append is a commit, after which SQLite's readers
// reload the pages they had cached); only the block's last append is
// forced, by the wait at its end.
// Fewer samples than two blocks make two smaller blocks.
const compareBlock = 50

// CompareAudit grows a fresh store to the largest of cfg.Sizes over
// TAXII, in blocks that alternate between the two servers of
// cfg.AuditPair, then compares the reads at that size.
func CompareAudit(ctx context.Context, cfg Config, pairOf func(liaison.Store) (AuditPair, error)) (*AuditComparison, error) {
	cfg.defaults()
	if len(cfg.Sizes) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "bench: no size to compare the audit at")
	}
	target := cfg.Sizes[len(cfg.Sizes)-1]
	cmp := &AuditComparison{Engine: cfg.Engine.Name, Commit: Commit(), Machine: ThisMachine(), Seed: cfg.Seed, Started: time.Now().UTC()}
	r := &run{cfg: cfg, gen: NewGenerator(cfg.Seed), rng: rand.New(rand.NewPCG(cfg.Seed, 17))}
	err := r.compareAudit(ctx, cmp, target, pairOf)
	cmp.Seconds = time.Since(cmp.Started).Seconds()
	return cmp, err
}

// side is one of the two servers.
type side struct {
	name  string
	cl    *client
	base  string
	flush func(ctx context.Context) error // nil with the audit off
}

func (r *run) compareAudit(ctx context.Context, cmp *AuditComparison, target int, pairOf func(liaison.Store) (AuditPair, error)) (err error) {
	const name = "audit_compare"
	_ = r.cfg.Engine.Remove(name)
	s, err := r.cfg.Engine.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("bench: open store: %w", err)
	}
	defer func() { err = errors.Join(err, s.Close(), r.cfg.Engine.Remove(name)) }()
	if r.world, err = Setup(ctx, s); err != nil {
		return err
	}
	pair, err := pairOf(s)
	if err != nil {
		return fmt.Errorf("bench: the two servers: %w", err)
	}
	off := side{name: "off"}
	on := side{name: "on", flush: pair.Flush}
	var stop func()
	if off.cl, off.base, stop, err = r.serveHandler(ctx, pair.Plain); err != nil {
		return err
	}
	defer stop()
	if on.cl, on.base, stop, err = r.serveHandler(ctx, pair.Audited); err != nil {
		return err
	}
	defer stop()
	r.cfg.Log.Info("servers up", "audit_off", off.base, "audit_on", on.base, "engine", r.cfg.Engine.Name)

	r.cl, r.base = off.cl, off.base
	if err := r.postPreamble(ctx); err != nil {
		return err
	}

	if err := r.compareIngest(ctx, cmp, target, [2]side{off, on}); err != nil {
		return err
	}
	if st, ok := s.(settler); ok {
		if err := st.Settle(ctx); err != nil {
			return fmt.Errorf("bench: settle: %w", err)
		}
	}
	r.cl = off.cl
	if err := r.addHub(ctx); err != nil {
		return err
	}
	cmp.Objects = r.stored
	if err := r.compareReads(ctx, cmp, [2]side{off, on}); err != nil {
		return err
	}
	if pair.Stats != nil {
		cmp.Audit = pair.Stats()
	}
	return nil
}

// order is the ABBA order of block b: the first block of a pair goes to
// sides[0] in blocks 0 and 3 of every four, so that neither mode is
// always first, nor always on the larger store.
func order(b int) (first, second int) {
	if b%4 == 0 || b%4 == 3 {
		return 0, 1
	}
	return 1, 0
}

// compareIngest posts blocks of envelopes to the two servers by turns
// until the store holds target objects.
func (r *run) compareIngest(ctx context.Context, cmp *AuditComparison, target int, sides [2]side) error {
	// Blocks of an envelope per client, or fewer envelopes for a small
	// store, so that each mode has at least four blocks.
	env := r.cfg.Envelope
	block := min(r.cfg.Clients*env, max(env, target/8/env*env))
	cmp.BlockObjects = block
	var objects, blocks [2]int
	var wall, cpu [2]time.Duration
	var pairs []float64
	for b := 0; r.stored < target; b++ {
		first, second := order(b)
		var rate [2]float64
		for _, i := range []int{first, second} {
			if r.stored >= target {
				break
			}
			before := r.stored
			r.cl = sides[i].cl
			c0, t0 := cpuTime(), time.Now()
			if _, err := r.ingest(ctx, min(target, r.stored+block)); err != nil {
				return fmt.Errorf("bench: ingest with the audit %s: %w", sides[i].name, err)
			}
			if f := sides[i].flush; f != nil {
				if err := f(ctx); err != nil {
					return fmt.Errorf("bench: the audit's appends after an ingest block: %w", err)
				}
			}
			el, c := time.Since(t0), cpuTime()-c0
			n := r.stored - before
			objects[i] += n
			blocks[i]++
			wall[i] += el
			cpu[i] += c
			rate[i] = float64(n) / el.Seconds()
		}
		if rate[0] > 0 && rate[1] > 0 {
			pairs = append(pairs, rate[1]/rate[0])
		}
		r.cfg.Log.Info("ingest block pair", "objects", r.stored, "off_objects_per_s", int(rate[0]), "on_objects_per_s", int(rate[1]))
	}
	ing := &cmp.Ingest
	ing.Blocks = blocks
	per := func(n int, d time.Duration) float64 { return ratio(float64(n), d.Seconds()) }
	ing.OffObjectsPerS, ing.OnObjectsPerS = per(objects[0], wall[0]), per(objects[1], wall[1])
	ing.OffObjectsPerCPUS, ing.OnObjectsPerCPUS = per(objects[0], cpu[0]), per(objects[1], cpu[1])
	ing.Ratio = ratio(ing.OnObjectsPerS, ing.OffObjectsPerS)
	ing.PairMedian = median(pairs)
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// probe is one request, sent to either server.
type probe func(ctx context.Context, sd side) (response, error)

// compareReads sends each kind of read to both servers: blocks of the
// same compareBlock requests, to one server then the other in ABBA order.
func (r *run) compareReads(ctx context.Context, cmp *AuditComparison, sides [2]side) error {
	wide, narrow := r.world.WriterToken, r.world.NarrowToken
	// The narrow reader's share, for choosing where its pages start.
	var frac float64
	if w, err := r.walk(ctx, narrow); err != nil {
		return err
	} else if r.stored > 0 {
		frac = float64(w.Objects) / float64(r.stored)
	}
	taxiiPage := func(token string, limit int, visible float64) func() probe {
		return func() probe {
			after := r.pageAfter(limit, visible)
			return func(ctx context.Context, sd side) (response, error) {
				return sd.cl.get(ctx, sd.cl.objectsURL("objects", limit, after, ""), token)
			}
		}
	}
	byID := func() probe {
		id := r.ids[r.rng.IntN(len(r.ids))]
		return func(ctx context.Context, sd side) (response, error) {
			return sd.cl.get(ctx, sd.cl.coll+"objects/"+id+"/", wide)
		}
	}
	listPage := func(token string) func() probe {
		return func() probe {
			after := r.listAfter()
			return func(ctx context.Context, sd side) (response, error) {
				return sd.cl.get(ctx, sd.base+"/collections/"+r.world.Collection+"/objects?added_after="+after, token)
			}
		}
	}
	objectPage := func() probe {
		id := r.ids[r.rng.IntN(len(r.ids))]
		return func(ctx context.Context, sd side) (response, error) {
			resp, err := sd.cl.get(ctx, sd.base+"/collections/"+r.world.Collection+"/objects/"+id, wide)
			if err == nil && !strings.Contains(string(resp.body), explained) {
				err = fmt.Errorf("the object page of %s has no audience explanation", id)
			}
			return resp, err
		}
	}
	search := func() probe {
		q := url.QueryEscape(searchQueries[r.rng.IntN(len(searchQueries))])
		return func(ctx context.Context, sd side) (response, error) {
			return sd.cl.get(ctx, sd.base+"/api/v1/search?q="+q, wide)
		}
	}
	kinds := []struct {
		name string
		next func() probe
	}{
		{"TAXII page of 100, wide", taxiiPage(wide, 100, 1)},
		{"TAXII page of 100, narrow", taxiiPage(narrow, 100, frac)},
		{"TAXII page of 1000, wide", taxiiPage(wide, 1000, 1)},
		{"TAXII page of 1000, narrow", taxiiPage(narrow, 1000, frac)},
		{"TAXII object by id", byID},
		{"list page, wide", listPage(wide)},
		{"list page, narrow", listPage(narrow)},
		{"object page with who may read it", objectPage},
		{"search, first page of 25", search},
	}
	size := min(compareBlock, max(1, r.cfg.Samples/2))
	blocks := max(2, (r.cfg.Samples+size-1)/size)
	cmp.BlockRequests = size
	for _, k := range kinds {
		rc := ReadCompared{Name: k.name}
		var ds [2][]time.Duration
		var cpu, flush [2]time.Duration
		for b := 0; b < blocks; b++ {
			probes := make([]probe, size)
			for i := range probes {
				probes[i] = k.next()
			}
			first, second := order(b)
			for _, i := range []int{first, second} {
				sd := sides[i]
				c0 := cpuTime()
				for _, p := range probes {
					resp, err := p(ctx, sd)
					if err != nil {
						return fmt.Errorf("bench: %s with the audit %s: %w", k.name, sd.name, err)
					}
					ds[i] = append(ds[i], resp.elapsed)
				}
				if sd.flush != nil {
					t0 := time.Now()
					if err := sd.flush(ctx); err != nil {
						return fmt.Errorf("bench: the audit's appends after %s: %w", k.name, err)
					}
					flush[i] += time.Since(t0)
				}
				cpu[i] += cpuTime() - c0
			}
		}
		n := float64(blocks * size)
		rc.Off, rc.On = latencyOf(ds[0]), latencyOf(ds[1])
		rc.P50Ratio = ratio(rc.On.P50Ms, rc.Off.P50Ms)
		rc.OffCPUMs = float64(cpu[0].Microseconds()) / 1000 / n
		rc.OnCPUMs = float64(cpu[1].Microseconds()) / 1000 / n
		rc.OnFlushMs = float64(flush[1].Microseconds()) / 1000 / n
		rc.CPURatio = ratio(rc.OnCPUMs, rc.OffCPUMs)
		cmp.Reads = append(cmp.Reads, rc)
		r.cfg.Log.Info("read compared", "read", k.name, "off_p50_ms", rc.Off.P50Ms, "on_p50_ms", rc.On.P50Ms, "ratio", fmt.Sprintf("%.2f", rc.P50Ratio))
	}
	return nil
}

// WriteJSON writes the comparison as indented JSON.
func (c *AuditComparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// within10 tells whether a ratio of on over off is within 10%, for a
// figure where lower is better (latency, CPU) or higher is (a rate).
func within10(ratio float64, higherIsBetter bool) string {
	if ratio == 0 {
		return "n/a"
	}
	if higherIsBetter {
		ratio = 1 / ratio
	}
	if ratio <= 1.10 {
		return "yes"
	}
	return "no"
}

// WriteMarkdown writes the comparison as markdown tables.
func (c *AuditComparison) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## liaison bench --audit-compare: %s, %s objects\n\n", c.Engine, SizeName(c.Objects))
	fmt.Fprintf(&b, "Machine: %s, %d cores, %.1f GB; %s/%s %s. Commit %s. Seed %d. One store, served twice in one process: audit off and audit on. Each audited block ends by waiting for the log to append what it recorded, and that wait is counted.\n\n",
		c.Machine.CPU, c.Machine.Cores, c.Machine.MemoryGB, c.Machine.OS, c.Machine.Arch, c.Machine.GoVersion, c.Commit, c.Seed)
	in := c.Ingest
	fmt.Fprintf(&b, "Ingest over TAXII, in blocks of %d objects, %d to the server with the audit off and %d to the one with it on, alternating (ABBA):\n\n| | audit off | audit on | on/off | within 10%% |\n|---|---:|---:|---:|:---:|\n", c.BlockObjects, in.Blocks[0], in.Blocks[1])
	fmt.Fprintf(&b, "| objects/s | %.0f | %.0f | %.2f (median of block pairs %.2f) | %s |\n", in.OffObjectsPerS, in.OnObjectsPerS, in.Ratio, in.PairMedian, within10(in.Ratio, true))
	fmt.Fprintf(&b, "| objects per CPU-second | %.0f | %.0f | %.2f | |\n", in.OffObjectsPerCPUS, in.OnObjectsPerCPUS, ratio(in.OnObjectsPerCPUS, in.OffObjectsPerCPUS))
	fmt.Fprintf(&b, "\nReads at %s objects: the same requests to both servers, in blocks of %d, alternating (ABBA). p50/p99 ms; CPU ms per request of the whole process, the audit's appends included:\n\n", SizeName(c.Objects), c.BlockRequests)
	b.WriteString("| read | n each | audit off p50/p99 | audit on p50/p99 | p50 on/off | p50 within 10% | CPU ms off / on | CPU on/off | waiting for appends, ms a request |\n|---|---:|---:|---:|---:|:---:|---:|---:|---:|\n")
	for _, r := range c.Reads {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %.2f | %s | %.2f / %.2f | %.2f | %.2f |\n", r.Name, r.Off.N, lat(r.Off), lat(r.On), r.P50Ratio, within10(r.P50Ratio, false), r.OffCPUMs, r.OnCPUMs, r.CPURatio, r.OnFlushMs)
	}
	a := c.Audit
	fmt.Fprintf(&b, "\nAudit: %d entries appended in the run.", a.Entries)
	if rc := a.ReadCost(); rc != "" {
		fmt.Fprintf(&b, " %s.", rc)
	}
	fmt.Fprintf(&b, " Run took %.0f s.\n", c.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

// ratio is a over b, or 0 when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
