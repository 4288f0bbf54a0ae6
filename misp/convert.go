package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// HubExtension is the hub's classification and releasability extension.
const HubExtension = "extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21"

// markingCreated is the fixed created time of the REL TO markings this
// package writes: a marking-definition never changes, so the same release
// must give byte-identical definitions in every run.
const markingCreated = "2026-01-01T00:00:00.000Z"

// maxListed bounds how many problems one refusal lists.
const maxListed = 5

// Stats counts what a conversion did.
type Stats struct {
	Events     int // converted
	Refused    int // refused whole (see Problems)
	Attributes int // MISP attributes read in converted events (in objects too)
	Objects    int // STIX objects written
	// Problems say why each refused event was refused, naming it and the
	// flag that would map what was ambiguous.
	Problems []string
	// Warnings are losses that are not attributes: an object reference
	// to something outside the event, for instance.
	Warnings []string
}

// Converter turns MISP events into STIX objects, handed one by one to
// emit as JSON.
type Converter struct {
	opt  Options
	emit func(raw []byte) error
	// Places, when not nil, records where each MISP attribute went, by
	// its uuid: the STIX id, followed by " " and the x_misp_ property when
	// it is kept in a property. Tests use it to count that nothing is lost.
	Places map[string][]string
	done   map[string]bool // ids of markings and identities written
	buf    bytes.Buffer
	enc    *json.Encoder
	Stats  Stats
}

// NewConverter returns a converter writing each STIX object to emit.
func NewConverter(opt Options, emit func(raw []byte) error) *Converter {
	c := &Converter{opt: opt, emit: emit, done: map[string]bool{}}
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	return c
}

func (c *Converter) write(o map[string]any) error {
	c.buf.Reset()
	if err := c.enc.Encode(o); err != nil {
		return fmt.Errorf("encode %v: %w", o["id"], err)
	}
	c.Stats.Objects++
	return c.emit(bytes.TrimRight(c.buf.Bytes(), "\n"))
}

func (c *Converter) place(uuid, where string) {
	if c.Places != nil {
		c.Places[uuid] = append(c.Places[uuid], where)
	}
}

// markingOf returns the id of the REL TO marking of a release, writing the
// marking-definition the first time.
func (c *Converter) markingOf(r release) (string, error) {
	id := "marking-definition--" + uuid5("release\x00"+strings.Join(r, ","))
	if c.done[id] {
		return id, nil
	}
	c.done[id] = true
	return id, c.write(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": id, "created": markingCreated,
		"name": "REL TO " + strings.Join(r, ", "),
		// Marked with itself: a reader outside the release does not learn
		// from the definition that something was released this way.
		"object_marking_refs": []string{id},
		"extensions": map[string]any{HubExtension: map[string]any{
			"extension_type": "property-extension", "releasable_to": []string(r),
		}},
	})
}

// identityOf returns the identity of a MISP organisation under the given
// markings (one per marking set, so that no identity is read more widely
// than what it authored), writing it the first time.
func (c *Converter) identityOf(o *org, marks []string) (string, error) {
	key, name := "", ""
	if o != nil {
		key, name = o.UUID, o.Name
		if key == "" {
			key = o.Name
		}
	}
	if name == "" {
		name, key = "unnamed MISP organisation", "unnamed"
	}
	id := stixID("identity", key+"|"+strings.Join(marks, ","))
	if c.done[id] {
		return id, nil
	}
	c.done[id] = true
	return id, c.write(map[string]any{
		"type": "identity", "spec_version": "2.1", "id": id, "created": markingCreated, "modified": markingCreated,
		"name": name, "identity_class": "organization", "object_marking_refs": marks,
	})
}

