package postgres_test

import (
	"context"
	"fmt"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/postgres"
)

// TestAudienceArmsMatchScan: a page read audience by audience (merged)
// gives exactly the pages of the walk along the collection, for readers
// of many and of few audiences and for every kind of version selection,
// and the merged plan is the one PostgreSQL runs for a reader of few.
func TestAudienceArmsMatchScan(t *testing.T) {
	s := open(t, time.Now)
	ctx := context.Background()
	for _, o := range []liaison.Organisation{
		{Code: "USA", Name: "United States", Kind: liaison.Ally},
		{Code: "FRA", Name: "France", Kind: liaison.Ally},
		{Code: "KOR", Name: "Korea", Kind: liaison.Partner},
	} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	writers := map[string]liaison.Principal{}
	for _, org := range []string{"USA", "FRA"} {
		p := liaison.Principal{Name: org + "-analyst", Org: org, Roles: []liaison.Role{liaison.RoleAnalyst}}
		if err := s.CreateUser(ctx, &p, ""); err != nil {
			t.Fatal(err)
		}
		writers[org] = p
	}
	c := liaison.Collection{Title: "shared", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	// Markings that give many audiences: TLP levels, and releasable_to
	// lists through hub markings written by USA.
	marks := [][]string{nil, {liaison.TLPGreenID}, {liaison.TLPAmberID}, {liaison.TLPRedID}, {liaison.TLPClearID}}
	for round := range 3 {
		for _, org := range []string{"USA", "FRA"} {
			var batch []liaison.Candidate
			for i := range 200 {
				id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, len(org))
				mod := time.Date(2025, 1, 1+round, 0, 0, 0, 0, time.UTC)
				if round > 0 && i%(round+2) != 0 {
					continue
				}
				typ := "indicator"
				var ends []string
				if i%5 == 4 {
					typ = "relationship"
					id = fmt.Sprintf("relationship--%08x-0000-4000-8000-%012x", i, len(org))
					ends = []string{fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i-1, len(org)), fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i-2, 3)}
				}
				raw := fmt.Sprintf(`{"id":%q,"modified":%q}`, id, mod.Format(time.RFC3339))
				batch = append(batch, liaison.Candidate{Index: i, ID: id, Type: typ, SpecVersion: "2.1", Created: mod, Modified: mod, Raw: []byte(raw), MarkingRefs: marks[(i+round)%len(marks)], Ends: ends})
			}
			if res, err := s.AddObjects(ctx, writers[org], c.ID, batch); err != nil || len(res.Rejected) > 0 {
				t.Fatalf("add: %v %+v", err, res.Rejected)
			}
		}
	}
	postgres.Analyze(s)
	readers := []liaison.Principal{writers["USA"], writers["FRA"], {Name: "k", Org: "KOR", Roles: []liaison.Role{liaison.RoleReader}}}
	queries := []liaison.ObjectQuery{
		{Limit: 7},
		{Limit: 50, Versions: []string{"all"}},
		{Limit: 13, Versions: []string{"first"}},
		{Limit: 13, Versions: []string{"first", "last"}, Types: []string{"relationship"}},
		{Limit: 1000, Manifest: true, SpecVersions: []string{"2.1"}},
		{Limit: 9, Versions: []string{"2025-01-02T00:00:00Z"}},
	}
	pages := func(arms int, r liaison.Principal, q liaison.ObjectQuery) (out []string) {
		postgres.SetAudienceArms(s, arms)
		for {
			page, err := s.Objects(ctx, r, c.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				out = append(out, fmt.Sprintf("%s@%s+%d", v.ID, v.Modified.Format(time.DateOnly), len(v.Raw)))
			}
			out = append(out, fmt.Sprintf("more=%v", page.More))
			if !page.More {
				return out
			}
			q.Next = page.Next
		}
	}
	for _, r := range readers {
		for _, q := range queries {
			scan, merged := pages(0, r, q), pages(8, r, q)
			if len(scan) < 2 {
				t.Errorf("%s %+v: reads nothing; the test proves little", r.Org, q)
			}
			if strings.Join(scan, "\n") != strings.Join(merged, "\n") {
				t.Errorf("%s %+v: audience by audience read %d entries, along the collection %d:\n%v\n%v", r.Org, q, len(merged), len(scan), merged, scan)
			}
		}
	}
	// The plan of a reader of few audiences walks each. (With so small a
	// table the test forbids sequential scans.)
	postgres.SetAudienceArms(s, 8)
	plan, r, all := postgres.PagePlan(t, s, "FRA", c.ID, liaison.ObjectQuery{Limit: 100, Versions: []string{"all"}})
	if r < 2 || r > 4 && 2*r > all {
		t.Fatalf("FRA may read %d of %d audiences: not a reader of few audiences, the test proves little", r, all)
	}
	if !strings.Contains(plan, "versions_audience_added") {
		t.Errorf("FRA, a reader of %d of %d audiences, should get walks of versions_audience_added; the plan is:\n%s", r, all, plan)
	}
	postgres.SetAudienceArms(s, 0)
	if plan, _, _ := postgres.PagePlan(t, s, "FRA", c.ID, liaison.ObjectQuery{Limit: 100, Versions: []string{"all"}}); strings.Contains(plan, "versions_audience_added") {
		t.Errorf("with no arms the page should walk the collection once; the plan is:\n%s", plan)
	}
}

// TestJITOff: the store's connections never compile queries with LLVM
// (see Open), unless the URL asks for it.
func TestJITOff(t *testing.T) {
	if got := postgres.Setting(t, open(t, time.Now), "jit"); got != "off" {
		t.Errorf("jit = %q, want off", got)
	}
	url := serverURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s := openIn(t, url+sep+"jit=on", schema(t, url), time.Now)
	if got := postgres.Setting(t, s, "jit"); got != "on" {
		t.Errorf("with jit=on in the URL: jit = %q, want on", got)
	}
}

// TestOpenMissingDatabase: a URL naming a database the server lacks is
// the user's mistake, said plainly, with how to fix it.
func TestOpenMissingDatabase(t *testing.T) {
	u, err := neturl.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/liaison_no_such_database"
	_, err = postgres.Open(context.Background(), u.String(), postgres.Options{Logger: quiet()})
	if liaison.ErrorCode(err) != liaison.EINVALID {
		t.Fatalf("err %v (code %s), want invalid", err, liaison.ErrorCode(err))
	}
	if msg := liaison.ErrorMessage(err); !strings.Contains(msg, `no database "liaison_no_such_database"`) || !strings.Contains(msg, "createdb liaison_no_such_database") {
		t.Errorf("message %q does not say the database is missing and how to create it", msg)
	}
}
