package taxii_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/taxii"
)

func TestDiscoveryAndAPIRoot(t *testing.T) {
	w := newWorld(t, worldOptions{cfg: taxii.Config{Description: "NATO liaison office", Contact: "taxii@example.org", MaxContentLength: 1 << 20, MaxPageSize: 50}})

	resp := w.request("GET", "/taxii2/", "fra-reader", nil)
	if resp.Status != 200 || resp.Header.Get("Content-Type") != taxii.MediaType {
		t.Fatalf("discovery: %d %q %s", resp.Status, resp.Header.Get("Content-Type"), resp.Body)
	}
	var d taxii.Discovery
	resp.json(t, &d)
	want := taxii.Discovery{Title: "Liaison Office Tokyo", Description: "NATO liaison office", Contact: "taxii@example.org", Default: w.root, APIRoots: []string{w.root}}
	if fmt.Sprint(d) != fmt.Sprint(want) {
		t.Errorf("discovery = %+v, want %+v", d, want)
	}

	resp = w.request("GET", w.root, "fra-reader", nil)
	var a taxii.APIRootInfo
	resp.json(t, &a)
	if resp.Status != 200 || a.Title == "" || !slices.Equal(a.Versions, []string{"application/taxii+json;version=2.1"}) || a.MaxContentLength != 1<<20 {
		t.Errorf("api root: %d %+v", resp.Status, a)
	}

	// The URLs without their trailing slash serve the same resources.
	if r := w.request("GET", strings.TrimSuffix(w.root, "/"), "fra-reader", nil); r.Status != 200 || !bytes.Equal(r.Body, resp.Body) {
		t.Errorf("api root without slash: %d %s", r.Status, r.Body)
	}
	// The client resolves the same.
	cd, err := w.client("fra-reader").Discover(t.Context(), w.srv.URL+"/taxii2/")
	if err != nil || cd.Default != w.root {
		t.Errorf("client discover: %+v %v", cd, err)
	}
	ca, err := w.client("fra-reader").APIRoot(t.Context(), cd.Default)
	if err != nil || ca.MaxContentLength != 1<<20 {
		t.Errorf("client api root: %+v %v", ca, err)
	}
}

func TestConfiguredAPIRoot(t *testing.T) {
	w := newWorld(t, worldOptions{cfg: taxii.Config{APIRoot: "tokyo"}})
	if !strings.HasSuffix(w.root, "/taxii2/tokyo/") {
		t.Fatal(w.root)
	}
	if r := w.request("GET", w.root, "fra-reader", nil); r.Status != 200 {
		t.Errorf("configured root: %d %s", r.Status, r.Body)
	}
	if r := w.request("GET", "/taxii2/api1/", "fra-reader", nil); r.Status != 404 {
		t.Errorf("default root still served: %d", r.Status)
	}
	var d taxii.Discovery
	w.request("GET", "/taxii2/", "fra-reader", nil).json(t, &d)
	if !slices.Equal(d.APIRoots, []string{w.root}) {
		t.Errorf("api_roots = %v", d.APIRoots)
	}
}

