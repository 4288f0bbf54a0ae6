package bench

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"liaison"
	"liaison/stix"
)

// TestGeneratorObjectsAreValid decodes every generated object with the
// store's own validator, and checks that what the generator says about an
// object (id, type, version, markings, ends) is what the validator reads.
func TestGeneratorObjectsAreValid(t *testing.T) {
	g := NewGenerator(1)
	pre := g.Preamble()
	if len(pre) != len(hubMarkings)+1 {
		t.Fatalf("preamble has %d objects, want %d", len(pre), len(hubMarkings)+1)
	}
	for i, o := range pre {
		c, err := stix.Decode(i, o.Raw)
		if err != nil {
			t.Fatalf("preamble %d: %v\n%s", i, err, o.Raw)
		}
		if o.Type == "marking-definition" && c.Marking == nil {
			t.Errorf("preamble %d: not understood as a marking", i)
		}
	}
	types := map[string]int{}
	labels := map[int]int{}
	size := 0
	const n = 20000
	for i := 0; i < n; i++ {
		o := g.Next()
		c, err := stix.Decode(i, o.Raw)
		if err != nil {
			t.Fatalf("object %d: %v\n%s", i, err, o.Raw)
		}
		if c.ID != o.ID || c.Type != o.Type || !c.Version().Equal(o.Modified) {
			t.Fatalf("object %d: generator says %s %s %s, decoder %s %s %s", i, o.ID, o.Type, o.Modified, c.ID, c.Type, c.Version())
		}
		if !slices.Equal(c.MarkingRefs, o.Markings) {
			t.Fatalf("object %d: markings %v, decoder %v", i, o.Markings, c.MarkingRefs)
		}
		if !slices.Equal(c.Ends, o.Ends) {
			t.Fatalf("object %d: ends %v, decoder %v", i, o.Ends, c.Ends)
		}
		types[o.Type]++
		labels[o.Label]++
		size += len(o.Raw)
	}
	avg := size / n
	t.Logf("average object size %d bytes; types %v", avg, types)
	if avg < 1000 || avg > 2000 {
		t.Errorf("average object size %d bytes, want 1000 to 2000 like real feeds", avg)
	}
	for k, w := range kindWeights {
		got := float64(types[kindTypes[k]]) / n * 100
		if got < float64(w)*0.8-1 || got > float64(w)*1.2+1 {
			t.Errorf("%s: %.1f%% of objects, want about %d%%", kindTypes[k], got, w)
		}
	}
	for i, l := range Labels {
		if labels[i] == 0 {
			t.Errorf("label %q never used", l.Name)
		}
	}
}

// TestLabelsCoverEveryMarking checks the marking mix covers every TLP
// level, every classification and releasable_to lists.
func TestLabelsCoverEveryMarking(t *testing.T) {
	used := map[string]bool{}
	for _, l := range Labels {
		for _, r := range l.Refs {
			used[r] = true
		}
	}
	for _, id := range []string{liaison.TLPClearID, liaison.TLPGreenID, liaison.TLPAmberID, liaison.TLPAmberStrictID, liaison.TLPRedID} {
		if !used[id] {
			t.Errorf("TLP %s unused", id)
		}
	}
	classes := map[string]bool{}
	lists := 0
	for _, m := range hubMarkings {
		if !used[m.id] {
			t.Errorf("hub marking %s unused", m.key)
		}
		if m.classification != "" {
			classes[m.classification] = true
		}
		if m.releasableTo != nil {
			lists++
		}
	}
	if len(classes) != 5 {
		t.Errorf("classifications used: %v, want all five", classes)
	}
	if lists < 5 {
		t.Errorf("%d releasable_to lists, want several", lists)
	}
}

// TestGeneratorIsDeterministic: the same seed gives the same bytes, another
// seed other bytes.
func TestGeneratorIsDeterministic(t *testing.T) {
	a, b, c := NewGenerator(7), NewGenerator(7), NewGenerator(8)
	same := true
	for i := 0; i < 500; i++ {
		x, y, z := a.Next(), b.Next(), c.Next()
		if !bytes.Equal(x.Raw, y.Raw) {
			t.Fatalf("object %d differs for the same seed", i)
		}
		same = same && bytes.Equal(x.Raw, z.Raw)
	}
	if same {
		t.Error("seeds 7 and 8 gave the same objects")
	}
}

// TestWriteBundleReadsBack writes a bundle and reads it back with the
// store's streaming reader.
func TestWriteBundleReadsBack(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteBundle(&buf, 3, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1500+len(hubMarkings)+1 {
		t.Fatalf("wrote %d objects", n)
	}
	rd := stix.NewReader(&buf)
	got := 0
	for {
		raw, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stix.Decode(rd.Index(), raw); err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != n {
		t.Fatalf("read %d objects back, wrote %d", got, n)
	}
}

// BenchmarkGenerate measures the generator alone: it must be far faster
// than ingest so it never limits the benchmark.
func BenchmarkGenerate(b *testing.B) {
	g := NewGenerator(1)
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		size += len(g.Next().Raw)
	}
	b.SetBytes(int64(size / max(b.N, 1)))
}
