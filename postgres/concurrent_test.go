package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/postgres"
)

// TestPagingUnderConcurrentWriters has two stores on one database (as two
// liaison processes would be) write into one collection from several
// goroutines while a reader pages with added_after, and proves that
// date_added is unique and increasing and that the reader reads every
// object exactly once.
func TestPagingUnderConcurrentWriters(t *testing.T) {
	url := serverURL(t)
	sch := schema(t, url)
	ctx := context.Background()
	a := openIn(t, url, sch, time.Now)
	b := openIn(t, url, sch, time.Now)
	if err := a.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateOrganisation(ctx, liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Partner}); err != nil {
		t.Fatal(err)
	}
	usa := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	jpn := liaison.Principal{Name: "jpn", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}}
	for _, p := range []*liaison.Principal{&usa, &jpn} {
		if err := a.CreateUser(ctx, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	coll := liaison.Collection{Title: "Shared", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := b.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	done, errs := writeConcurrently(ctx, a, b, usa, coll.ID, 0)
	seen := map[string]int{}
	var last time.Time
	q := liaison.ObjectQuery{Limit: 13, Versions: []string{"all"}}
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := b.Objects(ctx, jpn, coll.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			seen[v.ID]++
			if !v.DateAdded.After(last) {
				t.Fatalf("date_added %v of %s is not after %v", v.DateAdded, v.ID, last)
			}
			last = v.DateAdded
		}
		if n := len(page.Versions); n > 0 {
			q.AddedAfter = page.Versions[n-1].DateAdded
		}
		if finished && !page.More {
			break
		}
	}
	<-done
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != writers*batches*perBatch {
		t.Errorf("read %d distinct objects, want %d", len(seen), writers*batches*perBatch)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s read %d times", id, n)
		}
	}
}

// The concurrent writers of the paging tests: writers goroutines, each on
// store a or b in turn, add batches batches of perBatch indicators.
const writers, batches, perBatch = 4, 15, 20

// writeConcurrently starts the writers as p into collection, pausing
// between batches; done closes when every writer has finished, and errs
// then holds their errors.
func writeConcurrently(ctx context.Context, a, b *postgres.Store, p liaison.Principal, collection string, pause time.Duration) (done chan struct{}, errs chan error) {
	var wg sync.WaitGroup
	errs = make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if g%2 == 1 {
				s = b
			}
			for n := range batches {
				var cs []liaison.Candidate
				for i := range perBatch {
					c := indicator(g, n*perBatch+i)
					c.Index = i
					cs = append(cs, c)
				}
				res, err := s.AddObjects(ctx, p, collection, cs)
				if err == nil && len(res.Rejected) > 0 {
					err = fmt.Errorf("rejected %+v", res.Rejected)
				}
				if err != nil {
					errs <- err
					return
				}
				time.Sleep(pause)
			}
		}()
	}
	done = make(chan struct{})
	go func() { wg.Wait(); close(errs); close(done) }()
	return done, errs
}
