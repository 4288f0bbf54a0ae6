package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"liaison"
)

// groupWorld is a store with two allies, a writer in each, and a
// collection only USA may write to.
func groupWorld(t *testing.T) (*Store, map[string]liaison.Principal, string) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{Password: PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	users := map[string]liaison.Principal{}
	for _, code := range []string{"USA", "FRA"} {
		if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: code, Name: code, Kind: liaison.Ally}); err != nil {
			t.Fatal(err)
		}
		p := liaison.Principal{Name: code + "-analyst", Org: code, Roles: []liaison.Role{liaison.RoleAnalyst}}
		if err := s.CreateUser(ctx, &p, ""); err != nil {
			t.Fatal(err)
		}
		users[code] = p
	}
	c := liaison.Collection{Title: "usa writes", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"USA"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return s, users, c.ID
}

// groupBatch is n indicators numbered from base, the last one naming a
// marking the hub does not know (so each call has a rejection of its own).
func groupBatch(base, n int) []liaison.Candidate {
	mod := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]liaison.Candidate, 0, n)
	for i := range n {
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", base+i, base+i)
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"}`, id)
		c := liaison.Candidate{Index: i, ID: id, Type: "indicator", SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw), MarkingRefs: []string{liaison.TLPGreenID}}
		if i == n-1 {
			c.MarkingRefs = []string{"marking-definition--00000000-0000-4000-8000-00000000dead"}
		}
		out = append(out, c)
	}
	return out
}

func req(ctx context.Context, p liaison.Principal, coll string, objs []liaison.Candidate) *addReq {
	return &addReq{ctx: ctx, writer: p, collection: coll, objs: objs, done: make(chan addResult, 1)}
}

// TestGroupKeepsEachCallsOutcome runs groups directly, so that grouping
// is certain rather than a matter of timing: a group of good calls is one
// transaction with each call's own result; a group with a failing call
// gives that call its error and the others their objects.
func TestGroupKeepsEachCallsOutcome(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name   string
		calls  func(users map[string]liaison.Principal, coll string) []*addReq
		errs   []string // error codes per call; "" for none
		groups int64    // transactions the group writer counts
		stored int      // objects readable afterwards
	}{
		{
			name: "good calls share a transaction",
			calls: func(u map[string]liaison.Principal, coll string) []*addReq {
				return []*addReq{req(ctx, u["USA"], coll, groupBatch(0, 5)), req(ctx, u["USA"], coll, groupBatch(100, 5)), req(ctx, u["USA"], coll, groupBatch(200, 5))}
			},
			errs: []string{"", "", ""}, groups: 1, stored: 12,
		},
		{
			name: "a forbidden call fails alone",
			calls: func(u map[string]liaison.Principal, coll string) []*addReq {
				return []*addReq{req(ctx, u["USA"], coll, groupBatch(0, 5)), req(ctx, u["FRA"], coll, groupBatch(100, 5)), req(ctx, u["USA"], coll, groupBatch(200, 5))}
			},
			errs: []string{"", liaison.EFORBIDDEN, ""}, groups: 1, stored: 8,
		},
		{
			name: "a call for a missing collection fails alone",
			calls: func(u map[string]liaison.Principal, coll string) []*addReq {
				return []*addReq{req(ctx, u["USA"], "collection-that-is-not-there", groupBatch(0, 5)), req(ctx, u["USA"], coll, groupBatch(100, 5))}
			},
			errs: []string{liaison.ENOTFOUND, ""}, groups: 1, stored: 4,
		},
		{
			name: "a call whose caller has gone is not written",
			calls: func(u map[string]liaison.Principal, coll string) []*addReq {
				return []*addReq{req(cancelled, u["USA"], coll, groupBatch(0, 5)), req(ctx, u["USA"], coll, groupBatch(100, 5))}
			},
			errs: []string{"cancelled", ""}, groups: 1, stored: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, users, coll := groupWorld(t)
			calls := tt.calls(users, coll)
			before := s.gw.groups.Load()
			s.runGroup(calls)
			if got := s.gw.groups.Load() - before; got != tt.groups {
				t.Errorf("transactions counted: %d, want %d", got, tt.groups)
			}
			for i, c := range calls {
				out := <-c.done
				switch want := tt.errs[i]; {
				case want == "cancelled":
					if !errors.Is(out.err, context.Canceled) {
						t.Errorf("call %d: err %v, want context.Canceled", i, out.err)
					}
				case want != "":
					if liaison.ErrorCode(out.err) != want {
						t.Errorf("call %d: err %v, want code %s", i, out.err, want)
					}
				case out.err != nil:
					t.Errorf("call %d: %v", i, out.err)
				default:
					if len(out.res.Accepted) != len(c.objs)-1 || len(out.res.Rejected) != 1 || !out.res.Rejected[0].UnknownMarking {
						t.Errorf("call %d: %d accepted, rejected %+v; want all but the last, which names an unknown marking", i, len(out.res.Accepted), out.res.Rejected)
					}
				}
			}
			page, err := s.Objects(ctx, users["USA"], coll, liaison.ObjectQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Versions) != tt.stored {
				t.Errorf("stored %d objects, want %d", len(page.Versions), tt.stored)
			}
			for i := 1; i < len(page.Versions); i++ {
				if !page.Versions[i].DateAdded.After(page.Versions[i-1].DateAdded) {
					t.Errorf("date_added not strictly increasing at %d: %v then %v", i, page.Versions[i-1].DateAdded, page.Versions[i].DateAdded)
				}
			}
		})
	}
}

