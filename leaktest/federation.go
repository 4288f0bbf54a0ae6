package leaktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"liaison"
	"liaison/federation"
	"liaison/stix"
)

// The randomised leak test of federation: three offices over real HTTP,
// A and B pulling from each other and C pulling from B, with random
// directories, grants and markings. After every round of syncs, and after
// directory changes on either side, an agreement expiring at the source
// and deletions, every organisation at every office must read exactly
// what the reference below says: nothing more, nothing less.
//
// The reference is written plainly from ARCHITECTURE.md ("The one
// invariant" and "Federation"), without liaison.Directory or any store
// code: it asks, for one organisation at one office and one version,
// whether the markings release the version there, and whether every hop
// the version took carried that organisation.

// FedStore is what an office of the federation test needs of its store.
type FedStore interface {
	liaison.Store
	liaison.PeerService
}

// FedOptions tune a federation run.
type FedOptions struct {
	Seed    uint64
	Objects int // objects written at each office per round; default 12
	// Open returns a fresh store whose clock is now.
	Open func(now func() time.Time) FedStore
	// Wrap, if set, stands between office name's puller and its store: a
	// mutant office.
	Wrap func(office string, s liaison.PeerService) liaison.PeerService
}

// Finding is a difference from the reference.
type Finding struct {
	Office, Org, Phase string
	Extra, Missing     []string // object ids
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: at %s, %s reads %d more (%s) and %d fewer (%s) than the reference",
		f.Phase, f.Office, f.Org, len(f.Extra), strings.Join(f.Extra, " "), len(f.Missing), strings.Join(f.Missing, " "))
}

var fedKinds = map[string]liaison.OrgKind{
	"USA": liaison.Ally, "FRA": liaison.Ally, "DEU": liaison.Ally, "GBR": liaison.Ally, "NATO-IS": liaison.NATOBody,
	"JPN": liaison.Partner, "KOR": liaison.Partner, "AUS": liaison.Partner,
}

// fedDir is one office's directory as the reference keeps it.
type fedDir struct {
	orgs        map[string]bool
	communities map[string][]string
	agreements  []liaison.Agreement
}

// fedMarking is a hub marking the offices share.
type fedMarking struct {
	id      string
	level   int // 0 none, 1 NATO UNCLASSIFIED … 4 NATO SECRET
	list    []string
	hasList bool
	tlp     string // "", "red", "amber+strict", "green"
	tlpID   string
	// An ACS 3.0 marking: one permit of permitted_nationalities, and the
	// further_sharing permits and denies (no rule at all: shares with no
	// other office).
	acs                   bool
	nations, share, unsha []string
	jsonBody              string
}

// fedVersion is one object written at an office.
type fedVersion struct {
	id, office, originator string
	markings               []*fedMarking
	deleted                bool
	raw                    string
}

// fedOffice is one office.
type fedOffice struct {
	name   string
	s      FedStore
	srv    *httptest.Server
	dir    *fedDir
	users  map[string]liaison.Principal
	puller *federation.Puller
}

// fedWorld is the whole run.
type fedWorld struct {
	r        *rand.Rand
	clock    *fedClock
	offices  map[string]*fedOffice
	grants   map[[2]string][]string // [from, to] → serves
	pulls    [][2]string            // [from, to], in sync order
	markings []*fedMarking
	versions []*fedVersion
	seq      int
	noRule9  bool // the reference without federation rule 9, for FedStats
}

type fedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *fedClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Collections: the federated one, and one per office for the markings,
// which every office writes itself and which is never pulled.
const (
	fedColl  = "fed00000-0000-4000-8000-000000000001"
	defsColl = "fed00000-0000-4000-8000-000000000002"
)

var fedLevels = []string{"", "NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET"}

// FedStats says how much a run exercised: reads the reference granted at
// an office other than the version's own, and versions that travelled at
// least one hop and were later narrowed or withdrawn there.
type FedStats struct {
	CarriedReads int
	Withdrawn    int
	// ACSCarried counts carried reads of versions with an ACS marking;
	// ACSHeld, reads at another office that only federation rule 9
	// (further sharing) denies.
	ACSCarried, ACSHeld int
}

