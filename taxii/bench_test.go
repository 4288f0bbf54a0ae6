package taxii_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// benchWorldTB is a world whose shared collection holds n objects.
func benchWorldTB(b *testing.B, n int) *world {
	w := newWorld(b, worldOptions{})
	const batch = 5000
	for start := 0; start < n; start += batch {
		var objs []string
		for i := start; i < min(n, start+batch); i++ {
			objs = append(objs, sdo(10_000_000+i, 1, `"description":"a real-sized description of some length so that the object is not tiny, as ATT&CK objects are not"`))
		}
		w.add("fra-analyst", "shared", objs...)
	}
	return w
}

// BenchmarkGetObjectsPage reads a page of 1000 objects over HTTP from a
// collection of 50,000, from the middle (by added_after).
func BenchmarkGetObjectsPage(b *testing.B) {
	w := benchWorldTB(b, 50_000)
	mid := w.request("GET", w.objectsURL("shared")+"?limit=1000&match[version]=all", "usa-analyst", nil)
	after := mid.Header.Get("X-TAXII-Date-Added-Last")
	u := w.objectsURL("shared") + "?limit=1000&added_after=" + after
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth("usa-analyst", w.users["usa-analyst"].Token)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	b.ResetTimer()
	for b.Loop() {
		resp, err := w.srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 100_000 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
	}
}

// BenchmarkAddObjects posts envelopes of 5000 new objects over HTTP.
func BenchmarkAddObjects(b *testing.B) {
	w := benchWorldTB(b, 0)
	next := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		var objs []string
		for range 5000 {
			objs = append(objs, sdo(20_000_000+next, 1, `"description":"a real-sized description of some length so that the object is not tiny"`))
			next++
		}
		body := envelope(objs...)
		req, _ := http.NewRequest("POST", w.objectsURL("shared"), bytes.NewReader(body))
		req.SetBasicAuth("x", w.users["fra-analyst"].Token)
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
		b.StartTimer()
		resp, err := w.srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 202 {
			b.Fatal(resp.StatusCode)
		}
	}
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "objects/s")
}
