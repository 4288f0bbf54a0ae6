package leaktest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/consult"
	"liaison/leaktest"
)

// TestSQLiteConsultInvariant runs the randomised leak test with the read
// paths of consultations, contributions and decision records: after every
// directory change, each principal sees exactly the consultations and
// proposals released to their organisation, hidden ones look missing, and
// a contribution's references name only objects they may read.
func TestSQLiteConsultInvariant(t *testing.T) {
	leaktest.Run(t, openSQLite, consultPath{})
}

type consultPath struct{}

func (consultPath) Name() string { return "consult/decide" }

// consultFixture is what the path writes once per run.
type consultFixture struct {
	err       error
	consults  []liaison.Consultation
	proposals []liaison.Proposal
	refs      []string
}

func fixture(e *leaktest.Env) *consultFixture {
	return e.Extra("consult-fixture", func() any {
		f := &consultFixture{}
		f.err = build(e, f)
		return f
	}).(*consultFixture)
}

func build(e *leaktest.Env, f *consultFixture) error {
	ctx := e.Ctx()
	cs, ok := e.Store.(liaison.ConsultationService)
	if !ok {
		return fmt.Errorf("store keeps no consultations")
	}
	ds, ok := e.Store.(liaison.DecisionService)
	if !ok {
		return fmt.Errorf("store keeps no decisions")
	}
	var body string
	for _, o := range e.World.Orgs {
		if o.Kind == liaison.NATOBody {
			body = o.Code
			break
		}
	}
	convenor := liaison.Principal{Name: "leak-convenor", Org: body, Roles: []liaison.Role{liaison.RoleOfficer}}
	if err := e.Store.CreateUser(ctx, &convenor, ""); err != nil {
		return fmt.Errorf("convenor: %w", err)
	}
	for _, o := range e.World.Objs {
		if len(f.refs) == 24 {
			break
		}
		if _, err := consult.ParseRefs([]string{o.ID}); err == nil && !slices.Contains(f.refs, o.ID) && o.Type != "marking-definition" {
			f.refs = append(f.refs, o.ID)
		}
	}
	markings := []liaison.MarkingSpec{
		{},
		{ReleasableTo: []string{"NATO"}},
		{ReleasableTo: []string{"NATO", "IP4"}},
		{Classification: "NATO RESTRICTED", ReleasableTo: []string{"ALL"}},
		{Classification: "NATO CONFIDENTIAL"},
		{TLP: "red"},
	}
	parts := [][]string{{"ALL"}, {"IP4"}}
	for _, c := range e.World.Communities {
		markings = append(markings, liaison.MarkingSpec{ReleasableTo: []string{"NATO", c.Name}})
		parts = append(parts, []string{c.Name})
	}
	for i, m := range markings {
		// Each marking with two participant lists keeps the run short.
		for _, j := range []int{i % len(parts), (i + 1) % len(parts)} {
			p := parts[j]
			c := liaison.Consultation{Title: fmt.Sprintf("leak %d/%d", i, j), Topics: []string{"cyber"}, Participants: p,
				Format: liaison.FormatWritten, Deadline: e.World.Start.Add(365 * 24 * time.Hour), Marking: m}
			if err := cs.CreateConsultation(ctx, convenor, &c); err != nil {
				return fmt.Errorf("consultation %d/%d: %w", i, j, err)
			}
			if (i+j)%4 != 3 { // some stay drafts
				if _, err := cs.SetConsultationStatus(ctx, convenor, c.ID, liaison.ConsultationOpen, ""); err != nil {
					return err
				}
				c.Status = liaison.ConsultationOpen
				k := liaison.Contribution{Consultation: c.ID, Text: "refs", Refs: f.refs}
				if err := cs.Contribute(ctx, convenor, &k); err != nil {
					return fmt.Errorf("contribution: %w", err)
				}
				if _, err := cs.EditContribution(ctx, convenor, k.ID, "refs, edited", f.refs[:len(f.refs)/2]); err != nil {
					return fmt.Errorf("edit: %w", err)
				}
			}
			f.consults = append(f.consults, c)
		}
		p := liaison.Proposal{Title: fmt.Sprintf("leak %d", i), Text: "x", Marking: m}
		if err := ds.CreateProposal(ctx, convenor, &p); err != nil {
			return fmt.Errorf("proposal %d: %w", i, err)
		}
		// Markings that hide the draft from an ally cannot circulate: those
		// stay drafts, seen by the proposer alone.
		if _, err := ds.Act(ctx, convenor, p.ID, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: e.World.Start.Add(365 * 24 * time.Hour)}); err == nil {
			p.Record = append(p.Record, liaison.DecisionAction{Kind: liaison.ActCirculate})
		} else if liaison.ErrorCode(err) != liaison.EINVALID {
			return fmt.Errorf("circulate %d: %w", i, err)
		}
		f.proposals = append(f.proposals, p)
	}
	return nil
}

