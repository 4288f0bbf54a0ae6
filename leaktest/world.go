package leaktest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"liaison"
)

// Sizes says how big a generated world is.
type Sizes struct {
	Allies        int // allies besides the ones every world has
	OtherPartners int // partners besides the IP4
	Objects       int // object versions written (markings not counted)
}

// User is a principal of the world and, once loaded, its API token.
type User struct {
	liaison.Principal
	Token string // set by Load
}

// Coll is a collection of the world. Key names it stably across runs; the
// store assigns Collection.ID when Load creates it.
type Coll struct {
	liaison.Collection
	Key string
}

// HubMarking is a marking-definition in the hub's own classification and
// releasability format, or, when ACS is set, an ACS 3.0 marking whose
// access_privilege rules are Rules.
type HubMarking struct {
	ID             string
	Classification liaison.Classification // NoClassification when the field is absent
	ReleasableTo   []string               // nil when the field is absent
	ACS            bool
	Rules          []ACSRule
}

// ACSRule is one ACS 3.0 access_privilege rule: its effect and the scope's
// permitted_nationalities and permitted_organizations (nil when absent).
type ACSRule struct {
	Permit        bool
	Nationalities []string
	Organizations []string
}

// Obj is one object version written to one collection.
type Obj struct {
	Coll        *Coll
	ID          string
	Type        string
	Modified    time.Time // the version; created for marking-definitions
	MarkingRefs []string  // object_marking_refs
	Ends        []string  // relationship and sighting ends
	Writer      *User
	Raw         []byte
	// UnknownMarking is set when a marking ref names a marking-definition
	// the hub does not know: the store must reject the version.
	UnknownMarking bool
	// Default is the default marking the version takes: that of the
	// collection it is first written to, when it has no marking. Set by
	// the generator once the write order is fixed.
	Default string
	// Seq is the position in write order.
	Seq int
	// Late is set on versions written only after the directory changes.
	Late bool
	// NamesLinks is set on relationships whose ends include links: chains
	// and cycles, which STIX over TAXII cannot carry but federation and
	// imports write through the store. They are written without Decode's
	// refusal of such ends.
	NamesLinks bool
}

// Originator is the organisation recorded for the version: the writer's.
func (o *Obj) Originator() string { return o.Writer.Org }

// IsLink reports whether the version is a relationship or a sighting, whose
// readers must also read its ends.
func (o *Obj) IsLink() bool { return o.Type == "relationship" || o.Type == "sighting" }

// Batch is one AddObjects call.
type Batch struct {
	Coll   *Coll
	Writer *User
	Objs   []*Obj
}

// World is a generated world. Orgs, Communities and Agreements are the
// directory as it stands now; Mutations change them.
type World struct {
	Seed  int64
	Start time.Time // the clock's start

	Orgs        []liaison.Organisation
	Communities []liaison.Community
	Agreements  []liaison.Agreement
	Users       []*User
	Collections []*Coll
	Markings    []HubMarking
	Batches     []Batch
	Objs        []*Obj // in write order, late ones last
	// LateBatches are written after the directory changes, by the added
	// organisation among others; lateWritten says they have been.
	LateBatches []Batch
	lateWritten bool

	// Late is the organisation added by a mutation: its code is used in
	// releasable_to lists before it exists.
	Late     liaison.Organisation
	LateUser *User
	// Unknown are codes used in releasable_to lists that never exist.
	Unknown []string
	// ExpiresAt is when the first security agreement leaves force, and
	// StartsAt when a future one enters it (both after Start).
	ExpiresAt, StartsAt time.Time
}

