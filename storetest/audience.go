package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"liaison"
)

func testAudienceFiltering(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	w.must(w.s.CreateAgreement(ctx, &liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOConfidential}))
	relJPN := hubMarking(oid("marking-definition", 1), liaison.NoClassification, "JPN")
	nr := hubMarking(oid("marking-definition", 2), liaison.NATORestricted)
	nsRelIP4 := hubMarking(oid("marking-definition", 3), liaison.NATOSecret, "NATO", "IP4")
	ncRelIP4 := hubMarking(oid("marking-definition", 4), liaison.NATOConfidential, "NATO", "IP4")
	nu := hubMarking(oid("marking-definition", 5), liaison.NATOUnclassified)
	w.add("USA", w.shared, relJPN, nr, nsRelIP4, ncRelIP4, nu)
	nato := []string{"FRA", "NATO-IS", "USA"}
	for _, tc := range []struct {
		name   string
		writer string
		refs   []string
		want   []string
	}{
		{"unmarked", "USA", nil, []string{"AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA"}},
		{"TLP:CLEAR", "USA", []string{liaison.TLPClearID}, []string{"AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA"}},
		{"TLP:AMBER+STRICT", "USA", []string{liaison.TLPAmberStrictID}, []string{"AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA"}},
		{"TLP:RED", "FRA", []string{liaison.TLPRedID}, []string{"FRA"}},
		{"TLP 1.0 RED alias", "KOR", []string{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}, []string{"KOR"}},
		{"TLP:RED with a list", "FRA", []string{liaison.TLPRedID, relJPN.ID}, []string{"FRA", "JPN"}},
		{"releasable to JPN, originator kept", "FRA", []string{relJPN.ID}, []string{"FRA", "JPN"}},
		{"classified, no list: NATO", "USA", []string{nr.ID}, nato},
		{"classified by a partner: NATO and the originator", "AUS", []string{nu.ID}, []string{"AUS", "FRA", "NATO-IS", "USA"}},
		{"NS REL NATO, IP4: JPN's agreement stops at NC", "USA", []string{nsRelIP4.ID}, nato},
		{"NC REL NATO, IP4: JPN is covered", "USA", []string{ncRelIP4.ID}, []string{"FRA", "JPN", "NATO-IS", "USA"}},
		{"lists intersect", "USA", []string{relJPN.ID, ncRelIP4.ID}, []string{"JPN", "USA"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := oid("indicator", int(hash(tc.name)&0xffffff))
			w.add(tc.writer, w.shared, sdo(id, day(0), tc.refs...))
			w.expectSeen(w.shared, id, tc.want...)
		})
	}
	// The collection's read list bounds everything in it.
	w.add("USA", w.nato, sdo(oid("indicator", 1), day(0), liaison.TLPClearID))
	w.expectSeen(w.nato, oid("indicator", 1), nato...)
	// Paging and "more" stay right per reader: KOR sees only what it may.
	var cs []liaison.Candidate
	for i := range 30 {
		refs := []string{relJPN.ID}
		if i%3 == 0 {
			refs = nil
		}
		cs = append(cs, sdo(oid("tool", i), day(0), refs...))
	}
	w.add("USA", w.shared, cs...)
	q := liaison.ObjectQuery{Types: []string{"tool"}, Limit: 4}
	var n, pages int
	for {
		page, err := w.s.Objects(ctx, w.user["KOR"], w.shared, q)
		w.must(err)
		pages++
		n += len(page.Versions)
		if len(page.Versions) == 0 {
			t.Fatal("an empty page said there was more")
		}
		if !page.More {
			break
		}
		q.Next = page.Next
	}
	if n != 10 || pages != 3 {
		t.Errorf("KOR read %d tools in %d pages, want 10 in 3", n, pages)
	}
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func testLastPerReader(t *testing.T, open Opener) {
	w := newWorld(t, open)
	id := oid("report", 1)
	w.add("USA", w.shared, sdo(id, day(0)), sdo(id, day(1), liaison.TLPRedID), sdo(id, day(2)), sdo(id, day(3), liaison.TLPRedID))
	v := func(d int) string { return id + "@" + day(d).Format(time.RFC3339Nano) }
	for _, tc := range []struct {
		org      string
		versions string
		want     []string
	}{
		{"USA", "last", []string{v(3)}},
		{"JPN", "last", []string{v(2)}},
		{"USA", "first", []string{v(0)}},
		{"JPN", "first", []string{v(0)}},
		{"JPN", "all", []string{v(0), v(2)}},
		{"USA", "all", []string{v(0), v(1), v(2), v(3)}},
		{"JPN", ts(day(1)), nil},
	} {
		if got := w.read(tc.org, w.shared, liaison.ObjectQuery{Versions: []string{tc.versions}}); !slices.Equal(got, tc.want) {
			t.Errorf("%s reads %s = %v, want %v", tc.org, tc.versions, got, tc.want)
		}
	}
	// An object whose first version is hidden: first is the first readable.
	id2 := oid("report", 2)
	w.add("USA", w.shared, sdo(id2, day(0), liaison.TLPRedID), sdo(id2, day(1)))
	got := w.read("JPN", w.shared, liaison.ObjectQuery{IDs: []string{id2}, Versions: []string{"first"}})
	if !slices.Equal(got, []string{id2 + "@" + day(1).Format(time.RFC3339Nano)}) {
		t.Errorf("JPN's first of %s = %v", id2, got)
	}
}