func TestCollections(t *testing.T) {
	w := newWorld(t, worldOptions{})
	type access struct{ read, write bool }
	cases := []struct {
		user string
		want map[string]access // short name -> access; absent means not listed
	}{
		{"fra-analyst", map[string]access{"shared": {true, true}, "natoOnly": {true, true}, "dropbox": {true, false}}},
		{"fra-reader", map[string]access{"shared": {true, false}, "natoOnly": {true, false}, "dropbox": {true, false}}},
		{"jpn-analyst", map[string]access{"shared": {true, true}, "dropbox": {false, true}}},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			resp := w.request("GET", w.root+"collections/", c.user, nil)
			var cs taxii.Collections
			resp.json(t, &cs)
			got := map[string]access{}
			for _, ci := range cs.Collections {
				for short, id := range w.coll {
					if id == ci.ID {
						got[short] = access{ci.CanRead, ci.CanWrite}
					}
				}
				if !slices.Equal(ci.MediaTypes, []string{taxii.STIXMediaType}) || ci.Title == "" {
					t.Errorf("collection resource %+v", ci)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("collections = %v, want %v", got, c.want)
			}
			for short, id := range w.coll {
				r := w.request("GET", w.root+"collections/"+id+"/", c.user, nil)
				_, listed := c.want[short]
				if listed && r.Status != 200 || !listed && r.Status != 404 {
					t.Errorf("GET collection %s: %d %s", short, r.Status, r.Body)
				}
			}
		})
	}

	// A hidden collection and a missing one are the same 404, byte for byte
	// except the id named.
	hidden := w.request("GET", w.root+"collections/"+w.coll["natoOnly"]+"/", "jpn-analyst", nil)
	missing := w.request("GET", w.root+"collections/00000000-0000-4000-8000-000000000000/", "jpn-analyst", nil)
	if hidden.Status != 404 || missing.Status != 404 {
		t.Fatalf("hidden %d, missing %d", hidden.Status, missing.Status)
	}
	he, me := hidden.errorMessage(t), missing.errorMessage(t)
	he.Description = strings.Replace(he.Description, w.coll["natoOnly"], "X", 1)
	me.Description = strings.Replace(me.Description, "00000000-0000-4000-8000-000000000000", "X", 1)
	if fmt.Sprint(he) != fmt.Sprint(me) {
		t.Errorf("hidden and missing differ:\n%+v\n%+v", he, me)
	}
	// Objects of a hidden collection: the same 404.
	if r := w.request("GET", w.objectsURL("natoOnly"), "jpn-analyst", nil); r.Status != 404 {
		t.Errorf("objects of hidden collection: %d", r.Status)
	}

	// The client lists the same.
	cs, err := w.client("jpn-analyst").Collections(t.Context(), w.root)
	if err != nil || len(cs) != 2 {
		t.Errorf("client collections: %v %v", cs, err)
	}
	_, err = w.client("jpn-analyst").Collection(t.Context(), w.root, w.coll["natoOnly"])
	if liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("client hidden collection: %v", err)
	}
}

func TestAddObjectsAndStatus(t *testing.T) {
	w := newWorld(t, worldOptions{})
	bad := `{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--00000000-0000-4000-8000-000000000099","created":"2023-03-01T00:00:00.000Z","modified":"2023-03-01T00:00:00.000Z"}`
	unknownMarking := sdo(7, 1, `"object_marking_refs":["marking-definition--11111111-1111-4111-8111-111111111111"]`)
	st := w.add("fra-analyst", "shared", sdo(1, 1), bad, sdo(2, 1), unknownMarking, `{"type":"nonsense"}`)
	if st.Status != "complete" || st.TotalCount != 5 || st.SuccessCount != 2 || st.FailureCount != 3 || st.PendingCount != 0 {
		t.Fatalf("status %+v", st)
	}
	if len(st.Successes) != 2 || st.Successes[0].ID != id("attack-pattern", 1) || st.Successes[0].Version != version(1) {
		t.Errorf("successes %+v", st.Successes)
	}
	if st.Failures[0].ID != id("attack-pattern", 99) || !strings.Contains(st.Failures[0].Message, "name") {
		t.Errorf("failure for the object without a name: %+v", st.Failures[0])
	}
	if st.Failures[1].ID != id("attack-pattern", 7) || !strings.Contains(st.Failures[1].Message, "marking-definition--11111111") {
		t.Errorf("failure for the unknown marking: %+v", st.Failures[1])
	}
	if _, err := time.Parse(time.RFC3339Nano, st.RequestTimestamp); err != nil {
		t.Errorf("request_timestamp %q: %v", st.RequestTimestamp, err)
	}

	// The status is kept, for the requesting organisation only.
	resp := w.request("GET", w.root+"status/"+st.ID+"/", "fra-reader", nil)
	var again taxii.Status
	resp.json(t, &again)
	if resp.Status != 200 || fmt.Sprint(again) != fmt.Sprint(st) {
		t.Errorf("status again: %d\n%+v\n%+v", resp.Status, again, st)
	}
	if r := w.request("GET", w.root+"status/"+st.ID+"/", "usa-analyst", nil); r.Status != 404 {
		t.Errorf("status of another organisation: %d", r.Status)
	}

	// The same objects again are successes ("already present").
	st2 := w.add("fra-analyst", "shared", sdo(1, 1))
	if st2.SuccessCount != 1 || st2.FailureCount != 0 {
		t.Errorf("re-add: %+v", st2)
	}

	// An empty envelope is a complete status with nothing in it.
	if st := w.add("fra-analyst", "shared"); st.TotalCount != 0 || st.Status != "complete" {
		t.Errorf("empty add: %+v", st)
	}

	// Through the client, with polling.
	c := w.client("jpn-analyst")
	cst, err := c.AddObjects(t.Context(), w.root, w.coll["shared"], []json.RawMessage{json.RawMessage(sdo(3, 2))})
	if err != nil || cst.SuccessCount != 1 {
		t.Fatalf("client add: %+v %v", cst, err)
	}
	polled, err := c.WaitStatus(t.Context(), w.root, cst.ID, 10*time.Millisecond)
	if err != nil || polled.Status != "complete" || polled.SuccessCount != 1 {
		t.Errorf("wait status: %+v %v", polled, err)
	}
}