// TestConcurrentAddsAndClose writes from many goroutines while the store
// closes: every call either writes all its objects or fails with an
// error, none hangs, and what was written is all there after reopening.
func TestConcurrentAddsAndClose(t *testing.T) {
	s, users, coll := groupWorld(t)
	ctx := context.Background()
	const callers, calls, per = 8, 10, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := 0
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				res, err := s.AddObjects(ctx, users["USA"], coll, groupBatch((g*calls+c)*per, per))
				if err != nil {
					if !errors.Is(err, errClosed) {
						t.Errorf("caller %d call %d: %v", g, c, err)
					}
					return
				}
				mu.Lock()
				written += len(res.Accepted)
				mu.Unlock()
				if g == 0 && c == calls/2 {
					go s.Close()
				}
			}
		}()
	}
	wg.Wait()
	s.Close()
	if s.gw.grouped.Load() <= s.gw.groups.Load() {
		t.Logf("no call was grouped this run (%d calls, %d transactions)", s.gw.grouped.Load(), s.gw.groups.Load())
	}
	s2, err := Open(ctx, filepath.Dir(s.path), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	n := 0
	q := liaison.ObjectQuery{Limit: 1000}
	for {
		page, err := s2.Objects(ctx, users["USA"], coll, q)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Versions)
		if !page.More {
			break
		}
		q.Next = page.Next
	}
	if n != written {
		t.Errorf("after reopening: %d objects, but calls reported %d written", n, written)
	}
}