func testRelationshipEnds(t *testing.T, open Opener) {
	w := newWorld(t, open)
	relJPN := hubMarking(oid("marking-definition", 1), liaison.NoClassification, "JPN")
	w.add("USA", w.shared, relJPN)
	everyone := []string{"AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA"}
	a, b, c := oid("malware", 1), oid("campaign", 2), oid("identity", 3)
	w.add("USA", w.shared, sdo(a, day(0)), sdo(b, day(0), relJPN.ID))
	// Ends hidden from a reader hide the relationship from them.
	r1 := oid("relationship", 1)
	w.add("USA", w.shared, relationship(r1, a, b, day(0)))
	w.expectSeen(w.shared, r1, "JPN", "USA")
	// An end not stored here does not narrow.
	r2 := oid("relationship", 2)
	w.add("USA", w.shared, relationship(r2, a, c, day(0)))
	w.expectSeen(w.shared, r2, everyone...)
	// Storing that end later narrows the relationship in the same write.
	w.add("FRA", w.shared, sdo(c, day(0), liaison.TLPRedID))
	w.expectSeen(w.shared, r2, "FRA")
	// A newer readable version of the end widens it again: the readers of
	// an end are those who can read any of its versions.
	w.add("FRA", w.shared, sdo(c, day(1)))
	w.expectSeen(w.shared, r2, everyone...)
	// An end stored in a collection the reader may not read narrows it
	// (rule 9: wherever the end is stored here).
	d := oid("tool", 4)
	w.add("USA", w.nato, sdo(d, day(0)))
	r3 := oid("relationship", 3)
	w.add("USA", w.shared, relationship(r3, a, d, day(0)))
	w.expectSeen(w.shared, r3, "FRA", "NATO-IS", "USA")
	// A sighting of a relationship: ends that are relationships settle
	// through each other.
	s1 := oid("sighting", 1)
	w.add("USA", w.shared, relationship(s1, r1, a, day(0)))
	w.expectSeen(w.shared, s1, "JPN", "USA")
	// Narrow r1's end further; the sighting follows in the same write.
	w.add("USA", w.shared, sdo(b, day(1), liaison.TLPRedID))
	// b's versions: day(0) readable by JPN and USA, day(1) by USA only:
	// the union still lets JPN read b, so nothing changes.
	w.expectSeen(w.shared, s1, "JPN", "USA")
	// Once a relationship end is in a later write, the chain updates:
	// a relationship whose end is written afterwards in the same batch.
	e, f := oid("attack-pattern", 5), oid("relationship", 6)
	w.add("USA", w.shared, relationship(f, e, a, day(0)), sdo(e, day(0), liaison.TLPRedID))
	w.expectSeen(w.shared, f, "USA")
}

