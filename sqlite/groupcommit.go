package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"liaison"
	"liaison/core"
)

// Writes of objects that arrive while the writer is busy are gathered and
// committed together: one transaction, one commit, for several calls of
// AddObjects (group commit). A commit writes every page the transaction
// touched to the log, and object ids are random, so each call dirties
// about one index page per object wherever it lands; calls committed
// together share those pages and their write. Raw inserts of benchmark
// objects in transactions of 4,000 rather than 1,000 went from 28k to 45k
// rows/s at 100k objects and from 12k to 16k at 1M (see README,
// Performance).
//
// Each call keeps its own result, exactly as if it ran alone: the calls of
// a group run one after the other inside the transaction, each seeing the
// ones before it. If any call of a group fails, the whole transaction is
// rolled back and every call is run again alone, so one call's error never
// touches another's objects.

// maxGroupObjects bounds the objects of one group transaction, and so how
// long one commit holds the writer.
const maxGroupObjects = 8000

// addReq is one call of AddObjects waiting for the group writer.
type addReq struct {
	ctx        context.Context
	writer     liaison.Principal
	collection string
	objs       []liaison.Candidate
	// status, when set, makes the status saved with the call's objects.
	status func(liaison.WriteResult) liaison.Status
	done   chan addResult // buffered, answered once
}

type addResult struct {
	res liaison.WriteResult
	err error
}

// groupWriter is the goroutine that runs AddObjects calls.
type groupWriter struct {
	reqs   chan *addReq
	closed chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	// groups and grouped count transactions and the calls they carried,
	// for tests, the benchmark's log and metrics (GroupCommits).
	groups, grouped atomic.Int64
	// busy is the time, in nanoseconds, spent running groups
	// (GroupWriterBusy).
	busy atomic.Int64
}

// GroupCommits returns how many transactions the group writer has
// committed and how many AddObjects calls they carried, for metrics.
func (s *Store) GroupCommits() (groups, calls int64) {
	return s.gw.groups.Load(), s.gw.grouped.Load()
}

// GroupWriterBusy returns the time the group writer has spent writing
// groups (from taking a group's first call to answering its last), for
// metrics: its rise over an interval, divided by the interval, is the
// share of the time the single writer was busy with objects.
func (s *Store) GroupWriterBusy() time.Duration {
	return time.Duration(s.gw.busy.Load())
}

func (s *Store) startGroupWriter() {
	g := &groupWriter{reqs: make(chan *addReq), closed: make(chan struct{})}
	s.gw = g
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			var first *addReq
			select {
			case first = <-g.reqs:
			case <-g.closed:
				return
			}
			group := []*addReq{first}
			n := len(first.objs)
			for r := g.next(&n); r != nil; r = g.next(&n) {
				group = append(group, r)
			}
			start := time.Now()
			s.runGroup(group)
			g.busy.Add(int64(time.Since(start)))
		}
	}()
}

// next hands over a call that is waiting, if any, while the group holds
// fewer than maxGroupObjects objects (*n, which it counts up). A waiting
// call whose caller has gone is answered with its context's error and
// passed over.
func (g *groupWriter) next(n *int) *addReq {
	for *n < maxGroupObjects {
		select {
		case r := <-g.reqs:
			if err := r.ctx.Err(); err != nil {
				r.done <- addResult{err: err}
				continue
			}
			*n += len(r.objs)
			return r
		default:
			return nil
		}
	}
	return nil
}

// stop ends the goroutine after the group it is running, if any. Calls
// made after it get an error.
func (g *groupWriter) stop() {
	g.once.Do(func() { close(g.closed) })
	g.wg.Wait()
}

// errClosed is what AddObjects returns once the store is closed.
var errClosed = errors.New("the store is closed")

// submit hands one call to the group writer and waits for its result.
func (g *groupWriter) submit(r *addReq) (liaison.WriteResult, error) {
	select {
	case g.reqs <- r:
	case <-g.closed:
		return liaison.WriteResult{}, fmt.Errorf("sqlite.AddObjects: %w", errClosed)
	case <-r.ctx.Done():
		return liaison.WriteResult{}, r.ctx.Err()
	}
	out := <-r.done
	return out.res, out.err
}

// runGroup writes the calls of group in one transaction if it can, and
// answers each. Calls that arrive while the group's calls run join the
// same transaction before it commits (see addTogether).
func (s *Store) runGroup(group []*addReq) {
	group = live(group)
	if len(group) == 0 {
		return
	}
	ctx := group[0].ctx
	if len(group) > 1 {
		ctxs := make([]context.Context, len(group))
		for i, r := range group {
			ctxs[i] = r.ctx
		}
		var cancel context.CancelFunc
		ctx, cancel = allDone(ctxs)
		defer cancel()
	}
	n := 0
	for _, r := range group {
		n += len(r.objs)
	}
	// more hands the transaction a call that is waiting, if any, while
	// the group has room.
	more := func() *addReq { return s.gw.next(&n) }
	group, results, err := s.addTogether(ctx, group, more)
	s.gw.groups.Add(1)
	s.gw.grouped.Add(int64(len(group)))
	if err == nil || len(group) == 1 {
		for i, r := range group {
			r.done <- addResult{res: results[i], err: err}
		}
		return
	}
	// One call failed, or the transaction did: run each alone, so each
	// gets its own outcome.
	for _, r := range group {
		_, res, err := s.addTogether(r.ctx, []*addReq{r}, nil)
		r.done <- addResult{res: res[0], err: err}
	}
}

// live answers the calls of group whose callers have gone and returns the
// others.
func live(group []*addReq) []*addReq {
	out := make([]*addReq, 0, len(group))
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- addResult{err: err}
			continue
		}
		out = append(out, r)
	}
	return out
}

// addTogether writes the calls of group in one transaction, one after the
// other, then (when more is set) the calls more hands it until it hands
// none, and returns every call it wrote with its result; on an error
// nothing is written. A call that arrives while the others run thus
// shares their commit instead of waiting for a commit of its own. The
// group writer had gathered groups of 1,000 to 3,000 objects, 1,800 on
// average, from the benchmark's 4 clients posting envelopes of 1,000
// (liaison bench --quick --sizes 100k); with this, 2,000 to 4,000, 2,700
// on average. A commit and a search index segment cost per transaction.
func (s *Store) addTogether(ctx context.Context, group []*addReq, more func() *addReq) ([]*addReq, []liaison.WriteResult, error) {
	var results []liaison.WriteResult
	err := s.InWrite(ctx, "AddObjects", func(w *core.Write) error {
		results = results[:0]
		for i := 0; i < len(group); i++ {
			r := group[i]
			res, err := w.AddObjects(r.writer, r.collection, r.objs)
			if err != nil {
				return err
			}
			if r.status != nil {
				if err := w.SaveStatus(r.status(res)); err != nil {
					return err
				}
			}
			results = append(results, res)
			if i == len(group)-1 && more != nil {
				if r := more(); r != nil {
					group = append(group, r)
				}
			}
		}
		return nil
	})
	if err != nil {
		return group, make([]liaison.WriteResult, len(group)), err
	}
	return group, results, nil
}

// allDone returns a context that carries the values of the first of ctxs
// and is cancelled only once every one of ctxs is: a group goes on while
// any of its callers still waits.
func allDone(ctxs []context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctxs[0]))
	var left atomic.Int64
	left.Store(int64(len(ctxs)))
	stops := make([]func() bool, 0, len(ctxs))
	for _, c := range ctxs {
		stops = append(stops, context.AfterFunc(c, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		}))
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