// RunFederation runs one randomised federation world and returns what
// differed from the reference.
func RunFederation(ctx context.Context, opt FedOptions) ([]Finding, FedStats, error) {
	var st FedStats
	f, err := runFederation(ctx, opt, &st)
	return f, st, err
}

func runFederation(ctx context.Context, opt FedOptions, st *FedStats) ([]Finding, error) {
	if opt.Objects == 0 {
		opt.Objects = 12
	}
	w := &fedWorld{r: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5eed)), clock: &fedClock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		offices: map[string]*fedOffice{}, grants: map[[2]string][]string{}}
	defer func() {
		for _, o := range w.offices {
			if o.srv != nil {
				o.srv.Close()
			}
		}
	}()
	if err := w.setup(ctx, opt); err != nil {
		return nil, err
	}
	var findings []Finding
	before := map[[3]string]bool{}
	check := func(phase string) error {
		if err := w.syncAll(ctx); err != nil {
			return fmt.Errorf("%s: %w", phase, err)
		}
		for _, v := range w.versions {
			for _, name := range []string{"A", "B", "C"} {
				for org := range w.offices[name].dir.orgs {
					k := [3]string{v.id, name, org}
					now := w.reads(name, org, v)
					if name != v.office && now {
						st.CarriedReads++
						if hasACS(v) {
							st.ACSCarried++
						}
					}
					if name != v.office && !now && hasACS(v) {
						w.noRule9 = true
						if w.reads(name, org, v) {
							st.ACSHeld++
						}
						w.noRule9 = false
					}
					if name != v.office && before[k] && !now {
						st.Withdrawn++
					}
					before[k] = now
				}
			}
		}
		f, err := w.check(ctx, phase)
		findings = append(findings, f...)
		return err
	}
	for _, name := range []string{"A", "B", "C"} {
		if err := w.writeObjects(ctx, name, opt.Objects); err != nil {
			return nil, err
		}
	}
	if err := check("first sync"); err != nil {
		return findings, err
	}
	// Directory changes on either side: the source's community narrows,
	// the pulling office's widens.
	if err := w.setCommunity(ctx, "A", "CP", []string{w.pick([]string{"USA", "JPN", "FRA"})}); err != nil {
		return findings, err
	}
	if err := w.setCommunity(ctx, "B", "CP", []string{"USA", "FRA", "DEU", "JPN", "KOR", "NATO-IS"}); err != nil {
		return findings, err
	}
	if err := check("after directory changes"); err != nil {
		return findings, err
	}
	// An agreement expires at the source, and more objects come.
	w.clock.advance(2 * time.Hour)
	if err := w.writeObjects(ctx, "A", opt.Objects/2); err != nil {
		return findings, err
	}
	if err := check("after an agreement expired at the source"); err != nil {
		return findings, err
	}
	// Deletions at every office.
	if err := w.deleteSome(ctx); err != nil {
		return findings, err
	}
	if err := check("after deletions"); err != nil {
		return findings, err
	}
	return findings, nil
}

func (w *fedWorld) pick(s []string) string { return s[w.r.IntN(len(s))] }

func (w *fedWorld) someOf(pool []string, lo, hi int) []string {
	n := lo + w.r.IntN(hi-lo+1)
	p := slices.Clone(pool)
	w.r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p[:min(n, len(p))]
}