// Event converts one event; index is its place in the input, for
// messages. An event that cannot be mapped without guessing is refused
// whole: nothing of it is written, and Stats.Problems says why.
func (c *Converter) Event(index int, ev *Event) error {
	where := fmt.Sprintf("MISP event %d", index)
	if ev.UUID != "" {
		where += fmt.Sprintf(" (%s %q)", ev.UUID, ev.Info)
	}
	e := &eventConv{c: c, ev: ev, where: where, members: map[string]member{}, containers: map[string]*container{}}
	if problems := e.check(); len(problems) > 0 {
		c.Stats.Refused++
		msg := where + " refused: " + strings.Join(problems[:min(len(problems), maxListed)], "; ")
		if len(problems) > maxListed {
			msg += fmt.Sprintf("; and %d more", len(problems)-maxListed)
		}
		c.Stats.Problems = append(c.Stats.Problems, msg)
		return nil
	}
	if err := e.convert(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	c.Stats.Events++
	return nil
}

// member is what a MISP attribute or object became: its main STIX object
// and that object's markings, for object references.
type member struct {
	id    string
	marks []string
}

// container gathers what goes into one report or grouping: the event's
// own, or one per narrower release.
type container struct {
	id, key string
	marks   []string
	refs    []string
	attrs   []map[string]any
	gal     []map[string]any
}

type eventConv struct {
	c          *Converter
	ev         *Event
	where      string
	ts         int
	evRel      release
	tlp        string
	labels     []string
	rels       map[string]release // by MISP uuid of an object or attribute with a narrower release
	members    map[string]member
	containers map[string]*container
	main       *container
}

// check resolves every distribution in the event before anything is
// written, and returns each problem.
func (e *eventConv) check() []string {
	ev, o := e.ev, &e.c.opt
	var problems []string
	if ev.UUID == "" {
		problems = append(problems, "it has no uuid, so its STIX ids cannot be derived")
	}
	if !ev.Timestamp.Set {
		problems = append(problems, "it has no timestamp")
	}
	e.ts = ev.Timestamp.N
	rel, p := o.resolve(ev.Distribution, ev.SharingGroupID, ev.SharingGroup, "the event")
	if p != "" {
		problems = append(problems, p)
	}
	e.evRel = rel
	e.rels = map[string]release{}
	own := func(uuid string, dist, sgID flexInt, sg *group, what string) {
		if uuid == "" {
			problems = append(problems, what+" has no uuid")
			return
		}
		if !narrower(ev.Distribution, dist) {
			return
		}
		r, p := o.resolve(dist, sgID, sg, what)
		if p != "" {
			problems = append(problems, p)
			return
		}
		e.rels[uuid] = r
	}
	for i := range ev.Attribute {
		a := &ev.Attribute[i]
		own(a.UUID, a.Distribution, a.SharingGroupID, a.SharingGroup, fmt.Sprintf("attribute %s (%s %q)", a.UUID, a.Type, clip(a.Value)))
	}
	for i := range ev.Object {
		ob := &ev.Object[i]
		own(ob.UUID, ob.Distribution, ob.SharingGroupID, ob.SharingGroup, fmt.Sprintf("object %s (%s)", ob.UUID, ob.Name))
		for j := range ob.Attribute {
			a := &ob.Attribute[j]
			own(a.UUID, a.Distribution, a.SharingGroupID, a.SharingGroup, fmt.Sprintf("attribute %s (%s %q) of object %s", a.UUID, a.Type, clip(a.Value), ob.UUID))
		}
	}
	return problems
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "…"
	}
	return s
}

// marksFor returns the markings of a set of MISP elements (by uuid): the
// event's release, every narrower release among them, and the event's TLP
// or a stricter one of the element's own. The hub intersects the REL TO
// markings, so an element is never read more widely than the event.
func (e *eventConv) marksFor(tlp string, uuids ...string) ([]string, *container, error) {
	rs := []release{e.evRel}
	for _, u := range uuids {
		if r, ok := e.rels[u]; ok {
			rs = append(rs, r)
		}
	}
	var marks []string
	var key []string
	for _, r := range rs {
		id, err := e.c.markingOf(r)
		if err != nil {
			return nil, nil, err
		}
		if !slices.Contains(marks, id) {
			marks = append(marks, id)
			key = append(key, strings.Join(r, ","))
		}
	}
	slices.Sort(marks)
	if tlpRank[tlp] < tlpRank[e.tlp] {
		tlp = e.tlp
	}
	cont, err := e.containerOf(marks, strings.Join(key, " and "))
	if err != nil {
		return nil, nil, err
	}
	if tlp != "" {
		marks = append(marks, tlpIDs[tlp])
	}
	return marks, cont, nil
}

