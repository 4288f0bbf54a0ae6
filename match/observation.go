package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"liaison/stix/pattern"
)

// Observation is one observation that patterns are matched against
// (section 9.1): an observed-data object with the SCOs it observed, or a
// single SCO submitted on its own.
type Observation struct {
	// ID names the observation in a Hit: the observed-data's id, or the
	// SCO's.
	ID string
	// First and Last are first_observed and last_observed; for a lone SCO
	// both are the time it arrived.
	First, Last time.Time
	// Count is number_observed: how many observations the observed-data
	// stands for. Values below 1 count as 1.
	Count int64
	// Objects are the SCOs an observation expression may start from: those
	// of object_refs, the values of the deprecated objects map, or the lone
	// SCO.
	Objects []Object
	// Refs resolves references (src_ref, resolves_to_refs, …): by id for
	// object_refs and lone SCOs, by key for the objects map. Only what Refs
	// holds can be followed (section 9.7.4).
	Refs map[string]Object
}

// FromBundle reads a STIX bundle (or any JSON object with an "objects"
// list, such as a TAXII envelope) and returns its observations, as
// FromObjects does.
func FromBundle(raw []byte, at time.Time) ([]Observation, error) {
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("bundle: %v", err)
	}
	return FromObjects(b.Objects, at)
}

// FromObjects returns the observations of one batch of STIX objects, in
// the order of the batch: one for each observed-data, whose object_refs
// are resolved among the batch's SCOs (an id the batch lacks is not
// found, as section 9.7.4 says) or whose deprecated objects map is used
// as it stands; and one for each SCO that no observed-data of the batch
// lists, observed once at time at, whose references resolve among all
// the batch's SCOs. Other objects (indicators, relationships, …) are
// skipped. A malformed observed-data is an error naming its index and
// property; a malformed SCO is an error naming its index.
func FromObjects(objs []json.RawMessage, at time.Time) ([]Observation, error) {
	decoded := make([]Object, len(objs))
	scos := map[string]Object{}
	listed := map[string]bool{}
	for i, raw := range objs {
		o, err := DecodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("object %d: %v", i, err)
		}
		decoded[i] = o
		typ := o.Type()
		switch {
		case typ == "observed-data":
			if refs, ok := o["object_refs"].([]any); ok {
				for _, r := range refs {
					if s, ok := r.(string); ok {
						listed[s] = true
					}
				}
			}
		case isSCOType(typ):
			if id := o.ID(); id != "" {
				scos[id] = o
			}
		}
	}
	var out []Observation
	for i, o := range decoded {
		typ := o.Type()
		switch {
		case typ == "observed-data":
			ob, err := observedData(i, o, scos)
			if err != nil {
				return nil, err
			}
			out = append(out, ob)
		case isSCOType(typ):
			if listed[o.ID()] {
				continue
			}
			out = append(out, Observation{ID: o.ID(), First: at, Last: at, Count: 1, Objects: []Object{o}, Refs: scos})
		}
	}
	return out, nil
}

// nonSCO are the STIX 2.1 types that are not cyber-observables. Any other
// type, custom ones included, is taken for an SCO.
var nonSCO = map[string]bool{
	"attack-pattern": true, "campaign": true, "course-of-action": true, "grouping": true,
	"identity": true, "incident": true, "indicator": true, "infrastructure": true,
	"intrusion-set": true, "location": true, "malware": true, "malware-analysis": true,
	"note": true, "observed-data": true, "opinion": true, "report": true,
	"threat-actor": true, "tool": true, "vulnerability": true, "relationship": true,
	"sighting": true, "marking-definition": true, "language-content": true,
	"extension-definition": true, "bundle": true,
}

func isSCOType(typ string) bool { return typ != "" && !nonSCO[typ] }

func observedData(i int, o Object, scos map[string]Object) (Observation, error) {
	ob := Observation{ID: o.ID(), Count: 1}
	where := func(prop, format string, args ...any) error {
		id := ""
		if ob.ID != "" {
			id = " (" + ob.ID + ")"
		}
		return fmt.Errorf("object %d%s: property %q: %s", i, id, prop, fmt.Sprintf(format, args...))
	}
	for _, f := range []struct {
		prop string
		t    *time.Time
	}{{"first_observed", &ob.First}, {"last_observed", &ob.Last}} {
		s, ok := o[f.prop].(string)
		if !ok {
			return ob, where(f.prop, "is required and must be a timestamp")
		}
		t, ok := pattern.ParseTimestamp(s)
		if !ok {
			return ob, where(f.prop, "%q is not a STIX timestamp", s)
		}
		*f.t = t
	}
	if ob.Last.Before(ob.First) {
		return ob, where("last_observed", "is before first_observed")
	}
	if v, ok := o["number_observed"]; ok {
		n, _, isInt, ok := numeric(v)
		if !ok || !isInt || n < 1 {
			return ob, where("number_observed", "must be an integer of at least 1")
		}
		ob.Count = n
	}
	if v, ok := o["object_refs"]; ok {
		refs, ok := v.([]any)
		if !ok {
			return ob, where("object_refs", "must be a list of identifiers")
		}
		ob.Refs = make(map[string]Object, len(refs))
		for _, r := range refs {
			s, ok := r.(string)
			if !ok {
				return ob, where("object_refs", "must be a list of identifiers")
			}
			if sco, ok := scos[s]; ok {
				if _, dup := ob.Refs[s]; !dup {
					ob.Objects = append(ob.Objects, sco)
				}
				ob.Refs[s] = sco
			}
		}
		return ob, nil
	}
	if v, ok := o["objects"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return ob, where("objects", "must be a dictionary of objects")
		}
		ob.Refs = make(map[string]Object, len(m))
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			sco, ok := m[k].(map[string]any)
			if !ok {
				return ob, where("objects", "member %q is not an object", k)
			}
			ob.Refs[k] = sco
			ob.Objects = append(ob.Objects, sco)
		}
	}
	return ob, nil
}
