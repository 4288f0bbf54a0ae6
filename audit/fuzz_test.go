package audit_test

import (
	"testing"

	"golang.org/x/mod/sumdb/note"

	"liaison/audit"
)

// FuzzOpenCheckpoint: a checkpoint from anywhere (a peer, a file) never
// panics the reader, and one that opens has the key's origin.
func FuzzOpenCheckpoint(f *testing.F) {
	k, err := audit.CreateKey(f.TempDir(), audit.OriginFor("NATO-LO-FUZZ"))
	if err != nil {
		f.Fatal(err)
	}
	good, err := note.Sign(&note.Note{Text: "liaison/NATO-LO-FUZZ/audit\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, k.Signer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("liaison/NATO-LO-FUZZ/audit\n-1\nxx\n\n— liaison/NATO-LO-FUZZ/audit AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := audit.OpenCheckpoint(msg, k.Verifier)
		if err == nil && (c.Origin != k.Origin || c.Size < 0) {
			t.Fatalf("opened %+v", c)
		}
	})
}

// FuzzDecode: a stored leaf of any bytes never panics the reader.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"at":"2026-01-01T00:00:00Z","principal":"p","action":"read","path":"taxii","op":"Objects","outcome":"ok","refs":[["x","2024-01-01T00:00:00Z"],["y","","present"]]}`))
	f.Add([]byte(`{"unknown":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := audit.Decode(7, data)
		if err == nil && e.Index != 7 {
			t.Fatalf("index %d", e.Index)
		}
	})
}