// containerOf returns the container of objects with these release
// markings: the event's report (or grouping) for the event's own release,
// a grouping of its own for each narrower one, so that no container lists
// an object its readers may not read.
func (e *eventConv) containerOf(releaseMarks []string, label string) (*container, error) {
	k := strings.Join(releaseMarks, ",")
	if ct := e.containers[k]; ct != nil {
		return ct, nil
	}
	ct := &container{key: label, marks: slices.Clone(releaseMarks)}
	if e.tlp != "" {
		ct.marks = append(ct.marks, tlpIDs[e.tlp])
	}
	switch {
	case e.main == nil:
		ct.id = stixID("grouping", e.ev.UUID)
		if e.ev.Published {
			ct.id = stixID("report", e.ev.UUID)
		}
		e.main = ct
	default:
		ct.id = stixID("grouping", e.ev.UUID+"|"+k)
	}
	e.containers[k] = ct
	return ct, nil
}

func (e *eventConv) convert() error {
	ev := e.ev
	e.tlp, e.labels = tlpOf(ev.Tag)
	if _, _, err := e.marksFor(""); err != nil { // the event's own container first
		return err
	}
	for i := range ev.Attribute {
		if err := e.attribute(&ev.Attribute[i]); err != nil {
			return err
		}
	}
	for i := range ev.Object {
		if err := e.object(&ev.Object[i]); err != nil {
			return err
		}
	}
	for i := range ev.Object {
		if err := e.references(&ev.Object[i]); err != nil {
			return err
		}
	}
	for _, g := range ev.Galaxy {
		for _, cl := range g.GalaxyCluster {
			// A found cluster is linked by a relationship, not listed in
			// the report's object_refs: the hub serves a relationship only
			// to those who read both ends, whereas an id in object_refs
			// would tell every reader of the report that it exists.
			if target, ok := e.lookup(cl); ok {
				r := e.sdo("relationship", stixID("relationship", e.main.id+"|related-to|"+target), e.ts, e.main.marks, "", nil)
				r["relationship_type"], r["source_ref"], r["target_ref"] = "related-to", e.main.id, target
				if !e.c.done[r["id"].(string)] {
					e.c.done[r["id"].(string)] = true
					if err := e.c.write(r); err != nil {
						return err
					}
				}
				continue
			}
			e.main.gal = append(e.main.gal, clusterProps(g, cl))
		}
	}
	return e.containersOut()
}

// sdo starts an SDO or SRO with the common properties.
func (e *eventConv) sdo(typ, id string, ts int, marks []string, creator string, labels []string) map[string]any {
	o := map[string]any{
		"type": typ, "spec_version": "2.1", "id": id,
		"created": stamp(ts), "modified": stamp(ts),
		"object_marking_refs": marks,
	}
	if creator != "" {
		o["created_by_ref"] = creator
	}
	if len(labels) > 0 {
		o["labels"] = labels
	}
	return o
}

func (e *eventConv) tsOf(t flexInt) int {
	if t.Set {
		return t.N
	}
	return e.ts
}

func attrLabels(a *Attribute) []string {
	_, rest := tlpOf(a.Tag)
	l := []string{fmt.Sprintf("misp:type=%q", a.Type)}
	if a.Category != "" {
		l = append(l, fmt.Sprintf("misp:category=%q", a.Category))
	}
	return append(l, rest...)
}

