package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"liaison"
)

// testPagingUnderWrites pages through a collection while another goroutine
// keeps writing to it, once following Next and once following the last
// date_added (as a TAXII client does with added_after), and proves that
// every version is read exactly once.
func testPagingUnderWrites(t *testing.T, open Opener) {
	for _, mode := range []string{"next", "added_after"} {
		t.Run(mode, func(t *testing.T) {
			w := newWorld(t, open)
			const batches, perBatch = 40, 25
			done := make(chan struct{})
			var writeErr error
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(done)
				for b := range batches {
					var cs []liaison.Candidate
					for i := range perBatch {
						n := b*perBatch + i
						refs := []string(nil)
						if n%5 == 0 {
							refs = []string{liaison.TLPRedID} // hidden from the reader
						}
						cs = append(cs, sdo(oid("indicator", n), day(0), refs...))
					}
					res, err := w.s.AddObjects(w.ctx, w.user["USA"], w.shared, cs)
					if err == nil && len(res.Rejected) > 0 {
						err = fmt.Errorf("rejected %+v", res.Rejected)
					}
					if err != nil {
						writeErr = err
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			seen := map[string]int{}
			q := liaison.ObjectQuery{Limit: 7, Versions: []string{"all"}}
			finished := false
			during := 0 // pages read while the writer was still writing
			for range 100000 {
				select {
				case <-done:
					finished = true
				default:
					during++
				}
				page, err := w.s.Objects(w.ctx, w.user["JPN"], w.shared, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range page.Versions {
					seen[v.ID]++
				}
				if n := len(page.Versions); n > 0 {
					if mode == "next" {
						q.Next = page.Next
					} else {
						q.AddedAfter = page.Versions[n-1].DateAdded
					}
				}
				// Stop only after a page read once the writer was done
				// came back without more.
				if finished && !page.More {
					break
				}
			}
			wg.Wait()
			if writeErr != nil {
				t.Fatal(writeErr)
			}
			if during < 2 {
				t.Errorf("only %d pages were read while writes went on", during)
			}
			want := 0
			for n := range batches * perBatch {
				id := oid("indicator", n)
				if n%5 == 0 {
					if seen[id] != 0 {
						t.Errorf("%s is TLP:RED by USA but JPN read it", id)
					}
					continue
				}
				want++
				if seen[id] != 1 {
					t.Errorf("%s read %d times, want once", id, seen[id])
				}
			}
			if len(seen) != want {
				t.Errorf("read %d distinct objects, want %d", len(seen), want)
			}
		})
	}
}
