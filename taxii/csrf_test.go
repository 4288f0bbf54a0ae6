package taxii_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"liaison/taxii"
)

// TestCrossSiteWritesRefused sends every TAXII route that may change state
// the way another site's page can make a signed-in browser send it, with
// the user's Basic credentials and a well-formed request otherwise. Each
// must get 403 as an error message, and nothing may change; the same
// requests without the cross-site marks succeed.
func TestCrossSiteWritesRefused(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.add("fra-analyst", "shared", sdo(1, 1))
	fill := strings.NewReplacer("{collection}", w.coll["shared"], "{object}", id("attack-pattern", 1))
	type write struct{ method, url string }
	var writes []write
	for _, rt := range w.taxii.Routes() {
		if rt.Method == http.MethodGet {
			continue
		}
		u := w.srv.URL + fill.Replace(rt.Path)
		if strings.Contains(u, "{") {
			t.Fatalf("route %s %s: the test does not know how to fill it", rt.Method, rt.Path)
		}
		writes = append(writes, write{rt.Method, u})
	}
	if len(writes) != 2 {
		t.Fatalf("write routes %v: want add objects and delete an object", writes)
	}
	body := envelope(sdo(2, 1))
	signals := []struct {
		name    string
		headers []string
	}{
		{"Origin of another site", []string{"Origin: http://evil.example"}},
		{"Origin null", []string{"Origin: null"}},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site: cross-site"}},
		{"Referer of another site", []string{"Referer: http://evil.example/x.html"}},
	}
	listed := func() []string { return ids(t, w.request("GET", w.objectsURL("shared"), "fra-analyst", nil).Body) }
	before := listed()
	for _, wr := range writes {
		for _, sig := range signals {
			for _, ct := range []string{taxii.MediaType, "application/x-www-form-urlencoded", "text/plain"} {
				r := w.request(wr.method, wr.url, "fra-analyst", body, append([]string{"Content-Type: " + ct}, sig.headers...)...)
				e := r.errorMessage(t)
				if r.Status != http.StatusForbidden || e.HTTPStatus != "403" || !strings.Contains(e.Description, "cross-site") {
					t.Errorf("%s %s, %s, Content-Type %s: %d %+v, want 403 cross-site", wr.method, wr.url, sig.name, ct, r.Status, e)
				}
			}
		}
	}
	if after := listed(); !slices.Equal(before, after) {
		t.Errorf("refused requests changed the collection: before %v, after %v", before, after)
	}
	// The same writes from a client that is not a browser, or from this
	// server's own page, go through.
	own := []string{"Origin: " + w.srv.URL}
	if r := w.request("POST", writes[0].url, "fra-analyst", body, own...); r.Status != http.StatusAccepted {
		t.Errorf("add objects from the own origin: %d %s", r.Status, r.Body)
	}
	if r := w.request("DELETE", writes[1].url, "fra-analyst", nil); r.Status != http.StatusOK {
		t.Errorf("delete without browser headers: %d %s", r.Status, r.Body)
	}
}