// attribute converts one attribute of the event (not of an object).
func (e *eventConv) attribute(a *Attribute) error {
	e.c.Stats.Attributes++
	tlp, _ := tlpOf(a.Tag)
	marks, cont, err := e.marksFor(tlp, a.UUID)
	if err != nil {
		return err
	}
	creator, err := e.c.identityOf(e.ev.Orgc, marks)
	if err != nil {
		return err
	}
	ts := e.tsOf(a.Timestamp)
	labels := attrLabels(a)
	var main map[string]any
	var extra []map[string]any // written after main
	switch {
	case sdoTypes[a.Type] != "" && strings.TrimSpace(a.Value) != "":
		typ := sdoTypes[a.Type]
		main = e.sdo(typ, stixID(typ, a.UUID), ts, marks, creator, labels)
		main["name"] = a.Value
		if typ == "vulnerability" && strings.HasPrefix(strings.ToUpper(a.Value), "CVE-") {
			main["external_references"] = []map[string]any{{"source_name": "cve", "external_id": a.Value}}
		}
		e.c.place(a.UUID, main["id"].(string))
	case patternTypes[a.Type] != "" && bool(a.ToIDs) && strings.TrimSpace(a.Value) != "":
		main = e.indicator(stixID("indicator", a.UUID), ts, marks, creator, labels, a.Value, patternTypes[a.Type], a.FirstSeen)
		e.c.place(a.UUID, main["id"].(string))
	case len(fieldsOf(a)) > 0 && bool(a.ToIDs):
		main = e.indicator(stixID("indicator", a.UUID), ts, marks, creator, labels, patternOf(fieldsOf(a)), "stix", a.FirstSeen)
		e.c.place(a.UUID, main["id"].(string))
	case len(fieldsOf(a)) > 0:
		cs := fieldsOf(a)
		sco := scoOf(stixID(cs[0].f.typ, a.UUID), cs)
		sco["object_marking_refs"] = marks
		extra = append(extra, sco)
		main = e.observed(stixID("observed-data", a.UUID), ts, marks, creator, labels, []string{sco["id"].(string)}, a.FirstSeen, a.LastSeen)
		e.c.place(a.UUID, sco["id"].(string))
		cont.refs = append(cont.refs, sco["id"].(string))
	default:
		// No STIX home: kept whole in the container's x_misp_attributes.
		p := attrProps(a)
		if gs := keptClusters(a.Galaxy); len(gs) > 0 {
			p["galaxies"] = gs
		}
		if len(a.Sighting) > 0 {
			p["sightings"] = sightingProps(a.Sighting)
		}
		cont.attrs = append(cont.attrs, p)
		e.c.place(a.UUID, cont.id+" x_misp_attributes")
		return nil
	}
	if a.Comment != "" {
		main["description"] = a.Comment
	}
	id := main["id"].(string)
	e.members[a.UUID] = member{id, marks}
	cont.refs = append(cont.refs, id)
	links, err := e.attach(main, a.Galaxy, a.Sighting, marks, ts)
	if err != nil {
		return err
	}
	for _, o := range append(append(extra, main), links...) {
		if err := e.c.write(o); err != nil {
			return err
		}
	}
	return nil
}

func (e *eventConv) indicator(id string, ts int, marks []string, creator string, labels []string, pattern, ptype, firstSeen string) map[string]any {
	o := e.sdo("indicator", id, ts, marks, creator, labels)
	o["pattern"], o["pattern_type"] = pattern, ptype
	if ptype == "stix" {
		o["pattern_version"] = "2.1"
	}
	o["valid_from"] = stamp(ts)
	if s, ok := seenStamp(firstSeen); ok {
		o["valid_from"] = s
	}
	return o
}

func (e *eventConv) observed(id string, ts int, marks []string, creator string, labels []string, refs []string, first, last string) map[string]any {
	o := e.sdo("observed-data", id, ts, marks, creator, labels)
	f, okF := seenStamp(first)
	l, okL := seenStamp(last)
	if !okF {
		f = stamp(ts)
	}
	if !okL || l < f {
		l = f
	}
	o["first_observed"], o["last_observed"], o["number_observed"] = f, l, 1
	o["object_refs"] = refs
	return o
}

func attrProps(a *Attribute) map[string]any {
	p := map[string]any{"uuid": a.UUID, "type": a.Type, "value": a.Value, "to_ids": bool(a.ToIDs)}
	if a.Category != "" {
		p["category"] = a.Category
	}
	if a.Comment != "" {
		p["comment"] = a.Comment
	}
	if a.ObjectRelation != "" {
		p["object_relation"] = a.ObjectRelation
	}
	if a.Timestamp.Set {
		p["timestamp"] = a.Timestamp.N
	}
	return p
}

func sightingProps(ss []sighting) []map[string]any {
	var out []map[string]any
	for _, s := range ss {
		p := map[string]any{"type": s.Type.N}
		if s.UUID != "" {
			p["uuid"] = s.UUID
		}
		if s.DateSighting.Set {
			p["date_sighting"] = stamp(s.DateSighting.N)
		}
		if s.Source != "" {
			p["source"] = s.Source
		}
		if s.Organisation != nil && s.Organisation.Name != "" {
			p["organisation"] = s.Organisation.Name
		}
		out = append(out, p)
	}
	return out
}

