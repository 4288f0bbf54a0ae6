// Package storetest is the conformance suite that every liaison.Store
// must pass. A store's own test calls Run with a function that opens a
// fresh, empty store on a clock the suite controls.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
)

// Opener opens a fresh, empty store whose clock is now. The store must be
// closed by the opener's cleanup (t.Cleanup).
type Opener func(t *testing.T, now func() time.Time) liaison.Store

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) liaison.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Organisations", testOrganisations},
		{"Communities", testCommunities},
		{"Agreements", testAgreements},
		{"DirectoryRollback", testDirectoryRollback},
		{"UpdateOrganisation", testUpdateOrganisation},
		{"PreviewDirectory", testPreviewDirectory},
		{"ObjectiveProgress", testObjectiveProgress},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Passwords", testPasswords},
		{"RolesAndDisabled", testRolesAndDisabled},
		{"Collections", testCollections},
		{"UpdateCollection", testUpdateCollection},
		{"Statuses", testStatuses},
		{"StatusWithObjects", testStatusWithObjects},
		{"AddObjectsAccess", testAddObjectsAccess},
		{"AddObjectsVersions", testAddObjectsVersions},
		{"AddObjectsMarkings", testAddObjectsMarkings},
		{"PresentNeverLeaks", testPresentNeverLeaks},
		{"ObjectsFilters", testObjectsFilters},
		{"ObjectsPaging", testObjectsPaging},
		{"ObjectsNewest", testObjectsNewest},
		{"Activity", testActivity},
		{"ActivityZone", testActivityZone},
		{"PagingUnderWrites", testPagingUnderWrites},
		{"AudienceFiltering", testAudienceFiltering},
		{"LastPerReader", testLastPerReader},
		{"RelationshipEnds", testRelationshipEnds},
		{"RelationshipChains", testRelationshipChains},
		{"Related", testRelated},
		{"CountUses", testCountUses},
		{"ExplainAudience", testExplainAudience},
		{"AgreementExpiry", testAgreementExpiry},
		{"CommunityChange", testCommunityChange},
		{"NewOrganisation", testNewOrganisation},
		{"RecomputeAudiences", testRecomputeAudiences},
		{"DeleteObject", testDeleteObject},
		{"Markings", testMarkings},
		{"Match", testMatch},
		{"Sightings", testSightings},
		{"MatchOnIngest", testMatchOnIngest},
		{"MatchConcurrent", testMatchConcurrent},
		{"Peers", testPeers},
		{"ACSMarkings", testACSMarkings},
		{"IDKeyCollisions", testIDKeyCollisions},
	}
	tests = append(tests, searchTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// Clock is a settable clock for the store under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start is the suite's first instant.
var start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// world is a store with a few organisations, one analyst per
// organisation, and two collections: shared (read and write: ALL) and nato
// (read and write: NATO).
type world struct {
	t      *testing.T
	ctx    context.Context
	s      liaison.Store
	clock  *Clock
	user   map[string]liaison.Principal // analyst by organisation code
	shared string
	nato   string
}

var orgs = []liaison.Organisation{
	{Code: "USA", Name: "United States", Kind: liaison.Ally},
	{Code: "FRA", Name: "France", Kind: liaison.Ally, TimeZone: "Europe/Paris"},
	{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody},
	{Code: "JPN", Name: "Japan", Kind: liaison.Partner, TimeZone: "Asia/Tokyo"},
	{Code: "AUS", Name: "Australia", Kind: liaison.Partner},
	{Code: "KOR", Name: "Republic of Korea", Kind: liaison.Partner},
}

// empty opens a store with nothing in it.
func empty(t *testing.T, open Opener) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), clock: &Clock{t: start}, user: map[string]liaison.Principal{}}
	w.s = open(t, w.clock.Now)
	return w
}

// withOrganisations opens a store holding the suite's organisations and
// nothing else: no users, communities, agreements or collections.
func withOrganisations(t *testing.T, open Opener) *world {
	t.Helper()
	w := empty(t, open)
	for _, o := range orgs {
		w.must(w.s.CreateOrganisation(w.ctx, o))
	}
	return w
}

// newWorld opens a store and fills it with the suite's world.
func newWorld(t *testing.T, open Opener) *world {
	t.Helper()
	w := withOrganisations(t, open)
	for _, o := range orgs {
		w.addUser(o.Code)
	}
	w.shared = w.collection(liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}})
	w.nato = w.collection(liaison.Collection{Title: "Alliance only", Topic: liaison.TopicCyber, Read: []string{"NATO"}, Write: []string{"NATO"}})
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// addUser adds an analyst of org named after it, such as usa.
func (w *world) addUser(org string) liaison.Principal {
	w.t.Helper()
	p := liaison.Principal{Name: strings.ToLower(org), Org: org, Roles: []liaison.Role{liaison.RoleAnalyst}}
	w.must(w.s.CreateUser(w.ctx, &p, ""))
	w.user[org] = p
	return p
}

func (w *world) collection(c liaison.Collection) string {
	w.t.Helper()
	w.must(w.s.CreateCollection(w.ctx, &c))
	return c.ID
}

// add writes candidates as the analyst of org and fails the test on an
// error or any rejection.
func (w *world) add(org, coll string, cs ...liaison.Candidate) liaison.WriteResult {
	w.t.Helper()
	res, err := w.s.AddObjects(w.ctx, w.user[org], coll, cs)
	if err != nil {
		w.t.Fatalf("AddObjects as %s: %v", org, err)
	}
	if len(res.Rejected) > 0 {
		w.t.Fatalf("AddObjects as %s rejected %+v", org, res.Rejected)
	}
	return res
}

