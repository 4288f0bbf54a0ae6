package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"liaison"
	"liaison/audit"
	"liaison/bench"
	"liaison/postgres"
	"liaison/sqlite"
)

type benchCmd struct {
	sizes, jsonOut, writeBundle, cpuprofile, workdir string
	keep, reuse                                      string // --keep DIR, --reuse DIR: a store measured again
	match                                            string // --match INDICATORS:OBSERVATIONS: the matcher only
	federation                                       string
	quick, loadWorker, audited, auditCompare         bool
	objects, seed, clients, readers, samples         int
	matchOffice                                      int
	duration                                         time.Duration
	fs                                               *flag.FlagSet // to tell whether --sizes was given
}

func (o *benchCmd) declare(fs *flag.FlagSet) {
	o.fs = fs
	fs.StringVar(&o.sizes, "sizes", "10k,100k,1m", "store sizes at which reads are measured, ascending (such as 10k,100k,1m)")
	fs.BoolVar(&o.quick, "quick", false, "a run of under a minute at small sizes (2k,10k unless --sizes), for CI")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.writeBundle, "write-bundle", "", "only write a generated bundle to this file (see --objects) and exit")
	fs.IntVar(&o.objects, "objects", 100000, "objects in the bundle --write-bundle writes, and in the store of the load mode")
	fs.IntVar(&o.seed, "seed", 1, "the generator's seed: the same seed gives the same objects")
	fs.IntVar(&o.clients, "clients", 4, "concurrent clients posting envelopes; with --duration, the clients of the load (default 200 then)")
	fs.DurationVar(&o.duration, "duration", 0, "run the load mode for this long (such as 60s): --clients clients, from a process of their own, on a store of --objects objects")
	fs.BoolVar(&o.loadWorker, "load-worker", false, "be the load generator of another liaison bench (orders on stdin, result on stdout); the load mode starts it")
	fs.IntVar(&o.readers, "readers", 16, "concurrent readers of the throughput measurement")
	fs.IntVar(&o.samples, "samples", 0, "requests per latency measurement (default 200, 30 with --quick)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run (server included) to this file, for go tool pprof")
	fs.StringVar(&o.match, "match", "", "only measure the matcher: INDICATORS:OBSERVATIONS such as 100k:1m (index against the plain loop, p99, memory), then the office's Match through a store")
	fs.IntVar(&o.matchOffice, "match-office", 10000, "indicators written to the store for the office-level part of --match (at most INDICATORS)")
	fs.BoolVar(&o.audited, "audit", false, "run the office with its audit log on, as serve does (compare a run without, or use --audit-compare)")
	fs.BoolVar(&o.auditCompare, "audit-compare", false, "compare audit on against audit off in one run: one store served twice, ingest to the largest of --sizes in alternating blocks, then the same reads sent to both (100k, or 10k with --quick, unless --sizes)")
	fs.StringVar(&o.federation, "federation", "", "measure federation alone: SIZE objects (such as 10k) posted over TAXII to one SQLite office, then pulled by another over the peer endpoint, and a sync of 10 collections with nothing new")
	fs.StringVar(&o.workdir, "workdir", "", "where the benchmark's stores and bundle go (default a new temporary folder, removed afterwards)")
	fs.StringVar(&o.keep, "keep", "", "keep the store the TAXII ingest grew to the last of --sizes in this folder (with PostgreSQL: the schema liaison_bench_ingest, and its state file here), for --reuse; skips the raw inserts and the import")
	fs.StringVar(&o.reuse, "reuse", "", "measure the reads again on the store that --keep left in this folder, at the size it has, with no ingest (--sizes is not used)")
}

