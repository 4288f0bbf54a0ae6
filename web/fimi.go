package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/stix"
)

// The FIMI incident form: a disinformation incident recorded as an
// `incident`, `uses` relationships to the DISARM techniques picked (only
// those of the DISARM matrix the recorder may read are offered, and only
// those are taken), the targets as identities it `targets`, the channels
// as infrastructure it `uses`, every object with the marking picked.
// Everything goes through the store's ordinary write path, as one
// AddObjects call.

// Form fields of the FIMI incident form.
const (
	fieldName        = "name"
	fieldDescription = "description"
	fieldTechnique   = "technique"
	fieldTargets     = "targets"
	fieldChannels    = "channels"
)

// Bounds of the form.
const (
	maxFIMIText  = 200  // a name, a target, a channel
	maxFIMIDesc  = 4000 // the description
	maxFIMILines = 20   // targets, channels
)

// fimiView is the form.
type fimiView struct {
	pickerView
	Matrix     *matrixView // the DISARM matrix, as the recorder may read it; nil: none
	Picked     map[string]bool
	Name, Desc string
	Targets    string
	Channels   string
	Error      string
}

// disarmMatrix returns the id of the DISARM matrix the reader may read
// ("" when there is none): the x-mitre-matrix whose catalogue id or name
// says DISARM, the first by name.
func (s *Server) disarmMatrix(p *page) (string, error) {
	vs, err := s.allOfType(p, "x-mitre-matrix")
	if err != nil {
		return "", err
	}
	best, bestName := "", ""
	for _, v := range vs {
		m := catalogueOf(v.Raw)
		ext, _ := m.externalID()
		if m.Revoked || !strings.EqualFold(ext, "DISARM") && !strings.HasPrefix(strings.ToUpper(m.Name), "DISARM") {
			continue
		}
		if best == "" || m.Name < bestName || m.Name == bestName && v.ID < best {
			best, bestName = v.ID, m.Name
		}
	}
	return best, nil
}

// fimiForm serves GET /fimi/new.
func (s *Server) fimiForm(p *page) error {
	return s.renderFIMI(p, http.StatusOK, fimiView{Picked: map[string]bool{}}, markingPick{}, p.r.URL.Query().Get(fieldCollection))
}

func (s *Server) renderFIMI(p *page, status int, v fimiView, pk markingPick, coll string) error {
	var err error
	if v.pickerView, err = s.picker(p, coll, pk); err != nil {
		return err
	}
	if v.Matrix == nil {
		id, err := s.disarmMatrix(p)
		if err != nil {
			return err
		}
		if id != "" {
			mv, err := s.matrix(p, id)
			if err != nil {
				return err
			}
			v.Matrix = &mv
		}
	}
	return p.render(status, "fimi.html", "Record a FIMI incident", "matrices", v)
}