func testAgreementExpiry(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	until := start.Add(24 * time.Hour)
	from := start.Add(48 * time.Hour)
	w.must(w.s.CreateAgreement(ctx, &liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, Until: until}))
	w.must(w.s.CreateAgreement(ctx, &liaison.Agreement{Partner: "AUS", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, From: from}))
	ns := hubMarking(oid("marking-definition", 1), liaison.NATOSecret, "NATO", "IP4")
	id := oid("indicator", 1)
	// r joins the classified object to an open one; r2 is classified
	// itself; s names r, so it follows r.
	open1, r, r2, s := oid("tool", 1), oid("relationship", 1), oid("relationship", 2), oid("sighting", 1)
	w.add("USA", w.shared, ns, sdo(id, day(0), ns.ID), sdo(open1, day(0)),
		relationship(r, id, open1, day(0)), relationship(r2, open1, oid("tool", 9), day(0), ns.ID), relationship(s, r, open1, day(0)))
	nato := []string{"FRA", "NATO-IS", "USA"}
	withJPN := append([]string{"JPN"}, nato...)
	for _, x := range []string{id, r, r2, s} {
		w.expectSeen(w.shared, x, withJPN...)
	}
	w.clock.Advance(24*time.Hour - time.Microsecond)
	w.expectSeen(w.shared, id, withJPN...)
	w.clock.Advance(time.Microsecond) // the instant JPN's agreement ends
	for _, x := range []string{id, r, r2, s} {
		w.expectSeen(w.shared, x, nato...)
	}
	w.expectSeen(w.shared, open1, "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
	w.clock.Advance(24 * time.Hour) // the instant AUS's agreement starts
	w.expectSeen(w.shared, id, append([]string{"AUS"}, nato...)...)
	// Writes after the change use the new directory too.
	id2 := oid("indicator", 2)
	w.add("FRA", w.shared, sdo(id2, day(0), ns.ID))
	w.expectSeen(w.shared, id2, append([]string{"AUS"}, nato...)...)
	// Lowering an agreement's level takes effect at once.
	as, err := w.s.Agreements(ctx)
	w.must(err)
	aus := as[1]
	aus.MaxClassification = liaison.NATORestricted
	w.must(w.s.UpdateAgreement(ctx, aus))
	w.expectSeen(w.shared, id, nato...)
	// So does ending it: AUS reads again while in force, and not once ended.
	aus.MaxClassification = liaison.NATOSecret
	aus.Until = w.clock.Now().Add(time.Hour)
	w.must(w.s.UpdateAgreement(ctx, aus))
	w.expectSeen(w.shared, id, append([]string{"AUS"}, nato...)...)
	w.clock.Advance(time.Hour)
	w.expectSeen(w.shared, id, nato...)
}

func testCommunityChange(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	w.must(w.s.CreateCommunity(ctx, liaison.Community{Name: "QUAD", Members: []string{"USA", "JPN", "AUS"}}))
	w.must(w.s.CreateCommunity(ctx, liaison.Community{Name: "QUAD-PLUS", Members: []string{"QUAD", "KOR"}}))
	m := hubMarking(oid("marking-definition", 1), liaison.NoClassification, "QUAD-PLUS")
	id := oid("indicator", 1)
	w.add("USA", w.shared, m, sdo(id, day(0), m.ID))
	w.expectSeen(w.shared, id, "AUS", "JPN", "KOR", "USA")
	w.must(w.s.SetCommunityMembers(ctx, "QUAD", []string{"USA", "JPN"}))
	w.expectSeen(w.shared, id, "JPN", "KOR", "USA")
	// Collections follow communities too.
	quadColl := w.collection(liaison.Collection{Title: "Quad", Topic: "cyber", Read: []string{"QUAD"}, Write: []string{"QUAD"}})
	id2 := oid("indicator", 2)
	w.add("USA", quadColl, sdo(id2, day(0)))
	w.expectSeen(quadColl, id2, "JPN", "USA")
	// A relationship in another collection follows the readers of its end.
	rq := oid("relationship", 1)
	w.add("USA", w.shared, sdo(oid("tool", 1), day(0)), relationship(rq, id2, oid("tool", 1), day(0)))
	w.expectSeen(w.shared, rq, "JPN", "USA")
	w.must(w.s.SetCommunityMembers(ctx, "QUAD", []string{"USA", "FRA"}))
	w.expectSeen(quadColl, id2, "FRA", "USA")
	w.expectSeen(w.shared, rq, "FRA", "USA")
	w.expectSeen(w.shared, id, "FRA", "KOR", "USA")
}

