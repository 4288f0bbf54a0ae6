package bench

import (
	"math/rand/v2"
	"strconv"
	"time"

	"liaison"
	"liaison/stix"
)

// Object is one generated STIX 2.1 object: its bytes and what the
// generator knows of it without parsing them, so that a raw insert can
// build the store's rows directly.
type Object struct {
	ID       string
	Type     string
	Modified time.Time // the version (modified, or created for markings)
	Raw      []byte    // compact JSON; owned by the caller
	Markings []string  // object_marking_refs, as written
	Ends     []string  // relationship or sighting ends, as stix.Decode gives them
	Label    int       // index into Labels of the marking combination used
}

// Label is one combination of markings that generated objects carry, with
// its share of the objects (Weight out of the sum of weights).
type Label struct {
	Name   string
	Refs   []string // object_marking_refs; empty: the collection's default applies
	Weight int
}

// hubMarking is one marking-definition of the hub's classification and
// releasability extension that the generator writes.
type hubMarking struct {
	key            string
	id             string
	classification string
	releasableTo   []string
}

// The hub markings. Their ids are fixed so that every run and every seed
// writes the same marking-definitions (a marking-definition never changes).
var hubMarkings = []hubMarking{
	{key: "REL-NATO", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c01", releasableTo: []string{"NATO"}},
	{key: "NR-REL-NATO-IP4", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c02", classification: "NATO RESTRICTED", releasableTo: []string{"NATO", "IP4"}},
	{key: "NC", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c03", classification: "NATO CONFIDENTIAL"},
	{key: "NS-REL-USA-GBR", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c04", classification: "NATO SECRET", releasableTo: []string{"USA", "GBR"}},
	{key: "REL-JPN", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c05", releasableTo: []string{"JPN"}},
	{key: "REL-GBR-FRA-DEU", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c06", releasableTo: []string{"GBR", "FRA", "DEU"}},
	{key: "CTS", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c07", classification: "COSMIC TOP SECRET"},
	{key: "NU-REL-ALL", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c08", classification: "NATO UNCLASSIFIED", releasableTo: []string{"ALL"}},
	{key: "REL-IP4", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c09", releasableTo: []string{"IP4"}},
	{key: "REL-FVEY", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c10", releasableTo: []string{"USA", "GBR", "CAN", "AUS", "NZL"}},
	{key: "NU-REL-NZL", id: "marking-definition--0b6a3c1e-5d2f-4a8b-9c7d-1e2f3a4b5c11", classification: "NATO UNCLASSIFIED", releasableTo: []string{"NZL"}},
}

func markingID(key string) string {
	for _, m := range hubMarkings {
		if m.key == key {
			return m.id
		}
	}
	panic("bench: unknown marking " + key)
}

// Labels are the marking combinations of generated objects, in fixed
// proportions. Every TLP level, every classification and several
// releasable_to lists appear. The narrow reader of the benchmark world (an
// NZL user, whose nation has no security agreement) can read only the
// last five, about 6% of objects before rule 9, less after it.
var Labels = []Label{
	{"TLP:GREEN REL TO NATO", []string{liaison.TLPGreenID, markingID("REL-NATO")}, 20},
	{"TLP:AMBER NATO RESTRICTED REL TO NATO, IP4", []string{liaison.TLPAmberID, markingID("NR-REL-NATO-IP4")}, 14},
	{"TLP:CLEAR NATO CONFIDENTIAL", []string{liaison.TLPClearID, markingID("NC")}, 10},
	{"TLP:AMBER+STRICT NATO SECRET REL TO USA, GBR", []string{liaison.TLPAmberStrictID, markingID("NS-REL-USA-GBR")}, 10},
	{"TLP:RED", []string{liaison.TLPRedID}, 8},
	{"TLP:AMBER REL TO JPN", []string{liaison.TLPAmberID, markingID("REL-JPN")}, 8},
	{"TLP:GREEN REL TO NATO, NATO CONFIDENTIAL", []string{liaison.TLPGreenID, markingID("REL-NATO"), markingID("NC")}, 10},
	{"TLP:GREEN REL TO GBR, FRA, DEU", []string{liaison.TLPGreenID, markingID("REL-GBR-FRA-DEU")}, 9},
	{"COSMIC TOP SECRET", []string{markingID("CTS")}, 5},
	{"TLP:GREEN NATO UNCLASSIFIED REL TO ALL", []string{liaison.TLPGreenID, markingID("NU-REL-ALL")}, 2},
	{"TLP:AMBER REL TO IP4", []string{liaison.TLPAmberID, markingID("REL-IP4")}, 1},
	{"TLP:RED REL TO FVEY", []string{liaison.TLPRedID, markingID("REL-FVEY")}, 1},
	{"TLP:AMBER NATO UNCLASSIFIED REL TO NZL", []string{liaison.TLPAmberID, markingID("NU-REL-NZL")}, 1},
	{"unmarked (collection default)", nil, 1},
}

// The object kinds the generator writes, with their share of objects out
// of 100.
const (
	kIndicator = iota
	kRelationship
	kSighting
	kMalware
	kThreatActor
	kAttackPattern
	kReport
	kIdentity
	nKinds
)

var kindWeights = [nKinds]int{
	kIndicator: 38, kRelationship: 26, kSighting: 8, kMalware: 6,
	kThreatActor: 4, kAttackPattern: 6, kReport: 6, kIdentity: 6,
}

var kindTypes = [nKinds]string{"indicator", "relationship", "sighting", "malware", "threat-actor", "attack-pattern", "report", "identity"}

// ring keeps the most recent ids of one kind, so relationships, sightings
// and reports refer to objects that exist, in constant memory.
type ring struct {
	ids  [512]string
	n    int
	next int
}

func (r *ring) add(id string) {
	r.ids[r.next] = id
	r.next = (r.next + 1) % len(r.ids)
	if r.n < len(r.ids) {
		r.n++
	}
}

func (r *ring) pick(rng *rand.Rand) string { return r.ids[rng.IntN(r.n)] }

// Generator writes a deterministic stream of realistic STIX 2.1 objects:
// the same seed gives the same objects, byte for byte. It holds only a
// few hundred recent ids, so it can write any number of objects in
// constant memory. It is not safe for concurrent use.
type Generator struct {
	rng      *rand.Rand
	n        int
	base     time.Time
	pools    [nKinds]ring
	kindCum  [nKinds]int
	labelCum []int
	producer string
}

// NewGenerator returns a generator seeded with seed.
func NewGenerator(seed uint64) *Generator {
	g := &Generator{
		rng:  rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		base: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	sum := 0
	for k, w := range kindWeights {
		sum += w
		g.kindCum[k] = sum
	}
	sum = 0
	for _, l := range Labels {
		sum += l.Weight
		g.labelCum = append(g.labelCum, sum)
	}
	g.producer = "identity--" + g.uuid()
	return g
}

// Preamble returns the objects a stream starts with: the hub's marking
// extension definitions for every hub marking the labels use, and the
// identity that produced the feed. They must be stored before the rest.
func (g *Generator) Preamble() []Object {
	var out []Object
	created := "2024-01-01T00:00:00.000Z"
	for _, m := range hubMarkings {
		b := make([]byte, 0, 512)
		b = append(b, `{"type":"marking-definition","spec_version":"2.1","id":"`...)
		b = append(b, m.id...)
		b = append(b, `","created":"`...)
		b = append(b, created...)
		b = append(b, `","name":`...)
		b = appendString(b, markingName(m))
		b = append(b, `,"extensions":{"`+liaison.HubMarkingExtensionID+`":{"extension_type":"property-extension"`...)
		if m.classification != "" {
			b = append(b, `,"classification":`...)
			b = appendString(b, m.classification)
		}
		if m.releasableTo != nil {
			b = append(b, `,"releasable_to":`...)
			b = appendStrings(b, m.releasableTo)
		}
		b = append(b, "}}}"...)
		out = append(out, Object{ID: m.id, Type: "marking-definition", Modified: g.base, Raw: b})
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"type":"identity","spec_version":"2.1","id":"`...)
	b = append(b, g.producer...)
	b = append(b, `","created":"`+created+`","modified":"`+created+`","name":"Benchmark Threat Feed","description":"A generated feed of indicators, threat actors, malware, attack patterns, sightings and reports, marked with TLP 2.0 and NATO classification and releasability markings.","identity_class":"organization","sectors":["government-national","defense"],"object_marking_refs":["`+liaison.TLPClearID+`"]}`...)
	out = append(out, Object{ID: g.producer, Type: "identity", Modified: g.base, Raw: b, Markings: []string{liaison.TLPClearID}})
	return out
}

func markingName(m hubMarking) string {
	s := m.classification
	if m.releasableTo != nil {
		if s != "" {
			s += " "
		}
		s += "REL TO "
		for i, r := range m.releasableTo {
			if i > 0 {
				s += ", "
			}
			s += r
		}
	}
	return s
}

// Count returns how many objects Next has returned.
func (g *Generator) Count() int { return g.n }

// Next returns the next object of the stream.
func (g *Generator) Next() Object {
	k := g.pickKind()
	o := Object{Type: kindTypes[k]}
	o.ID = o.Type + "--" + g.uuid()
	o.Label = g.pickLabel()
	o.Markings = Labels[o.Label].Refs
	// Objects are created a little over a second apart, over years.
	created := g.base.Add(time.Duration(g.n)*1237*time.Millisecond + time.Duration(g.rng.IntN(1000))*time.Millisecond)
	modified := created
	if g.rng.IntN(4) == 0 {
		modified = created.Add(time.Duration(1+g.rng.IntN(86400*30)) * time.Second)
	}
	o.Modified = modified
	b := make([]byte, 0, 2048)
	b = append(b, `{"type":"`...)
	b = append(b, o.Type...)
	b = append(b, `","spec_version":"2.1","id":"`...)
	b = append(b, o.ID...)
	b = append(b, `","created":"`...)
	b = appendTime(b, created)
	b = append(b, `","modified":"`...)
	b = appendTime(b, modified)
	b = append(b, `","created_by_ref":"`...)
	b = append(b, g.producer...)
	b = append(b, '"')
	switch k {
	case kIndicator:
		b = g.indicator(b, created)
	case kRelationship:
		b, o.Ends = g.relationship(b)
	case kSighting:
		b, o.Ends = g.sighting(b, created)
	case kMalware:
		b = g.malware(b, created)
	case kThreatActor:
		b = g.threatActor(b, created)
	case kAttackPattern:
		b = g.attackPattern(b)
	case kReport:
		b = g.report(b, created)
	case kIdentity:
		b = g.identity(b)
	}
	if len(o.Markings) > 0 {
		b = append(b, `,"object_marking_refs":`...)
		b = appendStrings(b, o.Markings)
	}
	b = append(b, '}')
	o.Raw = b
	g.pools[k].add(o.ID)
	g.n++
	return o
}

// pickKind picks a kind by weight; kinds that refer to others wait until
// there is something to refer to.
func (g *Generator) pickKind() int {
	r := g.rng.IntN(g.kindCum[nKinds-1])
	k := 0
	for r >= g.kindCum[k] {
		k++
	}
	switch {
	case g.pools[kIdentity].n == 0:
		return kIdentity
	case g.pools[kMalware].n == 0:
		return kMalware
	case g.pools[kThreatActor].n == 0:
		return kThreatActor
	case g.pools[kAttackPattern].n == 0:
		return kAttackPattern
	case g.pools[kIndicator].n == 0:
		return kIndicator
	}
	return k
}

func (g *Generator) pickLabel() int {
	r := g.rng.IntN(g.labelCum[len(g.labelCum)-1])
	i := 0
	for r >= g.labelCum[i] {
		i++
	}
	return i
}

func (g *Generator) uuid() string {
	var u [16]byte
	a, c := g.rng.Uint64(), g.rng.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(c >> (8 * i))
	}
	return stix.FormatUUIDv4(u)
}

func (g *Generator) hex(b []byte, n int) []byte {
	const digits = "0123456789abcdef"
	var r uint64
	for i := 0; i < n; i++ {
		if i%16 == 0 {
			r = g.rng.Uint64()
		}
		b = append(b, digits[r&0xf])
		r >>= 4
	}
	return b
}

func (g *Generator) word() string { return words[g.rng.IntN(len(words))] }

// text appends a JSON string of n to n+spread words, in sentences.
func (g *Generator) text(b []byte, n, spread int) []byte {
	n += g.rng.IntN(spread + 1)
	b = append(b, '"')
	start := true
	for i := 0; i < n; i++ {
		w := g.word()
		if start {
			b = append(b, w[0]-'a'+'A')
			b = append(b, w[1:]...)
			start = false
		} else {
			b = append(b, w...)
		}
		switch {
		case i == n-1:
			b = append(b, '.')
		case g.rng.IntN(12) == 0:
			b = append(b, ". "...)
			start = true
		case g.rng.IntN(15) == 0:
			b = append(b, ", "...)
		default:
			b = append(b, ' ')
		}
	}
	return append(b, '"')
}

func (g *Generator) name(b []byte, parts int) []byte {
	b = append(b, '"')
	for i := 0; i < parts; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		w := g.word()
		b = append(b, w[0]-'a'+'A')
		b = append(b, w[1:]...)
	}
	return append(b, '"')
}

func (g *Generator) ipv4(b []byte) []byte {
	b = strconv.AppendInt(b, int64(1+g.rng.IntN(223)), 10)
	for i := 0; i < 3; i++ {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(g.rng.IntN(256)), 10)
	}
	return b
}

func (g *Generator) domain(b []byte) []byte {
	b = append(b, g.word()...)
	b = append(b, '-')
	b = append(b, g.word()...)
	b = append(b, '.')
	return append(b, tlds[g.rng.IntN(len(tlds))]...)
}

// pattern appends a valid STIX pattern (inside a JSON string).
func (g *Generator) pattern(b []byte) []byte {
	b = append(b, '"')
	switch g.rng.IntN(8) {
	case 0:
		b = append(b, "[ipv4-addr:value = '"...)
		b = g.ipv4(b)
		b = append(b, "']"...)
	case 1:
		b = append(b, "[domain-name:value = '"...)
		b = g.domain(b)
		b = append(b, "']"...)
	case 2:
		b = append(b, "[url:value = 'https://"...)
		b = g.domain(b)
		b = append(b, '/')
		b = append(b, g.word()...)
		b = append(b, '/')
		b = append(b, g.word()...)
		b = append(b, ".php']"...)
	case 3:
		b = append(b, "[file:hashes.'SHA-256' = '"...)
		b = g.hex(b, 64)
		b = append(b, "']"...)
	case 4:
		b = append(b, "[file:hashes.MD5 = '"...)
		b = g.hex(b, 32)
		b = append(b, "' OR file:hashes.'SHA-1' = '"...)
		b = g.hex(b, 40)
		b = append(b, "']"...)
	case 5:
		b = append(b, "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '"...)
		b = g.ipv4(b)
		b = append(b, "/32' AND network-traffic:dst_port = "...)
		b = strconv.AppendInt(b, int64(ports[g.rng.IntN(len(ports))]), 10)
		b = append(b, ']')
	case 6:
		b = append(b, "[email-message:from_ref.value = '"...)
		b = append(b, g.word()...)
		b = append(b, '@')
		b = g.domain(b)
		b = append(b, "' AND email-message:subject = '"...)
		b = append(b, g.word()...)
		b = append(b, ' ')
		b = append(b, g.word()...)
		b = append(b, "']"...)
	default:
		b = append(b, "([ipv4-addr:value = '"...)
		b = g.ipv4(b)
		b = append(b, "'] FOLLOWEDBY [domain-name:value = '"...)
		b = g.domain(b)
		b = append(b, "']) WITHIN "...)
		b = strconv.AppendInt(b, int64(60*(1+g.rng.IntN(30))), 10)
		b = append(b, " SECONDS"...)
	}
	return append(b, '"')
}

func (g *Generator) killChain(b []byte) []byte {
	b = append(b, `,"kill_chain_phases":[`...)
	n := 1 + g.rng.IntN(2)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kill_chain_name":"mitre-attack","phase_name":"`...)
		b = append(b, phases[g.rng.IntN(len(phases))]...)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

func (g *Generator) externalRefs(b []byte) []byte {
	b = append(b, `,"external_references":[{"source_name":"mitre-attack","url":"https://attack.mitre.org/techniques/T`...)
	id := 1000 + g.rng.IntN(700)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `/","external_id":"T`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `"}`...)
	if g.rng.IntN(2) == 0 {
		b = append(b, `,{"source_name":"vendor-report","description":`...)
		b = g.text(b, 6, 8)
		b = append(b, `,"url":"https://`...)
		b = g.domain(b)
		b = append(b, `/research/`...)
		b = append(b, g.word()...)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

func (g *Generator) indicator(b []byte, created time.Time) []byte {
	b = append(b, `,"name":`...)
	b = g.name(b, 3)
	b = append(b, `,"description":`...)
	b = g.text(b, 25, 40)
	b = append(b, `,"indicator_types":["`...)
	b = append(b, indicatorTypes[g.rng.IntN(len(indicatorTypes))]...)
	b = append(b, `"],"pattern":`...)
	b = g.pattern(b)
	b = append(b, `,"pattern_type":"stix","pattern_version":"2.1","valid_from":"`...)
	b = appendTime(b, created)
	b = append(b, '"')
	if g.rng.IntN(2) == 0 {
		b = append(b, `,"valid_until":"`...)
		b = appendTime(b, created.Add(time.Duration(30+g.rng.IntN(335))*24*time.Hour))
		b = append(b, '"')
	}
	b = g.killChain(b)
	b = append(b, `,"confidence":`...)
	b = strconv.AppendInt(b, int64(g.rng.IntN(101)), 10)
	b = append(b, `,"labels":["`...)
	b = append(b, g.word()...)
	b = append(b, `","`...)
	b = append(b, g.word()...)
	return append(b, `"]`...)
}

// relTargets lists the relationships the generator draws: source kind,
// relationship type, target kind.
var relTargets = []struct {
	src  int
	typ  string
	dest int
}{
	{kIndicator, "indicates", kMalware},
	{kIndicator, "indicates", kThreatActor},
	{kIndicator, "indicates", kAttackPattern},
	{kMalware, "uses", kAttackPattern},
	{kThreatActor, "uses", kMalware},
	{kThreatActor, "uses", kAttackPattern},
	{kThreatActor, "targets", kIdentity},
	{kMalware, "targets", kIdentity},
}

func (g *Generator) relationship(b []byte) ([]byte, []string) {
	r := relTargets[g.rng.IntN(len(relTargets))]
	src, dst := g.pools[r.src].pick(g.rng), g.pools[r.dest].pick(g.rng)
	b = append(b, `,"relationship_type":"`...)
	b = append(b, r.typ...)
	b = append(b, `","description":`...)
	b = g.text(b, 12, 30)
	b = append(b, `,"source_ref":"`...)
	b = append(b, src...)
	b = append(b, `","target_ref":"`...)
	b = append(b, dst...)
	b = append(b, `","confidence":`...)
	b = strconv.AppendInt(b, int64(g.rng.IntN(101)), 10)
	if g.rng.IntN(2) == 0 {
		b = g.externalRefs(b)
	}
	return b, []string{src, dst}
}

func (g *Generator) sighting(b []byte, created time.Time) ([]byte, []string) {
	of := g.pools[kIndicator].pick(g.rng)
	where := g.pools[kIdentity].pick(g.rng)
	b = append(b, `,"description":`...)
	b = g.text(b, 15, 30)
	b = append(b, `,"first_seen":"`...)
	b = appendTime(b, created.Add(-time.Duration(g.rng.IntN(86400))*time.Second))
	b = append(b, `","last_seen":"`...)
	b = appendTime(b, created)
	b = append(b, `","count":`...)
	b = strconv.AppendInt(b, int64(1+g.rng.IntN(500)), 10)
	b = append(b, `,"sighting_of_ref":"`...)
	b = append(b, of...)
	b = append(b, `","where_sighted_refs":["`...)
	b = append(b, where...)
	b = append(b, `"]`...)
	return b, []string{of, where}
}

func (g *Generator) malware(b []byte, created time.Time) []byte {
	b = append(b, `,"name":`...)
	b = g.name(b, 2)
	b = append(b, `,"description":`...)
	b = g.text(b, 80, 120)
	b = append(b, `,"malware_types":["`...)
	b = append(b, malwareTypes[g.rng.IntN(len(malwareTypes))]...)
	b = append(b, `"],"is_family":true,"aliases":[`...)
	b = g.name(b, 1)
	b = append(b, ',')
	b = g.name(b, 1)
	b = append(b, `],"first_seen":"`...)
	b = appendTime(b, created.Add(-time.Duration(g.rng.IntN(900))*24*time.Hour))
	b = append(b, `","architecture_execution_envs":["x86-64"],"implementation_languages":["`...)
	b = append(b, languages[g.rng.IntN(len(languages))]...)
	b = append(b, `"],"capabilities":["`...)
	b = append(b, capabilities[g.rng.IntN(len(capabilities))]...)
	b = append(b, `","`...)
	b = append(b, capabilities[g.rng.IntN(len(capabilities))]...)
	b = append(b, `"]`...)
	b = g.killChain(b)
	return g.externalRefs(b)
}

func (g *Generator) threatActor(b []byte, created time.Time) []byte {
	b = append(b, `,"name":`...)
	b = g.name(b, 2)
	b = append(b, `,"description":`...)
	b = g.text(b, 90, 120)
	b = append(b, `,"threat_actor_types":["`...)
	b = append(b, actorTypes[g.rng.IntN(len(actorTypes))]...)
	b = append(b, `"],"aliases":[`...)
	b = g.name(b, 2)
	b = append(b, `],"first_seen":"`...)
	b = appendTime(b, created.Add(-time.Duration(g.rng.IntN(2000))*24*time.Hour))
	b = append(b, `","roles":["agent"],"goals":[`...)
	b = g.text(b, 4, 4)
	b = append(b, `],"sophistication":"`...)
	b = append(b, sophistication[g.rng.IntN(len(sophistication))]...)
	b = append(b, `","resource_level":"government","primary_motivation":"`...)
	b = append(b, motivations[g.rng.IntN(len(motivations))]...)
	b = append(b, '"')
	return g.externalRefs(b)
}

func (g *Generator) attackPattern(b []byte) []byte {
	b = append(b, `,"name":`...)
	b = g.name(b, 3)
	b = append(b, `,"description":`...)
	b = g.text(b, 90, 140)
	b = g.killChain(b)
	return g.externalRefs(b)
}

func (g *Generator) report(b []byte, created time.Time) []byte {
	b = append(b, `,"name":`...)
	b = g.name(b, 5)
	b = append(b, `,"description":`...)
	b = g.text(b, 60, 100)
	b = append(b, `,"report_types":["`...)
	b = append(b, reportTypes[g.rng.IntN(len(reportTypes))]...)
	b = append(b, `"],"published":"`...)
	b = appendTime(b, created)
	b = append(b, `","object_refs":[`...)
	n := 5 + g.rng.IntN(20)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		k := []int{kIndicator, kIndicator, kMalware, kThreatActor, kAttackPattern, kIdentity}[g.rng.IntN(6)]
		b = append(b, '"')
		b = append(b, g.pools[k].pick(g.rng)...)
		b = append(b, '"')
	}
	return append(b, ']')
}

func (g *Generator) identity(b []byte) []byte {
	b = append(b, `,"name":`...)
	b = g.name(b, 3)
	b = append(b, `,"description":`...)
	b = g.text(b, 15, 25)
	b = append(b, `,"identity_class":"organization","sectors":["`...)
	b = append(b, sectors[g.rng.IntN(len(sectors))]...)
	b = append(b, `"],"contact_information":"`...)
	b = append(b, g.word()...)
	b = append(b, '@')
	b = g.domain(b)
	return append(b, '"')
}

// appendTime appends t as a STIX timestamp with milliseconds.
func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

var (
	tlds           = []string{"com", "net", "org", "info", "ru", "cn", "io", "biz", "xyz", "top"}
	ports          = []int{22, 25, 53, 80, 443, 445, 3389, 8080, 8443, 4444}
	indicatorTypes = []string{"malicious-activity", "anomalous-activity", "attribution", "compromised", "benign"}
	malwareTypes   = []string{"backdoor", "bot", "dropper", "downloader", "keylogger", "ransomware", "remote-access-trojan", "spyware", "wiper", "worm"}
	actorTypes     = []string{"nation-state", "crime-syndicate", "hacker", "sensationalist", "spy", "terrorist"}
	sophistication = []string{"intermediate", "advanced", "expert", "innovator", "strategic"}
	motivations    = []string{"ideology", "organizational-gain", "personal-gain", "dominance", "coercion"}
	reportTypes    = []string{"threat-report", "threat-actor", "malware", "attack-pattern", "campaign", "indicator"}
	sectors        = []string{"government-national", "defense", "energy", "telecommunications", "financial-services", "healthcare", "transportation"}
	languages      = []string{"c", "c++", "go", "python", "rust", "powershell"}
	capabilities   = []string{"accesses-remote-machines", "captures-credentials", "communicates-with-c2", "evades-av", "exfiltrates-data", "persists-after-system-reboot", "escalates-privileges"}
	phases         = []string{"reconnaissance", "initial-access", "execution", "persistence", "privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"}
)

// words is the vocabulary of generated names and descriptions: the words
// of threat reports.
var words = []string{
	"adversary", "campaign", "infrastructure", "phishing", "spearphishing", "attachment", "payload", "loader",
	"beacon", "implant", "credential", "harvesting", "lateral", "movement", "persistence", "registry",
	"scheduled", "task", "service", "exfiltration", "archive", "encrypted", "channel", "domain",
	"fronting", "proxy", "relay", "server", "command", "control", "operator", "operators",
	"observed", "targeting", "ministry", "defence", "energy", "sector", "telecommunications", "provider",
	"maritime", "logistics", "satellite", "ground", "station", "network", "perimeter", "firewall",
	"vulnerability", "exploited", "unpatched", "edge", "device", "router", "appliance", "webshell",
	"deployed", "reconnaissance", "scanning", "brute", "force", "password", "spraying", "account",
	"privileged", "administrator", "token", "theft", "session", "hijacking", "cloud", "tenant",
	"mailbox", "access", "persistent", "wiper", "ransomware", "extortion", "leak", "site",
	"disinformation", "narrative", "amplification", "inauthentic", "accounts", "coordinated", "behaviour", "influence",
	"operation", "state", "sponsored", "group", "cluster", "activity", "overlap", "attribution",
	"assessed", "moderate", "confidence", "high", "low", "likely", "indicators", "compromise",
	"hash", "sample", "dropper", "obfuscated", "script", "powershell", "macro", "document",
	"lure", "themed", "conference", "invitation", "recruitment", "diplomatic", "cable", "summit",
	"naval", "exercise", "pacific", "northern", "baltic", "arctic", "submarine", "cable",
	"outage", "disruption", "denial", "distributed", "botnet", "amplified", "traffic", "volumetric",
	"supply", "chain", "software", "update", "signed", "certificate", "stolen", "code",
	"repository", "dependency", "package", "typosquatting", "watering", "hole", "compromised", "website",
	"browser", "exploit", "zero", "day", "patch", "released", "advisory", "mitigation",
	"detection", "rule", "telemetry", "endpoint", "sensor", "analyst", "triage", "incident",
	"response", "containment", "eradication", "recovery", "lessons", "learned", "partner", "sharing",
}