// TestGroupTakesCallsThatArriveWhileItRuns queues calls where the group
// writer finds them after its first call has run: they join its
// transaction, each with its own outcome, and a failing one among them
// fails alone.
func TestGroupTakesCallsThatArriveWhileItRuns(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		queued  []string // writers of the calls waiting
		errs    []string // per call, the first one included
		groups  int64
		grouped int64
		stored  int
	}{
		{name: "waiting calls share the commit", queued: []string{"USA", "USA"}, errs: []string{"", "", ""}, groups: 1, grouped: 3, stored: 12},
		{name: "a waiting call that fails fails alone", queued: []string{"USA", "FRA"}, errs: []string{"", "", liaison.EFORBIDDEN}, groups: 1, grouped: 3, stored: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, users, coll := groupWorld(t)
			// Stop the group writer's goroutine, so that the calls wait in
			// a queue of our own until runGroup takes them.
			s.gw.stop()
			s.gw.reqs = make(chan *addReq, len(tt.queued))
			calls := []*addReq{req(ctx, users["USA"], coll, groupBatch(0, 5))}
			for i, w := range tt.queued {
				r := req(ctx, users[w], coll, groupBatch(100*(i+1), 5))
				calls = append(calls, r)
				s.gw.reqs <- r
			}
			s.runGroup(calls[:1])
			if got := s.gw.groups.Load(); got != tt.groups {
				t.Errorf("transactions counted: %d, want %d", got, tt.groups)
			}
			if got := s.gw.grouped.Load(); got != tt.grouped {
				t.Errorf("calls counted: %d, want %d", got, tt.grouped)
			}
			if len(s.gw.reqs) != 0 {
				t.Errorf("%d calls left waiting", len(s.gw.reqs))
			}
			for i, c := range calls {
				var out addResult
				select {
				case out = <-c.done:
				default:
					t.Fatalf("call %d was not answered", i)
				}
				switch want := tt.errs[i]; {
				case want != "":
					if liaison.ErrorCode(out.err) != want {
						t.Errorf("call %d: err %v, want code %s", i, out.err, want)
					}
				case out.err != nil:
					t.Errorf("call %d: %v", i, out.err)
				case len(out.res.Accepted) != len(c.objs)-1 || len(out.res.Rejected) != 1:
					t.Errorf("call %d: %d accepted, %d rejected; want all but the last", i, len(out.res.Accepted), len(out.res.Rejected))
				}
			}
			page, err := s.Objects(ctx, users["USA"], coll, liaison.ObjectQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Versions) != tt.stored {
				t.Errorf("stored %d objects, want %d", len(page.Versions), tt.stored)
			}
		})
	}
}

// TestGroupSavesEachCallsStatus: the calls of a group save their statuses
// in the group's transaction, each made from its own call's result; a call
// whose status cannot be stored fails alone, writing neither its objects
// nor its status, and the others keep theirs.
func TestGroupSavesEachCallsStatus(t *testing.T) {
	ctx := context.Background()
	s, users, coll := groupWorld(t)
	withStatus := func(r *addReq, id string) *addReq {
		r.status = func(res liaison.WriteResult) liaison.Status {
			st := liaison.Status{ID: id, Org: "USA", Collection: coll, Complete: true}
			for _, a := range res.Accepted {
				st.Successes = append(st.Successes, liaison.StatusDetail{ID: a.ID})
			}
			return st
		}
		return r
	}
	calls := []*addReq{
		withStatus(req(ctx, users["USA"], coll, groupBatch(0, 5)), "status-a"),
		withStatus(req(ctx, users["USA"], coll, groupBatch(100, 5)), ""), // no id: EINVALID
		withStatus(req(ctx, users["USA"], coll, groupBatch(200, 3)), "status-c"),
	}
	before := s.gw.groups.Load()
	s.runGroup(calls)
	if got := s.gw.groups.Load() - before; got != 1 {
		t.Errorf("transactions counted: %d, want 1", got)
	}
	for i, want := range []struct {
		code      string
		status    string
		successes int
	}{{"", "status-a", 4}, {liaison.EINVALID, "", 0}, {"", "status-c", 2}} {
		out := <-calls[i].done
		if liaison.ErrorCode(out.err) != want.code && !(want.code == "" && out.err == nil) {
			t.Errorf("call %d: err %v, want %q", i, out.err, want.code)
		}
		if want.status == "" {
			continue
		}
		st, err := s.Status(ctx, users["USA"], want.status)
		if err != nil || len(st.Successes) != want.successes || st.Successes[0].ID != calls[i].objs[0].ID {
			t.Errorf("call %d: status %+v, %v; want %d successes from %s", i, st, err, want.successes, calls[i].objs[0].ID)
		}
	}
	page, err := s.Objects(ctx, users["USA"], coll, liaison.ObjectQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Versions) != 6 {
		t.Errorf("stored %d objects, want 6 (the failed call's none)", len(page.Versions))
	}
}
