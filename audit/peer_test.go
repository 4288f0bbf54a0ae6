package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"liaison"
	"liaison/audit"
)

// TestPeerServedAndReceived serves a page and the change feed to a peer
// office through the audited federation, has a second office receive
// them, and finds each step in the two logs: the grant and the pull set
// up, the versions served (and who received them, the peer among them)
// and the versions received.
func TestPeerServedAndReceived(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			must := mustOf(t)
			// The serving office.
			sw := openAudited(t, b)
			src, srcLog, st := sw.s, sw.log, sw.st
			srcPeers := audit.NewPeerService(src.(liaison.PeerService), srcLog)
			must(st.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
			must(st.CreateOrganisation(ctx, liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Partner}))
			usa := liaison.Principal{Name: "usa-analyst", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
			must(st.CreateUser(ctx, &usa, "correct horse"))
			coll := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
			must(st.CreateCollection(ctx, &coll))
			day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			ids := []string{"indicator--11111111-1111-4111-8111-111111111111", "malware--22222222-2222-4222-8222-222222222222"}
			var cands []liaison.Candidate
			for _, id := range ids {
				c := candidate(id, day)
				c.MarkingRefs = []string{liaison.TLPGreenID}
				cands = append(cands, c)
			}
			if _, err := st.AddObjects(ctx, usa, coll.ID, cands); err != nil {
				t.Fatal(err)
			}
			if _, err := srcPeers.AllowPeer(ctx, "brussels", []string{"USA"}); err != nil {
				t.Fatal(err)
			}
			grant := liaison.PeerGrant{Name: "brussels", Serves: []string{"USA"}}
			page, err := srcPeers.PeerObjects(ctx, grant, coll.ID, time.Time{}, 100)
			must(err)
			if len(page.Versions) != 2 {
				t.Fatalf("the peer is served %d versions, want 2", len(page.Versions))
			}
			_, err = srcPeers.PeerChanges(ctx, grant, 0, 100)
			must(err)
			must(srcLog.Close())

			// The pulling office.
			dw := openAudited(t, b)
			dst, dstLog, dstStore := dw.s, dw.log, dw.st
			dstPeers := audit.NewPeerService(dst.(liaison.PeerService), dstLog)
			must(dstStore.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
			local := liaison.Collection{Title: "From Tokyo", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
			must(dstStore.CreateCollection(ctx, &local))
			must(dstPeers.AddPeerPull(ctx, liaison.PeerPull{Name: "tokyo", URL: "https://tokyo.example/taxii2/tokyo/", Token: "secret",
				Collections: []liaison.PeerCollection{{Remote: coll.ID, Local: local.ID}}}))
			for i := range page.Versions {
				c := cands[i]
				page.Versions[i].Candidate = c
			}
			r, err := dstPeers.ReceivePeerPage(ctx, "tokyo", coll.ID, page.Versions, page.Versions[1].DateAdded)
			must(err)
			if r.Written != 2 {
				t.Fatalf("received %+v, want 2 written", r)
			}
			must(dstLog.Close())

			type want struct{ action, op, principal string }
			check := func(entries []audit.Entry, wants []want, versions map[string][]string) {
				t.Helper()
				if len(entries) != len(wants) {
					for _, e := range entries {
						t.Logf("%s %s %s %v", e.Action, e.Op, e.Principal, e.Refs)
					}
					t.Fatalf("%d entries, want %d", len(entries), len(wants))
				}
				for i, w := range wants {
					e := entries[i]
					if e.Action != w.action || e.Op != w.op || e.Principal != w.principal {
						t.Errorf("entry %d: %s %s by %s; want %s %s by %s", i, e.Action, e.Op, e.Principal, w.action, w.op, w.principal)
					}
					if want, ok := versions[e.Op]; ok {
						var got []string
						for _, r := range e.Refs {
							got = append(got, r.ID+"@"+r.Version)
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							t.Errorf("%s names %v, want %v", e.Op, got, want)
						}
						if e.Path != audit.PathPeer {
							t.Errorf("%s is on path %q, want %q", e.Op, e.Path, audit.PathPeer)
						}
					}
				}
			}
			served := []string{ids[0] + "@2024-03-01T00:00:00Z", ids[1] + "@2024-03-01T00:00:00Z"}
			var got []audit.Entry
			must(audit.Entries(ctx, src.DB(), audit.Filter{After: -1}, func(e audit.Entry) error { got = append(got, e); return nil }))
			check(got, []want{
				{audit.ActionDirectory, "CreateOrganisation", audit.OperatorName},
				{audit.ActionDirectory, "CreateOrganisation", audit.OperatorName},
				{audit.ActionUser, "CreateUser", audit.OperatorName},
				{audit.ActionCollection, "CreateCollection", audit.OperatorName},
				{audit.ActionWrite, "AddObjects", "usa-analyst"},
				{audit.ActionPeer, "AllowPeer", audit.OperatorName},
				{audit.ActionRead, "PeerObjects", audit.PeerPrincipal("brussels")},
			}, map[string][]string{"PeerObjects": served})

			admin := liaison.Principal{Name: "admin", Roles: []liaison.Role{liaison.RoleAdmin}}
			rs, ok, err := audit.WhoReceived(ctx, src.DB(), admin, ids[0], nil, 0)
			must(err)
			if !ok || len(rs) != 1 || rs[0].Principal != audit.PeerPrincipal("brussels") || rs[0].Path != audit.PathPeer {
				t.Errorf("who received %s: %+v (ok %v), want the peer office brussels on the peer path", ids[0], rs, ok)
			}

			got = nil
			must(audit.Entries(ctx, dst.DB(), audit.Filter{After: -1}, func(e audit.Entry) error { got = append(got, e); return nil }))
			check(got, []want{
				{audit.ActionDirectory, "CreateOrganisation", audit.OperatorName},
				{audit.ActionCollection, "CreateCollection", audit.OperatorName},
				{audit.ActionPeer, "AddPeerPull", audit.OperatorName},
				{audit.ActionWrite, "ReceivePeerPage", audit.PeerPrincipal("tokyo")},
			}, map[string][]string{"ReceivePeerPage": served})
		})
	}
}
