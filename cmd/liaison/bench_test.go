package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liaison/bench"
	"liaison/stix"
)

// TestBenchQuick runs `liaison bench --quick` end to end at tiny sizes, as
// CI does, and checks the report: every figure present and positive. It
// never judges a timing.
func TestBenchQuick(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "bench.json")
	r := c.must("", "bench", "--quick", "--sizes", "1k,2k", "--samples", "5", "--readers", "4", "--json", out, "--workdir", t.TempDir())
	for _, want := range []string{"| 1k |", "| 2k |", "ingest_efficiency", "raw insert"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("markdown report lacks %q:\n%s", want, r.stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("--json wrote no JSON: %v\n%s", err, data)
	}
	positive := func(where string, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			v, ok := m[k].(float64)
			if !ok || v <= 0 {
				t.Errorf("%s: %s = %v, want a positive number", where, k, m[k])
			}
		}
	}
	positive("report", rep, "ingest_objects_per_s", "raw_insert_objects_per_s", "ingest_efficiency",
		"import_objects_per_s", "page_growth_1m_over_10k", "peak_rss_mb", "avg_object_bytes")
	if s, _ := rep["commit"].(string); s == "" {
		t.Error("no commit")
	}
	m, _ := rep["machine"].(map[string]any)
	positive("machine", m, "cores", "memory_gb")
	if s, _ := m["cpu"].(string); s == "" {
		t.Error("no CPU model")
	}
	sizes, _ := rep["sizes"].([]any)
	if len(sizes) != 2 {
		t.Fatalf("%d sizes in the report, want 2", len(sizes))
	}
	for i, want := range []float64{1000, 2000} {
		s, _ := sizes[i].(map[string]any)
		if s["objects"] != want {
			t.Errorf("size %d: objects %v, want %v", i, s["objects"], want)
		}
		positive(bench.SizeName(int(want)), s, "ingest_objects_per_s", "raw_insert_objects_per_s", "ingest_efficiency",
			"get_page_p50_ms", "get_page_p99_ms", "page_growth_over_smallest", "peak_rss_mb", "narrow_fraction")
		for _, k := range []string{"page_100_wide", "page_100_narrow", "page_1000_wide", "page_1000_narrow", "get_by_id", "manifest_100", "concurrent"} {
			l, _ := s[k].(map[string]any)
			positive(bench.SizeName(int(want))+" "+k, l, "p50_ms", "p99_ms", "n")
		}
		if f := s["narrow_fraction"].(float64); f >= 0.2 {
			t.Errorf("size %d: the narrow reader sees %.0f%% of the objects, want a small fraction", i, f*100)
		}
	}
}

// TestBenchWriteBundle writes a bundle with the sub-mode and reads it back.
func TestBenchWriteBundle(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "feed.json")
	c.must("", "bench", "--write-bundle", out, "--objects", "300", "--seed", "9")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rd := stix.NewReader(bytes.NewReader(data))
	n := 0
	for {
		raw, err := rd.Next()
		if err != nil {
			break
		}
		if _, err := stix.Decode(rd.Index(), raw); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n < 300 {
		t.Errorf("read %d objects back, want at least 300", n)
	}
	if r := c.run("", "bench", "--write-bundle", out, "--objects", "0"); r.code != 2 {
		t.Errorf("--objects 0: exit %d, want 2", r.code)
	}
	if r := c.run("", "bench", "--sizes", "10k,1k"); r.code != 2 {
		t.Errorf("descending sizes: exit %d, want 2", r.code)
	}
}

// TestBenchLoad runs the load mode briefly: a small store, a few clients
// in a load generator process of its own (this binary, as liaison), and a
// report with every kind of request measured and no errors. It judges no
// timing.
func TestBenchLoad(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "load.json")
	r := c.must("", "bench", "--duration", "2s", "--clients", "6", "--objects", "1500", "--json", out, "--workdir", t.TempDir())
	for _, want := range []string{"pages (80%)", "by id (10%)", "posts of 10 objects (10%)", "6 clients"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.LoadReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("--json wrote no load report: %v\n%s", err, data)
	}
	res := rep.Result
	if res.Errors != 0 {
		t.Errorf("%d errors under load, first: %s", res.Errors, res.FirstError)
	}
	for name, k := range map[string]bench.LoadKind{"pages": res.Pages, "by id": res.ByID, "posts": res.Posts} {
		if k.N == 0 || k.P50Ms <= 0 || k.P99Ms < k.P50Ms {
			t.Errorf("%s: %+v, want requests with p50 > 0 and p99 >= p50", name, k)
		}
	}
	if res.Pages.N < res.ByID.N || res.Pages.N < res.Posts.N {
		t.Errorf("pages %d, by id %d, posts %d: want pages the most of the mix", res.Pages.N, res.ByID.N, res.Posts.N)
	}
	if rep.ServerCPUS <= 0 || res.CPUSeconds <= 0 {
		t.Errorf("server CPU %.2f s, generator CPU %.2f s: want both measured", rep.ServerCPUS, res.CPUSeconds)
	}
	if rep.Objects != 1500 || rep.Clients != 6 {
		t.Errorf("objects %d, clients %d", rep.Objects, rep.Clients)
	}
}

