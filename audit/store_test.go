package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/audit"
)

func candidate(id string, modified time.Time, ends ...string) liaison.Candidate {
	typ, _, _ := strings.Cut(id, "--")
	ts := modified.UTC().Format(time.RFC3339Nano)
	body := `"name":"x"`
	if len(ends) == 2 {
		body = fmt.Sprintf(`"relationship_type":"uses","source_ref":%q,"target_ref":%q`, ends[0], ends[1])
	}
	raw := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":%q,"modified":%q,%s}`, typ, id, ts, ts, body)
	return liaison.Candidate{ID: id, Type: typ, SpecVersion: "2.1", Created: modified, Modified: modified, Raw: []byte(raw), Ends: ends}
}

// TestEveryKindRecorded performs one of every recorded kind of action
// through the auditing store, on the path a request would mark, and
// finds each in the log with the right principal, path and versions.
func TestEveryKindRecorded(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			w := openAudited(t, b)
			s, key, l, st := w.s, w.key, w.log, w.st
			ctx := context.Background()
			must := mustOf(t)
			must(st.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
			must(st.CreateOrganisation(ctx, liaison.Organisation{Code: "JPN", Name: "Japan", Kind: liaison.Partner}))
			must(st.CreateCommunity(ctx, liaison.Community{Name: "PACIFIC", Members: []string{"USA", "JPN"}}))
			must(st.SetCommunityMembers(ctx, "PACIFIC", []string{"USA"}))
			ag := liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, Name: "PSA", MaxClassification: liaison.NATOConfidential}
			must(st.CreateAgreement(ctx, &ag))
			ag.Until = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			must(st.UpdateAgreement(ctx, ag))
			must(st.RecomputeAudiences(ctx))
			usa := liaison.Principal{Name: "usa-analyst", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
			must(st.CreateUser(ctx, &usa, "correct horse"))
			must(st.SetPassword(ctx, "usa-analyst", "battery staple"))
			tok, secret, err := st.CreateToken(ctx, "usa-analyst")
			must(err)
			coll := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
			must(st.CreateCollection(ctx, &coll))

			api := audit.WithPath(ctx, audit.PathAPI)
			taxii := audit.WithPath(ctx, audit.PathTAXII)
			if _, err := st.Authenticate(api, "usa-analyst", "wrong"); err == nil {
				t.Fatal("a wrong password passes")
			}
			if _, err := st.Authenticate(api, "usa-analyst", "battery staple"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.PrincipalByToken(taxii, secret); err != nil {
				t.Fatal(err)
			}
			if _, err := st.PrincipalByToken(taxii, secret); err != nil { // within a minute: not recorded again
				t.Fatal(err)
			}
			day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			ind, mal, rel := "indicator--11111111-1111-4111-8111-111111111111", "malware--22222222-2222-4222-8222-222222222222", "relationship--33333333-3333-4333-8333-333333333333"
			bad := candidate("indicator--44444444-4444-4444-8444-444444444444", day)
			bad.MarkingRefs = []string{"marking-definition--00000000-0000-4000-8000-000000000000"}
			res, err := st.AddObjects(taxii, usa, coll.ID, []liaison.Candidate{candidate(ind, day), candidate(mal, day), candidate(rel, day, ind, mal), bad})
			must(err)
			if len(res.Rejected) != 1 {
				t.Fatalf("want the unknown marking rejected: %+v", res)
			}
			page, err := st.Objects(taxii, usa, coll.ID, liaison.ObjectQuery{})
			must(err)
			if len(page.Versions) != 3 {
				t.Fatalf("read %d versions", len(page.Versions))
			}
			if _, _, err := st.Related(audit.WithPath(ctx, audit.PathGraph), usa, ind, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := st.ExplainAudience(audit.WithPath(ctx, audit.PathPages), usa, coll.ID, ind, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.DeleteObject(api, usa, coll.ID, mal, liaison.ObjectQuery{Versions: []string{"all"}}); err != nil {
				t.Fatal(err)
			}
			// A consultation and a decision action that the office refuses
			// are recorded with their outcome.
			_ = st.CreateConsultation(api, usa, &liaison.Consultation{Title: "x"})
			_, _ = st.Act(api, usa, 999, liaison.ProposalAct{Kind: "concur"})
			must(st.RevokeToken(ctx, tok.ID))
			must(l.Close())

			type want struct {
				action, op, principal, path, outcome string
				refs                                 []string
			}
			wants := []want{
				{audit.ActionDirectory, "CreateOrganisation", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionDirectory, "CreateOrganisation", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionDirectory, "CreateCommunity", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionDirectory, "SetCommunityMembers", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionDirectory, "CreateAgreement", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionDirectory, "UpdateAgreement", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionRecompute, "RecomputeAudiences", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionUser, "CreateUser", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionUser, "SetPassword", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionTokenCreate, "CreateToken", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionCollection, "CreateCollection", audit.OperatorName, audit.PathCommand, "ok", nil},
				{audit.ActionSignInFailed, "Authenticate", "usa-analyst", audit.PathAPI, liaison.EUNAUTHORIZED, nil},
				{audit.ActionSignIn, "Authenticate", "usa-analyst", audit.PathAPI, "ok", nil},
				{audit.ActionSignIn, "PrincipalByToken", "usa-analyst", audit.PathTAXII, "ok", nil},
				{audit.ActionWrite, "AddObjects", "usa-analyst", audit.PathTAXII, "ok", []string{ind + "@2024-03-01T00:00:00Z", mal + "@2024-03-01T00:00:00Z", rel + "@2024-03-01T00:00:00Z"}},
				{audit.ActionReject, "AddObjects", "usa-analyst", audit.PathTAXII, "ok", []string{bad.ID + "@2024-03-01T00:00:00Z"}},
				{audit.ActionRead, "Objects", "usa-analyst", audit.PathTAXII, "ok", []string{ind + "@2024-03-01T00:00:00Z", mal + "@2024-03-01T00:00:00Z", rel + "@2024-03-01T00:00:00Z"}},
				{audit.ActionRead, "Related", "usa-analyst", audit.PathGraph, "ok", []string{rel + "@2024-03-01T00:00:00Z"}},
				{audit.ActionRead, "ExplainAudience", "usa-analyst", audit.PathPages, "ok", []string{ind + "@2024-03-01T00:00:00Z"}},
				{audit.ActionDelete, "DeleteObject", "usa-analyst", audit.PathAPI, "ok", []string{mal + "@"}},
				{audit.ActionConsultation, "CreateConsultation", "usa-analyst", audit.PathAPI, "", []string{"consultation/0@"}},
				{audit.ActionDecision, "Act", "usa-analyst", audit.PathAPI, "", []string{"proposal/999@"}},
				{audit.ActionTokenRevoke, "RevokeToken", audit.OperatorName, audit.PathCommand, "ok", nil},
			}
			var got []audit.Entry
			must(audit.Entries(ctx, s.DB(), audit.Filter{After: -1, Resolve: true}, func(e audit.Entry) error { got = append(got, e); return nil }))
			if len(got) != len(wants) {
				for _, e := range got {
					t.Logf("%d %s %s %s", e.Index, e.Action, e.Op, e.Principal)
				}
				t.Fatalf("%d entries, want %d", len(got), len(wants))
			}
			for i, w := range wants {
				e := got[i]
				var refs []string
				for _, r := range e.Refs {
					refs = append(refs, r.ID+"@"+r.Version)
				}
				if e.Action != w.action || e.Op != w.op || e.Principal != w.principal || e.Path != w.path || (w.outcome != "" && e.Outcome != w.outcome) || fmt.Sprint(refs) != fmt.Sprint(w.refs) {
					t.Errorf("entry %d: %s %s by %s via %s (%s) refs %v; want %s %s by %s via %s (%s) refs %v", i, e.Action, e.Op, e.Principal, e.Path, e.Outcome, refs, w.action, w.op, w.principal, w.path, w.outcome, w.refs)
				}
				if w.outcome == "" && e.Outcome == "ok" {
					t.Errorf("entry %d: the refused %s is recorded as ok", i, e.Op)
				}
			}
			// Unresolved, the write names the three instances it stored
			// compactly, by date_added, and no version one by one.
			must(audit.Entries(ctx, s.DB(), audit.Filter{After: -1, Action: audit.ActionWrite}, func(e audit.Entry) error {
				if e.Op == "AddObjects" && (len(e.Refs) != 0 || e.Count() != 3) {
					t.Errorf("the write entry names %d refs and %d instances, want 0 and 3", len(e.Refs), e.Count())
				}
				return nil
			}))
			if rep := verify(t, s.DB(), key); !rep.OK() || rep.Unsigned != 0 {
				t.Fatalf("verify after close: %+v", rep)
			}
		})
	}
}
