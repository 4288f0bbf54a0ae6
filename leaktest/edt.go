package leaktest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The EDT area pages (/edt/{area}): their recent objects are the store's
// search as the reader, cut to the exact label. The world labels some
// versions edt-quantum or edt-space, by a hash of the version (so the
// random stream is untouched, and an object's versions differ: an older
// labelled version under a newer unlabelled one must not be listed).

// edtAreas are the areas the world's versions are labelled with.
var edtAreas = []string{"quantum", "space"}

func edtLabel(o *Obj) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s@%d", o.ID, o.Modified.UnixMicro())
	if i := h.Sum32() % 4; int(i) < len(edtAreas) {
		return "edt-" + edtAreas[i]
	}
	return ""
}

// edtShown is how many recent objects an area's page lists (web/edt.go).
const edtShown = 25

// webEDT checks each area's page: every object it lists is the reader's
// latest readable version of an object labelled with the area, and when
// the reference holds no more than the page shows, all of them are
// listed; the page names no id the reader may not read.
type webEDT struct{}

func (webEDT) Name() string { return "web/edt" }

func (webEDT) Check(e *Env, r *User) {
	if r.Token == "" || skipUnderRace(e) {
		return
	}
	b := browserFor(e, r)
	for _, area := range edtAreas {
		label := "edt-" + area
		var want []*Obj
		visible := map[string]bool{}
		for _, c := range e.World.Collections {
			if !e.MayReadCollection(r.Principal, c) {
				continue
			}
			for _, o := range e.Expected(r.Principal, c, Last) {
				visible[o.ID] = true
				var f struct {
					Labels []string `json:"labels"`
				}
				_ = json.Unmarshal(o.Raw, &f)
				if slices.Contains(f.Labels, label) {
					want = append(want, o)
				}
			}
		}
		path := "/edt/" + area
		status, _, body, err := b.get(e, path)
		if err != nil || status != http.StatusOK {
			e.Errorf(r, "%s: status %d, %v", path, status, err)
			continue
		}
		var got []versionKey
		for _, m := range hitRE.FindAllStringSubmatch(body, -1) {
			t, err := time.Parse(time.RFC3339Nano, html.UnescapeString(m[2]))
			if err != nil {
				e.Errorf(r, "%s: hit %s: version %q: %v", path, m[1], m[2], err)
				continue
			}
			got = append(got, versionKey{html.UnescapeString(m[3]), m[1], t.UnixMicro()})
		}
		noStrangers(e, r, "page "+path, []string{body}, visible)
		if len(want) <= edtShown && !strings.Contains(body, "Many objects carry this label") {
			compareKeys(e, r, "page "+path, got, nil, want)
			continue
		}
		// More than the page shows: what it shows must all be wanted.
		wantBy := map[versionKey]bool{}
		for _, o := range want {
			wantBy[o.key()] = true
		}
		for _, k := range got {
			if !wantBy[k] {
				e.Errorf(r, "LEAK page %s: received %s, which the reference hides", path, k)
			}
		}
		if len(got) != edtShown {
			e.Errorf(r, "page %s: %d objects listed of the %d labelled, want %d", path, len(got), len(want), edtShown)
		}
	}
}