func clusterProps(g galaxy, cl cluster) map[string]any {
	p := map[string]any{"galaxy": g.Type, "value": cl.Value}
	if cl.TagName != "" {
		p["tag_name"] = cl.TagName
	}
	if len(cl.Meta.ExternalID) > 0 {
		p["external_id"] = []string(cl.Meta.ExternalID)
	}
	return p
}

// lookup finds a stored object for a galaxy cluster by its external ids,
// or the id at the end of its value ("Phishing - T1566").
func (e *eventConv) lookup(cl cluster) (string, bool) {
	if e.c.opt.Lookup == nil {
		return "", false
	}
	ids := slices.Clone([]string(cl.Meta.ExternalID))
	if i := strings.LastIndex(cl.Value, " - "); i >= 0 {
		ids = append(ids, strings.TrimSpace(cl.Value[i+3:]))
	}
	for _, x := range ids {
		if id, ok := e.c.opt.Lookup(x); ok && x != "" {
			return id, true
		}
	}
	return "", false
}

// keptClusters returns the galaxy clusters of an attribute that has no
// STIX object to link from: all are kept as they are.
func keptClusters(gs []galaxy) []map[string]any {
	var kept []map[string]any
	for _, g := range gs {
		for _, cl := range g.GalaxyCluster {
			kept = append(kept, clusterProps(g, cl))
		}
	}
	return kept
}

// attach adds an attribute's galaxies and sightings to its main STIX
// object: relationships to the stored objects the galaxies name, STIX
// sightings of an indicator; what has no STIX form stays in x_misp_
// properties of main. It returns the relationships and sightings to write.
func (e *eventConv) attach(main map[string]any, gs []galaxy, ss []sighting, marks []string, ts int) ([]map[string]any, error) {
	id := main["id"].(string)
	isIndicator := main["type"] == "indicator"
	var out []map[string]any
	for _, g := range gs {
		for _, cl := range g.GalaxyCluster {
			target, ok := e.lookup(cl)
			if !ok {
				kept, _ := main["x_misp_galaxies"].([]map[string]any)
				main["x_misp_galaxies"] = append(kept, clusterProps(g, cl))
				continue
			}
			typ := "related-to"
			if isIndicator {
				typ = "indicates"
			}
			r := e.sdo("relationship", stixID("relationship", id+"|"+typ+"|"+target), ts, marks, "", nil)
			r["relationship_type"], r["source_ref"], r["target_ref"] = typ, id, target
			out = append(out, r)
		}
	}
	var keptS []sighting
	for i, s := range ss {
		if !isIndicator || s.Type.N != 0 {
			keptS = append(keptS, s)
			continue
		}
		when := ts
		if s.DateSighting.Set {
			when = s.DateSighting.N
		}
		key := s.UUID
		if key == "" {
			key = fmt.Sprintf("%s|%d", id, i)
		}
		o := e.sdo("sighting", stixID("sighting", key), when, marks, "", nil)
		o["sighting_of_ref"], o["count"] = id, 1
		o["first_seen"], o["last_seen"] = stamp(when), stamp(when)
		if s.Organisation != nil && s.Organisation.Name != "" {
			who, err := e.c.identityOf(s.Organisation, marks)
			if err != nil {
				return nil, err
			}
			o["where_sighted_refs"] = []string{who}
		}
		if s.Source != "" {
			o["description"] = "source: " + s.Source
		}
		out = append(out, o)
	}
	if len(keptS) > 0 {
		main["x_misp_sightings"] = sightingProps(keptS)
	}
	return out, nil
}

