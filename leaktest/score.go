package leaktest

import (
	"net/http"
	"regexp"
	"strings"
)

// webScoreList reads the lists filtered on the decay score: the list of
// some collections the reader may read, with score_min=0, shows every
// indicator's score, which must count exactly the sightings of it the
// reader may read and restart at the latest of them (compareScore), as
// on its page; a score filter lists nothing that is not an indicator;
// and a hidden indicator and a missing one give the same page.
type webScoreList struct{}

func (webScoreList) Name() string { return "web/score-list" }

var scoreRowRE = regexp.MustCompile(`(?s)<tr data-version="([^"@]+)@[^"]*"(.*?)</tr>`)
var scoreTagRE = regexp.MustCompile(`data-score="\d+" data-sightings="(\d+)" data-since="([^"]+)"`)

func (webScoreList) Check(e *Env, r *User) {
	b := browserFor(e, r)
	for _, c := range e.someReadable(r, 3) {
		base := "/collections/" + c.ID + "/objects?score_min=0&limit=50"
		status, _, body, err := b.get(e, base)
		if err != nil || status != http.StatusOK {
			e.Errorf(r, "web %s list score_min=0: status %d err %v: %s", c.Key, status, err, truncateBody([]byte(body)))
			continue
		}
		visible := visibleIDs(e.Expected(r.Principal, c, Last))
		for _, m := range scoreRowRE.FindAllStringSubmatch(body, -1) {
			id := m[1]
			if !visible[id] {
				e.Errorf(r, "LEAK web %s list score_min=0 shows %s, which the reference hides there", c.Key, id)
				continue
			}
			if !strings.HasPrefix(id, "indicator--") {
				e.Errorf(r, "web %s list score_min=0 shows %s, which has no score", c.Key, id)
				continue
			}
			t := scoreTagRE.FindStringSubmatch(m[2])
			if t == nil {
				e.Errorf(r, "web %s list score_min=0: the row of %s shows no score", c.Key, id)
				continue
			}
			compareScore(e, r, c, "list score_min=0", id, t[1], t[2])
		}
		hiddenHere, elsewhere := e.Hidden(r.Principal, c, 1)
		for _, h := range append(hiddenHere, elsewhere...) {
			m := e.Missing(h)
			b.samePage(e, r, "web "+c.Key+" list score_min=0 id="+h, base+"&id="+h, h, base+"&id="+m, m)
		}
	}
}
