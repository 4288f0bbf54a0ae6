package taxii_test

import (
	"bytes"
	"net/url"
	"sync"
	"testing"

	"liaison/taxii"
)

// TestPagingWhileWriting pages through a collection with next and then
// added_after while another client keeps adding objects, and proves that
// every object is read exactly once, in date_added order. Run with -race.
func TestPagingWhileWriting(t *testing.T) {
	w := newWorld(t, worldOptions{cfg: taxii.Config{MaxPageSize: 7}})
	const batches, perBatch = 25, 6
	w.add("fra-analyst", "shared", sdo(0, 1))

	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		c := w.client("usa-analyst")
		for b := range batches {
			var objs []string
			for i := range perBatch {
				objs = append(objs, sdo(1+b*perBatch+i, 1))
			}
			env := envelope(objs...)
			if _, err := c.AddEnvelope(t.Context(), w.root, w.coll["shared"], bytes.NewReader(env)); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
		}
	}()

	seen := map[string]int{}
	var order []string
	lastHeader := ""
	writerDone := false
	for round := 0; round < 10000; round++ {
		// One pass: follow next until more is false.
		next := ""
		passObjects := 0
		after := lastHeader
		for {
			q := url.Values{"limit": {"5"}, "match[version]": {"all"}}
			if after != "" {
				q.Set("added_after", after)
			}
			if next != "" {
				q.Set("next", next)
			}
			resp := w.request("GET", w.objectsURL("shared")+"?"+q.Encode(), "jpn-analyst", nil)
			if resp.Status != 200 {
				t.Fatalf("page: %d %s", resp.Status, resp.Body)
			}
			var env taxii.Envelope
			resp.json(t, &env)
			for _, o := range ids(t, resp.Body) {
				seen[o]++
				order = append(order, o)
			}
			passObjects += len(env.Objects)
			if h := resp.Header.Get("X-TAXII-Date-Added-Last"); h != "" {
				if lastHeader != "" && h <= lastHeader {
					t.Fatalf("date_added went back: %s after %s", h, lastHeader)
				}
				lastHeader = h
			}
			if !env.More {
				break
			}
			next = env.Next
		}
		if writerDone && passObjects == 0 {
			break
		}
		select {
		case <-done:
			writerDone = true
		default:
		}
	}
	wg.Wait()

	want := 1 + batches*perBatch
	if len(seen) != want || len(order) != want {
		t.Errorf("read %d objects (%d distinct), want %d", len(order), len(seen), want)
	}
	for o, n := range seen {
		if n != 1 {
			t.Errorf("%s read %d times", o, n)
		}
	}
}