func TestBenchLoadFlags(t *testing.T) {
	c := newCLI(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--duration", "-1s"}, "--duration must not be negative"},
		{[]string{"bench", "--duration", "1s", "--clients", "0"}, "--clients must be positive"},
		{[]string{"bench", "--load-worker"}, "--load-worker reads its orders as JSON on stdin"},
	} {
		r := c.run("", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// TestBenchKeepReuse keeps the store of a tiny run and measures its reads
// again with --reuse: no ingest, the same objects (the graph's technique
// and its links among them, added by the first run), every page measured.
func TestBenchKeepReuse(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(t.TempDir(), "kept")
	r := c.must("", "bench", "--quick", "--sizes", "1k", "--samples", "5", "--readers", "2", "--keep", dir)
	if !strings.Contains(r.stdout, "| 1k |") {
		t.Errorf("the kept run reports no reads at 1k:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "bench-kept.json")); err != nil {
		t.Fatalf("--keep left no state file: %v", err)
	}
	out := filepath.Join(t.TempDir(), "reuse.json")
	c.must("", "bench", "--quick", "--samples", "5", "--readers", "2", "--reuse", dir, "--json", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes in the reuse report, want 1", len(rep.Sizes))
	}
	s := rep.Sizes[0]
	if want := 1000 + bench.HubLinks + 1; s.Objects != want || s.WalkWide.Objects != want {
		t.Errorf("reused store: %d objects, walked %d; want %d (1k and the graph's hub)", s.Objects, s.WalkWide.Objects, want)
	}
	if s.IngestObjectsPerS != 0 {
		t.Errorf("--reuse ingested (%v objects/s)", s.IngestObjectsPerS)
	}
	for name, l := range map[string]bench.Latency{"list wide": s.Pages.ListWide, "list narrow": s.Pages.ListNarrow,
		"object wide": s.Pages.ObjectWide, "graph wide": s.Pages.GraphWide, "search narrow": s.Search.Narrow} {
		if l.N == 0 || l.P50Ms <= 0 {
			t.Errorf("%s not measured on the reused store: %+v", name, l)
		}
	}
	for _, args := range [][]string{
		{"bench", "--reuse", filepath.Join(t.TempDir(), "none")},
		{"bench", "--keep", dir, "--reuse", dir},
		{"bench", "--reuse", t.TempDir()},
	} {
		if r := c.run("", args...); r.code == 0 {
			t.Errorf("%v: exit 0, want a refusal", args)
		}
	}
}

// TestBenchAuditCompare runs the audit on against off comparison on a
// tiny store: both modes ingest and serve every read, the audited server
// records an entry for each read it serves, and the report says whether
// each figure is within 10%.
func TestBenchAuditCompare(t *testing.T) {
	c := newCLI(t)
	benchAuditCompare(t, c)
	if r := c.run("", "bench", "--audit-compare", "--audit"); r.code != 2 || !strings.Contains(r.stderr, "leave out --audit") {
		t.Errorf("--audit-compare --audit: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestBenchAuditComparePostgres is the same comparison on PostgreSQL,
// whose benchmark stores are schemas of the database named.
func TestBenchAuditComparePostgres(t *testing.T) {
	base := os.Getenv("LIAISON_TEST_POSTGRES")
	if base == "" {
		t.Skip("no PostgreSQL to test against: set LIAISON_TEST_POSTGRES=postgres://user@host:5432/db?sslmode=disable to run the PostgreSQL CLI tests")
	}
	benchAuditCompare(t, newCLI(t), "--db", base)
}

func benchAuditCompare(t *testing.T, c *cli, args ...string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "audit.json")
	r := c.must("", append([]string{"bench", "--audit-compare", "--sizes", "2k", "--samples", "20", "--json", out, "--workdir", t.TempDir()}, args...)...)
	for _, want := range []string{"audit off", "audit on", "within 10%", "TAXII page of 1000, narrow", "object page with who may read it", "bytes per 1,000 versions served"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var cmp bench.AuditComparison
	if err := json.Unmarshal(data, &cmp); err != nil {
		t.Fatalf("--json wrote no comparison: %v\n%s", err, data)
	}
	if cmp.Objects < 2000 {
		t.Errorf("compared at %d objects, want at least 2000", cmp.Objects)
	}
	in := cmp.Ingest
	if in.Blocks[0] < 1 || in.Blocks[1] < 1 || in.OffObjectsPerS <= 0 || in.OnObjectsPerS <= 0 || in.Ratio <= 0 {
		t.Errorf("ingest %+v: want blocks and rates for both modes", in)
	}
	if len(cmp.Reads) != 9 {
		t.Fatalf("%d reads compared, want 9", len(cmp.Reads))
	}
	served := 0
	for _, rd := range cmp.Reads {
		if rd.Off.N != 20 || rd.On.N != 20 || rd.Off.P50Ms <= 0 || rd.On.P50Ms <= 0 || rd.P50Ratio <= 0 {
			t.Errorf("%s: %+v, want 20 timed requests each way (two blocks of 10)", rd.Name, rd)
		}
		served += rd.On.N
	}
	// Every read the audited server answered is at least one entry (an
	// object page is a few: the object, its links, who may read it); the
	// server with the audit off adds none, or there would be twice as
	// many.
	if a := cmp.Audit; a.ReadEntries < int64(served) || a.ReadEntries >= int64(2*served) || a.ReadRefs <= 0 || a.ReadBytes <= 0 {
		t.Errorf("audit %+v: want from %d to %d read entries, naming versions", a, served, 2*served-1)
	}
}
