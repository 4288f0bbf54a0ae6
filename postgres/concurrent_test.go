package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"liaison"
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
	const writers, batches, perBatch = 4, 15, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
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
					id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", g, n*perBatch+i)
					cs = append(cs, liaison.Candidate{Index: i, ID: id, Type: "indicator", SpecVersion: "2.1",
						Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte(`{"type":"indicator","id":"` + id + `"}`)})
				}
				res, err := s.AddObjects(ctx, usa, coll.ID, cs)
				if err == nil && len(res.Rejected) > 0 {
					err = fmt.Errorf("rejected %+v", res.Rejected)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
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
	close(errs)
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
