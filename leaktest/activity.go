package leaktest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// CountPaths are the read paths that count rather than list: the
// activity timeline (/activity), which the store counts in its query.
func CountPaths() []ReadPath {
	return []ReadPath{webActivity{}}
}

var (
	activitySeriesRE = regexp.MustCompile(`<li data-series="([^"]+)" data-total="(\d+)">`)
	activityOtherRE  = regexp.MustCompile(`<li data-total="(\d+)">`)
)

// webActivity reads the activity timeline over every day the world was
// written on, split by collection, type and originator: each series
// counts exactly the versions the reference lets the reader read (the
// smaller series summed as "others" add up to the rest), and no
// collection the reader may not read appears.
type webActivity struct{}

func (webActivity) Name() string { return "web/activity" }
func (webActivity) everyReader() {}

func (webActivity) Check(e *Env, r *User) {
	b := browserFor(e, r)
	from := e.World.Start.AddDate(0, 0, -1)
	to := e.Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	days := int(to.Sub(from)/(24*time.Hour)) + 1
	if r.Token == "" {
		status, h, _, err := b.get(e, "/activity")
		if err != nil || status != http.StatusSeeOther || h.Get("Location") == "" {
			e.Errorf(r, "/activity without a session: status %d err %v, want the sign-in form", status, err)
		}
		return
	}
	want := map[string]map[string]int{"collection": {}, "type": {}, "originator": {}}
	total := 0
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		all := e.Expected(r.Principal, c, All)
		e.stats.Versions.Add(int64(len(all)))
		total += len(all)
		if len(all) > 0 {
			want["collection"][c.ID] = len(all)
		}
		for _, o := range all {
			want["type"][o.Type]++
			want["originator"][o.Originator()]++
		}
	}
	for _, split := range []string{"collection", "type", "originator"} {
		path := "/activity?split=" + split + "&days=" + strconv.Itoa(days) + "&to=" + to.Format("2006-01-02")
		status, _, body, err := b.get(e, path)
		if err != nil || status != http.StatusOK {
			e.Errorf(r, "web activity by %s: status %d err %v: %s", split, status, err, truncateBody([]byte(body)))
			continue
		}
		got, sum := map[string]int{}, 0
		for _, m := range activitySeriesRE.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.Atoi(m[2])
			got[m[1]] = n
			sum += n
		}
		other := 0
		if m := activityOtherRE.FindStringSubmatch(body); m != nil {
			other, _ = strconv.Atoi(m[1])
		}
		rest := 0
		for k, n := range want[split] {
			if _, ok := got[k]; !ok {
				rest += n
			}
		}
		for k, n := range got {
			switch w := want[split][k]; {
			case n > w:
				e.Errorf(r, "LEAK web activity by %s: counts %d for %s, the reference %d", split, n, k, w)
			case n < w:
				e.Errorf(r, "web activity by %s: counts %d for %s, the reference %d", split, n, k, w)
			}
		}
		switch {
		case other > rest:
			e.Errorf(r, "LEAK web activity by %s: the others count %d, the reference %d", split, other, rest)
		case other < rest:
			e.Errorf(r, "web activity by %s: the others count %d, the reference %d", split, other, rest)
		}
		if sum+other > total {
			e.Errorf(r, "LEAK web activity by %s: %d versions in all, the reference %d", split, sum+other, total)
		}
		if split == "collection" {
			for _, c := range e.World.Collections {
				if !e.MayReadCollection(r.Principal, c) && (got[c.ID] > 0 || strings.Contains(body, c.ID)) {
					e.Errorf(r, "LEAK web activity: names collection %s, which the reader may not read", c.Key)
				}
			}
		}
	}
}