// lines splits a textarea into its non-empty lines, each trimmed, at most
// maxFIMILines of at most maxFIMIText bytes. EINVALID names the field.
func lines(field, words, s string) ([]string, error) {
	var out []string
	for _, l := range splitLines(s) {
		if len(l) > maxFIMIText {
			return nil, liaison.Errorf(liaison.EINVALID, "field %s: %q is longer than %d bytes", words, truncate(l, 40), maxFIMIText)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if len(out) > maxFIMILines {
		return nil, liaison.Errorf(liaison.EINVALID, "field %s: %d lines, more than %d", words, len(out), maxFIMILines)
	}
	return out, nil
}

// fimiRecord serves POST /fimi: it checks the form, then writes the
// incident and its links in one call as the recorder, and sends them to
// the incident's page.
func (s *Server) fimiRecord(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	ctx := p.r.Context()
	f := p.r.PostForm
	coll := f.Get(fieldCollection)
	v := fimiView{Picked: map[string]bool{}, Name: truncate(f.Get(fieldName), maxFIMIText), Desc: truncate(f.Get(fieldDescription), maxFIMIDesc),
		Targets: truncate(f.Get(fieldTargets), 5000), Channels: truncate(f.Get(fieldChannels), 5000)}
	for _, t := range f[fieldTechnique] {
		v.Picked[t] = true
	}
	d, err := s.store.Directory(ctx)
	if err != nil {
		return fmt.Errorf("web: fimi: read the directory: %w", err)
	}
	refuse := func(err error, pk markingPick) error {
		if liaison.ErrorCode(err) != liaison.EINVALID {
			return err
		}
		v.Error = liaison.ErrorMessage(err)
		return s.renderFIMI(p, http.StatusBadRequest, v, pk, coll)
	}
	pk, err := parsePick(func(k string) []string { return f[k] }, d)
	if err != nil {
		return refuse(err, markingPick{})
	}
	c, err := s.writableCollection(p, coll)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(f.Get(fieldName))
	desc := strings.TrimSpace(f.Get(fieldDescription))
	switch {
	case name == "":
		return refuse(liaison.Errorf(liaison.EINVALID, "field name is empty: name the incident"), pk)
	case len(name) > maxFIMIText:
		return refuse(liaison.Errorf(liaison.EINVALID, "field name is longer than %d bytes", maxFIMIText), pk)
	case len(desc) > maxFIMIDesc:
		return refuse(liaison.Errorf(liaison.EINVALID, "field description is longer than %d bytes", maxFIMIDesc), pk)
	}
	targets, err := lines(fieldTargets, "targets", f.Get(fieldTargets))
	if err != nil {
		return refuse(err, pk)
	}
	channels, err := lines(fieldChannels, "channels", f.Get(fieldChannels))
	if err != nil {
		return refuse(err, pk)
	}
	// The techniques: only those the DISARM matrix offers this recorder.
	// One it may not read and one that does not exist are refused alike.
	mid, err := s.disarmMatrix(p)
	if err != nil {
		return err
	}
	offered := map[string]bool{}
	if mid != "" {
		mv, err := s.matrix(p, mid)
		if err != nil {
			return err
		}
		v.Matrix = &mv
		for _, col := range mv.Columns {
			for _, t := range col.Techniques {
				offered[t.ID] = true
				for _, st := range t.Subs {
					offered[st.ID] = true
				}
			}
		}
	}
	var techs []string
	for _, t := range f[fieldTechnique] {
		if !offered[t] {
			return refuse(liaison.Errorf(liaison.EINVALID, "field techniques: %q is not a technique of the DISARM matrix you may read", truncate(t, 80)), pk)
		}
		if !slices.Contains(techs, t) {
			techs = append(techs, t)
		}
	}
	if len(techs) == 0 {
		return refuse(liaison.Errorf(liaison.EINVALID, "field techniques: pick at least one DISARM technique the incident used"), pk)
	}

	if err := s.storePick(p, "fimi", c.ID, pk); err != nil {
		return err
	}
	objs := FIMIIncident(s.cfg.Now(), name, desc, techs, targets, channels, pk.ids())
	var cands []liaison.Candidate
	for i, raw := range objs {
		cand, err := stix.Decode(i, raw)
		if err != nil {
			return fmt.Errorf("web: fimi: object %d: %w", i, err)
		}
		cands = append(cands, cand)
	}
	wr, err := s.store.AddObjects(ctx, *p.p, c.ID, cands)
	if err != nil {
		return err
	}
	if len(wr.Rejected) > 0 {
		return refuse(liaison.Errorf(liaison.EINVALID, "the incident could not be stored: %s", wr.Rejected[0].Message), pk)
	}
	s.log.Info("web: fimi incident", "user", p.p.Name, "org", p.p.Org, "collection", c.ID, "techniques", len(techs), "targets", len(targets), "channels", len(channels))
	http.Redirect(p.w, p.r, objectHref(c.ID, cands[0].ID, time.Time{}), http.StatusSeeOther)
	return nil
}

// FIMIIncident returns the STIX objects of one FIMI incident, the
// incident first: the incident; a `uses` relationship to each technique;
// an identity for each target, which it `targets`; an infrastructure for
// each channel, which it `uses`. Every object carries markings. The demo
// seeds its incidents with it too.
func FIMIIncident(now time.Time, name, desc string, techniques, targets, channels, markings []string) [][]byte {
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z")
	base := func(typ string) map[string]any {
		m := map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + stix.NewUUID(), "created": ts, "modified": ts}
		if len(markings) > 0 {
			m["object_marking_refs"] = markings
		}
		return m
	}
	var out [][]byte
	add := func(m map[string]any) string {
		b, err := json.Marshal(m)
		if err != nil {
			panic(fmt.Sprintf("web: marshal a FIMI object: %v", err)) // maps of strings always marshal
		}
		out = append(out, b)
		return m["id"].(string)
	}
	inc := base("incident")
	if desc == "" {
		desc = "A FIMI incident, recorded with the office's form."
	}
	inc["name"], inc["description"] = name, desc
	inc["labels"] = []string{"fimi", "disinformation"}
	id := add(inc)
	link := func(kind, target string) {
		r := base("relationship")
		r["relationship_type"], r["source_ref"], r["target_ref"] = kind, id, target
		add(r)
	}
	for _, t := range techniques {
		link("uses", t)
	}
	for _, t := range targets {
		o := base("identity")
		o["name"], o["identity_class"], o["description"] = t, "group", "A target of the FIMI incident "+name+"."
		link("targets", add(o))
	}
	for _, ch := range channels {
		o := base("infrastructure")
		o["name"], o["infrastructure_types"], o["description"] = ch, []string{"amplification"}, "A channel of the FIMI incident "+name+"."
		link("uses", add(o))
	}
	return out
}