func TestAddObjectsLargeEnvelopeInChunks(t *testing.T) {
	w := newWorld(t, worldOptions{})
	const n = 4500 // more than two store chunks
	objs := make([]string, n)
	for i := range objs {
		objs[i] = sdo(1000+i, 1)
	}
	st := w.add("fra-analyst", "shared", objs...)
	if st.SuccessCount != n || st.FailureCount != 0 {
		t.Fatalf("status counts %d/%d", st.SuccessCount, st.FailureCount)
	}
	var seen int
	for _, err := range w.client("usa-analyst").Manifest(t.Context(), w.root, w.coll["shared"], taxii.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen++
	}
	if seen != n {
		t.Errorf("manifest holds %d, want %d", seen, n)
	}
}

func TestObjectsFilters(t *testing.T) {
	w := newWorld(t, worldOptions{})
	// Three versions of attack-pattern 1, one of 2, one identity, one
	// indicator in spec 2.1; added in this order.
	w.add("fra-analyst", "shared", sdo(1, 1), sdo(2, 5))
	w.add("fra-analyst", "shared", sdo(1, 2))
	w.add("fra-analyst", "shared", sdo(1, 3), obj("identity", 3, 4, `"identity_class":"organization"`))

	ap1, ap2, id3 := id("attack-pattern", 1), id("attack-pattern", 2), id("identity", 3)
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"default is last", "", []string{ap2 + "@" + version(5), ap1 + "@" + version(3), id3 + "@" + version(4)}},
		{"type", "match[type]=identity", []string{id3 + "@" + version(4)}},
		{"types comma", "match[type]=identity,attack-pattern", []string{ap2 + "@" + version(5), ap1 + "@" + version(3), id3 + "@" + version(4)}},
		{"types repeated", "match[type]=identity&match[type]=nothing", []string{id3 + "@" + version(4)}},
		{"id", "match[id]=" + ap1, []string{ap1 + "@" + version(3)}},
		{"id first", "match[id]=" + ap1 + "&match[version]=first", []string{ap1 + "@" + version(1)}},
		{"id all", "match[id]=" + ap1 + "&match[version]=all", []string{ap1 + "@" + version(1), ap1 + "@" + version(2), ap1 + "@" + version(3)}},
		{"id first,last", "match[id]=" + ap1 + "&match[version]=first,last", []string{ap1 + "@" + version(1), ap1 + "@" + version(3)}},
		{"id timestamp", "match[id]=" + ap1 + "&match[version]=" + version(2), []string{ap1 + "@" + version(2)}},
		{"timestamp other precision", "match[id]=" + ap1 + "&match[version]=2023-03-01T00:02:00Z", []string{ap1 + "@" + version(2)}},
		{"spec_version 2.1", "match[spec_version]=2.1&match[type]=identity", []string{id3 + "@" + version(4)}},
		{"spec_version 2.0", "match[spec_version]=2.0", nil},
		{"type and id disjoint", "match[type]=identity&match[id]=" + ap1, nil},
		{"no such id", "match[id]=indicator--00000000-0000-4000-8000-000000000042", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := w.request("GET", w.objectsURL("shared")+"?"+strings.ReplaceAll(c.query, "+", "%2B"), "usa-analyst", nil)
			if resp.Status != 200 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			got := ids(t, resp.Body)
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v\nwant %v", got, c.want)
			}
			if len(c.want) == 0 {
				if string(bytes.TrimSpace(resp.Body)) != "{}" {
					t.Errorf("empty result is %s, want {}", resp.Body)
				}
				if resp.Header.Get("X-TAXII-Date-Added-First") != "" {
					t.Errorf("empty result has date headers")
				}
			} else {
				first, last := resp.Header.Get("X-TAXII-Date-Added-First"), resp.Header.Get("X-TAXII-Date-Added-Last")
				if len(first) != len("2006-01-02T15:04:05.000000Z") || len(last) != len(first) || first > last {
					t.Errorf("date headers %q %q", first, last)
				}
			}
		})
	}

	// added_after from the headers of one read selects what came later.
	all := w.request("GET", w.objectsURL("shared")+"?match[version]=all", "usa-analyst", nil)
	if n := len(ids(t, all.Body)); n != 5 {
		t.Fatalf("all versions: %d", n)
	}
	first := all.Header.Get("X-TAXII-Date-Added-First")
	after := w.request("GET", w.objectsURL("shared")+"?match[version]=all&added_after="+first, "usa-analyst", nil)
	if got := ids(t, after.Body); len(got) != 4 || got[0] != ap2+"@"+version(5) {
		t.Errorf("added_after the first: %v", got)
	}
	last := all.Header.Get("X-TAXII-Date-Added-Last")
	if r := w.request("GET", w.objectsURL("shared")+"?added_after="+last, "usa-analyst", nil); string(bytes.TrimSpace(r.Body)) != "{}" {
		t.Errorf("added_after the last: %s", r.Body)
	}
}

