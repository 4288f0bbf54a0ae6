package web

import (
	"slices"
	"strings"
	"testing"
)

// TestListSorting: newest first lists exactly what oldest first lists,
// in the reverse order, page after page with its own cursor, in one
// collection and across collections, with the filters kept; a bad sort
// is a 400 naming the field.
func TestListSorting(t *testing.T) {
	l := newLibrary(t, 30)
	for _, user := range []string{"usa", "kor"} {
		b := l.signedIn(t, user)
		for _, path := range []string{"/collections/" + l.cyber.ID + "/objects?version=all&limit=7", "/objects?version=all&limit=7", "/objects?type=indicator&limit=5"} {
			asc, _ := pageAll(t, b, path)
			desc, pages := pageAll(t, b, path+"&sort=newest")
			rev := slices.Clone(asc)
			slices.Reverse(rev)
			if !slices.Equal(desc, rev) {
				t.Errorf("%s %s newest first:\n%v\nwant the reverse of oldest first:\n%v", user, path, desc, rev)
			}
			if len(asc) > 7 && pages < 2 {
				t.Errorf("%s %s: %d rows on %d page", user, path, len(desc), pages)
			}
		}
	}
	b := l.signedIn(t, "kor")
	_, _, body := b.get("/objects?sort=newest")
	if !strings.Contains(body, `data-sort="oldest"`) || !strings.Contains(body, `aria-sort="descending"`) {
		t.Error("the newest-first list does not offer the other order on its Added column")
	}
	status, _, body := b.get("/objects?sort=sideways")
	if status != 400 || !strings.Contains(body, "field sort") {
		t.Errorf("sort=sideways: %d", status)
	}
}
