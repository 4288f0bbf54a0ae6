package audit_test

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"liaison"
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
	f.Add([]byte(`{"at":"2026-01-01T00:00:00Z","principal":"p","action":"read","path":"taxii","op":"Objects","outcome":"ok","served":[{"c":"x","n":2,"added":"gICAgICAgAEB"}]}`))
	f.Add([]byte(`{"at":"2026-01-01T00:00:00Z","principal":"p","action":"read","path":"taxii","op":"Objects","outcome":"ok","served":[{"c":"x","n":3,"added":"/////////////wE"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := audit.Decode(7, data)
		if err == nil && e.Index != 7 {
			t.Fatalf("index %d", e.Index)
		}
	})
}

// FuzzEncode: a leaf written by hand is JSON that reads back as the same
// entry (strings of valid UTF-8 unchanged).
func FuzzEncode(f *testing.F) {
	f.Add("indicator--1", "2024-01-01T00:00:00Z", "", "jpn")
	f.Add("a\"b\\c\n\x01", "", "é ☃ \u2028", "x")
	f.Fuzz(func(t *testing.T, id, version, note, principal string) {
		for _, s := range []string{id, version, note, principal} {
			if !utf8.ValidString(s) {
				return
			}
		}
		if id == "" {
			return
		}
		e := audit.Entry{Time: time.Unix(1, 0).UTC(), Principal: principal, Action: "read", Path: "taxii", Op: "Objects", Outcome: "ok",
			Refs: []audit.Ref{{ID: id, Version: version, Note: note}, {ID: id + "x", Version: version}}}
		data, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			t.Fatalf("not JSON: %s", data)
		}
		back, err := audit.Decode(0, data)
		if err != nil {
			t.Fatal(err)
		}
		if !back.Time.Equal(e.Time) {
			t.Fatalf("time %v read back as %v", e.Time, back.Time)
		}
		back.Time = e.Time
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("%+v read back as %+v", e, back)
		}
	})
}

// FuzzServed: the versions of a page, named by instance, read back as
// exactly their date_added times, in order, through a leaf.
func FuzzServed(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0, 0, 200, 1, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		var vs []liaison.Version
		want := map[int64]bool{}
		at := base
		for len(b) >= 4 {
			at += int64(binary.LittleEndian.Uint32(b))
			b = b[4:]
			coll := "c1"
			if at%3 == 0 {
				coll = "c2"
			}
			vs = append(vs, liaison.Version{Collection: coll, DateAdded: time.UnixMicro(at)})
			want[at] = true
		}
		if len(vs) == 0 {
			return
		}
		ss, ok := audit.ServedOf(vs)
		if !ok {
			t.Fatal("versions with collections and dates are not named by instance")
		}
		data, err := audit.Entry{Time: time.Unix(1, 0), Principal: "p", Action: "read", Path: "taxii", Op: "Objects", Outcome: "ok", Served: ss}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := audit.Decode(0, data)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range back.Served {
			ts, err := s.Times()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(ts) {
				t.Fatalf("%v is not in order", ts)
			}
			for _, u := range ts {
				if !want[u] || !s.Holds(u) {
					t.Fatalf("%s names %d, which was not served", s.Collection, u)
				}
				n++
			}
			if s.Holds(ts[len(ts)-1] + 1) {
				t.Fatalf("%s holds a time after its last", s.Collection)
			}
		}
		if n != len(want) {
			t.Fatalf("%d times read back, want %d", n, len(want))
		}
	})
}

// FuzzCosignature: a witness key and a cosigned note from a peer never
// panic the logging office, and a cosignature that verifies covers the
// note's body: it does not verify for another.
func FuzzCosignature(f *testing.F) {
	k, err := audit.CreateKey(f.TempDir(), audit.OriginFor("NATO-LO-FUZZ"))
	if err != nil {
		f.Fatal(err)
	}
	wk, err := audit.CreateWitnessKey(f.TempDir(), "liaison/W/witness")
	if err != nil {
		f.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: "liaison/NATO-LO-FUZZ/audit\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, k.Signer)
	if err != nil {
		f.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(k.Verifier))
	if err != nil {
		f.Fatal(err)
	}
	cosigned, err := note.Sign(n, wk.Cosigner())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wk.VerifierKey, cosigned)
	f.Add("liaison/W/witness+00000000+BA==", signed)
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, vkey string, msg []byte) {
		v, err := audit.NewCosignatureVerifier(vkey)
		if err != nil {
			return
		}
		got, err := note.Open(msg, note.VerifierList(k.Verifier, v))
		if err != nil {
			return
		}
		for _, s := range got.Sigs {
			if s.Name != v.Name() || s.Hash != v.KeyHash() {
				continue
			}
			// The cosignature covers the body: another body fails.
			changed := append([]byte("x"), msg...)
			if again, err := note.Open(changed, note.VerifierList(k.Verifier, v)); err == nil {
				for _, s2 := range again.Sigs {
					if s2.Name == v.Name() && s2.Hash == v.KeyHash() {
						t.Fatalf("a cosignature of %q verifies for a changed body", got.Text)
					}
				}
			}
		}
	})
}
