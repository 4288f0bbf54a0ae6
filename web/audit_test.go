package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/audit"
	"liaison/auth"
	"liaison/sqlite"
	"liaison/stix"
)

// TestAuditPage: the audit page and "Who received this" under the rule:
// an admin reads all; USA's officer reads USA's principals' entries and
// who received the object USA originated (never what else those readers
// received); FRA's officer sees nothing of USA's object's receivers; an
// analyst is refused and not offered the page. Bad fields are 400s that
// name the field.
func TestAuditPage(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Logger: logger, Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := audit.New(st.DB(), audit.Options{FlushEvery: 5 * time.Millisecond, Logger: logger})
	defer l.Close()
	s := audit.NewStore(st, l)
	for _, o := range []liaison.Organisation{{Code: "NATO-IS", Name: "NATO IS", Kind: liaison.NATOBody}, {Code: "USA", Name: "United States", Kind: liaison.Ally}, {Code: "FRA", Name: "France", Kind: liaison.Ally}, {Code: "JPN", Name: "Japan", Kind: liaison.Partner}} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	users := map[string]liaison.Principal{}
	for _, u := range []liaison.Principal{
		{Name: "admin", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAdmin}},
		{Name: "usa-officer", Org: "USA", Roles: []liaison.Role{liaison.RoleOfficer}},
		{Name: "fra-officer", Org: "FRA", Roles: []liaison.Role{liaison.RoleOfficer}},
		{Name: "jpn-analyst", Org: "JPN", Roles: []liaison.Role{liaison.RoleAnalyst}},
	} {
		if err := s.CreateUser(ctx, &u, u.Name+"-password"); err != nil {
			t.Fatal(err)
		}
		users[u.Name] = u
	}
	coll := liaison.Collection{ID: "c0ffee00-0000-4000-8000-00000000000a", Title: "Cyber", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := s.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	write := func(who, id string) {
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, id)
		c, err := stix.Decode(0, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.AddObjects(ctx, users[who], coll.ID, []liaison.Candidate{c}); err != nil || len(res.Rejected) > 0 {
			t.Fatalf("write %s: %v %+v", id, err, res)
		}
	}
	usaObj, fraObj := "indicator--0000000a-0000-4000-8000-000000000001", "indicator--0000000a-0000-4000-8000-000000000002"
	// usa-officer writes usaObj; fra-officer writes fraObj; both are
	// written by officers (officers hold analyst).
	write("usa-officer", usaObj)
	write("fra-officer", fraObj)
	srv, err := NewServer(Services{Store: s, Consultations: s, Decisions: s, Audit: st.DB()}, auth.New(s, auth.Options{Logger: logger}), Config{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	o := &office{t: t, srv: httptest.NewServer(audit.Paths(srv))}
	defer o.srv.Close()
	get := func(path, user string) (int, string) {
		t.Helper()
		code, _, body := o.get(t, path, user, user+"-password")
		return code, body
	}
	// JPN reads the list (both objects on one page), and each object page.
	if code, _ := get("/collections/"+coll.ID+"/objects", "jpn-analyst"); code != 200 {
		t.Fatalf("list as jpn: %d", code)
	}
	for _, id := range []string{usaObj, fraObj} {
		if code, _ := get("/collections/"+coll.ID+"/objects/"+id, "jpn-analyst"); code != 200 {
			t.Fatalf("object as jpn: %d", code)
		}
	}
	// Wait until JPN's reads are appended.
	for deadline := time.Now().Add(5 * time.Second); ; {
		n := 0
		audit.Entries(ctx, st.DB(), audit.Filter{Principal: "jpn-analyst", Object: fraObj, After: -1}, func(audit.Entry) error { n++; return nil })
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("JPN's reads were not appended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rowOrg := regexp.MustCompile(`<tr data-entry="\d+" data-principal="([^"]*)" data-org="([^"]*)">`)
	orgs := func(body string) map[string]bool {
		out := map[string]bool{}
		for _, m := range rowOrg.FindAllStringSubmatch(body, -1) {
			out[m[2]] = true
		}
		return out
	}
	code, body := get("/audit?limit=1000", "admin")
	if code != 200 || !orgs(body)["JPN"] || !orgs(body)["USA"] || !orgs(body)["FRA"] || !strings.Contains(body, `href="/audit"`) {
		t.Fatalf("admin: %d, orgs %v", code, orgs(body))
	}
	// JPN's list page is recorded with its versions named by instance;
	// the page names them by id again, as a person reads them.
	listed := false
	for _, row := range strings.Split(body, "<tr data-entry=") {
		if strings.Contains(row, `data-principal="jpn-analyst"`) && strings.Contains(row, "<td>Objects via ") && !strings.Contains(row, "ExplainAudience") {
			listed = listed || strings.Contains(row, "<code>"+usaObj+" @ ") && strings.Contains(row, "<code>"+fraObj+" @ ")
		}
	}
	if !listed {
		t.Error("the admin's audit page does not name the versions of JPN's list page by id")
	}
	code, body = get("/audit?limit=1000", "usa-officer")
	if got := orgs(body); code != 200 || len(got) != 1 || !got["USA"] {
		t.Fatalf("usa officer's audit: %d, orgs %v", code, got)
	}
	if code, body := get("/audit?org=FRA", "usa-officer"); code != 200 || len(orgs(body)) != 0 {
		t.Fatalf("usa officer asking for FRA's entries: %d, orgs %v", code, orgs(body))
	}
	// Who received USA's object: JPN, with only that object named.
	code, body = get("/audit?object="+usaObj, "usa-officer")
	if code != 200 || !orgs(body)["JPN"] {
		t.Fatalf("usa officer, object %s: %d, orgs %v", usaObj, code, orgs(body))
	}
	if strings.Contains(body, fraObj) {
		t.Error("the entries of who received USA's object name FRA's object too (JPN read both on one list page)")
	}
	if code, body := get("/audit?object="+fraObj, "usa-officer"); code != 200 || orgs(body)["JPN"] || orgs(body)["FRA"] {
		t.Fatalf("usa officer, FRA's object: %d, orgs %v", code, orgs(body))
	}
	// The object page.
	_, body = get("/collections/"+coll.ID+"/objects/"+usaObj, "usa-officer")
	if !strings.Contains(body, "Who received this") || !strings.Contains(body, `data-received="jpn-analyst" data-org="JPN"`) {
		t.Error("usa officer's object page lacks who received it")
	}
	_, body = get("/collections/"+coll.ID+"/objects/"+usaObj, "fra-officer")
	if strings.Contains(body, "Who received this") || strings.Contains(body, "jpn-analyst") {
		t.Error("FRA's officer sees who received USA's object")
	}
	_, body = get("/collections/"+coll.ID+"/objects/"+fraObj, "admin")
	if !strings.Contains(body, `data-received="jpn-analyst"`) {
		t.Error("the admin's object page lacks who received it")
	}
	// Nobody else reads any.
	if code, body := get("/audit", "jpn-analyst"); code != 403 || strings.Contains(body, "data-entry") {
		t.Errorf("an analyst: %d", code)
	}
	if _, home := get("/", "jpn-analyst"); strings.Contains(home, `href="/audit"`) {
		t.Error("an analyst is offered the audit page")
	}
	for _, c := range []struct{ q, want string }{
		{"since=yesterday", "field since"},
		{"limit=0", "field limit"},
		{"limit=5000", "field limit"},
		{"action=peek", "field action"},
		{"colour=red", "field colour is unknown"},
	} {
		code, body := get("/audit?"+c.q, "admin")
		if code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("/audit?%s: %d, want 400 naming %q", c.q, code, c.want)
		}
	}
}
