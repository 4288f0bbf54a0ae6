package leaktest

import (
	"encoding/json"
	"strings"
)

// The world's catalogue: matrices of tactics, the world's attack-patterns
// as their techniques (each in the tactic its id gives it), and `uses`
// links from campaigns and threat actors to them. Every relationship
// whose target is an attack-pattern is a `uses` one (stixjson), so the
// reference knows the matrix counts from the ends alone.

// catalogueTactics are the shortnames of the world's tactics; an
// attack-pattern's phase is the one its id's last digit picks.
var catalogueTactics = []string{"plan", "prepare", "execute"}

// phaseOf is the tactic shortname of an attack-pattern.
func phaseOf(id string) string {
	return catalogueTactics[int(id[len(id)-1])%len(catalogueTactics)]
}

// catalogueUserTypes are the world's types that a matrix counts as users
// (liaison.UserTypes that the world writes).
var catalogueUserTypes = []string{"campaign", "threat-actor", "incident", "intrusion-set"}

func typeOfID(id string) string {
	t, _, _ := strings.Cut(id, "--")
	return t
}

// withFields returns raw with the fields added.
func withFields(raw []byte, fields map[string]any) []byte {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic("leaktest: " + err.Error())
	}
	for k, v := range fields {
		m[k] = v
	}
	return mustJSON(m)
}

// catalogue draws, from the mx stream, a matrix in each of up to four
// collections (each DISARM's by its external id), each with its own
// three tactics, some of them marked, and a never-stored tactic ref; and uses
// links from stored campaigns and threat actors to stored attack-patterns,
// in random collections with random markings.
func (g *gen) catalogue(data []*Coll, stored []string) []Batch {
	r, ts := g.r, g.ts
	g.r = g.mx
	defer func() { g.r, g.ts = r, ts }()
	w := g.w
	known := func(bare int) []string {
		if g.r.IntN(3) < bare {
			return nil
		}
		for {
			if refs, unknown := g.hubMarkingRefs(); !unknown {
				return refs
			}
		}
	}
	writable := func() (*Coll, *User) {
		for range 100 {
			c := data[g.r.IntN(len(data))]
			if ws := w.writers(c); len(ws) > 0 {
				return c, ws[g.r.IntN(len(ws))]
			}
		}
		return nil, nil
	}
	var batches []Batch
	k := 0
	for _, c := range data {
		ws := w.writers(c)
		if len(ws) == 0 || k == 4 {
			continue
		}
		u := ws[g.r.IntN(len(ws))]
		b := Batch{Coll: c, Writer: u}
		var refs []string
		for _, short := range catalogueTactics {
			o := &Obj{Coll: c, ID: g.id("x-mitre-tactic"), Type: "x-mitre-tactic", Writer: u, Modified: g.stamp(), MarkingRefs: known(2)}
			o.Raw = withFields(g.objectJSON(o, nil), map[string]any{"x_mitre_shortname": short})
			b.Objs = append(b.Objs, o)
			refs = append(refs, o.ID)
		}
		refs = append(refs, g.id("x-mitre-tactic")) // never stored
		m := &Obj{Coll: c, ID: g.id("x-mitre-matrix"), Type: "x-mitre-matrix", Writer: u, Modified: g.stamp(), MarkingRefs: known(1)}
		// Each one DISARM's by its external id: the form offers the
		// techniques of the first the reader may read.
		fields := map[string]any{"tactic_refs": refs, "external_references": []any{map[string]any{"source_name": "DISARM", "external_id": "DISARM"}}}
		m.Raw = withFields(g.objectJSON(m, nil), fields)
		b.Objs = append(b.Objs, m)
		batches = append(batches, b)
		k++
	}
	var techs, users []string
	for _, id := range stored {
		switch typeOfID(id) {
		case "attack-pattern":
			techs = append(techs, id)
		case "campaign", "threat-actor":
			users = append(users, id)
		}
	}
	if len(techs) == 0 || len(users) == 0 {
		return batches
	}
	for range min(300, 10+len(stored)/3) {
		c, u := writable()
		o := &Obj{Coll: c, ID: g.id("relationship"), Type: "relationship", Writer: u, Modified: g.stamp(), MarkingRefs: known(1),
			Ends: []string{users[g.r.IntN(len(users))], techs[g.r.IntN(len(techs))]}}
		o.Raw = g.objectJSON(o, nil)
		batches = append(batches, Batch{Coll: c, Writer: u, Objs: []*Obj{o}})
	}
	return batches
}
