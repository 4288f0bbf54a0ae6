package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

func testAddObjectsAccess(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	readOnly := w.collection(liaison.Collection{Title: "Read only", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"USA"}})
	obj := []liaison.Candidate{sdo(oid("indicator", 1), day(0))}
	reader := liaison.Principal{Name: "r", Org: "USA", Roles: []liaison.Role{liaison.RoleReader}}
	for _, tc := range []struct {
		name string
		p    liaison.Principal
		coll string
		code string
	}{
		{"missing collection", w.user["USA"], "00000000-0000-4000-8000-000000000000", liaison.ENOTFOUND},
		{"hidden collection", w.user["JPN"], w.nato, liaison.ENOTFOUND},
		{"not on the write list", w.user["JPN"], readOnly, liaison.EFORBIDDEN},
		{"reader role", reader, readOnly, liaison.EFORBIDDEN},
		{"allowed", w.user["USA"], readOnly, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.s.AddObjects(ctx, tc.p, tc.coll, obj)
			wantCode(t, err, tc.code)
		})
	}
	_, err := w.s.AddObjects(ctx, w.user["JPN"], w.nato, obj)
	if liaison.ErrorMessage(err) != liaison.ErrorMessage(liaison.NotFound("collection", w.nato)) {
		t.Errorf("hidden collection says %q", liaison.ErrorMessage(err))
	}
	// Objects on a collection the reader may not read.
	for _, coll := range []string{w.nato, "00000000-0000-4000-8000-000000000000"} {
		_, err := w.s.Objects(ctx, w.user["JPN"], coll, liaison.ObjectQuery{})
		wantCode(t, err, liaison.ENOTFOUND)
		if liaison.ErrorMessage(err) != liaison.ErrorMessage(liaison.NotFound("collection", coll)) {
			t.Errorf("Objects on %s says %q", coll, liaison.ErrorMessage(err))
		}
	}
	// A write-only collection: the writer writes but does not read.
	drop := w.collection(liaison.Collection{Title: "Drop box", Topic: "cyber", Read: []string{"USA"}, Write: []string{"JPN", "USA"}})
	w.add("JPN", drop, sdo(oid("indicator", 2), day(0)))
	_, err = w.s.Objects(ctx, w.user["JPN"], drop, liaison.ObjectQuery{})
	wantCode(t, err, liaison.ENOTFOUND)
	if got := w.read("USA", drop, liaison.ObjectQuery{}); len(got) != 1 {
		t.Errorf("USA reads %v from the drop box", got)
	}
}