func testNewOrganisation(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	nr := hubMarking(oid("marking-definition", 1), liaison.NATORestricted)
	relAll := hubMarking(oid("marking-definition", 2), liaison.NoClassification, "ALL")
	a, b, c := oid("indicator", 1), oid("indicator", 2), oid("indicator", 3)
	w.add("USA", w.shared, nr, relAll, sdo(a, day(0), nr.ID), sdo(b, day(0), relAll.ID), sdo(c, day(0), liaison.TLPRedID))
	w.must(w.s.CreateOrganisation(ctx, liaison.Organisation{Code: "DEU", Name: "Germany", Kind: liaison.Ally}))
	w.must(w.s.CreateOrganisation(ctx, liaison.Organisation{Code: "NZL", Name: "New Zealand", Kind: liaison.Partner}))
	w.addUser("DEU")
	w.addUser("NZL")
	if !w.sees("DEU", w.shared, a) || !w.sees("DEU", w.shared, b) || w.sees("DEU", w.shared, c) {
		t.Error("a new ally does not see exactly what NATO and ALL may read")
	}
	if w.sees("NZL", w.shared, a) || !w.sees("NZL", w.shared, b) {
		t.Error("a new partner does not see exactly what ALL may read")
	}
	if w.sees("DEU", w.shared, oid("indicator", 99)) {
		t.Error("sees a missing object")
	}
}

func testRecomputeAudiences(t *testing.T, open Opener) {
	w := newWorld(t, open)
	var cs []liaison.Candidate
	for i := range 50 {
		cs = append(cs, sdo(oid("indicator", i), day(0)))
	}
	cs = append(cs, relationship(oid("relationship", 1), oid("indicator", 1), oid("indicator", 2), day(0)))
	w.add("USA", w.shared, cs...)
	var mu sync.Mutex
	var reports [][2]int64
	ctx := liaison.WithProgress(context.Background(), func(done, total int64) {
		mu.Lock()
		reports = append(reports, [2]int64{done, total})
		mu.Unlock()
	})
	w.must(w.s.RecomputeAudiences(ctx))
	if len(reports) == 0 {
		t.Fatal("no progress reported")
	}
	last := reports[len(reports)-1]
	if last[0] != last[1] || last[1] == 0 {
		t.Errorf("last progress report %v, want done == total > 0", last)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i][0] < reports[i-1][0] {
			t.Errorf("progress went back: %v", reports)
			break
		}
	}
	w.expectSeen(w.shared, oid("relationship", 1), "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
}

