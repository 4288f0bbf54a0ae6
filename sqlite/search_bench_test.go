package sqlite_test

import (
	"context"
	"testing"

	"liaison"
)

// BenchmarkSearch runs searches over generated objects, as the writer (who
// reads everything) and as the narrow reader (NZL, a few per cent): a
// word in many documents, a phrase, and an external id. The target is a
// p50 of 100 ms at 1M objects; run it at small sizes here
// (-bench Search -benchtime 20x).
func BenchmarkSearch(b *testing.B) {
	f := loadPageFixture(b, 10_000)
	ctx := context.Background()
	for _, q := range []struct{ name, text string }{{"word", "phishing"}, {"phrase", `"lateral movement"`}, {"prefix", "exfil*"}, {"id", "T1059"}} {
		for _, rd := range []struct {
			name string
			p    liaison.Principal
		}{{"wide", f.world.Writer}, {"narrow", f.world.Narrow}} {
			b.Run("rows=10k/q="+q.name+"/reader="+rd.name, func(b *testing.B) {
				hits := 0
				for b.Loop() {
					p, err := f.s.Search(ctx, rd.p, liaison.SearchQuery{Text: q.text})
					if err != nil {
						b.Fatal(err)
					}
					hits = len(p.Hits)
				}
				b.ReportMetric(float64(hits), "hits")
			})
		}
	}
}