var (
	allyPool    = []string{"FRA", "USA", "GBR", "DEU", "ITA", "ESP", "POL", "NLD", "BEL", "CAN", "NOR", "DNK", "TUR", "GRC", "PRT", "CZE", "ROU", "EST", "LVA", "LTU", "HUN", "SVK"}
	partnerPool = []string{"UKR", "CHE", "AUT", "IRL", "GEO", "MDA"}
	bodies      = []string{"NATO-IS", "NCIA", "NLO-TYO"}
	tlpIDs      = []string{
		liaison.TLPClearID, liaison.TLPGreenID, liaison.TLPAmberID, liaison.TLPAmberStrictID, liaison.TLPRedID,
		"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", // TLP 1.0 WHITE
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", // TLP 1.0 GREEN
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", // TLP 1.0 AMBER
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", // TLP 1.0 RED
	}
	// tlpRed are the ids that mean TLP:RED, written out here rather than
	// taken from liaison.TLPByID so the reference stays independent.
	tlpRed = []string{liaison.TLPRedID, "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}
)

// Generate builds a random world from seed. The same seed and sizes give
// the same world.
func Generate(seed int64, sz Sizes) *World {
	g := &gen{
		r:   rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		acs: rand.New(rand.NewPCG(uint64(seed)^0xac5, uint64(seed)^0x5ca1ab1e)),
		mx:  rand.New(rand.NewPCG(uint64(seed)^0x1800, uint64(seed)^0x3a7c1e5)),
		w:   &World{Seed: seed, Start: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
	}
	g.orgs(sz)
	g.communities()
	g.agreements()
	g.users()
	g.markings()
	g.collections()
	g.objects(sz.Objects)
	g.late()
	return g.w
}

// stored reports whether the version is in the store: accepted, and
// written already.
func (w *World) stored(o *Obj) bool { return !o.UnknownMarking && (!o.Late || w.lateWritten) }

type gen struct {
	r *rand.Rand
	// acs draws everything about ACS markings, apart from r, so that
	// adding them left the rest of every seed's world as it was.
	acs *rand.Rand
	// mx draws the catalogue (matrices, tactics and the uses links of
	// campaigns and threat actors), apart from r, so that adding them
	// left the rest of every seed's world as it was.
	mx  *rand.Rand
	w   *World
	seq int
	ts  time.Time
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *gen) id(typ string) string { return typ + "--" + g.uuid() }

func (g *gen) orgs(sz Sizes) {
	w := g.w
	allies := slices.Clone(allyPool)
	g.r.Shuffle(len(allies), func(i, j int) { allies[i], allies[j] = allies[j], allies[i] })
	// FRA, USA, GBR and CAN always take part: the operator communities use them.
	base := []string{"FRA", "USA", "GBR", "CAN"}
	chosen := slices.Clone(base)
	for _, a := range allies {
		if len(chosen) >= len(base)+sz.Allies {
			break
		}
		if !slices.Contains(chosen, a) {
			chosen = append(chosen, a)
		}
	}
	for _, c := range chosen {
		w.Orgs = append(w.Orgs, liaison.Organisation{Code: c, Name: "Ally " + c, Kind: liaison.Ally})
	}
	for _, c := range liaison.IP4Members {
		w.Orgs = append(w.Orgs, liaison.Organisation{Code: c, Name: "Partner " + c, Kind: liaison.Partner, TimeZone: "Asia/Tokyo"})
	}
	partners := slices.Clone(partnerPool)
	g.r.Shuffle(len(partners), func(i, j int) { partners[i], partners[j] = partners[j], partners[i] })
	for _, c := range partners[:min(sz.OtherPartners, len(partners))] {
		w.Orgs = append(w.Orgs, liaison.Organisation{Code: c, Name: "Partner " + c, Kind: liaison.Partner})
	}
	for _, c := range bodies {
		w.Orgs = append(w.Orgs, liaison.Organisation{Code: c, Name: "NATO body " + c, Kind: liaison.NATOBody})
	}
	// Sweden joins later as an ally; its code is used before it exists.
	w.Late = liaison.Organisation{Code: "SWE", Name: "Ally SWE", Kind: liaison.Ally}
	w.Unknown = []string{"XKX", "ZZZ"}
}

func (w *World) codes(kind liaison.OrgKind) []string {
	var out []string
	for _, o := range w.Orgs {
		if kind == "" || o.Kind == kind {
			out = append(out, o.Code)
		}
	}
	return out
}

func (g *gen) someOf(pool []string, lo, hi int) []string {
	p := slices.Clone(pool)
	g.r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	n := lo + g.r.IntN(hi-lo+1)
	return p[:min(n, len(p))]
}

func (g *gen) communities() {
	w := g.w
	allies, partners := w.codes(liaison.Ally), w.codes(liaison.Partner)
	w.Communities = []liaison.Community{
		{Name: "FIVE-EYES", Members: []string{"USA", "GBR", "CAN", "AUS", "NZL"}},
		{Name: "CYBER-CELL", Members: append(g.someOf(allies, 2, 4), g.pick(partners), "NCIA")},
		// Nested: a community of communities and organisations.
		{Name: "PACIFIC", Members: []string{"FIVE-EYES", "JPN", "NLO-TYO"}},
		{Name: "INNER", Members: []string{"PACIFIC", g.pick(allies)}},
		// A partner that is not in IP4 joins this one later.
		{Name: "OUTREACH", Members: append(g.someOf(allies, 1, 2), "KOR")},
	}
}

func (g *gen) agreements() {
	w := g.w
	day := 24 * time.Hour
	w.ExpiresAt = w.Start.Add(10 * day)
	w.StartsAt = w.Start.Add(5 * day)
	// Fixed agreements that the mutations rely on, then random ones.
	w.Agreements = []liaison.Agreement{
		{Partner: "JPN", Kind: liaison.SecurityAgreement, Name: "NATO-Japan information security", MaxClassification: liaison.Classification(2 + g.r.IntN(3)), From: w.Start.AddDate(-16, 0, 0)},
		// Expires at ExpiresAt: the clock alone must take it out of force.
		{Partner: "AUS", Kind: liaison.SecurityAgreement, Name: "NATO-Australia", MaxClassification: liaison.NATOSecret, From: w.Start.AddDate(-14, 0, 0), Until: w.ExpiresAt},
		// Enters force at StartsAt.
		{Partner: "KOR", Kind: liaison.SecurityAgreement, Name: "NATO-Korea", MaxClassification: liaison.Classification(2 + g.r.IntN(3)), From: w.StartsAt},
		// Expired long ago.
		{Partner: "NZL", Kind: liaison.SecurityAgreement, Name: "NATO-New Zealand (old)", MaxClassification: liaison.CosmicTopSecret, From: w.Start.AddDate(-10, 0, 0), Until: w.Start.AddDate(-1, 0, 0)},
		{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP 2023-2026", Areas: []string{"cyber defence", "disinformation"}, Objectives: []string{"interoperability"}},
	}
	for _, p := range w.codes(liaison.Partner) {
		if slices.Contains(liaison.IP4Members, p) || g.r.IntN(3) == 0 {
			continue
		}
		a := liaison.Agreement{Partner: p, Kind: liaison.SecurityAgreement, Name: "security " + p, MaxClassification: liaison.Classification(2 + g.r.IntN(4))}
		switch g.r.IntN(4) {
		case 0:
			a.Until = w.Start.Add(time.Duration(1+g.r.IntN(30)) * day)
		case 1:
			a.From = w.Start.Add(time.Duration(1+g.r.IntN(30)) * day)
		case 2:
			a.From, a.Until = w.Start.AddDate(-3, 0, 0), w.Start.AddDate(0, 0, -2)
		}
		w.Agreements = append(w.Agreements, a)
	}
}

var roles = []liaison.Role{liaison.RoleReader, liaison.RoleAnalyst, liaison.RoleOfficer, liaison.RoleAdmin}

func (g *gen) users() {
	w := g.w
	for _, o := range w.Orgs {
		n := 1 + g.r.IntN(3)
		for i := range n {
			r := roles[g.r.IntN(len(roles))]
			if i == 0 {
				r = liaison.RoleAnalyst // every organisation can write somewhere
			}
			w.Users = append(w.Users, &User{Principal: liaison.Principal{Name: fmt.Sprintf("%s.user%d", lower(o.Code), i), Org: o.Code, Roles: []liaison.Role{r}}})
		}
	}
	w.LateUser = &User{Principal: liaison.Principal{Name: "swe.user0", Org: w.Late.Code, Roles: []liaison.Role{liaison.RoleAnalyst}}}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// releasableNames is what releasable_to lists draw from.
func (g *gen) releasableNames() []string {
	w := g.w
	names := []string{liaison.CommunityNATO, liaison.CommunityIP4, liaison.CommunityAll, w.Late.Code}
	names = append(names, w.Unknown...)
	for _, c := range w.Communities {
		names = append(names, c.Name)
	}
	return append(names, w.codes("")...)
}

func (g *gen) markings() {
	w := g.w
	names := g.releasableNames()
	// A few fixed shapes, then random ones.
	w.Markings = []HubMarking{
		{ID: g.id("marking-definition"), Classification: liaison.NATORestricted},
		{ID: g.id("marking-definition"), Classification: liaison.NATOSecret, ReleasableTo: []string{"NATO", "IP4"}},
		{ID: g.id("marking-definition"), Classification: liaison.NATOConfidential, ReleasableTo: []string{"PACIFIC"}},
		{ID: g.id("marking-definition"), ReleasableTo: []string{w.Late.Code, w.Unknown[0]}},
		{ID: g.id("marking-definition"), ReleasableTo: []string{"OUTREACH", "JPN"}},
		{ID: g.id("marking-definition"), Classification: liaison.NATOUnclassified},
		{ID: g.id("marking-definition"), Classification: liaison.CosmicTopSecret, ReleasableTo: []string{"ALL"}},
		{ID: g.id("marking-definition"), ReleasableTo: []string{"NATO"}},
	}
	for range 10 {
		m := HubMarking{ID: g.id("marking-definition")}
		if g.r.IntN(3) > 0 {
			m.Classification = liaison.Classification(1 + g.r.IntN(5))
		}
		if m.Classification == 0 || g.r.IntN(2) == 0 {
			m.ReleasableTo = g.someOf(names, 1, 3)
		}
		w.Markings = append(w.Markings, m)
	}
	g.withACS(func() { w.Markings = append(w.Markings, g.acsMarkings()...) })
}

// withACS runs f drawing from the ACS stream.
func (g *gen) withACS(f func()) {
	r := g.r
	g.r = g.acs
	defer func() { g.r = r }()
	f()
}

// acsIDs are the ids of the world's ACS markings.
func (w *World) acsIDs() []string {
	var out []string
	for _, m := range w.Markings {
		if m.ACS {
			out = append(out, m.ID)
		}
	}
	return out
}

// acsMarkings are ACS 3.0 markings of fixed shapes over random
// organisations: named nations (one added late, one never on the hub),
// denials by nationality, by a part of an organisation, and by a name the
// hub cannot place, scopes of two categories, and none at all.
func (g *gen) acsMarkings() []HubMarking {
	w := g.w
	allies, partners := w.codes(liaison.Ally), w.codes(liaison.Partner)
	acs := func(rules ...ACSRule) HubMarking {
		return HubMarking{ID: g.id("marking-definition"), ACS: true, Rules: rules}
	}
	permit := func(nat, org []string) ACSRule { return ACSRule{Permit: true, Nationalities: nat, Organizations: org} }
	deny := func(nat, org []string) ACSRule { return ACSRule{Nationalities: nat, Organizations: org} }
	ally, partner := g.pick(allies), g.pick(partners)
	return []HubMarking{
		acs(permit(append(g.someOf(allies, 1, 3), "JPN", w.Late.Code, w.Unknown[1]), nil)),
		acs(permit(nil, []string{"ALL"}), deny([]string{g.pick(allies)}, nil)),
		acs(permit(nil, []string{"NATO-IS", "USA.DHS", "JPN", partner}), deny(nil, []string{partner + ".MOD"})),
		acs(),
		acs(permit([]string{"ALL"}, nil), deny(nil, []string{"ACME-CERT"})),
		acs(permit([]string{ally, partner, "FVEY"}, []string{ally, "NCIA", partner + ".MFA"})),
		acs(permit([]string{"ALL"}, []string{"ALL"}), deny(nil, []string{"IP4"})),
	}
}

// hubIDs are the ids of the world's markings in the hub's own format.
func (w *World) hubIDs() []string {
	var out []string
	for _, m := range w.Markings {
		if !m.ACS {
			out = append(out, m.ID)
		}
	}
	return out
}

func (g *gen) collections() {
	w := g.w
	hub := w.hubIDs()
	comms := []string{}
	for _, c := range w.Communities {
		comms = append(comms, c.Name)
	}
	orgs := w.codes("")
	mk := func(key, topic string, read, write []string, def string) {
		w.Collections = append(w.Collections, &Coll{Key: key, Collection: liaison.Collection{
			Title: "leaktest " + key, Topic: topic, Read: read, Write: write, DefaultMarking: def,
		}})
	}
	// Marking-definitions live in two collections; one readable only by
	// NATO: the markings still govern objects everywhere.
	mk("markings", liaison.TopicCyber, []string{"ALL"}, []string{"NATO"}, "")
	mk("markings-nato", liaison.TopicCyber, []string{"NATO"}, []string{"NATO"}, "")
	mk("nato-cyber", liaison.TopicCyber, []string{"NATO"}, []string{"NATO"}, hub[0])
	mk("ip4-share", liaison.TopicGeopolitical, []string{"NATO", "IP4"}, []string{"NATO", "IP4"}, g.pick(append(slices.Clone(tlpIDs), "")))
	mk("pacific", liaison.TopicDisinformation, []string{"PACIFIC", g.pick(w.codes(liaison.Ally))}, []string{"PACIFIC", "OUTREACH"}, "")
	mk("open-red", liaison.TopicEDT, []string{"ALL"}, []string{"ALL"}, liaison.TLPRedID)
	mk("narrow", liaison.TopicCyber, append(g.someOf(orgs, 2, 3), g.pick(comms)), []string{"ALL"}, g.pick(hub))
	mk("outreach", liaison.TopicGeopolitical, []string{"OUTREACH", "CYBER-CELL"}, []string{"OUTREACH", "NATO"}, g.pick(append(slices.Clone(hub), "")))
	// Write-only for some: read by NATO, written by IP4 too.
	mk("drop-box", liaison.TopicCyber, []string{"NATO"}, []string{"ALL"}, "")
}

// collByKey returns the collection with the key.
func (w *World) collByKey(k string) *Coll {
	for _, c := range w.Collections {
		if c.Key == k {
			return c
		}
	}
	return nil
}

// writers returns the users who may write c at the world's start.
func (w *World) writers(c *Coll) []*User {
	r := w.ref(w.Start)
	var out []*User
	for _, u := range w.Users {
		if hasAnalyst(u.Roles) && r.namedByAny(u.Org, c.Write) {
			out = append(out, u)
		}
	}
	return out
}

func hasAnalyst(rs []liaison.Role) bool {
	for _, r := range rs {
		if r == liaison.RoleAnalyst || r == liaison.RoleOfficer || r == liaison.RoleAdmin {
			return true
		}
	}
	return false
}

func (g *gen) stamp() time.Time {
	g.ts = g.ts.Add(time.Duration(1+g.r.IntN(5000)) * time.Millisecond)
	return g.ts
}

var plainTypes = []string{"malware", "threat-actor", "campaign", "attack-pattern", "identity", "indicator", "report", "note"}

// markingRefs draws a random set of object_marking_refs: those of
// hubMarkingRefs, to a quarter of which (when they have some) the ACS
// stream adds an ACS marking.
func (g *gen) markingRefs() (refs []string, unknown bool) {
	refs, unknown = g.hubMarkingRefs()
	if acs := g.w.acsIDs(); len(refs) > 0 && len(acs) > 0 && g.acs.IntN(4) == 0 {
		refs = append(refs, acs[g.acs.IntN(len(acs))])
	}
	return refs, unknown
}

// hubMarkingRefs draws TLP and hub-format marking refs.
func (g *gen) hubMarkingRefs() (refs []string, unknown bool) {
	hub := g.w.hubIDs()
	switch k := g.r.IntN(100); {
	case k < 18:
		return nil, false
	case k < 40:
		return []string{g.pick(tlpIDs)}, false
	case k < 65:
		return []string{g.pick(hub)}, false
	case k < 80:
		return []string{g.pick(tlpIDs), g.pick(hub)}, false
	case k < 90:
		return uniq([]string{g.pick(hub), g.pick(hub)}), false
	case k < 97:
		return uniq([]string{g.pick(tlpIDs), g.pick(hub), g.pick(hub)}), false
	default:
		// A marking-definition nobody stored.
		return []string{g.pick(hub), g.id("marking-definition")}, true
	}
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func (g *gen) objects(n int) {
	w := g.w
	g.ts = w.Start.AddDate(-1, 0, 0)
	// Marking-definitions first: collections' default markings and every
	// object's refs need them known.
	var mdWriter *User
	for _, u := range w.Users {
		if u.Org == "NATO-IS" && hasAnalyst(u.Roles) {
			mdWriter = u
			break
		}
	}
	mdAll, mdNATO := w.collByKey("markings"), w.collByKey("markings-nato")
	var first, second []*Obj
	var acs []*Obj
	for i, m := range w.Markings {
		if m.ACS {
			// Created before everything, off the clock of the other
			// markings (see gen.acs).
			o := &Obj{ID: m.ID, Type: "marking-definition", Modified: g.ts.Add(-time.Duration(len(w.Markings)-i) * time.Second), Writer: mdWriter, Coll: mdAll}
			o.Raw = markingJSON(o, m)
			acs = append(acs, o)
			continue
		}
		o := &Obj{ID: m.ID, Type: "marking-definition", Modified: g.stamp(), Writer: mdWriter}
		if i%3 == 2 {
			o.Coll = mdNATO
			second = append(second, o)
		} else {
			o.Coll = mdAll
			first = append(first, o)
		}
		o.Raw = markingJSON(o, m)
	}
	w.Batches = append(w.Batches, Batch{Coll: mdAll, Writer: mdWriter, Objs: first}, Batch{Coll: mdNATO, Writer: mdWriter, Objs: second}, Batch{Coll: mdAll, Writer: mdWriter, Objs: acs})

	var data []*Coll
	for _, c := range w.Collections {
		if c.Key != "markings" && c.Key != "markings-nato" {
			data = append(data, c)
		}
	}
	// Plain objects: about 80% of the versions, in batches of one
	// collection and one writer; some ids get several versions.
	var plain []*Obj
	var batches []Batch
	type owned struct {
		coll *Coll
		org  string
	}
	byOwner := map[owned][]*Obj{}
	byOrg := map[string][]*Obj{}
	nPlain := n * 8 / 10
	for len(plain) < nPlain {
		c := data[g.r.IntN(len(data))]
		ws := w.writers(c)
		if len(ws) == 0 {
			continue
		}
		u := ws[g.r.IntN(len(ws))]
		b := Batch{Coll: c, Writer: u}
		size := 1 + g.r.IntN(120)
		for range size {
			var o *Obj
			prev := byOwner[owned{c, u.Org}]
			switch k := g.r.IntN(100); {
			case k < 22 && len(prev) > 0:
				// A new version of an object this organisation wrote here,
				// sometimes older than the versions already written.
				p := prev[g.r.IntN(len(prev))]
				o = &Obj{Coll: c, ID: p.ID, Type: p.Type, Writer: u}
				if g.r.IntN(4) == 0 {
					o.Modified = p.Modified.Add(-time.Duration(1+g.r.IntN(100000)) * time.Millisecond)
				} else {
					o.Modified = g.stamp()
				}
				if o.Modified.Before(w.Start.AddDate(-2, 0, 0)) || hasVersion(plain, o.ID, o.Modified) {
					o.Modified = g.stamp()
				}
			case k < 27 && len(byOrg[u.Org]) > 0:
				// The same version, copied into another collection by its
				// organisation; unmarked ones most often, whose default
				// marking is that of the collection first written to.
				mine := byOrg[u.Org]
				p := mine[g.r.IntN(len(mine))]
				if len(p.MarkingRefs) > 0 {
					p = mine[g.r.IntN(len(mine))]
				}
				if p.Writer.Org != u.Org || p.Coll == c || p.UnknownMarking || hasVersion(byOwner[owned{c, u.Org}], p.ID, p.Modified) || hasVersionAnyOrg(plain, c, p.ID) {
					continue
				}
				o = &Obj{Coll: c, ID: p.ID, Type: p.Type, Modified: p.Modified, MarkingRefs: p.MarkingRefs, Writer: u, Raw: p.Raw}
			default:
				t := plainTypes[g.r.IntN(len(plainTypes))]
				o = &Obj{Coll: c, ID: g.id(t), Type: t, Modified: g.stamp(), Writer: u}
			}
			if o.Raw == nil {
				o.MarkingRefs, o.UnknownMarking = g.markingRefs()
				o.Raw = g.objectJSON(o, plain)
			}
			if !o.UnknownMarking {
				byOwner[owned{c, u.Org}] = append(byOwner[owned{c, u.Org}], o)
				byOrg[u.Org] = append(byOrg[u.Org], o)
			}
			plain = append(plain, o)
			b.Objs = append(b.Objs, o)
		}
		if len(b.Objs) > 0 {
			batches = append(batches, b)
		}
	}
	// A few deliberate copies of unmarked versions into a collection
	// whose default marking differs (rule 8: the first collection's
	// default holds for the version everywhere), even in small worlds.
	copies := 0
	for i := 0; i < len(plain) && copies < 4; i++ {
		p := plain[i]
		if len(p.MarkingRefs) > 0 || p.UnknownMarking {
			continue
		}
		for _, c := range data {
			if c == p.Coll || c.DefaultMarking == p.Coll.DefaultMarking || hasVersionAnyOrg(plain, c, p.ID) || !slices.Contains(w.writers(c), p.Writer) {
				continue
			}
			o := &Obj{Coll: c, ID: p.ID, Type: p.Type, Modified: p.Modified, Writer: p.Writer, Raw: p.Raw}
			batches = append(batches, Batch{Coll: c, Writer: p.Writer, Objs: []*Obj{o}})
			plain = append(plain, o)
			copies++
			break
		}
	}
	// Links: relationships and sightings between random objects, in any
	// collection, some ends never stored.
	var stored []string // ids of stored plain objects, not links
	var identities []string
	for _, o := range plain {
		if o.UnknownMarking {
			continue
		}
		stored = append(stored, o.ID)
		if o.Type == "identity" {
			identities = append(identities, o.ID)
		}
	}
	stored, identities = uniq(stored), uniq(identities)
	end := func(typ string, pool []string) string {
		if g.r.IntN(12) == 0 || len(pool) == 0 {
			return g.id(typ) // never stored
		}
		return pool[g.r.IntN(len(pool))]
	}
	links := 0
	for links < n-nPlain {
		c := data[g.r.IntN(len(data))]
		ws := w.writers(c)
		if len(ws) == 0 {
			continue
		}
		u := ws[g.r.IntN(len(ws))]
		b := Batch{Coll: c, Writer: u}
		// Some batches carry new objects beside the links naming them,
		// in any order within the batch.
		var fresh []string
		if g.r.IntN(4) == 0 {
			for range 1 + g.r.IntN(5) {
				t := plainTypes[g.r.IntN(len(plainTypes))]
				o := &Obj{Coll: c, ID: g.id(t), Type: t, Modified: g.stamp(), Writer: u}
				o.MarkingRefs, o.UnknownMarking = g.markingRefs()
				o.Raw = g.objectJSON(o, nil)
				b.Objs = append(b.Objs, o)
				if !o.UnknownMarking {
					fresh = append(fresh, o.ID)
				}
			}
		}
		for range 1 + g.r.IntN(60) {
			var o *Obj
			if g.r.IntN(3) == 0 {
				o = &Obj{Coll: c, ID: g.id("sighting"), Type: "sighting", Writer: u, Modified: g.stamp()}
				o.Ends = []string{end("malware", stored)}
				for range g.r.IntN(3) {
					o.Ends = append(o.Ends, end("identity", identities))
				}
				o.Ends = uniq(o.Ends)
			} else {
				o = &Obj{Coll: c, ID: g.id("relationship"), Type: "relationship", Writer: u, Modified: g.stamp()}
				o.Ends = []string{end("malware", stored), end("campaign", stored)}
				if len(fresh) > 0 && g.r.IntN(3) == 0 {
					o.Ends[1] = fresh[g.r.IntN(len(fresh))]
				}
			}
			o.MarkingRefs, o.UnknownMarking = g.markingRefs()
			o.Raw = g.objectJSON(o, nil)
			b.Objs = append(b.Objs, o)
			links++
			if g.r.IntN(6) == 0 && !o.UnknownMarking {
				// A second version with other markings.
				v := &Obj{Coll: c, ID: o.ID, Type: o.Type, Ends: o.Ends, Writer: u, Modified: g.stamp()}
				v.MarkingRefs, v.UnknownMarking = g.markingRefs()
				v.Raw = g.objectJSON(v, nil)
				b.Objs = append(b.Objs, v)
				links++
			}
		}
		if len(fresh) > 0 {
			g.r.Shuffle(len(b.Objs), func(i, j int) { b.Objs[i], b.Objs[j] = b.Objs[j], b.Objs[i] })
		}
		batches = append(batches, b)
	}
	batches = append(batches, g.chains(data, stored)...)
	// Write in random order: links often arrive before their ends.
	g.r.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	w.Batches = append(w.Batches, batches...)
	w.Batches = append(w.Batches, g.catalogue(data, stored)...)
	g.order(w.Batches)
}

// order numbers the versions of batches in write order, after those
// ordered before, and sets each unmarked version's default marking from
// the collection it is first written to.
func (g *gen) order(batches []Batch) {
	w := g.w
	firstColl := map[string]*Coll{} // version key -> collection first written to
	for _, o := range w.Objs {
		if k := o.ID + "@" + stamp(o.Modified); firstColl[k] == nil && !o.UnknownMarking {
			firstColl[k] = o.Coll
		}
	}
	var added []*Obj
	for _, b := range batches {
		for _, o := range b.Objs {
			o.Seq = g.seq
			g.seq++
			w.Objs = append(w.Objs, o)
			added = append(added, o)
			k := o.ID + "@" + stamp(o.Modified)
			if _, ok := firstColl[k]; !ok && !o.UnknownMarking {
				firstColl[k] = o.Coll
			}
		}
	}
	for _, o := range added {
		if len(o.MarkingRefs) == 0 && o.Type != "marking-definition" {
			o.Default = firstColl[o.ID+"@"+stamp(o.Modified)].DefaultMarking
		}
	}
}

func hasVersion(objs []*Obj, id string, t time.Time) bool {
	for _, o := range objs {
		if o.ID == id && o.Modified.Equal(t) {
			return true
		}
	}
	return false
}

func hasVersionAnyOrg(objs []*Obj, c *Coll, id string) bool {
	for _, o := range objs {
		if o.Coll == c && o.ID == id {
			return true
		}
	}
	return false
}

// late makes the batches written after the directory changes: by the
// added organisation into a NATO collection, by a partner whose agreement
// has expired, and by a writer of the outreach collection, with links to
// objects written before.
func (g *gen) late() {
	w := g.w
	var aus *User
	for _, u := range w.Users {
		if u.Org == "AUS" && hasAnalyst(u.Roles) {
			aus = u
			break
		}
	}
	var ids []string
	for _, o := range w.Objs {
		if !o.UnknownMarking && !o.IsLink() && o.Type != "marking-definition" {
			ids = append(ids, o.ID)
		}
	}
	ids = uniq(ids)
	outreach := w.collByKey("outreach")
	ow := w.writers(outreach)
	for _, b := range []Batch{
		{Coll: w.collByKey("nato-cyber"), Writer: w.LateUser},
		{Coll: w.collByKey("ip4-share"), Writer: aus},
		{Coll: outreach, Writer: ow[g.r.IntN(len(ow))]},
	} {
		for range 15 + g.r.IntN(20) {
			var o *Obj
			if g.r.IntN(3) == 0 {
				o = &Obj{Coll: b.Coll, ID: g.id("relationship"), Type: "relationship", Writer: b.Writer, Modified: g.stamp(), Late: true}
				o.Ends = []string{ids[g.r.IntN(len(ids))], ids[g.r.IntN(len(ids))]}
			} else {
				t := plainTypes[g.r.IntN(len(plainTypes))]
				o = &Obj{Coll: b.Coll, ID: g.id(t), Type: t, Writer: b.Writer, Modified: g.stamp(), Late: true}
			}
			o.MarkingRefs, o.UnknownMarking = g.markingRefs()
			o.Raw = g.objectJSON(o, nil)
			b.Objs = append(b.Objs, o)
		}
		w.LateBatches = append(w.LateBatches, b)
	}
	g.order(w.LateBatches)
}

// chainLinks is how long the world's chain of relationships is.
const chainLinks = 200

// chains returns batches that write a chain of chainLinks relationships,
// each naming the one before, from a stored object, and two cycles of
// relationships naming each other: rule 9 must settle them all, however
// long and in whatever order they arrive. Their markings are random, so
// the chain narrows wherever one of its links does.
func (g *gen) chains(data []*Coll, stored []string) []Batch {
	w := g.w
	var c *Coll
	var ws []*User
	for _, k := range g.r.Perm(len(data)) {
		if ws = w.writers(data[k]); len(ws) > 0 {
			c = data[k]
			break
		}
	}
	if c == nil || len(stored) == 0 {
		return nil
	}
	link := func(ends ...string) *Obj {
		u := ws[g.r.IntN(len(ws))]
		o := &Obj{Coll: c, ID: g.id("relationship"), Type: "relationship", Writer: u, Modified: g.stamp(), Ends: ends, NamesLinks: true}
		// Most links are unmarked (the collection's default); the rest
		// random, so that the chain narrows part of the way along.
		if g.r.IntN(8) == 0 {
			for {
				if o.MarkingRefs, o.UnknownMarking = g.markingRefs(); !o.UnknownMarking {
					break
				}
			}
		}
		return o
	}
	var batches []Batch
	prev := stored[g.r.IntN(len(stored))]
	var chain []*Obj
	for range chainLinks {
		o := link(prev, stored[g.r.IntN(len(stored))])
		chain = append(chain, o)
		prev = o.ID
	}
	// Cycles: a → b → c → a, and d ⇄ e, each also naming a stored object.
	a, b, cc := g.id("relationship"), g.id("relationship"), g.id("relationship")
	d, e := g.id("relationship"), g.id("relationship")
	cycle := []*Obj{link(b, stored[g.r.IntN(len(stored))]), link(cc, stored[g.r.IntN(len(stored))]), link(a, stored[g.r.IntN(len(stored))]),
		link(e, stored[g.r.IntN(len(stored))]), link(d, stored[g.r.IntN(len(stored))])}
	for i, id := range []string{a, b, cc, d, e} {
		cycle[i].ID = id
	}
	// Half the chain in one call, in order, as one writer; the rest of it
	// and the cycles one link a call, in any order.
	half := len(chain) / 2
	for _, o := range chain[:half] {
		o.Writer = chain[0].Writer
	}
	batches = append(batches, Batch{Coll: c, Writer: chain[0].Writer, Objs: chain[:half]})
	rest := append(append([]*Obj{}, chain[half:]...), cycle...)
	g.r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	for _, o := range rest {
		batches = append(batches, Batch{Coll: c, Writer: o.Writer, Objs: []*Obj{o}})
	}
	for _, o := range append(chain, cycle...) {
		o.Raw = g.objectJSON(o, nil)
	}
	return batches
}
