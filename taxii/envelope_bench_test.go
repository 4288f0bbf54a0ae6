package taxii

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"liaison"
	"liaison/bench"
)

// discardWriter is a ResponseWriter that counts and drops the body.
type discardWriter struct {
	h http.Header
	n int64
}

func (d *discardWriter) Header() http.Header { return d.h }
func (d *discardWriter) WriteHeader(int)     {}
func (d *discardWriter) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return len(p), nil
}

// BenchmarkWriteEnvelope writes a page of stored objects as a TAXII
// envelope, the last step of every GET objects. The bytes are served as
// stored; the cost is copying and the date headers.
func BenchmarkWriteEnvelope(b *testing.B) {
	s := &Server{cfg: Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	g := bench.NewGenerator(1)
	added := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{100, 1000} {
		page := liaison.ObjectPage{More: true, Next: "ZGExOjE3NjcyMjU2MDAwMDAwMDA"}
		size := 0
		for i := 0; i < n; i++ {
			o := g.Next()
			page.Versions = append(page.Versions, liaison.Version{ID: o.ID, Type: o.Type, SpecVersion: "2.1",
				Modified: o.Modified, DateAdded: added.Add(time.Duration(i) * time.Microsecond), Raw: o.Raw})
			size += len(o.Raw)
		}
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				if err := s.writeEnvelope(w, page); err != nil {
					b.Fatal(err)
				}
				if w.n < int64(size) {
					b.Fatalf("wrote %d bytes of %d", w.n, size)
				}
			}
		})
	}
}