// run benchmarks SQLite, or PostgreSQL at --db when it is given.
func (o *benchCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	if o.seed < 0 {
		return usagef("--seed must not be negative")
	}
	if out := o.writeBundle; out != "" {
		return writeBenchBundle(e, out, uint64(o.seed), o.objects)
	}
	if o.match != "" {
		return o.runMatchBench(ctx, e)
	}
	if o.loadWorker {
		return runLoadWorker(ctx, e)
	}
	if o.duration < 0 {
		return usagef("--duration must not be negative")
	}
	loadClients := o.clients
	if o.duration > 0 {
		if !given(o.fs, "clients") {
			loadClients = 200
		}
		o.clients = 4 // the preload's posters
		if loadClients <= 0 {
			return usagef("--clients must be positive")
		}
		if o.objects <= 0 {
			return usagef("--objects must be positive")
		}
	}
	cfg := bench.Config{
		Seed:    uint64(o.seed),
		Clients: o.clients,
		Readers: o.readers,
		Samples: o.samples,
		Log:     e.log,
	}
	sizes := o.sizes
	if o.quick {
		if !given(o.fs, "sizes") {
			sizes = "2k,10k"
		}
		if cfg.Samples == 0 {
			cfg.Samples = 30
		}
		cfg.Throughput = time.Second
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := bench.ParseSize(s)
		if err != nil {
			return usagef("--sizes: %v", err)
		}
		cfg.Sizes = append(cfg.Sizes, n)
	}
	for i := 1; i < len(cfg.Sizes); i++ {
		if cfg.Sizes[i] <= cfg.Sizes[i-1] {
			return usagef("--sizes must ascend, got %s", sizes)
		}
	}
	work := o.workdir
	if o.auditCompare {
		switch {
		case o.audited:
			return usagef("--audit-compare runs both with and without the audit; leave out --audit")
		case o.keep != "" || o.reuse != "" || o.duration > 0 || o.federation != "":
			return usagef("--audit-compare measures neither --keep, --reuse, the load mode nor federation")
		}
		if !given(o.fs, "sizes") {
			cfg.Sizes = []int{100000}
			if o.quick {
				cfg.Sizes = []int{10000}
			}
		}
		if !given(o.fs, "samples") {
			cfg.Samples = 1000 // 20 blocks of each read
			if o.quick {
				cfg.Samples = 200
			}
		}
	}
	switch {
	case o.keep != "" && o.reuse != "":
		return usagef("--keep and --reuse are exclusive")
	case (o.keep != "" || o.reuse != "") && (work != "" || o.duration > 0 || o.federation != ""):
		return usagef("--keep and --reuse name the work folder themselves, and measure neither the load mode nor federation")
	case o.keep != "":
		work, cfg.Keep = o.keep, true
	case o.reuse != "":
		if _, err := os.Stat(o.reuse); err != nil {
			return usagef("--reuse: %v", err)
		}
		work, cfg.Reuse = o.reuse, true
	}
	if work == "" {
		tmp, err := os.MkdirTemp("", "liaison-bench-")
		if err != nil {
			return fmt.Errorf("bench: work folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		work = tmp
	} else if err := os.MkdirAll(work, 0o750); err != nil {
		return usagef("cannot create --workdir: %v", err)
	}
	cfg.WorkDir = work
	if o.federation != "" {
		n, err := bench.ParseSize(o.federation)
		if err != nil {
			return usagef("--federation: %v", err)
		}
		res, err := runFedBench(ctx, work, n)
		if err != nil {
			return err
		}
		res.markdown(e.stdout)
		return nil
	}

	// The server logs only warnings and errors: a line per request would
	// cost more than some requests.
	quiet := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// With --audit each store is audited from its first write, and its
	// Close appends the log's last batch before the store closes.
	var aud *auditing
	var auditLogs []*audit.Log
	audited := func(s liaison.Store, err error) (liaison.Store, error) {
		if err != nil || !o.audited {
			return s, err
		}
		db, err := dbOf(s)
		if err != nil {
			s.Close()
			return nil, err
		}
		l := audit.New(db, audit.Options{Logger: quiet})
		auditLogs = append(auditLogs, l)
		aud = &auditing{store: audit.NewStore(s, l), log: l, db: db}
		return aud.store, nil
	}
	cfg.Engine = bench.SQLite(work, func(ctx context.Context, dir string) (liaison.Store, error) {
		return audited(sqlite.Open(ctx, dir, sqlite.Options{Logger: quiet}))
	})
	if db := st.db; db != "" {
		if !postgres.IsURL(db) {
			return usagef("--db %q is not a postgres:// URL", db)
		}
		// Each store the benchmark makes is a fresh schema liaison_bench_*
		// of that database, dropped afterwards. With --db-replica, its
		// reads go to the replicas whenever they may.
		replicas := st.replicas
		cfg.Engine = bench.PostgreSQL(db, func(ctx context.Context, url, schema string) (liaison.Store, error) {
			return audited(postgres.Open(ctx, url, postgres.Options{Logger: quiet, Schema: schema, Replicas: replicas}))
		})
	}
	cfg.Handler = func(s liaison.Store) (http.Handler, error) {
		office, err := officeOf(context.Background(), s)
		if err != nil {
			office = liaison.Organisation{Code: "LIAISON", Name: "Liaison office", Kind: liaison.NATOBody}
		}
		peers, _ := s.(liaison.PeerService)
		return newHandler(s, peers, office, quiet, aud)
	}
	cfg.Import = func(ctx context.Context, s liaison.Store, p liaison.Principal, coll string, r io.Reader) (int, error) {
		sum, err := importBundle(ctx, s, p, coll, r, nil)
		if err != nil {
			return 0, err
		}
		if len(sum.rejected) > 0 {
			return 0, liaison.Errorf(liaison.EINVALID, "%d objects rejected, first: %s", len(sum.rejected), sum.rejected[0].Message)
		}
		return sum.added + sum.present, nil
	}

	if path := o.cpuprofile; path != "" {
		f, err := os.Create(path)
		if err != nil {
			return usagef("cannot create --cpuprofile file: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	printAudit := func() {
		if !o.audited {
			return
		}
		var st audit.Stats
		for _, l := range auditLogs {
			n := l.Stats()
			st.Appended += n.Appended
			st.Failures += n.Failures
			st.ReadEntries += n.ReadEntries
			st.ReadBytes += n.ReadBytes
			st.ReadRefs += n.ReadRefs
			st.ReadKeys += n.ReadKeys
		}
		fmt.Fprintf(e.stderr, "audit: %d entries appended (%d append attempts failed)\n", st.Appended, st.Failures)
		if rc := benchAuditStats(st).ReadCost(); rc != "" {
			fmt.Fprintf(e.stderr, "audit: %s\n", rc)
		}
	}
	if o.auditCompare {
		cmp, err := bench.CompareAudit(ctx, cfg, auditPair(work, quiet))
		if err != nil {
			return err
		}
		return writeReport(e, cmp, o.jsonOut)
	}
	if o.duration > 0 {
		objects := o.objects
		if o.quick && !given(o.fs, "objects") {
			objects = 10000
		}
		lrep, err := bench.RunLoad(ctx, cfg, objects, loadClients, o.duration, spawnLoadGenerator(e))
		if err != nil {
			return err
		}
		printAudit()
		return writeReport(e, lrep, o.jsonOut)
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	printAudit()
	return writeReport(e, rep, o.jsonOut)
}

// auditPair serves a benchmark store twice, as serve would: plainly, and
// with an audit log that signs checkpoints with a key made in work.
func auditPair(work string, log *slog.Logger) func(liaison.Store) (bench.AuditPair, error) {
	return func(s liaison.Store) (bench.AuditPair, error) {
		db, err := dbOf(s)
		if err != nil {
			return bench.AuditPair{}, err
		}
		office, err := officeOf(context.Background(), s)
		if err != nil {
			office = liaison.Organisation{Code: "LIAISON", Name: "Liaison office", Kind: liaison.NATOBody}
		}
		keyDir, err := os.MkdirTemp(work, "audit-key-")
		if err != nil {
			return bench.AuditPair{}, fmt.Errorf("bench: audit key folder: %w", err)
		}
		key, err := audit.CreateKey(keyDir, audit.OriginFor(office.Code))
		if err != nil {
			return bench.AuditPair{}, err
		}
		l := audit.New(db, audit.Options{Key: key, Logger: log})
		aud := &auditing{store: audit.NewStore(s, l), log: l, db: db, key: key}
		peers, _ := s.(liaison.PeerService)
		plain, err := newHandler(s, peers, office, log, nil)
		if err != nil {
			return bench.AuditPair{}, err
		}
		if peers != nil {
			peers = audit.NewPeerService(peers, l)
		}
		on, err := newHandler(aud.store, peers, office, log, aud)
		if err != nil {
			return bench.AuditPair{}, err
		}
		stats := func() bench.AuditStats { return benchAuditStats(l.Stats()) }
		return bench.AuditPair{Plain: plain, Audited: on, Flush: l.Flush, Stats: stats}, nil
	}
}

// benchAuditStats are an audit log's counts as the benchmark reports them.
func benchAuditStats(st audit.Stats) bench.AuditStats {
	return bench.AuditStats{Entries: st.Appended, ReadEntries: st.ReadEntries, ReadBytes: st.ReadBytes, ReadRefs: st.ReadRefs, ReadKeys: st.ReadKeys}
}

// writeReport prints a report as markdown, and writes it as JSON to path
// when path is set.
func writeReport(e *env, rep interface {
	WriteMarkdown(io.Writer) error
	WriteJSON(io.Writer) error
}, path string) error {
	if err := rep.WriteMarkdown(e.stdout); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return usagef("cannot create --json file: %v", err)
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return nil
}

// writeBenchBundle streams a generated bundle to a file.
func writeBenchBundle(e *env, path string, seed uint64, n int) error {
	if n <= 0 {
		return usagef("--objects must be positive")
	}
	f, err := os.Create(path)
	if err != nil {
		return usagef("cannot create %s: %v", path, err)
	}
	start := time.Now()
	cw := &countingWriter{w: f}
	wrote, err := bench.WriteBundle(cw, seed, n)
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	fmt.Fprintf(e.stderr, "wrote %d objects (%s) to %s in %s\n", wrote, humanBytes(cw.n), path, time.Since(start).Round(time.Millisecond))
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