func (w *fedWorld) setup(ctx context.Context, opt FedOptions) error {
	hubs := map[string][]string{
		"A": {"USA", "FRA", "DEU", "GBR", "NATO-IS", "JPN", "KOR", "AUS"},
		"B": {"USA", "FRA", "DEU", "NATO-IS", "JPN", "KOR"},
		"C": {"USA", "FRA", "GBR", "AUS"},
	}
	start := w.clock.now
	for _, name := range []string{"A", "B", "C"} {
		s := opt.Open(w.clock.Now)
		o := &fedOffice{name: name, s: s, dir: &fedDir{orgs: map[string]bool{}, communities: map[string][]string{}}, users: map[string]liaison.Principal{}}
		for _, code := range hubs[name] {
			if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: code, Name: code, Kind: fedKinds[code]}); err != nil {
				return err
			}
			o.dir.orgs[code] = true
			p := liaison.Principal{Name: strings.ToLower(code) + "-" + strings.ToLower(name), Org: code, Roles: []liaison.Role{liaison.RoleAnalyst}}
			if err := s.CreateUser(ctx, &p, ""); err != nil {
				return err
			}
			o.users[code] = p
		}
		// The operator community CP, where the office has one.
		if name != "C" {
			members := w.someOf([]string{"USA", "FRA", "JPN", "KOR", "DEU"}, 1, 3)
			if err := s.CreateCommunity(ctx, liaison.Community{Name: "CP", Members: members}); err != nil {
				return err
			}
			o.dir.communities["CP"] = members
		}
		// Security agreements: at A, JPN's ends an hour in; AUS's is
		// open-ended; at B, JPN's is open-ended.
		var ags []liaison.Agreement
		switch name {
		case "A":
			ags = []liaison.Agreement{
				{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: 3, Until: start.Add(time.Hour)},
				{Partner: "AUS", Kind: liaison.SecurityAgreement, MaxClassification: 4},
			}
		case "B":
			ags = []liaison.Agreement{{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: 2}}
		}
		for i := range ags {
			if err := s.CreateAgreement(ctx, &ags[i]); err != nil {
				return err
			}
		}
		o.dir.agreements = ags
		for _, id := range []string{fedColl, defsColl} {
			if err := s.CreateCollection(ctx, &liaison.Collection{ID: id, Title: id, Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}); err != nil {
				return err
			}
		}
		mux := http.NewServeMux()
		mux.Handle("/taxii2/api/peer/", federation.NewServer(s, "/taxii2/api/peer/", quietLog()))
		o.srv = httptest.NewServer(mux)
		w.offices[name] = o
	}
	// The markings, written at every office.
	codes := []string{"USA", "FRA", "DEU", "GBR", "JPN", "KOR", "AUS", "NATO-IS", "NATO", "IP4", "ALL", "CP", "ZZZ"}
	for i := range 10 {
		m := &fedMarking{id: fmt.Sprintf("marking-definition--fed0%04x-0000-4000-8000-000000000000", i)}
		if w.r.IntN(3) > 0 {
			m.hasList, m.list = true, w.someOf(codes, 1, 3)
		}
		if !m.hasList || w.r.IntN(2) == 0 {
			m.level = 1 + w.r.IntN(4)
		}
		ext := map[string]any{"extension_type": "property-extension"}
		if m.level > 0 {
			ext["classification"] = fedLevels[m.level]
		}
		if m.hasList {
			ext["releasable_to"] = m.list
		}
		body := map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": m.id, "created": "2026-01-01T00:00:00.000Z",
			"extensions": map[string]any{liaison.HubMarkingExtensionID: ext}}
		b, err := jsonMarshal(body)
		if err != nil {
			return err
		}
		m.jsonBody = string(b)
		w.markings = append(w.markings, m)
	}
	// ACS 3.0 markings, for rule 12 and federation rule 9.
	nations := []string{"ALL", "USA", "FRA", "DEU", "GBR", "JPN", "KOR", "AUS"}
	for i := range 5 {
		m := &fedMarking{id: fmt.Sprintf("marking-definition--fed1%04x-0000-4000-8000-000000000000", i), acs: true}
		m.nations = w.someOf(nations, 1, 5)
		ext := map[string]any{"extension_type": "property-extension",
			"access_privilege": []any{map[string]any{"privilege_action": "DSPLY", "rule_effect": "permit",
				"privilege_scope": map[string]any{"permitted_nationalities": m.nations}}}}
		if i > 0 { // the first shares with no other office
			var rules []any
			m.share = w.someOf(append(slices.Clone(nations), "NATO-IS", "ALL"), 1, 4)
			rules = append(rules, map[string]any{"sharing_scope": m.share, "rule_effect": "permit"})
			if w.r.IntN(2) == 0 {
				m.unsha = w.someOf(nations[1:], 1, 2)
				rules = append(rules, map[string]any{"sharing_scope": m.unsha, "rule_effect": "deny"})
			}
			ext["further_sharing"] = rules
		}
		b, err := jsonMarshal(map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": m.id, "created": "2026-01-01T00:00:00.000Z",
			"extensions": map[string]any{liaison.ACSExtensionID: ext}})
		if err != nil {
			return err
		}
		m.jsonBody = string(b)
		w.markings = append(w.markings, m)
	}
	for _, tl := range []struct{ name, id string }{{"red", liaison.TLPRedID}, {"amber+strict", liaison.TLPAmberStrictID}, {"green", liaison.TLPGreenID}} {
		w.markings = append(w.markings, &fedMarking{id: tl.id, tlp: tl.name, tlpID: tl.id})
	}
	for _, o := range w.offices {
		var cs []liaison.Candidate
		for i, m := range w.markings {
			if m.tlp != "" {
				continue
			}
			c, err := stix.Decode(i, []byte(m.jsonBody))
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		if res, err := o.s.AddObjects(ctx, o.users["USA"], defsColl, cs); err != nil || len(res.Rejected) > 0 {
			return fmt.Errorf("office %s: markings: %v %+v", o.name, err, res.Rejected)
		}
	}
	// Grants and pulls: B from A, A from B, C from B.
	servePool := []string{"USA", "FRA", "DEU", "GBR", "JPN", "KOR", "AUS", "NATO", "IP4", "CP"}
	for _, l := range [][2]string{{"A", "B"}, {"B", "A"}, {"B", "C"}} {
		from, to := w.offices[l[0]], w.offices[l[1]]
		var known []string
		for _, n := range servePool {
			// B's CP widens later, and a grant's served set that widens
			// does not reach a peer that pulled before (the version it
			// holds keeps the audience carried then: narrower, never
			// wider, but a reader the reference would grant misses it).
			// Until that is propagated, B grants no CP.
			if n == "CP" && l[0] == "B" {
				continue
			}
			if _, community := from.dir.communities[n]; from.dir.orgs[n] || community || n == "NATO" || n == "IP4" {
				known = append(known, n)
			}
		}
		serves := w.someOf(known, 1, 3)
		tok, err := from.s.AllowPeer(ctx, to.name, serves)
		if err != nil {
			return err
		}
		if err := to.s.AddPeerPull(ctx, liaison.PeerPull{Name: from.name, URL: from.srv.URL + "/taxii2/api/", Token: tok,
			Collections: []liaison.PeerCollection{{Remote: fedColl, Local: fedColl}}}); err != nil {
			return err
		}
		w.grants[l] = serves
		w.pulls = append(w.pulls, l)
	}
	for _, o := range w.offices {
		var ps liaison.PeerService = o.s
		if opt.Wrap != nil {
			ps = opt.Wrap(o.name, o.s)
		}
		o.puller = &federation.Puller{Store: ps, Log: quietLog(), PageSize: 5}
	}
	return nil
}

