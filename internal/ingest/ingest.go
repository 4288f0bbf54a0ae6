// Package ingest streams a STIX bundle into a collection in batches: the
// one import path that the command line and the pages share. It never
// holds a whole bundle in memory, only a batch and the objects that wait
// for a marking-definition later in the bundle.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"liaison"
	"liaison/stix"
)

// Batching: one transaction per batch, large enough to amortise the
// commit, small enough to keep memory flat.
const (
	BatchObjects = 2000
	BatchBytes   = 16 << 20
	// MaxDeferredBytes bounds the objects held back for a
	// marking-definition later in the bundle; past it they are rejected.
	MaxDeferredBytes = 256 << 20
)

// Adder is the part of the store an import writes through.
type Adder interface {
	AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error)
}

// Options tune one import.
type Options struct {
	// DefaultMarkings, when set, are the marking-definition ids that the
	// bundle's unmarked objects take instead of the collection's default
	// (see liaison.Candidate.DefaultMarkings).
	DefaultMarkings []string
	// Progress, when set, hears how many objects were read so far.
	Progress func(objects int64)
}

// Summary counts what an import did.
type Summary struct {
	Objects int64 // objects read from the bundle
	Added   int
	Present int
	// Conflicts are versions stored already with other content: the
	// stored one stays (STIX gives a changed object a new modified), so
	// they are reported, not counted as failures.
	Conflicts []liaison.Accepted
	Rejected  []liaison.Rejection
	Warnings  []string
}

// ReadError is an error reading the bundle itself (malformed, cut
// short, too large), as opposed to one of the store.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "ingest: read the bundle: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Bundle streams the bundle (or TAXII envelope) in r into collection coll
// as p. Objects that name a marking-definition not seen yet wait until
// the bundle ends, because real bundles often carry their markings last.
// One bad object never sinks the others. On an error the summary says
// what was stored before it; an error reading r is a *ReadError.
func Bundle(ctx context.Context, s Adder, p liaison.Principal, coll string, r io.Reader, opt Options) (Summary, error) {
	var sum Summary
	rd := stix.NewReader(r)
	var batch, deferred []liaison.Candidate
	batchBytes, deferredBytes := 0, 0

	flush := func(final bool) error {
		if len(batch) == 0 {
			return nil
		}
		res, err := s.AddObjects(ctx, p, coll, batch)
		if err != nil {
			return fmt.Errorf("ingest: add %d objects: %w", len(batch), err)
		}
		for _, a := range res.Accepted {
			switch {
			case a.Conflict != "":
				sum.Conflicts = append(sum.Conflicts, a)
			case a.Present:
				sum.Present++
			default:
				sum.Added++
			}
		}
		byIndex := make(map[int]*liaison.Candidate, len(batch))
		for i := range batch {
			byIndex[batch[i].Index] = &batch[i]
		}
		for _, rej := range res.Rejected {
			if rej.UnknownMarking && !final && deferredBytes < MaxDeferredBytes {
				if c := byIndex[rej.Index]; c != nil {
					deferred = append(deferred, *c)
					deferredBytes += len(c.Raw)
					continue
				}
			}
			sum.Rejected = append(sum.Rejected, rej)
		}
		batch, batchBytes = batch[:0], 0
		return nil
	}

	for {
		raw, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, &ReadError{Err: err}
		}
		sum.Objects++
		c, err := stix.Decode(rd.Index(), raw)
		if err != nil {
			sum.Rejected = append(sum.Rejected, liaison.Rejection{Index: rd.Index(), ID: c.ID, Version: c.Version(), Message: liaison.ErrorMessage(err)})
		} else {
			c.DefaultMarkings = opt.DefaultMarkings
			batch = append(batch, c)
			batchBytes += len(raw)
		}
		if len(batch) >= BatchObjects || batchBytes >= BatchBytes {
			if err := flush(false); err != nil {
				return sum, err
			}
		}
		if opt.Progress != nil && sum.Objects%500 == 0 {
			opt.Progress(sum.Objects)
		}
	}
	if err := flush(false); err != nil {
		return sum, err
	}
	sum.Warnings = rd.Warnings()
	for len(deferred) > 0 {
		n := min(len(deferred), BatchObjects)
		batch = append(batch[:0], deferred[:n]...)
		deferred = deferred[n:]
		if err := flush(true); err != nil {
			return sum, err
		}
	}
	if opt.Progress != nil {
		opt.Progress(sum.Objects)
	}
	return sum, nil
}