// object converts one MISP object: an indicator when one of its
// attributes is for IDS, else observed-data over SCOs, else (no attribute
// has an SCO home) a custom x-misp-object; attributes with no SCO home
// are kept as x_misp_<relation> properties of that main object.
func (e *eventConv) object(ob *Object) error {
	uuids := []string{ob.UUID}
	var tlp string
	toIDs := false
	var gs []galaxy
	var ss []sighting
	for i := range ob.Attribute {
		a := &ob.Attribute[i]
		e.c.Stats.Attributes++
		uuids = append(uuids, a.UUID)
		if t, _ := tlpOf(a.Tag); tlpRank[t] > tlpRank[tlp] {
			tlp = t
		}
		toIDs = toIDs || bool(a.ToIDs)
		gs = append(gs, a.Galaxy...)
		ss = append(ss, a.Sighting...)
	}
	marks, cont, err := e.marksFor(tlp, uuids...)
	if err != nil {
		return err
	}
	creator, err := e.c.identityOf(e.ev.Orgc, marks)
	if err != nil {
		return err
	}
	ts := e.tsOf(ob.Timestamp)
	labels := []string{fmt.Sprintf("misp:name=%q", ob.Name)}
	if ob.MetaCategory != "" {
		labels = append(labels, fmt.Sprintf("misp:meta-category=%q", ob.MetaCategory))
	}
	var comps []comparison
	var homed, kept []*Attribute
	for i := range ob.Attribute {
		a := &ob.Attribute[i]
		if cs := fieldsOf(a); len(cs) > 0 {
			comps = append(comps, cs...)
			homed = append(homed, a)
		} else {
			kept = append(kept, a)
		}
	}
	var main map[string]any
	var scos []map[string]any
	switch {
	case len(comps) > 0 && toIDs:
		main = e.indicator(stixID("indicator", ob.UUID), ts, marks, creator, labels, patternOf(comps), "stix", "")
		main["name"] = nameOr(ob.Name, "MISP object "+ob.UUID)
		for _, a := range homed {
			e.c.place(a.UUID, main["id"].(string))
		}
	case len(comps) > 0:
		var refs []string
		for _, a := range homed {
			sco := e.mergeSCO(&scos, ob.UUID, a, marks)
			e.c.place(a.UUID, sco)
			if !slices.Contains(refs, sco) {
				refs = append(refs, sco)
			}
		}
		main = e.observed(stixID("observed-data", ob.UUID), ts, marks, creator, labels, refs, "", "")
		main["x_misp_name"] = ob.Name
		cont.refs = append(cont.refs, refs...)
	default:
		main = e.sdo("x-misp-object", stixID("x-misp-object", ob.UUID), ts, marks, creator, labels)
		main["name"] = nameOr(ob.Name, "MISP object "+ob.UUID)
	}
	id := main["id"].(string)
	for _, a := range kept {
		p := propName(a.ObjectRelation)
		if a.ObjectRelation == "" {
			p = propName(a.Type)
		}
		if p == "x_misp_name" || p == "x_misp_galaxies" || p == "x_misp_sightings" {
			p += "_value"
		}
		l, _ := main[p].([]map[string]any)
		main[p] = append(l, attrProps(a))
		e.c.place(a.UUID, id+" "+p)
	}
	if ob.Comment != "" {
		main["description"] = ob.Comment
	}
	e.members[ob.UUID] = member{id, marks}
	for i := range ob.Attribute {
		e.members[ob.Attribute[i].UUID] = member{id, marks}
	}
	cont.refs = append(cont.refs, id)
	links, err := e.attach(main, gs, ss, marks, ts)
	if err != nil {
		return err
	}
	for _, o := range append(append(scos, main), links...) {
		if err := e.c.write(o); err != nil {
			return err
		}
	}
	return nil
}

// mergeSCO puts an object attribute's comparisons into an SCO of the
// object: the first one of that type that does not yet have the property
// (a file's name and hashes go into one file), or a new one. It returns
// the SCO's id.
func (e *eventConv) mergeSCO(scos *[]map[string]any, objUUID string, a *Attribute, marks []string) string {
	cs := fieldsOf(a)
	typ := cs[0].f.typ
	for _, s := range *scos {
		if s["type"] != typ {
			continue
		}
		free := true
		for _, c := range cs {
			if c.f.hash != "" {
				h, _ := s["hashes"].(map[string]any)
				_, taken := h[c.f.hash]
				free = free && !taken
			} else if _, taken := s[c.f.prop]; taken {
				free = false
			}
		}
		if free {
			one := scoOf("", cs)
			for k, v := range one {
				if k == "hashes" {
					h, _ := s["hashes"].(map[string]any)
					if h == nil {
						h = map[string]any{}
						s["hashes"] = h
					}
					for hk, hv := range v.(map[string]any) {
						h[hk] = hv
					}
				} else if k != "id" && k != "type" && k != "spec_version" {
					s[k] = v
				}
			}
			return s["id"].(string)
		}
	}
	key := objUUID
	if len(*scos) > 0 {
		key += "|" + a.UUID
	}
	s := scoOf(stixID(typ, key), cs)
	s["object_marking_refs"] = marks
	*scos = append(*scos, s)
	return s["id"].(string)
}