func TestPaging(t *testing.T) {
	w := newWorld(t, worldOptions{cfg: taxii.Config{MaxPageSize: 4}})
	var objs []string
	var want []string
	for i := range 10 {
		objs = append(objs, sdo(i, 1))
		want = append(want, id("attack-pattern", i)+"@"+version(1))
	}
	w.add("fra-analyst", "shared", objs...)

	t.Run("next", func(t *testing.T) {
		var got []string
		next := ""
		for pages := 0; ; pages++ {
			u := w.objectsURL("shared") + "?limit=3"
			if next != "" {
				u += "&next=" + url.QueryEscape(next)
			}
			resp := w.request("GET", u, "usa-analyst", nil)
			var env taxii.Envelope
			resp.json(t, &env)
			got = append(got, ids(t, resp.Body)...)
			if !env.More {
				if env.Next != "" {
					t.Errorf("last page has next %q", env.Next)
				}
				break
			}
			if env.Next == "" || pages > 10 {
				t.Fatalf("more without next: %s", resp.Body)
			}
			next = env.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged %v\nwant %v", got, want)
		}
	})
	t.Run("limit above the maximum is capped", func(t *testing.T) {
		resp := w.request("GET", w.objectsURL("shared")+"?limit=1000", "usa-analyst", nil)
		var env taxii.Envelope
		resp.json(t, &env)
		if len(env.Objects) != 4 || !env.More {
			t.Errorf("got %d objects, more=%v", len(env.Objects), env.More)
		}
		resp = w.request("GET", w.objectsURL("shared"), "usa-analyst", nil)
		resp.json(t, &env)
		if len(env.Objects) != 4 || !env.More {
			t.Errorf("no limit: got %d objects, more=%v", len(env.Objects), env.More)
		}
	})
	t.Run("added_after with the last header", func(t *testing.T) {
		var got []string
		after := ""
		for range 10 {
			u := w.objectsURL("shared") + "?limit=3"
			if after != "" {
				u += "&added_after=" + after
			}
			resp := w.request("GET", u, "usa-analyst", nil)
			page := ids(t, resp.Body)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = resp.Header.Get("X-TAXII-Date-Added-Last")
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged %v\nwant %v", got, want)
		}
	})
	t.Run("client iterates", func(t *testing.T) {
		var got []string
		for o, err := range w.client("usa-analyst").Objects(t.Context(), w.root, w.coll["shared"], taxii.Filter{Limit: 3}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(t, envelope(string(o)))...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("client %v\nwant %v", got, want)
		}
	})
	t.Run("manifest pages", func(t *testing.T) {
		resp := w.request("GET", w.root+"collections/"+w.coll["shared"]+"/manifest/?limit=2", "usa-analyst", nil)
		var m taxii.Manifest
		resp.json(t, &m)
		if len(m.Objects) != 2 || !m.More || m.Next == "" {
			t.Fatalf("manifest page: %s", resp.Body)
		}
		r := m.Objects[0]
		if r.ID != id("attack-pattern", 0) || r.Version != version(1) || r.MediaType != "application/stix+json;version=2.1" || r.DateAdded != resp.Header.Get("X-TAXII-Date-Added-First") {
			t.Errorf("manifest record %+v", r)
		}
	})
}

