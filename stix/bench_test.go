package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func icsBytes(b *testing.B) []byte {
	data, err := os.ReadFile(filepath.Join(dataDir, "ics-attack-18.1.json"))
	if err != nil {
		b.Skipf("ATT&CK ICS bundle not found in %s: skipping", dataDir)
	}
	return data
}

// BenchmarkDecodeICS streams the ATT&CK ICS bundle through Reader and
// Decode, as an import does.
func BenchmarkDecodeICS(b *testing.B) {
	data := icsBytes(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		for {
			raw, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Decode(r.Index(), raw); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkStdlibMapICS decodes the same bytes with encoding/json into
// map[string]any: the yardstick.
func BenchmarkStdlibMapICS(b *testing.B) {
	data := icsBytes(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}
