package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"

	"liaison/audit"
)

// The verifier below is written from RFC 9162 (sections 2.1.3.2 and
// 2.1.4.2) with crypto/sha256 alone: it shares no code with tlog, and
// sees only the proofs, the leaf data and the signed roots, never the
// store.

func leafHash(data []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	return h.Sum(nil)
}

func nodeHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

func checkInclusion(index, size int64, leaf []byte, path [][]byte, root []byte) bool {
	if index >= size {
		return false
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && bytes.Equal(r, root)
}

func checkConsistency(first, second int64, firstRoot, secondRoot []byte, path [][]byte) bool {
	if first == second {
		return len(path) == 0 && bytes.Equal(firstRoot, secondRoot)
	}
	if first == 0 || first > second {
		return false
	}
	if first&(first-1) == 0 {
		path = append([][]byte{firstRoot}, path...)
	}
	if len(path) == 0 {
		return false
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = nodeHash(c, fr), nodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return bytes.Equal(fr, firstRoot) && bytes.Equal(sr, secondRoot) && sn == 0
}

func TestProofsCheckIndependently(t *testing.T) {
	s := backends(t)[0].open(t)
	k := newKey(t)
	sizes := fill(t, s.DB(), k, 1000, 137)
	ctx := context.Background()
	for _, size := range sizes {
		for _, i := range []int64{0, 1, size / 3, size - 2, size - 1} {
			p, err := audit.ProveEntry(ctx, s.DB(), i, size)
			if err != nil {
				t.Fatal(err)
			}
			c, err := audit.OpenCheckpoint(p.Checkpoint.Note, k.Verifier)
			if err != nil {
				t.Fatal(err)
			}
			path := make([][]byte, len(p.Proof))
			for j, h := range p.Proof {
				path[j] = h[:]
			}
			if !checkInclusion(i, c.Size, leafHash(p.Data), path, c.Root[:]) {
				t.Fatalf("entry %d in size %d: the inclusion proof does not check", i, size)
			}
			if checkInclusion(i, c.Size, leafHash(append(p.Data, ' ')), path, c.Root[:]) {
				t.Fatalf("entry %d in size %d: a changed entry checks", i, size)
			}
		}
	}
	for a := 0; a < len(sizes); a++ {
		for b := a; b < len(sizes); b++ {
			c, err := audit.ProveConsistency(ctx, s.DB(), sizes[a], sizes[b])
			if err != nil {
				t.Fatal(err)
			}
			path := make([][]byte, len(c.Proof))
			for j, h := range c.Proof {
				path[j] = h[:]
			}
			if !checkConsistency(c.Old.Size, c.New.Size, c.Old.Root[:], c.New.Root[:], path) {
				t.Fatalf("sizes %d and %d: the consistency proof does not check", sizes[a], sizes[b])
			}
			if a != b && checkConsistency(c.Old.Size, c.New.Size, leafHash([]byte("forged")), c.New.Root[:], path) {
				t.Fatalf("sizes %d and %d: a forged old root checks", sizes[a], sizes[b])
			}
		}
	}
}
