package taxii_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/taxii"
)

func TestClientBearerAndErrors(t *testing.T) {
	w := newWorld(t, worldOptions{})
	c := taxii.NewClient(taxii.ClientOptions{Token: w.users["usa-analyst"].Token, HTTP: w.srv.Client()})
	d, err := c.Discover(t.Context(), w.srv.URL+"/taxii2/")
	if err != nil || len(d.APIRoots) != 1 {
		t.Fatalf("discover with bearer: %+v %v", d, err)
	}

	bad := taxii.NewClient(taxii.ClientOptions{User: "usa-analyst", Password: "wrong", HTTP: w.srv.Client()})
	_, err = bad.Collections(t.Context(), w.root)
	var te *taxii.Error
	if !errors.As(err, &te) || te.StatusCode != 401 || te.Message.HTTPStatus != "401" || liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("bad password: %#v", err)
	}
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "invalid credentials") {
		t.Errorf("error text %q", err)
	}

	for _, err := range c.Object(t.Context(), w.root, w.coll["shared"], id("attack-pattern", 1), taxii.Filter{}) {
		if liaison.ErrorCode(err) != liaison.ENOTFOUND {
			t.Errorf("missing object: %v", err)
		}
	}
	_, err = c.Status(t.Context(), w.root, "00000000-0000-4000-8000-000000000000")
	if liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("missing status: %v", err)
	}
	w.add("usa-analyst", "shared", sdo(1, 1), sdo(1, 2))
	var got []string
	for o, err := range c.Object(t.Context(), w.root, w.coll["shared"], id("attack-pattern", 1), taxii.Filter{Versions: []string{"all"}}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(t, envelope(string(o)))...)
	}
	if len(got) != 2 {
		t.Errorf("object versions through the client: %v", got)
	}
	// Breaking out of an iteration stops it.
	n := 0
	for range c.Objects(t.Context(), w.root, w.coll["shared"], taxii.Filter{Versions: []string{"all"}, Limit: 1}) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: %d", n)
	}
}

// TestClientPagesWithoutNext checks the client against a server that says
// more but gives no next: it must page with added_after and the
// X-TAXII-Date-Added-Last header. The server is ours with next removed
// from every response.
func TestClientPagesWithoutNext(t *testing.T) {
	w := newWorld(t, worldOptions{cfg: taxii.Config{MaxPageSize: 3}})
	var want []string
	var objs []string
	for i := range 8 {
		objs = append(objs, sdo(i, 1))
		want = append(want, id("attack-pattern", i)+"@"+version(1))
	}
	w.add("fra-analyst", "shared", objs...)

	noNext := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		r.URL.RawQuery = strings.ReplaceAll(r.URL.RawQuery, "next=", "ignored=")
		rec := httptest.NewRecorder()
		w.taxii.ServeHTTP(rec, r)
		var m map[string]json.RawMessage
		body := rec.Body.Bytes()
		if json.Unmarshal(body, &m) == nil {
			delete(m, "next")
			body, _ = json.Marshal(m)
		}
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.Header().Del("Content-Length")
		rw.WriteHeader(rec.Code)
		rw.Write(body)
	}))
	defer noNext.Close()
	c := taxii.NewClient(taxii.ClientOptions{User: "jpn-analyst", Password: w.users["jpn-analyst"].Password})
	root := noNext.URL + "/taxii2/api1/"
	var got []string
	for o, err := range c.Objects(t.Context(), root, w.coll["shared"], taxii.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(t, envelope(string(o)))...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
