package federation_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/federation"
	"liaison/postgres"
	"liaison/sqlite"
	"liaison/stix"
)

// store is what an office in these tests needs of its store.
type store interface {
	liaison.Store
	liaison.PeerService
}

// office is one office over real HTTP.
type office struct {
	name  string
	s     store
	srv   *httptest.Server
	users map[string]liaison.Principal // by org
}

const coll = "c0ffee00-0000-4000-8000-000000000001"

func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openSQLite(t *testing.T) store {
	s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres opens a store in a fresh schema when LIAISON_TEST_POSTGRES
// is set, else an SQLite one.
func openPostgres(t *testing.T) store {
	url := os.Getenv("LIAISON_TEST_POSTGRES")
	if url == "" {
		t.Log("LIAISON_TEST_POSTGRES is unset: Brussels runs on SQLite")
		return openSQLite(t)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "liaison_fed_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	})
	s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema, Logger: quiet(), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var kinds = map[string]liaison.OrgKind{"USA": liaison.Ally, "FRA": liaison.Ally, "DEU": liaison.Ally, "JPN": liaison.Partner, "KOR": liaison.Partner}

// newOffice makes an office with the organisations, a collection "cyber"
// everyone may read and write, an analyst per organisation, and serves its
// peer endpoint.
func newOffice(t *testing.T, name string, s store, orgs ...string) *office {
	ctx := context.Background()
	o := &office{name: name, s: s, users: map[string]liaison.Principal{}}
	for _, code := range orgs {
		if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: code, Name: code, Kind: kinds[code]}); err != nil {
			t.Fatal(err)
		}
		p := liaison.Principal{Name: strings.ToLower(code) + "-" + name, Org: code, Roles: []liaison.Role{liaison.RoleAnalyst}}
		if err := s.CreateUser(ctx, &p, ""); err != nil {
			t.Fatal(err)
		}
		o.users[code] = p
	}
	if err := s.CreateCollection(ctx, &liaison.Collection{ID: coll, Title: "Cyber", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/taxii2/api/peer/", federation.NewServer(s, "/taxii2/api/peer/", quiet()))
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

func (o *office) root() string { return o.srv.URL + "/taxii2/api/" }

// write adds objects as the analyst of org; each must be accepted.
func (o *office) write(t *testing.T, org string, raws ...string) {
	t.Helper()
	var cs []liaison.Candidate
	for i, r := range raws {
		c, err := stix.Decode(i, []byte(r))
		if err != nil {
			t.Fatalf("%s: decode %s: %v", o.name, r, err)
		}
		cs = append(cs, c)
	}
	res, err := o.s.AddObjects(context.Background(), o.users[org], coll, cs)
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("%s: write: %v %+v", o.name, err, res.Rejected)
	}
}

// reads returns, sorted, the ids that the user of org reads here.
func (o *office) reads(t *testing.T, org string) []string {
	t.Helper()
	page, err := o.s.Objects(context.Background(), o.users[org], coll, liaison.ObjectQuery{Versions: []string{liaison.VersionAll}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range page.Versions {
		ids = append(ids, strings.SplitN(v.ID, "--", 2)[1][:2])
	}
	slices.Sort(ids)
	return ids
}

// raws returns the stored bytes of id as org reads them.
func (o *office) raw(t *testing.T, org, id string) (string, string) {
	t.Helper()
	page, err := o.s.Objects(context.Background(), o.users[org], coll, liaison.ObjectQuery{IDs: []string{id}})
	if err != nil || len(page.Versions) != 1 {
		t.Fatalf("%s: %s reads %d versions of %s: %v", o.name, org, len(page.Versions), id, err)
	}
	return string(page.Versions[0].Raw), page.Versions[0].Originator
}

// allow grants peer a token at o and configures the pull at peer.
func link(t *testing.T, from, to *office, serves ...string) *federation.Puller {
	t.Helper()
	ctx := context.Background()
	tok, err := from.s.AllowPeer(ctx, to.name, serves)
	if err != nil {
		t.Fatal(err)
	}
	if err := to.s.AddPeerPull(ctx, liaison.PeerPull{Name: from.name, URL: from.root(), Token: tok,
		Collections: []liaison.PeerCollection{{Remote: coll, Local: coll}}}); err != nil {
		t.Fatal(err)
	}
	return &federation.Puller{Store: to.s, Log: quiet(), PageSize: 2}
}

func sync(t *testing.T, p *federation.Puller, from string) federation.Report {
	t.Helper()
	rep, err := p.Sync(context.Background(), from)
	if err != nil {
		t.Fatalf("sync from %s: %v", from, err)
	}
	return rep
}

// obj is an indicator whose id starts with tag (two hex digits), so that
// reads can be compared by tag. Its bytes are indented and hold a '<', so
// any re-encoding on the way would show.
func obj(tag string, markings ...string) string {
	refs := ""
	if len(markings) > 0 {
		refs = `,
  "object_marking_refs": ["` + strings.Join(markings, `","`) + `"]`
	}
	return fmt.Sprintf(`{
  "type": "indicator", "spec_version": "2.1",
  "id": "indicator--%s000000-0000-4000-8000-000000000000",
  "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
  "name": "a <b> & c", "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix",
  "valid_from": "2026-01-01T00:00:00Z"%s
}`, tag, refs)
}

func idOf(tag string) string { return "indicator--" + tag + "000000-0000-4000-8000-000000000000" }

func releasable(tag string, to ...string) string {
	return fmt.Sprintf(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--%s000000-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z",
"name":"REL TO %s","extensions":{"extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21":{"extension_type":"property-extension","releasable_to":["%s"]}}}`,
		tag, strings.Join(to, ", "), strings.Join(to, `","`))
}

func mdOf(tag string) string {
	return "marking-definition--" + tag + "000000-0000-4000-8000-000000000000"
}

func want(t *testing.T, o *office, org string, tags ...string) {
	t.Helper()
	got := o.reads(t, org)
	if tags == nil {
		tags = []string{}
	}
	if got == nil {
		got = []string{}
	}
	slices.Sort(tags)
	if !slices.Equal(got, tags) {
		t.Errorf("%s: %s reads %v, want %v", o.name, org, got, tags)
	}
}

// TestThreeOffices runs Tokyo (SQLite), Brussels (PostgreSQL when
// LIAISON_TEST_POSTGRES is set) and Vienna (SQLite) over real HTTP: Tokyo
// and Vienna pull from Brussels, Brussels pulls from Tokyo.
func TestThreeOffices(t *testing.T) {
	ctx := context.Background()
	bru := newOffice(t, "brussels", openPostgres(t), "USA", "FRA", "DEU", "JPN", "KOR")
	tok := newOffice(t, "tokyo", openSQLite(t), "USA", "FRA", "JPN")
	vie := newOffice(t, "vienna", openSQLite(t), "USA", "FRA", "DEU")
	if err := bru.s.CreateCommunity(ctx, liaison.Community{Name: "CYBERPARTNERS", Members: []string{"USA", "JPN"}}); err != nil {
		t.Fatal(err)
	}
	// Tokyo knows the community too; Vienna does not, so there it
	// narrows to the originator (rule 2).
	if err := tok.s.CreateCommunity(ctx, liaison.Community{Name: "CYBERPARTNERS", Members: []string{"USA", "JPN"}}); err != nil {
		t.Fatal(err)
	}
	tokFromBru := link(t, bru, tok, "JPN", "USA")
	vieFromBru := link(t, bru, vie, "FRA", "DEU")
	bruFromTok := link(t, tok, bru, "NATO")

	// Brussels: markings are objects too, and travel first.
	bru.write(t, "USA",
		releasable("a1", "JPN"), releasable("a2", "JPN", "FRA"), releasable("a3", "CYBERPARTNERS"), releasable("a4", "KOR"))
	bru.write(t, "USA",
		obj("b1", mdOf("a1")),                   // JPN (+USA originator)
		obj("b2", liaison.TLPRedID),             // RED, no list: stays (rule 6)
		obj("b3", liaison.TLPRedID, mdOf("a2")), // RED naming JPN, FRA: leaves
		obj("b4"),                               // everyone
		obj("b5", mdOf("a3")),                   // the community: USA, JPN
		obj("b6", liaison.TLPAmberStrictID),     // AMBER+STRICT, no list: stays
		obj("b7", mdOf("a4")),                   // KOR (+USA): Tokyo's JPN and USA serve USA
	)
	// Tokyo: a JPN object for everyone at Tokyo.
	tok.write(t, "JPN", releasable("c1", "ALL"), obj("d1"))

	sync(t, bruFromTok, "tokyo")
	sync(t, tokFromBru, "brussels")
	sync(t, vieFromBru, "brussels")

	// Brussels itself.
	want(t, bru, "USA", "a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "c1", "d1")
	want(t, bru, "JPN", "a1", "a2", "a3", "a4", "b1", "b3", "b4", "b5", "b6") // c1, d1: Tokyo served Brussels for NATO only
	// Tokyo: rule 1 (served JPN, USA), 2 (∩ with what Brussels computed), 6.
	want(t, tok, "JPN", "a1", "a2", "a3", "a4", "b1", "b3", "b4", "b5", "c1", "d1")
	want(t, tok, "USA", "a1", "a2", "a3", "a4", "b1", "b3", "b4", "b5", "b7", "c1", "d1")
	want(t, tok, "FRA", "c1", "d1") // Tokyo does not serve FRA for Brussels
	// Vienna: served FRA, DEU.
	want(t, vie, "FRA", "a1", "a2", "a3", "a4", "b3", "b4", "c1", "d1")
	want(t, vie, "DEU", "a1", "a2", "a3", "a4", "b4") // c1, d1: Tokyo served Brussels for NATO as Tokyo knows it, without DEU
	want(t, vie, "USA")                               // Vienna is served for FRA and DEU alone

	// Rules 3 and 4: the originator travels and the bytes do not change.
	for _, o := range []*office{tok, vie} {
		raw, orig := o.raw(t, "FRA", idOf("d1"))
		if raw != obj("d1") && o == vie {
			t.Errorf("%s: d1's bytes changed on the way:\n%s", o.name, raw)
		}
		if orig != "JPN" {
			t.Errorf("%s: d1's originator is %s, want JPN", o.name, orig)
		}
	}
	if raw, orig := tok.raw(t, "JPN", idOf("b1")); raw != obj("b1", mdOf("a1")) || orig != "USA" {
		t.Errorf("tokyo: b1 arrived as %s by %s", raw, orig)
	}

	// Rule 7: nothing bounces back, and a sync with nothing new writes
	// nothing.
	for _, p := range []struct {
		p    *federation.Puller
		from string
	}{{tokFromBru, "brussels"}, {vieFromBru, "brussels"}, {bruFromTok, "tokyo"}} {
		if rep := sync(t, p.p, p.from); rep.Written+rep.Pages+rep.Changes != 0 {
			t.Errorf("a second sync from %s did %+v", p.from, rep)
		}
	}
	if got := tok.reads(t, "JPN"); len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("tokyo holds d1 twice: %v", got)
	}

	// Rule 5: narrowing and deletion reach every office. The community
	// loses JPN at Brussels; b4 is deleted there.
	if err := bru.s.SetCommunityMembers(ctx, "CYBERPARTNERS", []string{"USA"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bru.s.DeleteObject(ctx, bru.users["USA"], coll, idOf("b4"), liaison.ObjectQuery{}); err != nil {
		t.Fatal(err)
	}
	sync(t, tokFromBru, "brussels")
	sync(t, vieFromBru, "brussels")
	want(t, tok, "JPN", "a1", "a2", "a3", "a4", "b1", "b3", "c1", "d1")
	want(t, tok, "USA", "a1", "a2", "a3", "a4", "b1", "b3", "b5", "b7", "c1", "d1")
	want(t, vie, "FRA", "a1", "a2", "a3", "a4", "b3", "c1", "d1")

	// A directory change at the pulling side narrows too, and never
	// widens past what was carried: Tokyo gives FRA the community.
	if err := tok.s.SetCommunityMembers(ctx, "CYBERPARTNERS", []string{"FRA", "JPN", "USA"}); err != nil {
		t.Fatal(err)
	}
	want(t, tok, "FRA", "c1", "d1")
	want(t, tok, "JPN", "a1", "a2", "a3", "a4", "b1", "b3", "c1", "d1")

	// Status: cursors and last success.
	pulls, err := tok.s.PeerPulls(ctx)
	if err != nil || len(pulls) != 1 || pulls[0].LastOK.IsZero() || pulls[0].LastError != "" || len(pulls[0].Cursors) != 1 || pulls[0].Cursors[0].Received == 0 {
		t.Errorf("tokyo's status: %+v %v", pulls, err)
	}

	// Rule 8: a removed grant gives a clear error in the status.
	if err := bru.s.RemovePeerGrant(ctx, "tokyo"); err != nil {
		t.Fatal(err)
	}
	if _, err := tokFromBru.Sync(ctx, "brussels"); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("sync with a removed grant: %v", err)
	}
	// A peer that is down.
	vie.srv.Close()
	if _, err := bruFromTok.Sync(ctx, "tokyo"); err != nil {
		t.Errorf("tokyo is up: %v", err)
	}
	bru.srv.Close()
	if _, err := vieFromBru.Sync(ctx, "brussels"); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("sync from a peer that is down: %v", err)
	}
	pulls, err = vie.s.PeerPulls(ctx)
	if err != nil || len(pulls) != 1 || !strings.Contains(pulls[0].LastError, "unreachable") || pulls[0].Failures != 1 {
		t.Errorf("vienna's status after a failure: %+v %v", pulls, err)
	}
}

// TestBadObjectAmongGood serves, from a broken office, a page with a bad
// object and a duplicate among good ones: the good land once, the bad is
// rejected with its reason.
func TestBadObjectAmongGood(t *testing.T) {
	ctx := context.Background()
	tok := newOffice(t, "tokyo", openSQLite(t), "USA", "JPN")
	added := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	serves := 0
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/changes/") {
			fmt.Fprint(w, `{"next":0,"more":false,"changes":[]}`)
			return
		}
		if r.URL.Query().Get("added_after") != "" && serves > 0 {
			fmt.Fprint(w, `{"more":false,"objects":[],"x_liaison_peer":[]}`)
			return
		}
		serves++
		f := func(tag string, i int) string {
			return fmt.Sprintf(`{"id":%q,"version":"2026-01-01T00:00:00.000000Z","date_added":%q,"originator":"USA","audience":["JPN","USA"]}`,
				idOf(tag), added.Add(time.Duration(i)*time.Second).Format("2006-01-02T15:04:05.000000Z"))
		}
		w.Header().Set("X-TAXII-Date-Added-Last", added.Add(4*time.Second).Format(time.RFC3339Nano))
		fmt.Fprintf(w, `{"more":false,"objects":[%s,{"type":"indicator","id":%q},%s,%s],"x_liaison_peer":[%s,%s,%s,%s]}`,
			obj("e1"), idOf("e2"), obj("e3"), obj("e1"), f("e1", 1), f("e2", 2), f("e3", 3), f("e1", 4))
	}))
	defer bad.Close()
	if err := tok.s.AddPeerPull(ctx, liaison.PeerPull{Name: "broken", URL: bad.URL + "/taxii2/api/", Token: "liapeer_x",
		Collections: []liaison.PeerCollection{{Remote: coll, Local: coll}}}); err != nil {
		t.Fatal(err)
	}
	p := &federation.Puller{Store: tok.s, Log: quiet()}
	rep, err := p.Sync(ctx, "broken")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != 2 || rep.Present != 1 || rep.Rejected != 1 {
		t.Errorf("report %+v, want 2 written, 1 present, 1 rejected", rep)
	}
	want(t, tok, "JPN", "e1", "e3")
	pulls, _ := tok.s.PeerPulls(ctx)
	if len(pulls) != 1 || len(pulls[0].Rejects) != 1 || pulls[0].Rejects[0].ID != idOf("e2") || !strings.Contains(pulls[0].Rejects[0].Message, "e2") {
		t.Errorf("rejects: %+v", pulls)
	}
	// Delivered again (a cursor lost): present, not duplicated.
	serves = 0
	if err := tok.s.RemovePeerPull(ctx, "broken"); err != nil {
		t.Fatal(err)
	}
	if err := tok.s.AddPeerPull(ctx, liaison.PeerPull{Name: "broken", URL: bad.URL + "/taxii2/api/", Token: "liapeer_x",
		Collections: []liaison.PeerCollection{{Remote: coll, Local: coll}}}); err != nil {
		t.Fatal(err)
	}
	if rep, err := p.Sync(ctx, "broken"); err != nil || rep.Written != 0 || rep.Present != 3 {
		t.Errorf("duplicate delivery: %+v %v", rep, err)
	}
	want(t, tok, "JPN", "e1", "e3")
}
