package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
	"liaison/postgres"
)

// replicaURL returns the URL of a streaming replica of the test server, or
// skips the test.
func replicaURL(t testing.TB) string {
	t.Helper()
	serverURL(t)
	u := os.Getenv("LIAISON_TEST_POSTGRES_REPLICA")
	if u == "" {
		t.Skip("no PostgreSQL replica to test against: set LIAISON_TEST_POSTGRES_REPLICA to the URL of a streaming replica of LIAISON_TEST_POSTGRES (as root, bash .ci/pg-replica makes one on port 5433 and prints its URL)")
	}
	return u
}

// openReplicated opens a store in schema sch of the test server that reads
// on the replica when it may.
func openReplicated(t testing.TB, sch string, now func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), serverURL(t), postgres.Options{Now: now, Password: testCost, Schema: sch, Logger: quiet(), MaxConns: 4, Replicas: []string{replicaURL(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// onReplica reports whether some read of s has gone to the replica, and
// fails t when none did: a test of replica reads that read only on the
// primary proves nothing.
func requireReplicaReads(t *testing.T, s *postgres.Store) {
	t.Helper()
	rep, prim := s.ReadsServed()
	t.Logf("reads on the replica %d, on the primary %d", rep, prim)
	if rep == 0 {
		t.Errorf("no read went to the replica (%d on the primary)", prim)
	}
}

// replicaOffice makes USA, JPN, two users and a collection everyone reads.
func replicaOffice(t *testing.T, s liaison.Store) (usa, jpn liaison.Principal, coll liaison.Collection) {
	t.Helper()
	ctx := context.Background()
	for _, o := range []liaison.Organisation{{Code: "USA", Name: "United States", Kind: liaison.Ally}, {Code: "JPN", Name: "Japan", Kind: liaison.Partner}} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	usa = liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	jpn = liaison.Principal{Name: "jpn", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}}
	for _, p := range []*liaison.Principal{&usa, &jpn} {
		if err := s.CreateUser(ctx, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	coll = liaison.Collection{Title: "Shared", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	return usa, jpn, coll
}

func indicator(g, n int) liaison.Candidate {
	id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", g, n)
	return liaison.Candidate{ID: id, Type: "indicator", SpecVersion: "2.1",
		Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte(`{"type":"indicator","id":"` + id + `"}`)}
}

// TestReplicaPagingWhileWriting has two other stores (two processes) write
// while a third pages through the collection, reading on the replica
// whenever it may: every object is read exactly once, in date_added order,
// however far the replica lags.
func TestReplicaPagingWhileWriting(t *testing.T) {
	url := serverURL(t)
	replicaURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	a := openIn(t, url, sch, time.Now)
	b := openIn(t, url, sch, time.Now)
	usa, jpn, coll := replicaOffice(t, a)
	r := openReplicated(t, sch, time.Now)

	done, errs := writeConcurrently(ctx, a, b, usa, coll.ID, 2*time.Millisecond)
	seen := map[string]int{}
	var last time.Time
	q := liaison.ObjectQuery{Limit: 13, Versions: []string{"all"}}
	const want = writers * batches * perBatch
	deadline := time.Time{}
	for len(seen) < want {
		select {
		case <-done:
			if deadline.IsZero() {
				deadline = time.Now().Add(30 * time.Second)
			}
		default:
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			t.Fatalf("read %d of %d objects 30 s after the writers finished", len(seen), want)
		}
		page, err := r.Objects(ctx, jpn, coll.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			seen[v.ID]++
			if !v.DateAdded.After(last) {
				t.Fatalf("date_added %v of %s is not after %v: a page went back", v.DateAdded, v.ID, last)
			}
			last = v.DateAdded
		}
		if n := len(page.Versions); n > 0 {
			q.AddedAfter = page.Versions[n-1].DateAdded
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	<-done
	for err := range errs {
		t.Fatal(err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s read %d times", id, n)
		}
	}
	requireReplicaReads(t, r)
}

// TestReplicaNeverServesBeforeANarrowing narrows through another store
// (another process) and reads on the replicated store at once, many times
// over: a deleted object, and an object in a collection whose read list
// names a community that lost the reader, are gone from the first read
// after the narrowing returns, although the replica could still have
// served them.
func TestReplicaNeverServesBeforeANarrowing(t *testing.T) {
	if err := narrowThenRead(t); err != nil {
		t.Fatal(err)
	}
}

// TestReplicaMutantIgnoringTheMarkIsCaught proves the test above can fail:
// a store that trusts a replica which has not applied the primary's last
// narrowing serves what was deleted, and the test says so.
func TestReplicaMutantIgnoringTheMarkIsCaught(t *testing.T) {
	defer postgres.IgnoreNarrowingMark()()
	err := narrowThenRead(t)
	if err == nil {
		t.Fatal("a store that ignores the narrowing mark passed the narrowing test")
	}
	t.Logf("caught: %v", err)
}

func narrowThenRead(t *testing.T) error {
	url := serverURL(t)
	replicaURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	a := openIn(t, url, sch, time.Now)
	usa, jpn, coll := replicaOffice(t, a)
	r := openReplicated(t, sch, time.Now)

	// waitOnReplica reads until a read of id by p that went to the replica
	// returns it, so that the narrowing that follows is one the replica
	// must catch up with.
	waitOnReplica := func(p liaison.Principal, collection, id string) {
		t.Helper()
		for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
			before, _ := r.ReadsServed()
			page, err := r.Objects(ctx, p, collection, liaison.ObjectQuery{IDs: []string{id}})
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := r.ReadsServed(); after > before && len(page.Versions) == 1 {
				return
			}
		}
		t.Fatalf("%s never read on the replica", id)
	}
	for n := range 20 {
		c := indicator(1, n)
		if _, err := a.AddObjects(ctx, usa, coll.ID, []liaison.Candidate{c}); err != nil {
			t.Fatal(err)
		}
		waitOnReplica(jpn, coll.ID, c.ID)
		if _, err := a.DeleteObject(ctx, usa, coll.ID, c.ID, liaison.ObjectQuery{}); err != nil {
			t.Fatal(err)
		}
		page, err := r.Objects(ctx, jpn, coll.ID, liaison.ObjectQuery{IDs: []string{c.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Versions) != 0 {
			return fmt.Errorf("round %d: %s read after it was deleted", n, c.ID)
		}
	}

	// A community that a collection's read list names loses JPN.
	if err := a.CreateCommunity(ctx, liaison.Community{Name: "FRIENDS", Members: []string{"USA", "JPN"}}); err != nil {
		t.Fatal(err)
	}
	friends := liaison.Collection{Title: "Friends", Topic: "cyber", Read: []string{"FRIENDS"}, Write: []string{"USA"}}
	if err := a.CreateCollection(ctx, &friends); err != nil {
		t.Fatal(err)
	}
	c := indicator(2, 0)
	if _, err := a.AddObjects(ctx, usa, friends.ID, []liaison.Candidate{c}); err != nil {
		t.Fatal(err)
	}
	for n := range 10 {
		if err := a.SetCommunityMembers(ctx, "FRIENDS", []string{"USA", "JPN"}); err != nil {
			t.Fatal(err)
		}
		waitOnReplica(jpn, friends.ID, c.ID)
		if err := a.SetCommunityMembers(ctx, "FRIENDS", []string{"USA"}); err != nil {
			t.Fatal(err)
		}
		page, err := r.Objects(ctx, jpn, friends.ID, liaison.ObjectQuery{IDs: []string{c.ID}})
		if err == nil && len(page.Versions) != 0 {
			return fmt.Errorf("round %d: JPN read %s after the community the collection's read list names left it out", n, c.ID)
		}
	}
	requireReplicaReads(t, r)
	return nil
}

// TestReplicaInvariant runs the randomised leak test on a store that reads
// on the replica whenever it may, while the test's writes and directory
// changes go to the primary.
func TestReplicaInvariant(t *testing.T) {
	url := serverURL(t)
	replicaURL(t)
	if raceDetector {
		// The routing's concurrency is raced by the tests above; this one
		// adds only time under the race detector.
		t.Skip("the leak test on the replica runs without -race only")
	}
	var stores []*postgres.Store
	paths := append(leaktest.StorePaths(), leaktest.TAXIIPaths()...)
	// A smaller world than TestInvariant's: this test is of the routing,
	// and the rules are covered there.
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 6, OtherPartners: 3, Objects: 600}}, func(t *testing.T, now func() time.Time) liaison.Store {
		s := openReplicated(t, schema(t, url), now)
		stores = append(stores, s)
		return s
	}, paths...)
	for _, s := range stores {
		requireReplicaReads(t, s)
	}
}
