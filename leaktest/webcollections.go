package leaktest

import (
	"html"
	"net/http"
	"regexp"
	"strings"
)

// WebCollectionPaths are the collections pages' read paths: the list of
// collections and each collection's page. They show no object, but a
// collection the reader's organisation may neither read nor write must
// not be named, and its page must be exactly a missing one's.
func WebCollectionPaths() []ReadPath { return []ReadPath{webCollections{}} }

type webCollections struct{}

func (webCollections) Name() string { return "web/collections" }
func (webCollections) everyReader() {}

var collRowRE = regexp.MustCompile(`<tr data-collection="([^"]+)">`)

func (webCollections) Check(e *Env, r *User) {
	b := browserFor(e, r)
	if r.Token == "" {
		status, h, body, err := b.get(e, "/collections")
		if err != nil || status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/signin") {
			e.Errorf(r, "/collections without a session: status %d err %v Location %q, want the sign-in form", status, err, h.Get("Location"))
		}
		for _, c := range e.World.Collections {
			if strings.Contains(body, c.ID) {
				e.Errorf(r, "LEAK web/collections without a session: names collection %s", c.Key)
			}
		}
		return
	}
	status, _, body, err := b.get(e, "/collections")
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web collections list: status %d err %v: %s", status, err, truncateBody([]byte(body)))
		return
	}
	listed := map[string]bool{}
	for _, m := range collRowRE.FindAllStringSubmatch(body, -1) {
		listed[html.UnescapeString(m[1])] = true
	}
	for _, c := range e.World.Collections {
		may := e.MayReadCollection(r.Principal, c) || e.MayWriteCollection(r.Principal, c)
		// A writer without the analyst role is not on the write list in
		// effect: the reference's MayWrite already says so.
		switch {
		case !may && strings.Contains(body, c.ID):
			e.Errorf(r, "LEAK web/collections list: names collection %s, which the reader may neither read nor write", c.Key)
		case may && !listed[c.ID]:
			e.Errorf(r, "web/collections list: does not list %s, which the reader may read or write", c.Key)
		}
		path := "/collections/" + c.ID
		if may {
			status, _, page, err := b.get(e, path)
			if err != nil || status != http.StatusOK || !strings.Contains(page, c.ID) {
				e.Errorf(r, "web/collections page of %s: status %d err %v", c.Key, status, err)
			}
			continue
		}
		m := newUUID(e)
		b.samePage(e, r, "web/collections page of "+c.Key, path, c.ID, "/collections/"+m, m)
	}
}