func testDeleteObject(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	a, b, r := oid("indicator", 1), oid("malware", 2), oid("relationship", 3)
	w.add("USA", w.shared, sdo(a, day(0)), sdo(a, day(1)), sdo(a, day(2), liaison.TLPRedID))
	w.add("FRA", w.shared, sdo(b, day(0), liaison.TLPRedID), relationship(r, a, b, day(0)))
	w.expectSeen(w.shared, r, "FRA")
	for _, tc := range []struct {
		name   string
		org    string
		coll   string
		id     string
		q      liaison.ObjectQuery
		code   string
		wantN  int
		remain []string // versions of a USA still reads afterwards
	}{
		{"hidden collection", "JPN", w.nato, a, liaison.ObjectQuery{}, liaison.ENOTFOUND, 0, nil},
		{"missing object", "USA", w.shared, oid("indicator", 99), liaison.ObjectQuery{}, liaison.ENOTFOUND, 0, nil},
		{"hidden object", "JPN", w.shared, b, liaison.ObjectQuery{}, liaison.ENOTFOUND, 0, nil},
		{"not the originator", "JPN", w.shared, a, liaison.ObjectQuery{}, liaison.EFORBIDDEN, 0, nil},
		{"no such version", "USA", w.shared, a, liaison.ObjectQuery{Versions: []string{ts(day(9))}}, liaison.ENOTFOUND, 0, nil},
		{"first", "USA", w.shared, a, liaison.ObjectQuery{Versions: []string{"first"}}, "", 1, []string{ts(day(1)), ts(day(2))}},
		{"all", "USA", w.shared, a, liaison.ObjectQuery{Versions: []string{"all"}}, "", 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := w.s.DeleteObject(ctx, w.user[tc.org], tc.coll, tc.id, tc.q)
			wantCode(t, err, tc.code)
			if n != tc.wantN {
				t.Errorf("deleted %d, want %d", n, tc.wantN)
			}
			if tc.code == liaison.ENOTFOUND && liaison.ErrorMessage(err) != liaison.ErrorMessage(liaison.NotFound("object", tc.id)) && tc.coll == w.shared {
				t.Errorf("not found says %q", liaison.ErrorMessage(err))
			}
			if tc.code == "" {
				var got []string
				for _, v := range w.versions("USA", w.shared, liaison.ObjectQuery{IDs: []string{a}, Versions: []string{"all"}}) {
					got = append(got, ts(v.Modified))
				}
				if !slices.Equal(got, tc.remain) {
					t.Errorf("versions left %v, want %v", got, tc.remain)
				}
			}
		})
	}
	// With its end a gone, the relationship is narrowed by b alone.
	w.expectSeen(w.shared, r, "FRA")
	n, err := w.s.DeleteObject(ctx, w.user["FRA"], w.shared, b, liaison.ObjectQuery{})
	w.must(err)
	if n != 1 {
		t.Errorf("deleted %d versions of b", n)
	}
	// No end is stored any more: the relationship follows its own markings.
	w.expectSeen(w.shared, r, "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
	// date_added never goes back after a delete.
	before := w.versions("FRA", w.shared, liaison.ObjectQuery{Versions: []string{"all"}})
	w.add("FRA", w.shared, sdo(oid("tool", 7), day(0)))
	after := w.versions("FRA", w.shared, liaison.ObjectQuery{Versions: []string{"all"}})
	if len(after) != len(before)+1 || !after[len(after)-1].DateAdded.After(before[len(before)-1].DateAdded) {
		t.Error("a write after a delete did not get a later date_added")
	}
}

func testMarkings(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	for id, tlp := range liaison.TLPByID {
		m, err := w.s.Marking(ctx, id)
		w.must(err)
		if m.TLP != tlp || m.ID != id {
			t.Errorf("Marking(%s) = %+v", id, m)
		}
	}
	hm := hubMarking(oid("marking-definition", 1), liaison.NATOConfidential, "NATO", "JPN")
	w.add("USA", w.shared, hm)
	m, err := w.s.Marking(ctx, hm.ID)
	w.must(err)
	if m.Classification != liaison.NATOConfidential || !slices.Equal(m.ReleasableTo, []string{"NATO", "JPN"}) {
		t.Errorf("stored marking %+v", m)
	}
	empty := hubMarking(oid("marking-definition", 2), liaison.NATORestricted, []string{}...)
	w.add("USA", w.shared, empty)
	if m, err := w.s.Marking(ctx, empty.ID); err != nil || m.ReleasableTo == nil || len(m.ReleasableTo) != 0 {
		t.Errorf("an empty releasability list came back as %#v (%v)", m.ReleasableTo, err)
	}
	_, err = w.s.Marking(ctx, oid("marking-definition", 3))
	wantCode(t, err, liaison.ENOTFOUND)
	// A collection may default to a stored marking.
	w.must(w.s.CreateCollection(ctx, &liaison.Collection{Title: "NC", Topic: "cyber", Read: []string{"ALL"}, DefaultMarking: hm.ID}))
}