func (consultPath) Check(e *leaktest.Env, r *leaktest.User) {
	f := fixture(e)
	if f.err != nil {
		e.Errorf(r, "fixture: %v", f.err)
		return
	}
	ctx := e.Ctx()
	cs := e.Store.(liaison.ConsultationService)
	ds := e.Store.(liaison.DecisionService)
	d, err := e.Store.Directory(ctx)
	if err != nil {
		e.Errorf(r, "directory: %v", err)
		return
	}
	p := r.Principal
	readable := map[string]bool{}
	for _, c := range e.World.Collections {
		for _, o := range e.Expected(p, c, leaktest.All) {
			readable[o.ID] = true
		}
	}
	sameAsMissing := func(kind string, id int64, err error, probe func(int64) error) {
		missing := probe(1 << 40)
		want := strings.Replace(liaison.ErrorMessage(missing), fmt.Sprint(int64(1<<40)), fmt.Sprint(id), 1)
		if liaison.ErrorCode(err) != liaison.ENOTFOUND || liaison.ErrorMessage(err) != want {
			e.Errorf(r, "hidden %s %d: %v; a missing one gives %q", kind, id, err, want)
		}
	}

	// Consultations, their listing and their contributions.
	var wantList []int64
	for _, c := range f.consults {
		want := false
		if c.Status == liaison.ConsultationDraft {
			want = p.Org == c.Convenor
		} else {
			m, _ := c.Marking.Marking()
			members := d.Expand(append(slices.Clone(c.Participants), c.Convenor)...)
			want = members.Contains(p.Org) && d.AudienceOf(c.Convenor, []liaison.Marking{m}).Contains(p.Org)
		}
		_, err := cs.Consultation(ctx, p, c.ID)
		ks, kerr := cs.Contributions(ctx, p, c.ID)
		if !want {
			sameAsMissing("consultation", c.ID, err, func(id int64) error { _, err := cs.Consultation(ctx, p, id); return err })
			sameAsMissing("consultation", c.ID, kerr, func(id int64) error { _, err := cs.Contributions(ctx, p, id); return err })
			continue
		}
		wantList = append(wantList, c.ID)
		if err != nil || kerr != nil {
			e.Errorf(r, "consultation %d should be visible: %v / %v", c.ID, err, kerr)
			continue
		}
		for _, k := range ks {
			check := func(where string, got, written []string) {
				for _, ref := range got {
					if !readable[ref] {
						e.Errorf(r, "consultation %d contribution %d %s: ref %s leaks an object the reader may not read", c.ID, k.ID, where, ref)
					}
				}
				for _, ref := range written {
					if readable[ref] && !slices.Contains(got, ref) {
						e.Errorf(r, "consultation %d contribution %d %s: readable ref %s is missing", c.ID, k.ID, where, ref)
					}
				}
			}
			check("refs", k.Refs, f.refs[:len(f.refs)/2])
			for i, h := range k.History {
				check(fmt.Sprintf("history[%d]", i), h.Refs, f.refs)
			}
		}
	}
	list, err := cs.Consultations(ctx, p, liaison.ConsultationFilter{})
	if err != nil {
		e.Errorf(r, "consultations: %v", err)
	}
	var got []int64
	for _, c := range list {
		got = append(got, c.ID)
	}
	slices.Sort(got)
	slices.Sort(wantList)
	if !slices.Equal(got, wantList) {
		e.Errorf(r, "consultations listed %v, want %v", got, wantList)
	}

	// Proposals and their records.
	var wantProps []int64
	for _, pr := range f.proposals {
		want := p.Org == pr.Proposer
		if len(pr.Record) > 0 {
			m, _ := pr.Marking.Marking()
			want = d.AudienceOf(pr.Proposer, []liaison.Marking{m}).Contains(p.Org)
		}
		got, err := ds.Proposal(ctx, p, pr.ID)
		if !want {
			sameAsMissing("proposal", pr.ID, err, func(id int64) error { _, err := ds.Proposal(ctx, p, id); return err })
			_, aerr := ds.Act(ctx, p, pr.ID, liaison.ProposalAct{Kind: liaison.ActComment, Text: "probe"})
			sameAsMissing("proposal", pr.ID, aerr, func(id int64) error {
				_, err := ds.Act(ctx, p, id, liaison.ProposalAct{Kind: liaison.ActComment, Text: "probe"})
				return err
			})
			continue
		}
		wantProps = append(wantProps, pr.ID)
		if err != nil {
			e.Errorf(r, "proposal %d should be visible: %v", pr.ID, err)
		} else if len(got.Record) == 0 || got.Record[0].Kind != liaison.ActCreate {
			e.Errorf(r, "proposal %d record %v", pr.ID, got.Record)
		}
	}
	props, err := ds.Proposals(ctx, p)
	if err != nil {
		e.Errorf(r, "proposals: %v", err)
	}
	got = got[:0]
	for _, pr := range props {
		got = append(got, pr.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, wantProps) {
		e.Errorf(r, "proposals listed %v, want %v", got, wantProps)
	}
}