func TestObjectVersionsAndDelete(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.add("fra-analyst", "shared", sdo(1, 1), sdo(1, 2), sdo(1, 3), sdo(2, 1))
	ap1 := id("attack-pattern", 1)
	objURL := w.objectsURL("shared") + ap1 + "/"

	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{ap1 + "@" + version(3)}},
		{"match[version]=all", []string{ap1 + "@" + version(1), ap1 + "@" + version(2), ap1 + "@" + version(3)}},
		{"match[version]=first", []string{ap1 + "@" + version(1)}},
		{"match[version]=" + version(2), []string{ap1 + "@" + version(2)}},
		{"match[version]=2019-01-01T00:00:00Z", nil},
		{"match[spec_version]=2.1", []string{ap1 + "@" + version(3)}},
		// match[type] and match[id] narrow, as taxii2-client sends them.
		{"match[type]=attack-pattern", []string{ap1 + "@" + version(3)}},
		{"match[type]=indicator", nil},
		{"match[id]=" + ap1, []string{ap1 + "@" + version(3)}},
		{"match[id]=" + id("attack-pattern", 2), nil},
	}
	for _, c := range cases {
		resp := w.request("GET", objURL+"?"+c.query, "jpn-analyst", nil)
		if resp.Status != 200 {
			t.Fatalf("%s: %d %s", c.query, resp.Status, resp.Body)
		}
		if got := ids(t, resp.Body); !slices.Equal(got, c.want) {
			t.Errorf("object?%s = %v, want %v", c.query, got, c.want)
		}
	}

	resp := w.request("GET", objURL+"versions/", "jpn-analyst", nil)
	var vs taxii.Versions
	resp.json(t, &vs)
	if !slices.Equal(vs.Versions, []string{version(1), version(2), version(3)}) || vs.More {
		t.Errorf("versions %s", resp.Body)
	}
	resp = w.request("GET", objURL+"versions/?limit=2", "jpn-analyst", nil)
	resp.json(t, &vs)
	if len(vs.Versions) != 2 || !vs.More || vs.Next == "" {
		t.Errorf("versions page %s", resp.Body)
	}
	var cv []string
	for v, err := range w.client("jpn-analyst").Versions(t.Context(), w.root, w.coll["shared"], ap1, taxii.Filter{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		cv = append(cv, v)
	}
	if !slices.Equal(cv, []string{version(1), version(2), version(3)}) {
		t.Errorf("client versions %v", cv)
	}
	if r := w.request("GET", objURL+"versions/?match[version]=all", "jpn-analyst", nil); r.Status != 400 {
		t.Errorf("match[version] on versions: %d", r.Status)
	}

	missing := w.objectsURL("shared") + id("attack-pattern", 404) + "/"
	for _, u := range []string{missing, missing + "versions/"} {
		if r := w.request("GET", u, "jpn-analyst", nil); r.Status != 404 {
			t.Errorf("GET %s: %d", u, r.Status)
		}
	}

	// Delete: a reader may not; the originator's analyst deletes one
	// version, then the rest.
	if r := w.request("DELETE", objURL+"?match[version]=first", "fra-reader", nil); r.Status != 403 && r.Status != 404 {
		t.Errorf("reader deletes: %d %s", r.Status, r.Body)
	}
	if r := w.request("DELETE", objURL+"?match[version]=first", "fra-analyst", nil); r.Status != 200 {
		t.Fatalf("delete first: %d %s", r.Status, r.Body)
	}
	if got := ids(t, w.request("GET", objURL+"?match[version]=all", "jpn-analyst", nil).Body); len(got) != 2 || got[0] != ap1+"@"+version(2) {
		t.Errorf("after deleting the first: %v", got)
	}
	if err := w.client("fra-analyst").DeleteObject(t.Context(), w.root, w.coll["shared"], ap1, taxii.Filter{Versions: []string{"all"}}); err != nil {
		t.Fatalf("client delete: %v", err)
	}
	if r := w.request("GET", objURL, "jpn-analyst", nil); r.Status != 404 {
		t.Errorf("deleted object: %d", r.Status)
	}
	if r := w.request("DELETE", objURL, "fra-analyst", nil); r.Status != 404 {
		t.Errorf("delete again: %d", r.Status)
	}
	if r := w.request("GET", w.objectsURL("shared")+id("attack-pattern", 2)+"/", "jpn-analyst", nil); r.Status != 200 {
		t.Errorf("the other object went too: %d", r.Status)
	}
}

