package stix_test

import (
	"testing"

	"liaison/bench"
	"liaison/stix"
	"liaison/stix/pattern"
)

// BenchmarkDecodeGenerated validates generated objects of each type, as
// TAXII ingest does for every object of an envelope (BenchmarkDecodeICS
// covers a real ATT&CK bundle through the Reader).
func BenchmarkDecodeGenerated(b *testing.B) {
	g := bench.NewGenerator(1)
	byType := map[string][][]byte{}
	var all [][]byte
	for len(all) < 5000 {
		o := g.Next()
		byType[o.Type] = append(byType[o.Type], o.Raw)
		all = append(all, o.Raw)
	}
	run := func(name string, objs [][]byte) {
		size := 0
		for _, o := range objs {
			size += len(o)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(size / len(objs)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := stix.Decode(i, objs[i%len(objs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	run("type=mix", all)
	for _, t := range []string{"indicator", "relationship", "sighting", "malware", "threat-actor", "attack-pattern", "report", "identity"} {
		run("type="+t, byType[t])
	}
}

// BenchmarkPatternParse parses the STIX patterns indicators carry.
func BenchmarkPatternParse(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"kind=ipv4", `[ipv4-addr:value = '198.51.100.7']`},
		{"kind=hashes-or", `[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:hashes.'SHA-1' = '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12']`},
		{"kind=network-and", `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32' AND network-traffic:dst_port = 443]`},
		{"kind=followedby", `([ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'relay-proxy.example']) WITHIN 600 SECONDS`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pattern.Parse(c.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
