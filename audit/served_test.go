package audit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"liaison"
	"liaison/audit"
)

// TestWhoReceivedIsExact: a reader is served a page holding versions of
// A and B, but not of C, which was added between them and is TLP:RED
// (its originator's alone). The entry names the page by instance, and
// who-received reports the reader for A and B, never for C; after B is
// deleted, who received B is still answered; an entry of the format
// before (every version in refs) answers beside the new ones, and both
// verify.
func TestWhoReceivedIsExact(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := openAudited(t, b)
			s, key, l, st := w.s, w.key, w.log, w.st
			ctx := context.Background()
			must := mustOf(t)
			must(st.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
			must(st.CreateOrganisation(ctx, liaison.Organisation{Code: "NZL", Name: "New Zealand", Kind: liaison.Partner}))
			usa := liaison.Principal{Name: "usa-analyst", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
			nzl := liaison.Principal{Name: "nzl-analyst", Org: "NZL", Roles: []liaison.Role{liaison.RoleAnalyst}}
			admin := liaison.Principal{Name: "admin", Org: "USA", Roles: []liaison.Role{liaison.RoleAdmin}}
			must(st.CreateUser(ctx, &usa, ""))
			must(st.CreateUser(ctx, &nzl, ""))
			coll := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
			must(st.CreateCollection(ctx, &coll))

			const (
				a  = "indicator--aaaaaaaa-1111-4111-8111-111111111111"
				c  = "indicator--cccccccc-1111-4111-8111-111111111111"
				bb = "indicator--bbbbbbbb-1111-4111-8111-111111111111"
			)
			day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			red := candidate(c, day)
			red.MarkingRefs = []string{liaison.TLPRedID}
			// One write each, so that C's date_added lies between A's and B's.
			for _, cand := range []liaison.Candidate{candidate(a, day), red, candidate(bb, day)} {
				_, err := st.AddObjects(ctx, usa, coll.ID, []liaison.Candidate{cand})
				must(err)
			}
			page, err := st.Objects(ctx, nzl, coll.ID, liaison.ObjectQuery{})
			must(err)
			var ids []string
			for _, v := range page.Versions {
				ids = append(ids, v.ID)
			}
			if !slices.Equal(ids, []string{a, bb}) {
				t.Fatalf("NZL's page holds %v, want A and B only", ids)
			}
			_, err = st.Objects(ctx, usa, coll.ID, liaison.ObjectQuery{})
			must(err)
			_, err = st.DeleteObject(ctx, usa, coll.ID, bb, liaison.ObjectQuery{})
			must(err)
			// An entry of the format before: the read names each version.
			l.Record(audit.Entry{Principal: "old-reader", Org: "NZL", Action: audit.ActionRead, Path: audit.PathTAXII, Op: "Objects", Collection: coll.ID,
				Refs: []audit.Ref{{ID: a, Version: audit.VersionStamp(day)}}})
			must(l.Close())

			var reads []audit.Entry
			must(audit.Entries(ctx, s.DB(), audit.Filter{Action: audit.ActionRead, After: -1}, func(e audit.Entry) error { reads = append(reads, e); return nil }))
			if len(reads) != 3 || len(reads[0].Served) != 1 || reads[0].Served[0].N != 2 || len(reads[0].Refs) != 0 {
				t.Fatalf("read entries %+v: want NZL's page named by instance, 2 versions, and no refs", reads)
			}

			received := func(id string) []string {
				t.Helper()
				rs, ok, err := audit.WhoReceived(ctx, s.DB(), admin, id, nil, 0)
				must(err)
				if !ok {
					t.Fatal("an admin may not know who received it")
				}
				var who []string
				for _, r := range rs {
					for _, v := range r.Versions {
						who = append(who, r.Principal+"@"+v)
					}
				}
				return who
			}
			at := "@" + audit.VersionStamp(day)
			for _, tc := range []struct {
				id   string
				want []string
			}{
				{a, []string{"nzl-analyst" + at, "usa-analyst" + at, "old-reader" + at}},
				{bb, []string{"nzl-analyst" + at, "usa-analyst" + at}}, // deleted since: audit_gone
				{c, []string{"usa-analyst" + at}},                      // between A and B, never NZL's
			} {
				if got := received(tc.id); !slices.Equal(got, tc.want) {
					t.Errorf("who received %s: %v, want %v", tc.id, got, tc.want)
				}
			}
			// USA's officer, whose organisation originated A, sees NZL's read
			// of A cut to A: nothing of what else NZL was served.
			officer := liaison.Principal{Name: "usa-officer", Org: "USA", Roles: []liaison.Role{liaison.RoleOfficer}}
			seen := 0
			must(audit.EntriesFor(ctx, s.DB(), officer, audit.Filter{Object: a, After: -1}, map[string]bool{audit.VersionStamp(day): true}, func(e audit.Entry) error {
				if e.Org != "NZL" {
					return nil
				}
				seen++
				if len(e.Served) != 0 || e.Collection != "" || len(e.Refs) != 1 || e.Refs[0].ID != a {
					t.Errorf("NZL's entry %d as USA's officer sees it: served %v, collection %q, refs %v; want A alone", e.Index, e.Served, e.Collection, e.Refs)
				}
				return nil
			}))
			if seen != 2 {
				t.Errorf("USA's officer sees %d of NZL's reads of A, want 2", seen)
			}
			// The filter by object answers the same, with a limit that counts
			// entries shown, not index rows.
			var n int
			must(audit.Entries(ctx, s.DB(), audit.Filter{Object: c, After: -1, Action: audit.ActionRead, Limit: 1}, func(e audit.Entry) error {
				n++
				if e.Principal != "usa-analyst" || len(e.Refs) != 1 || e.Refs[0].ID != c {
					t.Errorf("entry %d for C: %s refs %v", e.Index, e.Principal, e.Refs)
				}
				return nil
			}))
			if n != 1 {
				t.Errorf("%d entries for C under a limit of 1, want 1", n)
			}
			if rep := verify(t, s.DB(), key); !rep.OK() {
				t.Fatalf("verify: %+v", rep)
			}
		})
	}
}
