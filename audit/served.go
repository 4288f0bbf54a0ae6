package audit

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"liaison"
)

// Served names the versions a read returned from one collection by their
// instance: each version's date_added, which is unique in a collection
// and never reused (the collection keeps its last one), so that the
// pair names one stored instance exactly, polyinstantiated ones
// included. Added is the date_added times, in microseconds since the
// epoch, sorted ascending, as unsigned varints: the first, then each
// difference from the one before, in unpadded standard base64. N is how
// many. A page of 1,000 versions added close together takes 2-4 bytes
// a version, where a Ref takes about 80.
//
// Who received an object is answered by resolving the object's
// instances (the versions table, and audit_gone for those deleted
// since) and finding the entries whose Served holds one of them
// exactly: an instance between two served ones that the reader was not
// served is never reported.
type Served struct {
	Collection string `json:"c"`
	N          int    `json:"n"`
	Added      string `json:"added"`
}

// servedBucketShift groups date_added times into buckets of 2^16 µs
// (about 65 ms) for the refs index: an entry has one index row a
// collection and bucket it served from, not one a version. The bucket
// trades index rows for who-received's work: every entry that served
// from an object's bucket is decoded to answer for it. At 65 ms a page
// of 1,000 versions written by one import spans a few buckets, and a
// bucket holds a few pages' worth of versions (a few thousand at the
// raw insert rate), so who-received decodes a few entries for each
// read of that part of the collection, near what one row a version
// cost; a collection written slowly has a bucket a version, as before.
const servedBucketShift = 16

// ServedOf names vs by instance, one Served a collection, collections in
// order. ok false when a version lacks its collection or date_added (the
// caller names them by Ref instead).
func ServedOf(vs []liaison.Version) (out []Served, ok bool) {
	by := map[string][]int64{}
	for _, v := range vs {
		if v.Collection == "" || v.DateAdded.IsZero() {
			return nil, false
		}
		by[v.Collection] = append(by[v.Collection], v.DateAdded.UnixMicro())
	}
	colls := make([]string, 0, len(by))
	for c := range by {
		colls = append(colls, c)
	}
	slices.Sort(colls)
	for _, c := range colls {
		us := by[c]
		slices.Sort(us)
		us = slices.Compact(us)
		out = append(out, Served{Collection: c, N: len(us), Added: encodeAdded(us)})
	}
	return out, true
}

func encodeAdded(us []int64) string {
	buf := make([]byte, 0, 3*len(us)+8)
	var prev int64
	for i, u := range us {
		d := u
		if i > 0 {
			d = u - prev
		}
		buf = binary.AppendUvarint(buf, uint64(d))
		prev = u
	}
	return base64.RawStdEncoding.EncodeToString(buf)
}

// Times are the date_added times s names, in microseconds, ascending.
// An error when Added is not N strictly increasing non-negative times.
func (s Served) Times() ([]int64, error) {
	if s.Collection == "" {
		return nil, errors.New("served names no collection")
	}
	if s.N <= 0 {
		return nil, fmt.Errorf("served from %s names %d versions", s.Collection, s.N)
	}
	b, err := base64.RawStdEncoding.DecodeString(s.Added)
	if err != nil {
		return nil, fmt.Errorf("served from %s: added is not base64: %w", s.Collection, err)
	}
	out := make([]int64, 0, s.N)
	var prev int64
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 || d > 1<<62 {
			return nil, fmt.Errorf("served from %s: a malformed time after %d", s.Collection, len(out))
		}
		b = b[n:]
		u := int64(d)
		if len(out) > 0 {
			if d == 0 {
				return nil, fmt.Errorf("served from %s: time %d repeats the one before", s.Collection, len(out))
			}
			u = prev + int64(d)
			if u < prev {
				return nil, fmt.Errorf("served from %s: time %d overflows", s.Collection, len(out))
			}
		}
		out = append(out, u)
		prev = u
		if len(out) > s.N {
			break
		}
	}
	if len(out) != s.N {
		return nil, fmt.Errorf("served from %s: names %d times, not %d", s.Collection, len(out), s.N)
	}
	return out, nil
}

// Holds reports whether s names the instance added at us (microseconds).
func (s Served) Holds(us int64) bool {
	ts, err := s.Times()
	if err != nil {
		return false
	}
	_, found := slices.BinarySearch(ts, us)
	return found
}

// ServedKey is the refs index key of the versions of collection added
// in bucket us>>servedBucketShift.
func ServedKey(collection string, us int64) int64 {
	return ObjectKey("served\x00" + collection + "\x00" + strconv.FormatInt(us>>servedBucketShift, 10))
}

// servedKeys are the index keys of s: one a bucket it serves from.
func (s Served) keys() []int64 {
	ts, err := s.Times()
	if err != nil {
		return nil
	}
	var out []int64
	last := int64(-1)
	for _, u := range ts {
		if b := u >> servedBucketShift; b != last {
			out = append(out, ServedKey(s.Collection, u))
			last = b
		}
	}
	return out
}

// Instance is one stored (or since deleted) instance of an object
// version: the collection, its date_added and its version.
type Instance struct {
	Collection string
	Added      int64 // µs
	Version    time.Time
}

// Count is how many versions the entry's Served names.
func (e Entry) Count() int {
	n := 0
	for _, s := range e.Served {
		n += s.N
	}
	return n
}