func testAddObjectsVersions(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	a, b := oid("indicator", 1), oid("malware", 2)
	v1 := sdo(a, day(0))
	// created_by_ref names someone else: the originator is still the writer's.
	v1.Raw = bytes.Replace(v1.Raw, []byte(`"name":"x"`), []byte(`"name":"x",  "created_by_ref":"identity--00000000-0000-4000-8000-000000000001"`), 1)
	res := w.add("JPN", w.shared, indexed(v1, sdo(a, day(1)), sdo(b, day(0)))...)
	if len(res.Accepted) != 3 {
		t.Fatalf("accepted %+v", res.Accepted)
	}
	for i, acc := range res.Accepted {
		if acc.Index != i || acc.Present {
			t.Errorf("accepted[%d] = %+v", i, acc)
		}
	}
	if !res.Accepted[1].Version.Equal(day(1)) {
		t.Errorf("version = %v, want %v", res.Accepted[1].Version, day(1))
	}
	// The same version again is present, not an error, and keeps the first bytes.
	again := sdo(a, day(0))
	again.Raw = []byte(strings.Replace(string(again.Raw), `"name":"x"`, `"name":"changed"`, 1))
	res = w.add("USA", w.shared, again)
	if len(res.Accepted) != 1 || !res.Accepted[0].Present || !res.Accepted[0].Version.Equal(day(0)) {
		t.Errorf("rewrite of a stored version: %+v", res)
	}
	// With other content it is reported as conflicting.
	if res.Accepted[0].Conflict == "" {
		t.Errorf("rewrite of a stored version with other content is not conflicting: %+v", res.Accepted[0])
	}
	// The same content in another serialisation is not a conflict.
	same := sdo(a, day(1))
	same.Raw = []byte(strings.Replace(string(same.Raw), `{"type"`, `{ "type"`, 1))
	if res := w.add("JPN", w.shared, same); !res.Accepted[0].Present || res.Accepted[0].Conflict != "" {
		t.Errorf("the same version re-serialised: %+v", res.Accepted[0])
	}
	// Twice in one write: the second is present.
	c := oid("tool", 3)
	res = w.add("USA", w.shared, indexed(sdo(c, day(0)), sdo(c, day(0)))...)
	if res.Accepted[0].Present || !res.Accepted[1].Present {
		t.Errorf("duplicate in one write: %+v", res.Accepted)
	}

	vs := w.versions("USA", w.shared, liaison.ObjectQuery{Versions: []string{"all"}})
	if len(vs) != 4 {
		t.Fatalf("all versions: %v", vs)
	}
	for i, v := range vs {
		if i > 0 && !v.DateAdded.After(vs[i-1].DateAdded) {
			t.Errorf("date_added %v is not after %v", v.DateAdded, vs[i-1].DateAdded)
		}
		if v.Collection != w.shared {
			t.Errorf("version of %s says collection %q", v.ID, v.Collection)
		}
	}
	if vs[0].ID != a || !bytes.Equal(vs[0].Raw, v1.Raw) {
		t.Errorf("first version raw = %s, want the exact bytes %s", vs[0].Raw, v1.Raw)
	}
	if vs[0].Originator != "JPN" || vs[3].Originator != "USA" {
		t.Errorf("originators %s, %s; want JPN, USA", vs[0].Originator, vs[3].Originator)
	}
	if vs[0].Type != "indicator" || vs[0].SpecVersion != "2.1" || !vs[0].Modified.Equal(day(0)) {
		t.Errorf("version fields %+v", vs[0])
	}
	// date_added is the store's clock, strictly increasing even when the
	// clock stands still.
	if !vs[0].DateAdded.Equal(start) || !vs[1].DateAdded.Equal(start.Add(time.Microsecond)) {
		t.Errorf("dates added %v, %v; want %v and one microsecond later", vs[0].DateAdded, vs[1].DateAdded, start)
	}
	// A clock that goes back does not make date_added go back.
	w.clock.Advance(-time.Hour)
	w.add("USA", w.shared, sdo(oid("tool", 4), day(0)))
	last := w.versions("USA", w.shared, liaison.ObjectQuery{Versions: []string{"all"}})
	if n := len(last); !last[n-1].DateAdded.After(last[n-2].DateAdded) {
		t.Errorf("date_added went back with the clock: %v then %v", last[n-2].DateAdded, last[n-1].DateAdded)
	}
	w.clock.Advance(time.Hour)

	// Objects with neither modified nor created (SCOs) take date_added as
	// their version; the identical object again is present.
	sco := func(value string) liaison.Candidate {
		id := "ipv4-addr--ff0e0f3c-6b9c-5a1c-9a3c-0a0b0c0d0e0f"
		return liaison.Candidate{ID: id, Type: "ipv4-addr", SpecVersion: "2.1", Raw: []byte(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":%q}`, id, value))}
	}
	w.clock.Advance(time.Second)
	res = w.add("USA", w.shared, sco("198.51.100.1"))
	first := res.Accepted[0]
	if first.Present || !first.Version.Equal(w.clock.Now()) {
		t.Errorf("SCO accepted as %+v, want version %v (date added)", first, w.clock.Now())
	}
	w.clock.Advance(time.Second)
	res = w.add("USA", w.shared, sco("198.51.100.1"))
	if !res.Accepted[0].Present || !res.Accepted[0].Version.Equal(first.Version) {
		t.Errorf("identical SCO again = %+v, want present at %v", res.Accepted[0], first.Version)
	}
	res = w.add("USA", w.shared, sco("198.51.100.2"))
	if res.Accepted[0].Present || !res.Accepted[0].Version.Equal(w.clock.Now()) {
		t.Errorf("changed SCO = %+v, want a new version at %v", res.Accepted[0], w.clock.Now())
	}
	if got := w.read("USA", w.shared, liaison.ObjectQuery{Types: []string{"ipv4-addr"}, Versions: []string{"all"}}); len(got) != 2 {
		t.Errorf("SCO versions %v", got)
	}

	// Bad candidates are rejected one by one; the others go in.
	bad := indexed(
		liaison.Candidate{Type: "indicator", Raw: []byte(`{}`)},
		sdo(oid("indicator", 10), day(0)),
		liaison.Candidate{ID: oid("indicator", 11), Type: "malware", Raw: []byte(`{}`)},
		liaison.Candidate{ID: oid("indicator", 12), Type: "indicator"},
	)
	res, err := w.s.AddObjects(ctx, w.user["USA"], w.shared, bad)
	w.must(err)
	if len(res.Accepted) != 1 || res.Accepted[0].Index != 1 || len(res.Rejected) != 3 {
		t.Fatalf("bad batch: %+v", res)
	}
	for _, r := range res.Rejected {
		if r.UnknownMarking || !strings.HasPrefix(r.Message, fmt.Sprintf("object %d ", r.Index)) {
			t.Errorf("rejection %+v", r)
		}
	}
}

// testPresentNeverLeaks checks that writing a version that is stored but
// hidden from the writer says nothing the writer could not see anyway:
// the writer's version is kept as an instance of its own, which the
// writer reads back; a reader of the first instance still gets only that.
func testPresentNeverLeaks(t *testing.T, open Opener) {
	w := newWorld(t, open)
	id := oid("indicator", 1)
	secret := sdo(id, day(0), liaison.TLPRedID)
	w.add("USA", w.shared, secret)
	guess := sdo(id, day(0))
	guess.Raw = bytes.Replace(guess.Raw, []byte(`"name":"x"`), []byte(`"name":"JPN's own"`), 1)
	res := w.add("JPN", w.shared, guess)
	fresh := w.add("JPN", w.shared, sdo(oid("indicator", 99), day(0)))
	if len(res.Accepted) != 1 || res.Accepted[0].Present || res.Accepted[0].Conflict != "" ||
		fmt.Sprintf("%+v", res.Accepted[0].Present) != fmt.Sprintf("%+v", fresh.Accepted[0].Present) {
		t.Errorf("writing over a hidden version says %+v; a fresh id says %+v", res.Accepted, fresh.Accepted)
	}
	vs := w.versions("USA", w.shared, liaison.ObjectQuery{IDs: []string{id}, Versions: []string{"all"}})
	if len(vs) != 1 || !bytes.Equal(vs[0].Raw, secret.Raw) {
		t.Errorf("the first bytes did not stay for their reader: %+v", vs)
	}
	for _, org := range []string{"JPN", "KOR", "FRA"} {
		vs := w.versions(org, w.shared, liaison.ObjectQuery{IDs: []string{id}, Versions: []string{"all"}})
		if len(vs) != 1 || !bytes.Equal(vs[0].Raw, guess.Raw) {
			t.Errorf("%s does not read JPN's instance: %+v", org, vs)
		}
	}
	w.expectSeen(w.shared, id, "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
	// Writing it again, JPN reads its own instance: present, not a new one.
	if res := w.add("JPN", w.shared, guess); !res.Accepted[0].Present || res.Accepted[0].Conflict != "" {
		t.Errorf("JPN rewrites its own instance: %+v", res.Accepted)
	}
	// The same version readable by the writer is present (USA reads its
	// own first instance, whose content differs: conflicting).
	res = w.add("USA", w.shared, guess)
	if !res.Accepted[0].Present || res.Accepted[0].Conflict == "" {
		t.Errorf("rewrite by its reader: %+v", res.Accepted)
	}
	// An identical object without a version, hidden from the writer, is
	// not present either: the writer's copy becomes a version of its own.
	sid := "ipv4-addr--0f0e0f3c-6b9c-5a1c-9a3c-0a0b0c0d0e0f"
	raw := []byte(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":"203.0.113.7"}`, sid))
	sco := liaison.Candidate{ID: sid, Type: "ipv4-addr", SpecVersion: "2.1", Raw: raw}
	redSCO := sco
	redSCO.MarkingRefs = []string{liaison.TLPRedID}
	w.add("USA", w.shared, redSCO)
	w.clock.Advance(time.Second)
	res = w.add("JPN", w.shared, sco)
	if res.Accepted[0].Present {
		t.Errorf("identical hidden SCO: %+v", res.Accepted)
	}
	if got := w.read("JPN", w.shared, liaison.ObjectQuery{IDs: []string{sid}}); len(got) != 1 {
		t.Errorf("JPN reads %v of its own SCO", got)
	}
	// A writer who may not read the collection never hears "present".
	drop := w.collection(liaison.Collection{Title: "Drop box", Topic: "cyber", Read: []string{"USA"}, Write: []string{"JPN", "USA"}})
	w.add("USA", drop, sdo(oid("tool", 2), day(0)))
	res = w.add("JPN", drop, sdo(oid("tool", 2), day(0)))
	if res.Accepted[0].Present {
		t.Errorf("write into an unreadable collection: %+v", res.Accepted)
	}
}

func testAddObjectsMarkings(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	m1, unknown := oid("marking-definition", 1), oid("marking-definition", 99)
	// Object 0 names a marking carried later in the same write; object 2
	// names one nobody knows; object 3 names it in a granular marking.
	granular := sdo(oid("indicator", 4), day(0))
	granular.GranularMarkingRefs = []string{unknown}
	batch := indexed(
		sdo(oid("indicator", 1), day(0), m1),
		hubMarking(m1, liaison.NoClassification, "USA", "JPN"),
		sdo(oid("indicator", 3), day(0), liaison.TLPGreenID, unknown),
		granular,
		sdo(oid("indicator", 5), day(0), liaison.TLPAmberID),
	)
	res, err := w.s.AddObjects(ctx, w.user["USA"], w.shared, batch)
	w.must(err)
	if len(res.Accepted) != 3 || len(res.Rejected) != 2 {
		t.Fatalf("result %+v", res)
	}
	r := res.Rejected[0]
	want := fmt.Sprintf("object 2 (%s): object_marking_refs names %s, which this hub does not know", oid("indicator", 3), unknown)
	if !r.UnknownMarking || r.Index != 2 || r.ID != oid("indicator", 3) || r.Message != want {
		t.Errorf("rejection %+v, want message %q", r, want)
	}
	if r := res.Rejected[1]; !r.UnknownMarking || r.Index != 3 || !strings.Contains(r.Message, unknown) || !strings.Contains(r.Message, "granular") {
		t.Errorf("granular rejection %+v", r)
	}
	w.expectSeen(w.shared, oid("indicator", 1), "JPN", "USA")
	w.expectSeen(w.shared, oid("indicator", 5), "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
	// The stored marking serves later writes, and the hub reports it.
	w.add("FRA", w.shared, sdo(oid("indicator", 6), day(0), m1))
	w.expectSeen(w.shared, oid("indicator", 6), "FRA", "JPN", "USA")
	m, err := w.s.Marking(ctx, m1)
	w.must(err)
	if !slices.Equal(m.ReleasableTo, []string{"USA", "JPN"}) || m.ID != m1 {
		t.Errorf("Marking(%s) = %+v", m1, m)
	}
	// A marking-definition never changes: other content under its id is a
	// conflict (like any version re-used with other content), not a
	// rejection, and the known one stays.
	res, err = w.s.AddObjects(ctx, w.user["USA"], w.shared, []liaison.Candidate{hubMarking(m1, liaison.NoClassification, "ALL")})
	w.must(err)
	if len(res.Rejected) != 0 || len(res.Accepted) != 1 || !res.Accepted[0].Present ||
		!strings.Contains(res.Accepted[0].Conflict, m1) || !strings.Contains(res.Accepted[0].Conflict, "other content") {
		t.Errorf("changed marking-definition: %+v", res)
	}
	w.expectSeen(w.shared, oid("indicator", 6), "FRA", "JPN", "USA")

	// Unmarked objects take the collection's default marking, recorded
	// with the version; marked objects keep their own.
	red := w.collection(liaison.Collection{Title: "Red by default", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}, DefaultMarking: liaison.TLPRedID})
	w.add("FRA", red, sdo(oid("indicator", 7), day(0)), sdo(oid("indicator", 8), day(0), liaison.TLPClearID))
	vs := w.versions("FRA", red, liaison.ObjectQuery{})
	if len(vs) != 2 || vs[0].DefaultMarking != liaison.TLPRedID || vs[1].DefaultMarking != "" {
		t.Errorf("default markings %+v", vs)
	}
	w.expectSeen(red, oid("indicator", 7), "FRA")
	w.expectSeen(red, oid("indicator", 8), "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
	// Rule 8 with rule 2: the default is the first collection's, wherever
	// the version is written later, so it has one audience everywhere.
	w.add("FRA", w.shared, sdo(oid("indicator", 7), day(0)))
	w.expectSeen(w.shared, oid("indicator", 7), "FRA")
	plainFirst := oid("indicator", 9)
	w.add("FRA", w.shared, sdo(plainFirst, day(0)))
	w.add("FRA", red, sdo(plainFirst, day(0)))
	w.expectSeen(red, plainFirst, "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
	for _, tc := range []struct {
		coll, id, want string
	}{{w.shared, oid("indicator", 7), liaison.TLPRedID}, {red, plainFirst, ""}} {
		vs := w.versions("FRA", tc.coll, liaison.ObjectQuery{IDs: []string{tc.id}})
		if len(vs) != 1 || vs[0].DefaultMarking != tc.want {
			t.Errorf("%s in %s records default %+v, want %q", tc.id, tc.coll, vs, tc.want)
		}
	}

	// Defaults chosen for one import stand in for the collection's: an
	// unmarked new version takes them all, recorded sorted and joined; a
	// marked one keeps its own; a version stored before keeps its first
	// default; an unknown one rejects only that object.
	chosen := sdo(oid("indicator", 10), day(0))
	chosen.DefaultMarkings = []string{m1, liaison.TLPRedID}
	own := sdo(oid("indicator", 11), day(0), liaison.TLPClearID)
	own.DefaultMarkings = []string{liaison.TLPRedID}
	again := sdo(oid("indicator", 7), day(0))
	again.DefaultMarkings = []string{liaison.TLPClearID}
	strange := sdo(oid("indicator", 12), day(0))
	strange.DefaultMarkings = []string{"marking-definition--00000000-0000-4000-8000-000000000000"}
	res, err = w.s.AddObjects(ctx, w.user["FRA"], w.shared, []liaison.Candidate{chosen, own, again, strange})
	w.must(err)
	if len(res.Accepted) != 3 || len(res.Rejected) != 1 || res.Rejected[0].ID != strange.ID || !strings.Contains(res.Rejected[0].Message, "default marking") {
		t.Errorf("import defaults: %+v", res)
	}
	joined := liaison.TLPRedID + "," + m1
	if m1 < liaison.TLPRedID {
		joined = m1 + "," + liaison.TLPRedID
	}
	for id, want := range map[string]string{chosen.ID: joined, own.ID: "", again.ID: liaison.TLPRedID} {
		vs := w.versions("FRA", w.shared, liaison.ObjectQuery{IDs: []string{id}})
		if len(vs) != 1 || vs[0].DefaultMarking != want {
			t.Errorf("%s with import defaults records %+v, want %q", id, vs, want)
		}
	}
	// TLP:RED with m1's list (USA, JPN): the list rules, the originator reads.
	w.expectSeen(w.shared, chosen.ID, "FRA", "JPN", "USA")
	w.expectSeen(w.shared, own.ID, "AUS", "FRA", "JPN", "KOR", "NATO-IS", "USA")
}

func testObjectsFilters(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	ind, mal, rel := oid("indicator", 1), oid("malware", 2), oid("relationship", 3)
	w.add("USA", w.shared,
		sdo(ind, day(0)), sdo(ind, day(1)), sdo(ind, day(2)),
		sdo(mal, day(5)),
		relationship(rel, ind, mal, day(3)),
	)
	old := sdo(mal, day(4)) // an older version added later
	old.SpecVersion = "2.0"
	w.add("USA", w.shared, old)
	v := func(id string, d int) string { return id + "@" + day(d).Format(time.RFC3339Nano) }
	for _, tc := range []struct {
		name string
		q    liaison.ObjectQuery
		want []string
	}{
		{"default is last", liaison.ObjectQuery{}, []string{v(ind, 2), v(mal, 5), v(rel, 3)}},
		{"last", liaison.ObjectQuery{Versions: []string{"last"}}, []string{v(ind, 2), v(mal, 5), v(rel, 3)}},
		{"first", liaison.ObjectQuery{Versions: []string{"first"}}, []string{v(ind, 0), v(rel, 3), v(mal, 4)}},
		{"all", liaison.ObjectQuery{Versions: []string{"all"}}, []string{v(ind, 0), v(ind, 1), v(ind, 2), v(mal, 5), v(rel, 3), v(mal, 4)}},
		{"first,last", liaison.ObjectQuery{Versions: []string{"first,last"}}, []string{v(ind, 0), v(ind, 2), v(mal, 5), v(rel, 3), v(mal, 4)}},
		{"explicit", liaison.ObjectQuery{Versions: []string{ts(day(1))}}, []string{v(ind, 1)}},
		{"explicit and first", liaison.ObjectQuery{Versions: []string{ts(day(1)), "first"}}, []string{v(ind, 0), v(ind, 1), v(rel, 3), v(mal, 4)}},
		{"ids", liaison.ObjectQuery{IDs: []string{ind}, Versions: []string{"all"}}, []string{v(ind, 0), v(ind, 1), v(ind, 2)}},
		{"ids comma", liaison.ObjectQuery{IDs: []string{ind + "," + rel}}, []string{v(ind, 2), v(rel, 3)}},
		{"types", liaison.ObjectQuery{Types: []string{"malware", "relationship"}}, []string{v(mal, 5), v(rel, 3)}},
		{"spec version", liaison.ObjectQuery{SpecVersions: []string{"2.0"}}, []string{v(mal, 4)}},
		{"spec version and all", liaison.ObjectQuery{SpecVersions: []string{"2.1"}, Versions: []string{"all"}, Types: []string{"malware"}}, []string{v(mal, 5)}},
		{"unknown id", liaison.ObjectQuery{IDs: []string{oid("indicator", 99)}}, nil},
		{"very many ids", liaison.ObjectQuery{IDs: manyIDs(40000, rel)}, []string{v(rel, 3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := w.read("JPN", w.shared, tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
	// added_after is strict.
	all := w.versions("JPN", w.shared, liaison.ObjectQuery{Versions: []string{"all"}})
	got := w.read("JPN", w.shared, liaison.ObjectQuery{Versions: []string{"all"}, AddedAfter: all[2].DateAdded})
	if !slices.Equal(got, []string{v(mal, 5), v(rel, 3), v(mal, 4)}) {
		t.Errorf("added after the third: %v", got)
	}
	// Manifests carry no bytes.
	page, err := w.s.Objects(ctx, w.user["JPN"], w.shared, liaison.ObjectQuery{Manifest: true})
	w.must(err)
	for _, v := range page.Versions {
		if v.Raw != nil {
			t.Errorf("manifest of %s carries bytes", v.ID)
		}
		if v.DateAdded.IsZero() || v.Modified.IsZero() {
			t.Errorf("manifest entry %+v lacks dates", v)
		}
	}
	for _, q := range []liaison.ObjectQuery{
		{Next: "not a cursor"},
		{Next: "AAAA"},
		{Versions: []string{"latest"}},
		{Versions: []string{"2025-13-01T00:00:00Z"}},
		{Limit: -1},
	} {
		_, err := w.s.Objects(ctx, w.user["JPN"], w.shared, q)
		wantCode(t, err, liaison.EINVALID)
	}
}

// manyIDs returns n ids nobody stored, then extra.
func manyIDs(n int, extra ...string) []string {
	out := make([]string, 0, n+len(extra))
	for i := range n {
		out = append(out, oid("indicator", 1_000_000+i))
	}
	return append(out, extra...)
}

func testObjectsPaging(t *testing.T, open Opener) {
	w := newWorld(t, open)
	ctx := w.ctx
	const n = 1105
	var cs []liaison.Candidate
	for i := range n {
		cs = append(cs, sdo(oid("indicator", i), day(0)))
	}
	w.add("USA", w.shared, cs...)
	for _, tc := range []struct {
		name      string
		limit     int
		wantFirst int
	}{
		{"default", 0, 100},
		{"small", 7, 7},
		{"capped", 5000, 1000},
		{"exact", 1000, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := w.s.Objects(ctx, w.user["KOR"], w.shared, liaison.ObjectQuery{Limit: tc.limit})
			w.must(err)
			if len(page.Versions) != tc.wantFirst || !page.More || page.Next == "" {
				t.Fatalf("first page: %d versions, more %v, next %q", len(page.Versions), page.More, page.Next)
			}
			seen := map[string]bool{}
			q := liaison.ObjectQuery{Limit: tc.limit}
			pages := 0
			for {
				page, err := w.s.Objects(ctx, w.user["KOR"], w.shared, q)
				w.must(err)
				pages++
				for _, v := range page.Versions {
					if seen[v.ID] {
						t.Fatalf("%s repeated", v.ID)
					}
					seen[v.ID] = true
				}
				if !page.More {
					break
				}
				q.Next = page.Next
			}
			if len(seen) != n {
				t.Errorf("read %d of %d", len(seen), n)
			}
			if want := (n + tc.wantFirst - 1) / tc.wantFirst; pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}
	// A page that ends exactly at the end says no more.
	page, err := w.s.Objects(ctx, w.user["KOR"], w.shared, liaison.ObjectQuery{Limit: 1000, AddedAfter: time.Time{}})
	w.must(err)
	page, err = w.s.Objects(ctx, w.user["KOR"], w.shared, liaison.ObjectQuery{Limit: 105, Next: page.Next})
	w.must(err)
	if len(page.Versions) != 105 || page.More {
		t.Errorf("last page: %d versions, more %v", len(page.Versions), page.More)
	}
}
