package web

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"liaison"
)

var countRE = regexp.MustCompile(`data-count="([^"]+)">([0-9]+(?:\+|&#43;)?)<`)

// homeCounts returns the home page's counts of what is new, by collection
// id ("total" for the sum).
func homeCounts(body string) map[string]string {
	out := map[string]string{}
	for _, m := range countRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = strings.ReplaceAll(m[2], "&#43;", "+")
	}
	return out
}

// TestHomeWhatsNew checks the counts of what was added since a time, for
// readers who may read different things: exactly the versions each may
// read, by collection and by type, and nothing of a collection they may
// not read.
func TestHomeWhatsNew(t *testing.T) {
	l := newLibrary(t, 4)
	ctx := context.Background()
	for _, user := range []string{"jpn", "kor", "usa"} {
		t.Run(user, func(t *testing.T) {
			b := l.signedIn(t, user)
			status, _, body := b.get("/?since=2000-01-01")
			if status != 200 {
				t.Fatalf("%d\n%s", status, body)
			}
			checkLayout(t, "home", body)
			if !strings.Contains(body, "New since") {
				t.Fatalf("the home page shows nothing new:\n%s", body)
			}
			got := homeCounts(body)
			total := 0
			for _, c := range []liaison.Collection{l.cyber, l.allies} {
				pg, err := l.store.Objects(ctx, l.users[user], c.ID, liaison.ObjectQuery{Versions: []string{"all"}, Manifest: true, Limit: 1000})
				if liaison.ErrorCode(err) == liaison.ENOTFOUND {
					if _, shown := got[c.ID]; shown || strings.Contains(body, c.ID) {
						t.Errorf("LEAK: %s's home names the collection %s", user, c.Title)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if got[c.ID] != strconv.Itoa(len(pg.Versions)) {
					t.Errorf("%s: count %q, want %d", c.Title, got[c.ID], len(pg.Versions))
				}
				total += len(pg.Versions)
				byType := map[string]int{}
				for _, v := range pg.Versions {
					byType[v.Type]++
				}
				for typ, n := range byType {
					if !strings.Contains(body, `data-type="`+typ+`" data-n="`+strconv.Itoa(n)+`"`) {
						t.Errorf("%s: no count of %d %s", c.Title, n, typ)
					}
				}
			}
			if got["total"] != strconv.Itoa(total) {
				t.Errorf("total %q, want %d", got["total"], total)
			}
		})
	}
	// Since the last write, nothing is new.
	_, _, body := l.signedIn(t, "usa").get("/?since=" + l.clk.Now().Add(time.Second).UTC().Format(time.RFC3339))
	if c := homeCounts(body); c["total"] != "0" {
		t.Errorf("nothing written since, yet counts %v", c)
	}
	// A bad since names the field.
	if status, _, body := l.signedIn(t, "usa").get("/?since=last-tuesday"); status != 400 || !strings.Contains(body, "field since") {
		t.Errorf("since=last-tuesday: %d", status)
	}
}

// TestHomeCountStops checks that counting stops at 1000 and says so.
func TestHomeCountStops(t *testing.T) {
	l := newLibrary(t, countCap+5)
	_, _, body := l.signedIn(t, "jpn").get("/?since=2000-01-01")
	if c := homeCounts(body); c[l.cyber.ID] != "1000+" || c["total"] != "1000+" {
		t.Errorf("counts %v, want 1000+", c)
	}
}

// TestHomeSinceLastVisit checks that "new" is measured from the user's
// previous visit.
func TestHomeSinceLastVisit(t *testing.T) {
	l := newLibrary(t, 2)
	b := l.signedIn(t, "jpn")
	b.get("/")
	first := l.clk.Now()
	l.clk.Set(first.Add(time.Hour))
	l.add(t, "kor", l.cyber.ID, []string{`{"type":"malware","spec_version":"2.1","id":"malware--6a7b8c9d-0e1f-4a2b-8c3d-5e6f7a8b9c0d","created":"2024-05-01T00:00:00.000Z","modified":"2024-05-01T00:00:00.000Z","name":"New one","is_family":false}`})
	_, _, body := l.signedIn(t, "jpn").get("/")
	if c := homeCounts(body); c[l.cyber.ID] != "1" {
		t.Errorf("after one write since the last visit, counts %v, want 1 in cyber", c)
	}
}