// read returns every version that org's analyst reads in coll under q,
// following Next, as "id@version" strings in date_added order.
func (w *world) read(org, coll string, q liaison.ObjectQuery) []string {
	w.t.Helper()
	var out []string
	for _, v := range w.versions(org, coll, q) {
		out = append(out, key(v))
	}
	return out
}

// versions reads every page of coll as org's analyst.
func (w *world) versions(org, coll string, q liaison.ObjectQuery) []liaison.Version {
	w.t.Helper()
	p, ok := w.user[org]
	if !ok {
		p = liaison.Principal{Name: "nobody", Org: org, Roles: []liaison.Role{liaison.RoleReader}}
	}
	var out []liaison.Version
	for range 10000 {
		page, err := w.s.Objects(w.ctx, p, coll, q)
		if err != nil {
			w.t.Fatalf("Objects as %s: %v", org, err)
		}
		out = append(out, page.Versions...)
		if !page.More {
			return out
		}
		q.Next = page.Next
	}
	w.t.Fatal("paging did not end")
	return nil
}

// sees reports whether org reads id (any version) in coll.
func (w *world) sees(org, coll, id string) bool {
	w.t.Helper()
	p, ok := w.user[org]
	if !ok {
		w.t.Fatalf("no user in %s", org)
	}
	page, err := w.s.Objects(w.ctx, p, coll, liaison.ObjectQuery{IDs: []string{id}, Versions: []string{"all"}})
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return false // the reader may not read the collection
	}
	if err != nil {
		w.t.Fatalf("Objects as %s: %v", org, err)
	}
	for _, v := range page.Versions {
		if v.ID != id {
			w.t.Errorf("asked for %s, got %s", id, v.ID)
		}
	}
	return len(page.Versions) > 0
}

// expectSeen checks which organisations read id in coll.
func (w *world) expectSeen(coll, id string, want ...string) {
	w.t.Helper()
	var got []string
	for _, o := range orgs {
		if _, ok := w.user[o.Code]; ok && w.sees(o.Code, coll, id) {
			got = append(got, o.Code)
		}
	}
	for code := range w.user {
		if !slices.ContainsFunc(orgs, func(o liaison.Organisation) bool { return o.Code == code }) && w.sees(code, coll, id) {
			got = append(got, code)
		}
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		w.t.Errorf("%s is read by %v, want %v", id, got, want)
	}
}

func key(v liaison.Version) string {
	return v.ID + "@" + v.Modified.UTC().Format(time.RFC3339Nano)
}

// code returns the error code of err, failing if it is not want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := liaison.ErrorCode(err); got != want {
		t.Fatalf("error %v has code %q, want %q", err, got, want)
	}
}

// oid returns a STIX id of typ numbered n.
func oid(typ string, n int) string {
	return fmt.Sprintf("%s--%08x-0000-4000-8000-%012x", typ, n, n)
}

// ts formats t as a STIX timestamp.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// day returns the suite's base modified time plus n days.
func day(n int) time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

// sdo returns a candidate object with the id and modified time, marked
// with refs.
func sdo(id string, modified time.Time, refs ...string) liaison.Candidate {
	typ, _, _ := strings.Cut(id, "--")
	marks := ""
	if len(refs) > 0 {
		marks = `,"object_marking_refs":["` + strings.Join(refs, `","`) + `"]`
	}
	raw := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"x"%s}`, typ, id, ts(modified.AddDate(0, 0, -1000)), ts(modified), marks)
	return liaison.Candidate{
		ID: id, Type: typ, SpecVersion: "2.1",
		Created: modified.AddDate(0, 0, -1000), Modified: modified,
		Raw: []byte(raw), MarkingRefs: refs,
	}
}

// relationship returns a relationship candidate joining src and dst.
func relationship(id, src, dst string, modified time.Time, refs ...string) liaison.Candidate {
	c := sdo(id, modified, refs...)
	c.Raw = []byte(strings.Replace(string(c.Raw), `"name":"x"`, fmt.Sprintf(`"relationship_type":"uses","source_ref":%q,"target_ref":%q`, src, dst), 1))
	c.Ends = []string{src, dst}
	return c
}

// hubMarking returns a marking-definition candidate of the hub's
// classification and releasability extension.
func hubMarking(id string, level liaison.Classification, rel ...string) liaison.Candidate {
	m := &liaison.Marking{ID: id, Classification: level, ReleasableTo: rel}
	ext := ""
	if level != liaison.NoClassification {
		ext += fmt.Sprintf(`,"classification":%q`, level.String())
	}
	if rel != nil {
		ext += `,"releasable_to":["` + strings.Join(rel, `","`) + `"]`
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	raw := fmt.Sprintf(`{"type":"marking-definition","spec_version":"2.1","id":%q,"created":%q,"extensions":{%q:{"extension_type":"property-extension"%s}}}`,
		id, ts(created), liaison.HubMarkingExtensionID, ext)
	return liaison.Candidate{ID: id, Type: "marking-definition", SpecVersion: "2.1", Created: created, Raw: []byte(raw), Marking: m}
}

// indexed numbers candidates by position, as a bundle would.
func indexed(cs ...liaison.Candidate) []liaison.Candidate {
	for i := range cs {
		cs[i].Index = i
	}
	return cs
}