// references turns an object's references into relationships, marked with
// both ends' markings (the hub also reads a relationship only with both
// of its ends).
func (e *eventConv) references(ob *Object) error {
	src, ok := e.members[ob.UUID]
	if !ok {
		return nil
	}
	for _, r := range ob.ObjectReference {
		dst, ok := e.members[r.ReferencedUUID]
		if !ok {
			e.c.Stats.Warnings = append(e.c.Stats.Warnings, fmt.Sprintf("%s: object %s references %s, which is not converted in this event: not linked", e.where, ob.UUID, r.ReferencedUUID))
			continue
		}
		if dst.id == src.id {
			continue
		}
		marks := slices.Clone(src.marks)
		for _, m := range dst.marks {
			if !slices.Contains(marks, m) {
				marks = append(marks, m)
			}
		}
		key := r.UUID
		if key == "" {
			key = ob.UUID + "|" + r.ReferencedUUID + "|" + r.RelationshipType
		}
		o := e.sdo("relationship", stixID("relationship", key), e.tsOf(ob.Timestamp), marks, "", nil)
		o["relationship_type"], o["source_ref"], o["target_ref"] = relType(r.RelationshipType), src.id, dst.id
		if r.Comment != "" {
			o["description"] = r.Comment
		}
		if err := e.c.write(o); err != nil {
			return err
		}
	}
	return nil
}

// containersOut writes the report (or grouping) of the event and a
// grouping per narrower release.
func (e *eventConv) containersOut() error {
	ev := e.ev
	keys := make([]string, 0, len(e.containers))
	for k := range e.containers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ct := e.containers[k]
		if len(ct.refs) == 0 {
			id, err := e.c.identityOf(ev.Orgc, ct.marks)
			if err != nil {
				return err
			}
			ct.refs = []string{id}
		}
		creator, err := e.c.identityOf(ev.Orgc, ct.marks)
		if err != nil {
			return err
		}
		typ, _, _ := strings.Cut(ct.id, "--")
		o := e.sdo(typ, ct.id, e.ts, ct.marks, creator, nil)
		o["object_refs"] = ct.refs
		if ct == e.main {
			o["name"] = nameOr(ev.Info, "MISP event "+ev.UUID)
			if len(e.labels) > 0 {
				o["labels"] = e.labels
			}
			if ev.ThreatLevelID.Set {
				o["x_misp_threat_level_id"] = ev.ThreatLevelID.N
			}
			if ev.Analysis.Set {
				o["x_misp_analysis"] = ev.Analysis.N
			}
			if ev.Date != "" {
				o["x_misp_date"] = ev.Date
			}
			if len(ct.gal) > 0 {
				o["x_misp_galaxies"] = ct.gal
			}
		} else {
			o["name"] = fmt.Sprintf("%s (the part released to %s only)", nameOr(ev.Info, "MISP event "+ev.UUID), ct.key)
		}
		o["x_misp_event_uuid"] = ev.UUID
		if len(ct.attrs) > 0 {
			o["x_misp_attributes"] = ct.attrs
		}
		switch typ {
		case "report":
			pub := e.ts
			if ev.PublishTimestamp.Set && ev.PublishTimestamp.N > 0 {
				pub = ev.PublishTimestamp.N
			}
			o["published"] = stamp(pub)
			o["report_types"] = []string{"threat-report"}
		case "grouping":
			o["context"] = "suspicious-activity"
		}
		if err := e.c.write(o); err != nil {
			return err
		}
	}
	return nil
}

func nameOr(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}
