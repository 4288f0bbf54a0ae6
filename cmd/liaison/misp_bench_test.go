package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"liaison/misp"
)

// BenchmarkImportMISP imports one generated MISP event through
// `liaison import --format misp` into a fresh SQLite store, and reports
// attributes/s, attributes per CPU-second (fairer on a loaded machine)
// and the process's peak RSS. The size is
// LIAISON_MISP_BENCH_ATTRS (default 10,000; the README quotes 100,000).
func BenchmarkImportMISP(b *testing.B) {
	n := 10000
	if v := os.Getenv("LIAISON_MISP_BENCH_ATTRS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("LIAISON_MISP_BENCH_ATTRS=%q: %v", v, err)
		}
	}
	dir := b.TempDir()
	event := filepath.Join(dir, "event.json")
	f, err := os.Create(event)
	if err != nil {
		b.Fatal(err)
	}
	if err := misp.Generate(f, n); err != nil {
		b.Fatal(err)
	}
	f.Close()
	cli := func(data string, stdin string, args ...string) string {
		var out, errb bytes.Buffer
		e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(context.Background(), e, append(args, "--data", data)); code != 0 {
			b.Fatalf("liaison %v: exit %d: %s", args, code, errb.String())
		}
		return errb.String()
	}
	var elapsed, cpu time.Duration
	cpuNow := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for i := 0; b.Loop(); i++ {
		data := filepath.Join(dir, "office"+strconv.Itoa(i))
		b.StopTimer()
		cli(data, "", "init", "--nations")
		cli(data, "analyst passphrase\n", "user", "add", "cert", "--org", "USA", "--role", "analyst")
		cli(data, "", "collection", "add", "--title", "MISP", "--topic", "cyber", "--read", "ALL", "--write", "ALL")
		b.StartTimer()
		start, cpu0 := time.Now(), cpuNow()
		out := cli(data, "", "import", "--as", "cert", "--format", "misp", "--distribution", "1=NATO", event)
		elapsed += time.Since(start)
		cpu += cpuNow() - cpu0
		if !strings.Contains(out, "1 events converted ("+strconv.Itoa(n)+" attributes") || !strings.Contains(out, " 0 rejected") {
			b.Fatalf("import: %s", out)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "attributes/s")
	b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "attributes/cpu-s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}