func (w *fedWorld) writeObjects(ctx context.Context, office string, n int) error {
	o := w.offices[office]
	orgs := sortedKeys(o.dir.orgs)
	for range n {
		w.seq++
		v := &fedVersion{id: fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", w.seq, w.seq), office: office, originator: w.pick(orgs)}
		k := w.r.IntN(3)
		for _, i := range w.r.Perm(len(w.markings))[:k] {
			v.markings = append(v.markings, w.markings[i])
		}
		refs := ""
		if len(v.markings) > 0 {
			var ids []string
			for _, m := range v.markings {
				ids = append(ids, `"`+m.id+`"`)
			}
			refs = `,"object_marking_refs":[` + strings.Join(ids, ",") + `]`
		}
		v.raw = `{"type":"indicator","spec_version":"2.1","id":"` + v.id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",` +
			`"pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"` + refs + `}`
		c, err := stix.Decode(0, []byte(v.raw))
		if err != nil {
			return err
		}
		res, err := o.s.AddObjects(ctx, o.users[v.originator], fedColl, []liaison.Candidate{c})
		if err != nil || len(res.Rejected) > 0 {
			return fmt.Errorf("office %s: write %s: %v %+v", office, v.id, err, res.Rejected)
		}
		w.versions = append(w.versions, v)
	}
	return nil
}

func (w *fedWorld) setCommunity(ctx context.Context, office, name string, members []string) error {
	o := w.offices[office]
	if err := o.s.SetCommunityMembers(ctx, name, members); err != nil {
		return err
	}
	o.dir.communities[name] = members
	return nil
}

func (w *fedWorld) deleteSome(ctx context.Context) error {
	for _, v := range w.versions {
		if v.deleted || w.r.IntN(4) != 0 {
			continue
		}
		o := w.offices[v.office]
		if _, err := o.s.DeleteObject(ctx, o.users[v.originator], fedColl, v.id, liaison.ObjectQuery{Versions: []string{liaison.VersionAll}}); err != nil {
			return fmt.Errorf("delete %s at %s: %w", v.id, v.office, err)
		}
		v.deleted = true
	}
	return nil
}

// syncAll runs the pulls, in order, twice: a narrowing that reaches B in
// the first round reaches C by the second at the latest.
func (w *fedWorld) syncAll(ctx context.Context) error {
	for range 2 {
		for _, l := range w.pulls {
			if _, err := w.offices[l[1]].puller.Sync(ctx, l[0]); err != nil {
				return fmt.Errorf("sync %s from %s: %w", l[1], l[0], err)
			}
		}
	}
	return nil
}

// check compares what each organisation at each office reads with the
// reference.
func (w *fedWorld) check(ctx context.Context, phase string) ([]Finding, error) {
	var out []Finding
	for _, name := range []string{"A", "B", "C"} {
		o := w.offices[name]
		for _, org := range sortedKeys(o.dir.orgs) {
			got := map[string]bool{}
			q := liaison.ObjectQuery{Versions: []string{liaison.VersionAll}, Limit: 1000}
			for {
				page, err := o.s.Objects(ctx, o.users[org], fedColl, q)
				if err != nil {
					return out, err
				}
				for _, v := range page.Versions {
					got[v.ID] = true
				}
				if !page.More {
					break
				}
				q.Next = page.Next
			}
			f := Finding{Office: name, Org: org, Phase: phase}
			for _, v := range w.versions {
				want := w.reads(name, org, v)
				switch {
				case got[v.id] && !want:
					f.Extra = append(f.Extra, v.id)
				case !got[v.id] && want:
					f.Missing = append(f.Missing, v.id)
				}
			}
			if len(f.Extra)+len(f.Missing) > 0 {
				if debugFed {
					fmt.Println("GRANTS", w.grants, "CP", w.offices["A"].dir.communities, w.offices["B"].dir.communities)
					for _, v := range w.versions {
						if slices.Contains(f.Missing, v.id) {
							var ms []string
							for _, m := range v.markings {
								ms = append(ms, fmt.Sprintf("%s/%d/%v/%s/acs=%v %v %v %v", m.id[20:28], m.level, m.list, m.tlp, m.acs, m.nations, m.share, m.unsha))
							}
							fmt.Println("MISSING", v.id[11:19], v.office, v.originator, ms)
						}
					}
				}
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// The reference.

// named reports whether name stands for org in office's directory.
func (w *fedWorld) named(office, org, name string, following map[string]bool) bool {
	d := w.offices[office].dir
	if !d.orgs[org] {
		return false
	}
	switch name {
	case "ALL":
		return true
	case "NATO":
		return fedKinds[org] == liaison.Ally || fedKinds[org] == liaison.NATOBody
	case "IP4":
		return org == "AUS" || org == "JPN" || org == "KOR" || org == "NZL"
	}
	if members, ok := d.communities[name]; ok {
		if following[name] {
			return false
		}
		following[name] = true
		for _, m := range members {
			if w.named(office, org, m, following) {
				return true
			}
		}
		return false
	}
	return name == org
}

// markingsRelease says whether v's markings release it to org under
// office's directory at the clock's now.
func (w *fedWorld) markingsRelease(office, org string, v *fedVersion) bool {
	if !w.offices[office].dir.orgs[org] {
		return false
	}
	if org == v.originator {
		return true
	}
	hasList, red, level := false, false, 0
	for _, m := range v.markings {
		if m.hasList {
			hasList = true
			any := false
			for _, n := range m.list {
				if w.named(office, org, n, map[string]bool{}) {
					any = true
				}
			}
			if !any {
				return false
			}
		}
		if m.acs && !slices.Contains(m.nations, "ALL") && (fedKinds[org] == liaison.NATOBody || !slices.Contains(m.nations, org)) {
			return false // rule 12: a nationality permit other than ALL never admits a NATO body
		}
		red = red || m.tlp == "red"
		level = max(level, m.level)
	}
	if red && !hasList {
		return false
	}
	if level > 0 && !hasList && fedKinds[org] != liaison.Ally && fedKinds[org] != liaison.NATOBody {
		return false
	}
	if level > 1 && fedKinds[org] == liaison.Partner {
		now := w.clock.now
		covered := false
		for _, a := range w.offices[office].dir.agreements {
			if a.Partner == org && int(a.MaxClassification) >= level && (a.Until.IsZero() || now.Before(a.Until)) {
				covered = true
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// strict is rule 6: TLP:RED or TLP:AMBER+STRICT with no releasable_to.
func strict(v *fedVersion) bool {
	s, listed := false, false
	for _, m := range v.markings {
		s = s || m.tlp == "red" || m.tlp == "amber+strict"
		listed = listed || m.hasList
	}
	return s && !listed
}

// furtherShares is federation rule 9: every ACS marking of v lets it go to
// an office for org, by a further_sharing permit naming org or ALL, and no
// deny naming org.
func furtherShares(org string, v *fedVersion) bool {
	for _, m := range v.markings {
		if m.acs && (!slices.Contains(m.share, org) && !slices.Contains(m.share, "ALL") || slices.Contains(m.unsha, org)) {
			return false
		}
	}
	return true
}

func hasACS(v *fedVersion) bool {
	return slices.ContainsFunc(v.markings, func(m *fedMarking) bool { return m.acs })
}

// path returns the offices v passed through to reach office, source
// first, or nil if it never reaches it: a version travels along each pull
// from an office that holds it, never back to the office it came from.
func (w *fedWorld) path(v *fedVersion, office string) []string {
	if office == v.office {
		return []string{office}
	}
	// The topology is fixed: B pulls from A, A from B, C from B.
	switch {
	case v.office == "A" && office == "B":
		return []string{"A", "B"}
	case v.office == "A" && office == "C":
		return []string{"A", "B", "C"}
	case v.office == "B" && office == "A":
		return []string{"B", "A"}
	case v.office == "B" && office == "C":
		return []string{"B", "C"}
	}
	return nil
}

// reads is the reference: whether org at office reads v.
func (w *fedWorld) reads(office, org string, v *fedVersion) bool {
	if v.deleted {
		return false
	}
	p := w.path(v, office)
	if p == nil {
		return false
	}
	if len(p) > 1 && strict(v) {
		return false // rule 6
	}
	// Rules 1 and 2 at each hop: the serving office serves the peer for
	// the organisations of its grant (as the serving office names them),
	// and only those of them that read v there travel; at the last office
	// the markings must release v to org under its own directory too.
	readsAt := func(at, o string) bool { return w.markingsRelease(at, o, v) }
	carried := func(i int, o string) bool {
		if !w.noRule9 && !furtherShares(o, v) {
			return false // federation rule 9
		}
		for _, n := range w.grants[[2]string{p[i], p[i+1]}] {
			if w.named(p[i], o, n, map[string]bool{}) {
				return true
			}
		}
		return false
	}
	var holds func(i int, o string) bool
	holds = func(i int, o string) bool {
		if !readsAt(p[i], o) {
			return false
		}
		if i == 0 {
			return true
		}
		return carried(i-1, o) && holds(i-1, o)
	}
	// A hop happens only when some organisation of the grant reads v at
	// the serving office (rule 1); a version that never arrived is read
	// by nobody.
	for i := 0; i+1 < len(p); i++ {
		served := false
		for _, o := range fedPool {
			if carried(i, o) && holds(i, o) {
				served = true
				break
			}
		}
		if !served {
			return false
		}
	}
	return holds(len(p)-1, org)
}

var fedPool = sortedKeys(map[string]bool{"USA": true, "FRA": true, "DEU": true, "GBR": true, "NATO-IS": true, "JPN": true, "KOR": true, "AUS": true})

var debugFed = false

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// FedSeeds is how many random worlds the federation tests try: for the
// invariant, and for each mutant. The race detector slows SQLite about
// twentyfold, so under it both shrink to keep CI within about a minute.
func FedSeeds(short bool) (invariant, mutant int) {
	switch {
	case raceEnabled:
		return 1, 1
	case short:
		return 2, 1
	}
	return 6, 3
}
