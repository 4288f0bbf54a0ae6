package bench

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// SearchLatency is the full-text search figure at one size: GET
// /api/v1/search, first page of 25, for the everything-reader and the
// narrow reader, over a fixed mix of queries (searchQueries).
type SearchLatency struct {
	Wide   Latency `json:"wide"`
	Narrow Latency `json:"narrow"`
	// Per query, the p50 for the wide and the narrow reader, to tell a
	// word found in many documents from an id found in few.
	Queries []SearchQueryLatency `json:"queries"`
}

// SearchQueryLatency is one query's p50s.
type SearchQueryLatency struct {
	Q           string  `json:"q"`
	WideP50Ms   float64 `json:"wide_p50_ms"`
	NarrowP50Ms float64 `json:"narrow_p50_ms"`
}

// searchQueries are what the benchmark searches for: an external id
// (few documents), a phrase, a prefix and a word of the generator's
// vocabulary (many documents).
var searchQueries = []string{"T1059", `"lateral movement"`, "exfil*", "phishing"}

// measureSearch times searches over the API at base.
func (r *run) measureSearch(ctx context.Context, base string, res *SizeResult) error {
	samples := max(1, r.cfg.Samples/len(searchQueries))
	var wide, narrow []time.Duration
	for _, q := range searchQueries {
		u := base + "/api/v1/search?q=" + url.QueryEscape(q)
		ql := SearchQueryLatency{Q: q}
		for _, rd := range []struct {
			token string
			all   *[]time.Duration
			p50   *float64
		}{{r.world.WriterToken, &wide, &ql.WideP50Ms}, {r.world.NarrowToken, &narrow, &ql.NarrowP50Ms}} {
			var ds []time.Duration
			for range samples {
				resp, err := r.cl.get(ctx, u, rd.token)
				if err != nil {
					return fmt.Errorf("bench: search: %w", err)
				}
				ds = append(ds, resp.elapsed)
			}
			*rd.all = append(*rd.all, ds...)
			*rd.p50 = latencyOf(ds).P50Ms
		}
		res.Search.Queries = append(res.Search.Queries, ql)
	}
	res.Search.Wide, res.Search.Narrow = latencyOf(wide), latencyOf(narrow)
	r.cfg.Log.Info("search measured", "objects", r.stored, "wide_p50_ms", res.Search.Wide.P50Ms, "narrow_p50_ms", res.Search.Narrow.P50Ms)
	return nil
}

// searchMarkdown is the report's table of search latencies.
func (rep *Report) searchMarkdown() string {
	s := "\nSearch (GET /api/v1/search, first page of 25), p50 ms wide / narrow per query, and p50/p99 over all:\n\n| objects |"
	sep := "|---:|"
	if len(rep.Sizes) == 0 {
		return ""
	}
	for _, q := range searchQueries {
		s += " " + q + " |"
		sep += "---:|"
	}
	s += " all wide | all narrow |\n" + sep + "---:|---:|\n"
	for _, z := range rep.Sizes {
		s += "| " + SizeName(z.Objects) + " |"
		for _, q := range z.Search.Queries {
			s += fmt.Sprintf(" %.1f / %.1f |", q.WideP50Ms, q.NarrowP50Ms)
		}
		s += " " + lat(z.Search.Wide) + " | " + lat(z.Search.Narrow) + " |\n"
	}
	return s
}