// TestHiddenObjects checks the invariant on every read endpoint: an object
// whose audience leaves a reader out does not exist for that reader.
func TestHiddenObjects(t *testing.T) {
	w := newWorld(t, worldOptions{})
	red := `"object_marking_refs":["` + liaison.TLPRedID + `"]`
	w.add("fra-analyst", "shared", sdo(1, 1, red), sdo(2, 1))
	secret := id("attack-pattern", 1)
	coll := w.root + "collections/" + w.coll["shared"] + "/"

	// The originator's organisation sees it.
	if got := ids(t, w.request("GET", coll+"objects/", "fra-reader", nil).Body); len(got) != 2 {
		t.Fatalf("originator sees %v", got)
	}
	for _, reader := range []string{"usa-analyst", "jpn-analyst"} {
		if got := ids(t, w.request("GET", coll+"objects/", reader, nil).Body); !slices.Equal(got, []string{id("attack-pattern", 2) + "@" + version(1)}) {
			t.Errorf("%s objects: %v", reader, got)
		}
		var m taxii.Manifest
		w.request("GET", coll+"manifest/", reader, nil).json(t, &m)
		if len(m.Objects) != 1 || m.Objects[0].ID == secret {
			t.Errorf("%s manifest: %+v", reader, m)
		}
		if got := ids(t, w.request("GET", coll+"objects/?match[id]="+secret, reader, nil).Body); got != nil {
			t.Errorf("%s match[id]: %v", reader, got)
		}
		for _, suffix := range []string{"/", "/versions/"} {
			hidden := w.request("GET", coll+"objects/"+secret+suffix, reader, nil)
			missing := w.request("GET", coll+"objects/"+id("attack-pattern", 3)+suffix, reader, nil)
			he, me := hidden.errorMessage(t), missing.errorMessage(t)
			he.Description = strings.Replace(he.Description, secret, "X", 1)
			me.Description = strings.Replace(me.Description, id("attack-pattern", 3), "X", 1)
			if hidden.Status != 404 || fmt.Sprint(he) != fmt.Sprint(me) {
				t.Errorf("%s %s: hidden %d %+v, missing %+v", reader, suffix, hidden.Status, he, me)
			}
		}
	}
	if r := w.request("DELETE", coll+"objects/"+secret+"/", "usa-analyst", nil); r.Status != 404 {
		t.Errorf("delete hidden: %d", r.Status)
	}
}

