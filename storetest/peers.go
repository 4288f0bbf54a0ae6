package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// testPeers checks federation in the store (ARCHITECTURE.md,
// "Federation"): what a peer is served (rules 1, 6 and 7), the change feed
// (rule 5), and what lands at the pulling office (rules 2 and 3).
func testPeers(t *testing.T, open Opener) {
	src, dst := newWorld(t, open), newWorld(t, open)
	sp, ok1 := src.s.(liaison.PeerService)
	dp, ok2 := dst.s.(liaison.PeerService)
	if !ok1 || !ok2 {
		t.Fatal("the store does not implement liaison.PeerService")
	}
	ctx := src.ctx
	for _, w := range []*world{src, dst} {
		w.must(w.s.CreateCommunity(ctx, liaison.Community{Name: "CP", Members: []string{"JPN", "USA", "FRA"}}))
	}
	relJPN := hubMarking(oid("marking-definition", 1), liaison.NoClassification, "JPN")
	relKOR := hubMarking(oid("marking-definition", 2), liaison.NoClassification, "KOR")
	relCP := hubMarking(oid("marking-definition", 3), liaison.NoClassification, "CP")
	for _, w := range []*world{src, dst} {
		w.add("USA", w.shared, relJPN, relKOR, relCP)
	}
	objs := map[string]liaison.Candidate{}
	put := func(org string, n int, refs ...string) string {
		c := sdo(oid("indicator", n), day(0), refs...)
		objs[c.ID] = c
		src.add(org, src.shared, c)
		return c.ID
	}
	unmarked := put("USA", 1)
	redAlone := put("FRA", 2, liaison.TLPRedID)
	redJPN := put("FRA", 3, liaison.TLPRedID, relJPN.ID)
	strict := put("USA", 4, liaison.TLPAmberStrictID)
	toKOR := put("USA", 5, relKOR.ID)
	toCP := put("USA", 6, relCP.ID)
	src.add("USA", src.nato, sdo(oid("indicator", 7), day(0)))

	tok, err := sp.AllowPeer(ctx, "tokyo", []string{"JPN"})
	src.must(err)
	if _, err := sp.AllowPeer(ctx, "tokyo", []string{"JPN"}); liaison.ErrorCode(err) != liaison.ECONFLICT {
		t.Errorf("a second grant: %v", err)
	}
	if _, err := sp.AllowPeer(ctx, "vienna", []string{"NOWHERE"}); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("a grant serving nobody known: %v", err)
	}
	if _, err := sp.PeerByToken(ctx, "liapeer_wrong"); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("a wrong token: %v", err)
	}
	if _, err := src.s.PrincipalByToken(ctx, tok); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("a peer token works as a user's: %v", err)
	}
	peer, err := sp.PeerByToken(ctx, tok)
	src.must(err)

	// Rule 1 and 6: JPN reads unmarked, redJPN and toCP; RED alone and
	// AMBER+STRICT alone stay; toKOR is not for JPN. The NATO collection
	// is not pullable for a peer serving JPN.
	if _, err := sp.PeerObjects(ctx, peer, src.nato, time.Time{}, 0); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Errorf("a collection the peer may not pull: %v", err)
	}
	page, err := sp.PeerObjects(ctx, peer, src.shared, time.Time{}, 0)
	src.must(err)
	got := map[string]liaison.PeerVersion{}
	for _, v := range page.Versions {
		got[v.ID] = v
	}
	for id, want := range map[string]bool{unmarked: true, redJPN: true, toCP: true, redAlone: false, strict: false, toKOR: false} {
		if _, ok := got[id]; ok != want {
			t.Errorf("peer served %s: %v, want %v", id, ok, want)
		}
	}
	if v := got[redJPN]; v.Originator != "FRA" || !slices.Equal(v.Audience, liaison.Audience{"JPN"}) || string(v.Raw) != string(objs[redJPN].Raw) {
		t.Errorf("redJPN served as %+v", v)
	}
	// Paging: one at a time, strictly after.
	one, err := sp.PeerObjects(ctx, peer, src.shared, time.Time{}, 1)
	src.must(err)
	if len(one.Versions) != 1 || !one.More {
		t.Errorf("a page of one: %d versions, more %v", len(one.Versions), one.More)
	}
	last := page.Versions[len(page.Versions)-1].DateAdded
	if rest, err := sp.PeerObjects(ctx, peer, src.shared, last, 0); err != nil || len(rest.Versions) != 0 {
		t.Errorf("after the last: %+v %v", rest, err)
	}

	// Rules 2 and 3 at the pulling office: carried audience {JPN}
	// narrows the unmarked object there; the originator is FRA.
	dst.must(dp.AddPeerPull(ctx, liaison.PeerPull{Name: "brussels", URL: "http://127.0.0.1:1/taxii2/api/", Token: tok,
		Collections: []liaison.PeerCollection{{Remote: src.shared, Local: dst.shared}}}))
	var vs []liaison.PeerVersion
	for _, v := range page.Versions {
		c, ok := objs[v.ID]
		if !ok {
			// the marking-definitions, known here already
			c = map[string]liaison.Candidate{relJPN.ID: relJPN, relKOR.ID: relKOR, relCP.ID: relCP}[v.ID]
		}
		v.Candidate = c
		vs = append(vs, v)
	}
	rec, err := dp.ReceivePeerPage(ctx, "brussels", src.shared, vs, last)
	dst.must(err)
	if len(rec.Rejected) != 0 {
		t.Errorf("rejected: %+v", rec.Rejected)
	}
	dst.expectSeen(dst.shared, unmarked, "JPN")
	dst.expectSeen(dst.shared, redJPN, "JPN")
	dst.expectSeen(dst.shared, toCP, "JPN")
	if vs := dst.versions("JPN", dst.shared, liaison.ObjectQuery{IDs: []string{redJPN}}); len(vs) != 1 || vs[0].Originator != "FRA" || string(vs[0].Raw) != string(objs[redJPN].Raw) {
		t.Errorf("redJPN landed as %+v", vs)
	}
	// The explanation names the hop.
	ex, err := dst.s.ExplainAudience(ctx, dst.user["JPN"], dst.shared, unmarked, time.Time{})
	dst.must(err)
	if !slices.Equal(ex.Audience, liaison.Audience{"JPN"}) || !slices.ContainsFunc(ex.Steps, func(s liaison.Step) bool {
		return s.Rule == 2 && strings.Contains(s.Text, "peer office brussels") && slices.Contains(s.Removed, "FRA")
	}) {
		t.Errorf("explanation of a carried version: %+v", ex)
	}
	// Duplicate delivery is present, not written again.
	if again, err := dp.ReceivePeerPage(ctx, "brussels", src.shared, vs, last); err != nil || again.Written != 0 {
		t.Errorf("duplicate delivery: %+v %v", again, err)
	}
	// A recompute at the pulling office keeps the carried audience.
	dst.must(dst.s.SetCommunityMembers(ctx, "CP", []string{"JPN", "USA", "FRA", "KOR"}))
	dst.expectSeen(dst.shared, toCP, "JPN")
	pulls, err := dp.PeerPulls(ctx)
	dst.must(err)
	if len(pulls) != 1 || len(pulls[0].Cursors) != 1 || !pulls[0].Cursors[0].After.Equal(last) {
		t.Errorf("cursor: %+v", pulls)
	}

	// Rule 7: what came from a peer is never served back to it.
	back, err := dp.AllowPeer(ctx, "brussels", []string{"JPN"})
	dst.must(err)
	bp, err := dp.PeerByToken(ctx, back)
	dst.must(err)
	if p, err := dp.PeerObjects(ctx, bp, dst.shared, time.Time{}, 0); err != nil || slices.ContainsFunc(p.Versions, func(v liaison.PeerVersion) bool { return v.ID == unmarked }) {
		t.Errorf("served back to where it came from: %+v %v", p, err)
	}

	// Rule 5: the source's community loses JPN, and the unmarked object is
	// deleted; the feed withdraws both from the peer, and says nothing of
	// versions it never could read.
	src.must(src.s.SetCommunityMembers(ctx, "CP", []string{"USA"}))
	_, err = src.s.DeleteObject(ctx, src.user["USA"], src.shared, unmarked, liaison.ObjectQuery{})
	src.must(err)
	_, err = src.s.DeleteObject(ctx, src.user["USA"], src.shared, toKOR, liaison.ObjectQuery{})
	src.must(err)
	feed, err := sp.PeerChanges(ctx, peer, 0, 0)
	src.must(err)
	withdrawn := map[string]bool{}
	for _, c := range feed.Changes {
		if c.ID == toKOR || c.ID == strict || c.ID == redAlone {
			t.Errorf("the feed names %s, which the peer never could read", c.ID)
		}
		if c.Withdrawn {
			withdrawn[c.ID] = true
		}
	}
	if !withdrawn[unmarked] || !withdrawn[toCP] {
		t.Errorf("the feed withdrew %v, want %s and %s", withdrawn, unmarked, toCP)
	}
	if again, err := sp.PeerChanges(ctx, peer, feed.Next, 0); err != nil || len(again.Changes) != 0 {
		t.Errorf("after the feed's next: %+v %v", again, err)
	}
	_, err = dp.ApplyPeerChanges(ctx, "brussels", feed.Changes, feed.Next)
	dst.must(err)
	dst.expectSeen(dst.shared, unmarked)
	dst.expectSeen(dst.shared, toCP)
	dst.expectSeen(dst.shared, redJPN, "JPN")

	// A removed grant stops its token.
	src.must(sp.RemovePeerGrant(ctx, "tokyo"))
	if _, err := sp.PeerByToken(ctx, tok); liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		t.Errorf("a removed grant's token: %v", err)
	}
}
