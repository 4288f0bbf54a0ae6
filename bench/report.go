package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ParseSize reads a store size such as 10k, 100k, 1m or 2500.
func ParseSize(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1000, strings.TrimSuffix(t, "k")
	case strings.HasSuffix(t, "m"):
		mult, t = 1000000, strings.TrimSuffix(t, "m")
	}
	var n int
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != t {
		return 0, fmt.Errorf("size %q is not a positive count such as 2500, 10k or 1m", s)
	}
	return n * mult, nil
}

// SizeName writes a size as 10k, 1m or 2500.
func SizeName(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dm", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteMarkdown writes the report as markdown tables.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## liaison bench: %s, %s\n\n", rep.Engine, rep.Server)
	fmt.Fprintf(&b, "Machine: %s, %d cores, %.1f GB; %s/%s %s. Commit %s. Seed %d; %d clients posting envelopes of %d objects; objects average %d bytes.\n\n",
		rep.Machine.CPU, rep.Machine.Cores, rep.Machine.MemoryGB, rep.Machine.OS, rep.Machine.Arch, rep.Machine.GoVersion,
		rep.Commit, rep.Seed, rep.Clients, rep.Envelope, rep.AvgBytes)
	fmt.Fprintf(&b, "Readers: wide = %s; narrow = %s. Raw insert: the same rows (versions, ends and search documents) written straight into the tables, with no HTTP, parsing or checks.\n\n", rep.Everybody, rep.Narrow)
	b.WriteString("| objects | ingest obj/s | raw insert obj/s | efficiency | page 100 p50/p99 ms (wide) | page 100 p50/p99 ms (narrow) | page 1000 p50/p99 ms (wide) | page 1000 p50/p99 ms (narrow) | by id p50/p99 ms | manifest 100 p50/p99 ms | walk wide obj/s | walk narrow (objects, s) | 16 readers req/s (p99 ms) | growth | peak RSS MB (ingest/serving) |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range rep.Sizes {
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %s | %s | %s | %s | %s | %s | %.0f | %d, %.2f | %.0f (%.1f) | %.2f | %.0f / %.0f |\n",
			SizeName(s.Objects), s.IngestObjectsPerS, s.RawInsertObjectsPerS, s.IngestEfficiency,
			lat(s.Page100Wide), lat(s.Page100Narrow), lat(s.Page1000Wide), lat(s.Page1000Narrow),
			lat(s.GetByID), lat(s.Manifest), s.WalkWide.ObjectsPerS, s.WalkNarrow.Objects, s.WalkNarrow.Seconds,
			s.Concurrent.RequestsPerS, s.Concurrent.P99Ms, s.PageGrowth, s.PeakRSSIngestMB, s.PeakRSSServingMB)
	}
	b.WriteString(rep.searchMarkdown())
	b.WriteString("\nPer CPU-second of the benchmark process (a loaded machine inflates wall time, not these), and the share of the ingest's wall time the store's writer was busy:\n\n| objects | ingest obj/cpu-s | raw insert obj/cpu-s | efficiency | writer busy |\n|---:|---:|---:|---:|---:|\n")
	for _, s := range rep.Sizes {
		eff := 0.0
		if s.RawInsertObjectsPerCPUS > 0 {
			eff = s.IngestObjectsPerCPUS / s.RawInsertObjectsPerCPUS
		}
		busy := "n/a"
		if s.IngestWriterBusy > 0 {
			busy = fmt.Sprintf("%.2f", s.IngestWriterBusy)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %s |\n", SizeName(s.Objects), s.IngestObjectsPerCPUS, s.RawInsertObjectsPerCPUS, eff, busy)
	}
	b.WriteString("\nPages, as server time from a client on the same machine (the graph is of a technique with " + fmt.Sprint(HubLinks) + " relationships):\n\n| objects | list page p50/p99 ms (wide) | list page p50/p99 ms (narrow) | object page with who may read it p50/p99 ms (wide) | (narrow) | graph p50/p99 ms (wide) | graph p50/p99 ms (narrow) |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range rep.Sizes {
		p := s.Pages
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", SizeName(s.Objects), lat(p.ListWide), lat(p.ListNarrow), lat(p.ObjectWide), lat(p.ObjectNarrow), lat(p.GraphWide), lat(p.GraphNarrow))
	}
	fmt.Fprintf(&b, "\nOverall: ingest %.0f objects/s over TAXII, raw insert %.0f objects/s, ingest_efficiency %.2f; CLI import of %s objects %.0f objects/s (%.2f of raw); page-of-100 growth %s→%s %.2f×; peak RSS %.0f MB. Run took %.0f s.\n",
		rep.IngestObjectsPerS, rep.RawInsertObjectsPerS, rep.IngestEfficiency, SizeName(rep.ImportObjects), rep.ImportObjectsPerS, rep.ImportEfficiency,
		SizeName(rep.PageGrowthFrom), SizeName(rep.PageGrowthTo), rep.PageGrowth, rep.PeakRSSMB, rep.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

func lat(l Latency) string { return fmt.Sprintf("%.1f / %.1f", l.P50Ms, l.P99Ms) }