func TestErrors(t *testing.T) {
	w := newWorld(t, worldOptions{cfg: taxii.Config{MaxContentLength: 4096}})
	w.add("fra-analyst", "shared", sdo(1, 1))
	big := make([]string, 60)
	for i := range big {
		big[i] = sdo(100+i, 1)
	}
	objects := w.objectsURL("shared")
	cases := []struct {
		name    string
		method  string
		url     string
		as      string
		body    []byte
		headers []string
		status  int
		inDesc  string
	}{
		{"no credentials", "GET", w.root, "", nil, nil, 401, "authentication required"},
		{"wrong password", "GET", w.root, "", nil, []string{"Authorization: Basic " + basic("fra-reader", "nope")}, 401, "invalid credentials"},
		{"unknown scheme", "GET", w.root, "", nil, []string{"Authorization: Digest x"}, 401, "not supported"},
		{"accept json only", "GET", w.root, "fra-reader", nil, []string{"Accept: application/json"}, 406, "application/taxii+json"},
		{"accept taxii 2.0", "GET", w.root, "fra-reader", nil, []string{"Accept: application/taxii+json;version=2.0"}, 406, ""},
		{"accept q=0", "GET", w.root, "fra-reader", nil, []string{"Accept: application/taxii+json;q=0, text/html"}, 406, ""},
		{"post as json", "POST", objects, "fra-analyst", envelope(sdo(2, 1)), []string{"Content-Type: application/json"}, 415, "Content-Type"},
		{"post without type", "POST", objects, "fra-analyst", envelope(sdo(2, 1)), []string{"Content-Type:"}, 415, ""},
		{"post too large", "POST", objects, "fra-analyst", envelope(big...), nil, 413, "max_content_length"},
		{"post malformed", "POST", objects, "fra-analyst", []byte(`{"objects":[{"type":`), nil, 400, ""},
		{"post not an envelope", "POST", objects, "fra-analyst", []byte(`[1,2,3]`), nil, 400, ""},
		{"post by reader", "POST", objects, "fra-reader", envelope(sdo(2, 1)), nil, 403, ""},
		{"post to read-only", "POST", w.objectsURL("dropbox"), "fra-analyst", envelope(sdo(2, 1)), nil, 403, ""},
		{"post to hidden", "POST", w.objectsURL("natoOnly"), "jpn-analyst", envelope(sdo(2, 1)), nil, 404, ""},
		{"read write-only", "GET", w.objectsURL("dropbox"), "jpn-analyst", nil, nil, 403, "not read"},
		{"bad added_after", "GET", objects + "?added_after=yesterday", "fra-reader", nil, nil, 400, "added_after"},
		{"bad limit", "GET", objects + "?limit=0", "fra-reader", nil, nil, 400, "limit"},
		{"limit twice", "GET", objects + "?limit=1&limit=2", "fra-reader", nil, nil, 400, "limit"},
		{"bad version", "GET", objects + "?match[version]=newest", "fra-reader", nil, nil, 400, "match[version]"},
		{"bad type", "GET", objects + "?match[type]=Attack%20Pattern", "fra-reader", nil, nil, 400, "match[type]"},
		{"bad id", "GET", objects + "?match[id]=foo", "fra-reader", nil, nil, 400, "match[id]"},
		{"bad spec_version", "GET", objects + "?match[spec_version]=two", "fra-reader", nil, nil, 400, "match[spec_version]"},
		{"unknown match field", "GET", objects + "?match[relationship_type]=uses", "fra-reader", nil, nil, 400, "not supported"},
		{"unknown filter on one object", "GET", objects + id("attack-pattern", 1) + "/?match[foo]=x", "fra-reader", nil, nil, 400, "not supported"},
		{"bad next", "GET", objects + "?next=garbage", "fra-reader", nil, nil, 400, ""},
		{"unknown status", "GET", w.root + "status/00000000-0000-4000-8000-000000000000/", "fra-reader", nil, nil, 404, ""},
		{"unknown path", "GET", w.root + "nothing/", "fra-reader", nil, nil, 404, ""},
		{"wrong method", "PUT", objects, "fra-analyst", nil, nil, 405, ""},
		{"malformed object id", "GET", objects + "not-an-id/", "fra-reader", nil, nil, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := w.request(c.method, c.url, c.as, c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if r.Header.Get("Content-Type") != taxii.MediaType {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
			e := r.errorMessage(t)
			if e.Title == "" || e.HTTPStatus.Int() != c.status || !strings.Contains(e.Description, c.inDesc) {
				t.Errorf("error message %+v", e)
			}
			if c.status == 401 {
				if got := r.Header.Values("WWW-Authenticate"); !slices.Equal(got, []string{`Basic realm="liaison"`, `Bearer realm="liaison"`}) {
					t.Errorf("WWW-Authenticate %q", got)
				}
			}
			if c.status == 405 && r.Header.Get("Allow") != "GET, POST" {
				t.Errorf("Allow %q", r.Header.Get("Allow"))
			}
		})
	}
	// Nothing of the refused posts was stored.
	if got := ids(t, w.request("GET", objects, "fra-reader", nil).Body); len(got) != 1 {
		t.Errorf("refused posts stored something: %v", got)
	}
	if strings.Contains(w.log.String(), "level=ERROR") {
		t.Errorf("bad input logged as an internal error:\n%s", w.log)
	}

	// A body without Content-Length is cut at max_content_length too.
	_, err := w.client("fra-analyst").AddEnvelope(t.Context(), w.root, w.coll["shared"], io.MultiReader(bytes.NewReader(envelope(big...))))
	if liaison.ErrorCode(err) != liaison.ETOOLARGE {
		t.Errorf("chunked body over the limit: %v", err)
	}

	// The client decodes the error body.
	_, err = w.client("jpn-analyst").AddObjects(t.Context(), w.root, w.coll["dropbox"], nil)
	if err != nil {
		t.Fatalf("jpn may write the dropbox: %v", err)
	}
	for _, err := range w.client("jpn-analyst").Objects(t.Context(), w.root, w.coll["dropbox"], taxii.Filter{}) {
		var te *taxii.Error
		if !asTaxiiError(err, &te) || te.StatusCode != 403 || te.Message.Title != "Forbidden" || liaison.ErrorCode(err) != liaison.EFORBIDDEN {
			t.Errorf("client error %#v", err)
		}
	}
}

func asTaxiiError(err error, te **taxii.Error) bool {
	e, ok := err.(*taxii.Error)
	*te = e
	return ok
}

func basic(u, p string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(u, p)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func TestAcceptVariants(t *testing.T) {
	w := newWorld(t, worldOptions{})
	for _, accept := range []string{
		"", "application/taxii+json", "application/taxii+json;version=2.1", "application/taxii+json; version=\"2.1\"",
		"*/*", "application/*", "text/html, application/taxii+json;q=0.5", "APPLICATION/TAXII+JSON;VERSION=2.1",
	} {
		r := w.request("GET", w.root, "fra-reader", nil, "Accept: "+accept)
		if r.Status != 200 {
			t.Errorf("Accept %q: %d", accept, r.Status)
		}
	}
	r := w.request("POST", w.objectsURL("shared"), "fra-analyst", envelope(sdo(1, 1)), "Content-Type: application/taxii+json; charset=utf-8")
	if r.Status != 202 {
		t.Errorf("content type with charset: %d %s", r.Status, r.Body)
	}
}

func TestRoutesListed(t *testing.T) {
	w := newWorld(t, worldOptions{})
	routes := w.taxii.Routes()
	if len(routes) != 11 {
		t.Fatalf("%d routes", len(routes))
	}
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/taxii2/") || !strings.HasSuffix(r.Path, "/") || r.Summary == "" {
			t.Errorf("route %+v", r)
		}
	}
}
