package web

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"liaison"
	"liaison/audit"
	"liaison/auth"
	"liaison/sqlite"
)

// TestPeersPage: an admin sees each peer with its last error and the
// objects it sent that were refused; anyone else is refused the page and
// is not offered it.
func TestPeersPage(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Logger: logger, Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateOrganisation(ctx, liaison.Organisation{Code: "NATO-IS", Name: "NATO IS", Kind: liaison.NATOBody}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []liaison.Principal{{Name: "admin", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAdmin}}, {Name: "reader", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleReader}}} {
		if err := st.CreateUser(ctx, &u, u.Name+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	coll := liaison.Collection{ID: "c0ffee00-0000-4000-8000-000000000009", Title: "Cyber", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}
	if err := st.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AllowPeer(ctx, "vienna", []string{"NATO"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddPeerPull(ctx, liaison.PeerPull{Name: "brussels", URL: "https://brussels.example.org/taxii2/api/", Token: "liapeer_secret-token",
		Collections: []liaison.PeerCollection{{Remote: coll.ID, Local: coll.ID}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.NotePeerSync(ctx, "brussels", "peer brussels at https://brussels.example.org/taxii2/api/ is unreachable: connection refused"); err != nil {
		t.Fatal(err)
	}
	bad := liaison.PeerVersion{ID: "indicator--00000000-0000-4000-8000-000000000001", Originator: "USA", Fault: "object 0 (indicator--00000000-0000-4000-8000-000000000001): it has no pattern"}
	if _, err := st.ReceivePeerPage(ctx, "brussels", coll.ID, []liaison.PeerVersion{bad}, bad.DateAdded); err != nil {
		t.Fatal(err)
	}
	// This office witnesses brussels' audit log, which showed a rollback.
	k, err := audit.CreateKey(t.TempDir(), audit.OriginFor("BRUSSELS"))
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.SetWitnessed(ctx, st.DB(), "brussels", k.VerifierKey); err != nil {
		t.Fatal(err)
	}
	tx, err := st.DB().Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE audit_witnessed SET size = 700, seen_us = 1, alarm = 'rollback: it serves a checkpoint of size 551', alarm_us = 2 WHERE peer = 'brussels'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Services{Store: st, Consultations: st, Decisions: st, Peers: st, Audit: st.DB()}, auth.New(st, auth.Options{Logger: logger}), Config{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	o := &office{t: t, srv: httptest.NewServer(srv)}
	defer o.srv.Close()

	code, _, body := o.get(t, "/peers", "admin", "admin-password")
	if code != 200 {
		t.Fatalf("admin: %d\n%s", code, body)
	}
	for _, want := range []string{"brussels", "is unreachable: connection refused", "1 failure in a row", "it has no pattern", "vienna", "NATO", `href="/peers"`,
		"witnessed: cosigned its checkpoint of size 700", `role="alert"><strong>Alarm: rollback: it serves a checkpoint of size 551`} {
		if !strings.Contains(body, want) {
			t.Errorf("the peers page lacks %q", want)
		}
	}
	if strings.Contains(body, "secret-token") {
		t.Error("the peers page shows a peer's token")
	}
	code, _, body = o.get(t, "/peers", "reader", "reader-password")
	if code != 403 || strings.Contains(body, "brussels") {
		t.Errorf("a reader: %d, and the page names the peer: %v", code, strings.Contains(body, "brussels"))
	}
	if _, _, home := o.get(t, "/", "reader", "reader-password"); strings.Contains(home, `href="/peers"`) {
		t.Error("a reader is offered the peers page")
	}
}
