package misp

import (
	"bytes"
	"testing"
)

// BenchmarkConvert converts a generated event of 10,000 attributes (the
// import, with the store, is BenchmarkImportMISP in cmd/liaison).
func BenchmarkConvert(b *testing.B) {
	var in bytes.Buffer
	if err := Generate(&in, 10000); err != nil {
		b.Fatal(err)
	}
	opt := Options{Originator: "USA", Distribution: map[int][]string{1: {"NATO"}}}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		st, err := Convert(bytes.NewReader(in.Bytes()), opt, func([]byte) error { return nil })
		if err != nil || st.Events != 1 || st.Attributes != 10000 {
			b.Fatalf("%+v %v", st, err)
		}
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "attributes/s")
}

// TestGenerated: the generated event converts whole, every attribute placed.
func TestGenerated(t *testing.T) {
	var in bytes.Buffer
	if err := Generate(&in, 1000); err != nil {
		t.Fatal(err)
	}
	c := convertReader(t, &in, Options{Originator: "USA", Distribution: map[int][]string{1: {"NATO"}}})
	if c.stats.Events != 1 || c.stats.Attributes != 1000 || len(c.conv.Places) != 1000 {
		t.Fatalf("stats %+v, %d placed", c.stats, len(c.conv.Places))
	}
	for u, p := range c.conv.Places {
		if len(p) != 1 {
			t.Errorf("%s placed %d times", u, len(p))
		}
	}
}
