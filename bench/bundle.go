package bench

import (
	"fmt"
	"io"

	"liaison/stix"
)

// WriteBundle writes one STIX 2.1 bundle of the generator's preamble and
// then n generated objects (seeded with seed) to w. It streams: memory
// stays constant whatever n is. It returns how many objects it wrote.
func WriteBundle(w io.Writer, seed uint64, n int) (int, error) {
	g := NewGenerator(seed)
	bw := stix.NewBundleWriter(w)
	for _, o := range g.Preamble() {
		if err := bw.Write(o.Raw); err != nil {
			return bw.Count(), fmt.Errorf("bench: write bundle: %w", err)
		}
	}
	for i := 0; i < n; i++ {
		if err := bw.Write(g.Next().Raw); err != nil {
			return bw.Count(), fmt.Errorf("bench: write bundle: %w", err)
		}
	}
	if err := bw.Close(); err != nil {
		return bw.Count(), fmt.Errorf("bench: write bundle: %w", err)
	}
	return bw.Count(), nil
}
