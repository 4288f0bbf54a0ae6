package leaktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"liaison"
)

// ConsultOptions tune what WriteConsultations writes.
type ConsultOptions struct {
	// NoEmptyLists leaves out markings whose releasable_to list is
	// present but empty, which release to the originator alone.
	NoEmptyLists bool
}

// ConsultWorld is what WriteConsultations wrote: the consultations with
// their contributions and the proposals, as the reference reads them.
type ConsultWorld struct {
	Consultations []*Consultation
	Proposals     []*Proposal
	// Disagreements are writes whose outcome differs from what the
	// reference predicts, such as a proposal circulated although its
	// marking does not release it to every ally.
	Disagreements []string
	// EmptyListsRefused counts consultations and proposals that the
	// store refused because their releasable_to list is empty: refusing
	// is as right as honouring the list (STIX hub markings refuse it).
	EmptyListsRefused int
}

// emptyList reports whether m has a releasable_to list naming nobody.
func emptyList(m liaison.MarkingSpec) bool { return m.ReleasableTo != nil && len(m.ReleasableTo) == 0 }

// Count returns how many consultations have status s, and how many
// proposals were never circulated.
func (cw *ConsultWorld) Count(s liaison.ConsultationStatus) (consultations, neverCirculated int) {
	for _, c := range cw.Consultations {
		if c.Status == s {
			consultations++
		}
	}
	for _, p := range cw.Proposals {
		if !p.Circulated {
			neverCirculated++
		}
	}
	return consultations, neverCirculated
}

// consultStore is what WriteConsultations writes through.
type consultStore interface {
	liaison.Store
	liaison.ConsultationService
	liaison.DecisionService
}

// WriteConsultations writes consultations, contributions and proposals
// drawn from the world's seed through the store's consultation and
// decision services, as principals it creates for the purpose: an
// officer of every ally and NATO body and an analyst of every partner.
// Call it once, in the first phase: it predicts from the directory of
// that phase.
//
// Besides a few fixed cases that every world has (so that each branch of
// the reference runs), it draws consultations in every status (drafts
// left as drafts, opened, cancelled as drafts or once open, concluded)
// with contributions by the participants that see them, edited and
// withdrawn, referencing objects of every kind (readable, hidden, written
// late, rejected, stored nowhere), and proposals left as drafts that are
// never circulated (also commented or withdrawn), circulated, blocked and
// revised, concurred with, and withdrawn.
func (e *Env) WriteConsultations(opt ConsultOptions) (*ConsultWorld, error) {
	s, ok := e.Store.(consultStore)
	if !ok {
		return nil, fmt.Errorf("the store keeps no consultations or decisions")
	}
	g := &consultGen{
		e: e, s: s, ctx: e.Ctx(), opt: opt, cw: &ConsultWorld{},
		r:     rand.New(rand.NewPCG(uint64(e.World.Seed), 0xc0515e17)),
		users: map[string]*liaison.Principal{},
	}
	if err := g.principals(); err != nil {
		return nil, err
	}
	g.pools()
	if err := g.consultations(); err != nil {
		return nil, err
	}
	if err := g.proposals(); err != nil {
		return nil, err
	}
	return g.cw, nil
}

type consultGen struct {
	e   *Env
	s   consultStore
	ctx context.Context
	opt ConsultOptions
	cw  *ConsultWorld
	r   *rand.Rand
	// users holds the principal of each organisation that writes: an
	// officer of an ally or a NATO body, an analyst of a partner.
	users     map[string]*liaison.Principal
	deciders  []string // allies and NATO bodies, in world order
	names     []string // what participant and releasable_to lists draw from
	refs      []string // what contributions reference
	deadline  time.Time
	shortDead time.Time
}

func (g *consultGen) principals() error {
	for _, o := range g.e.World.Orgs {
		role := liaison.RoleOfficer
		if o.Kind == liaison.Partner {
			role = liaison.RoleAnalyst
		} else {
			g.deciders = append(g.deciders, o.Code)
		}
		p := &liaison.Principal{Name: "leak." + lower(o.Code) + "." + string(role), Org: o.Code, Roles: []liaison.Role{role}}
		if err := g.s.CreateUser(g.ctx, p, ""); err != nil {
			return fmt.Errorf("create %s: %w", p.Name, err)
		}
		g.users[o.Code] = p
	}
	return nil
}

func (g *consultGen) pools() {
	w := g.e.World
	g.names = []string{liaison.CommunityAll, liaison.CommunityNATO, liaison.CommunityIP4}
	for _, c := range w.Communities {
		g.names = append(g.names, c.Name)
	}
	g.names = append(g.names, w.codes("")...)
	// Refs: every object id of the world (stored, hidden, written late,
	// rejected for an unknown marking, marking-definitions, links), ends
	// stored nowhere, a TLP marking the hub knows but stores as no
	// object, and ids nobody ever wrote.
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			g.refs = append(g.refs, id)
		}
	}
	for _, o := range w.Objs {
		add(o.ID)
		for _, end := range o.Ends {
			add(end)
		}
	}
	add(liaison.TLPAmberID)
	for range 3 {
		add("campaign--" + g.uuid())
	}
	g.deadline = w.Start.Add(365 * 24 * time.Hour)
	// A round that settles before the second phase.
	g.shortDead = w.Start.Add(2 * 24 * time.Hour)
}

func (g *consultGen) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *consultGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *consultGen) someOf(pool []string, lo, hi int) []string {
	p := slices.Clone(pool)
	g.r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p[:min(lo+g.r.IntN(hi-lo+1), len(p))]
}

// Spellings the store must read as the same classification or TLP.
var (
	classSpellings = []string{"NATO UNCLASSIFIED", "NATO RESTRICTED", "nato restricted", "NATO CONFIDENTIAL", " NATO Confidential ", "NATO SECRET", "COSMIC TOP SECRET"}
	tlpSpellings   = []string{"clear", "TLP:GREEN", "amber", "TLP:AMBER+STRICT", "red", "TLP:RED", "Tlp:Red"}
)

// marking draws a marking spec of any shape.
func (g *consultGen) marking() liaison.MarkingSpec {
	var m liaison.MarkingSpec
	if g.r.IntN(5) < 2 {
		m.Classification = g.pick(classSpellings)
	}
	switch k := g.r.IntN(20); {
	case k < 8:
	case k < 9 && !g.opt.NoEmptyLists:
		// A list naming nobody: for the originator alone. (Nil is no
		// list at all.)
		m.ReleasableTo = []string{}
	default:
		m.ReleasableTo = g.someOf(g.names, 1, 3)
		// Often with NATO, so that many proposals can circulate.
		if g.r.IntN(2) == 0 && !slices.Contains(m.ReleasableTo, liaison.CommunityNATO) {
			m.ReleasableTo = append([]string{liaison.CommunityNATO}, m.ReleasableTo...)
		}
	}
	if g.r.IntN(4) == 0 {
		m.TLP = g.pick(tlpSpellings)
	}
	return m
}

func (g *consultGen) refList() []string { return g.someOf(g.refs, 0, 8) }

// consultPlan is what happens to one consultation.
type consultPlan int

const (
	leaveDraft consultPlan = iota
	openIt
	cancelDraft
	cancelOpen
	conclude
)

var consultPlans = []consultPlan{leaveDraft, openIt, openIt, openIt, cancelDraft, cancelOpen, conclude, conclude}

func (g *consultGen) consultations() error {
	// Fixed cases: each branch of the reference runs in every world,
	// seen by principals that every sample of readers holds (partners,
	// NLO-TYO, principals off the hub).
	type fixedCase struct {
		parts []string
		m     liaison.MarkingSpec
		plan  consultPlan
	}
	fixed := []fixedCase{
		{[]string{"ALL"}, liaison.MarkingSpec{}, leaveDraft},
		{[]string{"IP4", "NATO"}, liaison.MarkingSpec{ReleasableTo: []string{"NATO", "IP4"}}, leaveDraft},
		{[]string{"ALL"}, liaison.MarkingSpec{}, openIt},
		{[]string{"ALL"}, liaison.MarkingSpec{Classification: "NATO RESTRICTED"}, openIt},
		{[]string{"NATO"}, liaison.MarkingSpec{ReleasableTo: []string{"ALL"}}, openIt},
		{[]string{"IP4"}, liaison.MarkingSpec{Classification: "NATO SECRET", ReleasableTo: []string{"NATO", "IP4"}}, conclude},
		{[]string{"ALL"}, liaison.MarkingSpec{}, cancelDraft},
		{[]string{"PACIFIC", "OUTREACH"}, liaison.MarkingSpec{TLP: "red"}, cancelOpen},
	}
	if !g.opt.NoEmptyLists {
		fixed = append(fixed, fixedCase{[]string{"ALL"}, liaison.MarkingSpec{ReleasableTo: []string{}}, openIt})
	}
	for i, f := range fixed {
		if err := g.consultation(i, "NLO-TYO", f.parts, f.m, f.plan); err != nil {
			return err
		}
	}
	for i := len(fixed); i < len(fixed)+24; i++ {
		if err := g.consultation(i, g.pick(g.deciders), g.someOf(g.names, 1, 3), g.marking(), consultPlans[g.r.IntN(len(consultPlans))]); err != nil {
			return err
		}
	}
	return nil
}

var topics = []string{"cyber", "disinformation", "edt", "geopolitical"}

func (g *consultGen) consultation(i int, convenor string, parts []string, m liaison.MarkingSpec, plan consultPlan) error {
	by := *g.users[convenor]
	c := liaison.Consultation{
		Title: fmt.Sprintf("leak consultation %d", i), Topics: g.someOf(topics, 1, 2), Participants: parts, Marking: m,
	}
	if g.r.IntN(3) == 0 {
		c.Format, c.Start, c.Duration, c.Place = liaison.FormatMeeting, g.e.World.Start.Add(20*24*time.Hour), time.Hour, "NLO Tokyo"
	} else {
		c.Format, c.Deadline = liaison.FormatWritten, g.deadline
	}
	for j := range g.r.IntN(3) {
		c.Agenda = append(c.Agenda, liaison.AgendaItem{Title: fmt.Sprintf("item %d", j+1)})
	}
	if err := g.s.CreateConsultation(g.ctx, by, &c); err != nil {
		if emptyList(m) && liaison.ErrorCode(err) == liaison.EINVALID {
			g.cw.EmptyListsRefused++
			return nil
		}
		return fmt.Errorf("consultation %d (%s, %v, %s): %w", i, convenor, parts, SpecText(m), err)
	}
	rc := &Consultation{ID: c.ID, Title: c.Title, Convenor: convenor, Participants: parts, Topics: c.Topics, Marking: m, Status: liaison.ConsultationDraft}
	g.cw.Consultations = append(g.cw.Consultations, rc)
	set := func(to liaison.ConsultationStatus) error {
		if _, err := g.s.SetConsultationStatus(g.ctx, by, c.ID, to, "leak test"); err != nil {
			return fmt.Errorf("consultation %d to %s: %w", c.ID, to, err)
		}
		rc.Status = to
		return nil
	}
	switch plan {
	case leaveDraft:
		return nil
	case cancelDraft:
		return set(liaison.ConsultationCancelled)
	}
	if err := set(liaison.ConsultationOpen); err != nil {
		return err
	}
	rc.WasOpen = true
	if err := g.contributions(rc, len(c.Agenda)); err != nil {
		return err
	}
	switch plan {
	case cancelOpen:
		return set(liaison.ConsultationCancelled)
	case conclude:
		if _, err := g.s.ConcludeConsultation(g.ctx, by, c.ID, liaison.Outcome{Summary: "concluded by the leak test"}); err != nil {
			return fmt.Errorf("conclude consultation %d: %w", c.ID, err)
		}
		rc.Status = liaison.ConsultationConcluded
	}
	return nil
}

// contributions posts to the open consultation c as participants that the
// reference says see it, then edits and withdraws some.
func (g *consultGen) contributions(c *Consultation, agenda int) error {
	var authors []string
	for _, o := range g.e.World.Orgs {
		if ok, _ := g.e.ref.seesConsultation(o.Code, c); ok {
			authors = append(authors, o.Code)
		}
	}
	for range 1 + g.r.IntN(4) {
		org := g.pick(authors)
		by := *g.users[org]
		k := liaison.Contribution{Consultation: c.ID, AgendaItem: g.r.IntN(agenda + 1), Text: "contribution", Refs: g.refList()}
		if err := g.s.Contribute(g.ctx, by, &k); err != nil {
			if liaison.ErrorCode(err) == liaison.ENOTFOUND || liaison.ErrorCode(err) == liaison.EFORBIDDEN {
				g.cw.Disagreements = append(g.cw.Disagreements, fmt.Sprintf("%s may not contribute to consultation %d, which the reference shows it: %v", org, c.ID, err))
				continue
			}
			return fmt.Errorf("contribute to consultation %d as %s: %w", c.ID, org, err)
		}
		rk := &Contribution{ID: k.ID, Org: org, Refs: k.Refs}
		c.Contributions = append(c.Contributions, rk)
		for range g.r.IntN(3) {
			refs := g.refList()
			if _, err := g.s.EditContribution(g.ctx, by, k.ID, "contribution, edited", refs); err != nil {
				return fmt.Errorf("edit contribution %d: %w", k.ID, err)
			}
			rk.History = append(rk.History, rk.Refs)
			rk.Refs = refs
		}
		if g.r.IntN(5) == 0 {
			if _, err := g.s.WithdrawContribution(g.ctx, by, k.ID, "withdrawn by the leak test"); err != nil {
				return fmt.Errorf("withdraw contribution %d: %w", k.ID, err)
			}
			rk.History = append(rk.History, rk.Refs)
			rk.Withdrawn = true
		}
	}
	return nil
}

// proposalPlan is what happens to one proposal.
type proposalPlan int

const (
	stayDraft proposalPlan = iota
	commentDraft
	withdrawDraft
	circulate
	blockRevise
	concur
	circulateWithdraw
)

var proposalPlans = []proposalPlan{stayDraft, stayDraft, commentDraft, withdrawDraft, circulate, circulate, circulate, blockRevise, concur, circulateWithdraw}

func (g *consultGen) proposals() error {
	// Fixed cases: drafts never circulated whose markings would release
	// them to every reader, and circulated ones released to some.
	type fixedCase struct {
		m    liaison.MarkingSpec
		plan proposalPlan
	}
	fixed := []fixedCase{
		{liaison.MarkingSpec{}, stayDraft},
		{liaison.MarkingSpec{ReleasableTo: []string{"ALL"}}, commentDraft},
		{liaison.MarkingSpec{TLP: "amber"}, withdrawDraft},
		{liaison.MarkingSpec{}, circulate},
		{liaison.MarkingSpec{ReleasableTo: []string{"NATO"}}, circulate},
		{liaison.MarkingSpec{Classification: "NATO SECRET", ReleasableTo: []string{"NATO", "IP4"}}, concur},
		{liaison.MarkingSpec{}, blockRevise},
		{liaison.MarkingSpec{TLP: "red"}, circulate}, // refused: for the proposer alone
	}
	if !g.opt.NoEmptyLists {
		// Refused too: a list naming nobody releases to no ally.
		fixed = append(fixed, fixedCase{liaison.MarkingSpec{ReleasableTo: []string{}}, circulate})
	}
	for i, f := range fixed {
		if err := g.proposal(i, "NLO-TYO", f.m, f.plan); err != nil {
			return err
		}
	}
	for i := len(fixed); i < len(fixed)+24; i++ {
		if err := g.proposal(i, g.pick(g.deciders), g.marking(), proposalPlans[g.r.IntN(len(proposalPlans))]); err != nil {
			return err
		}
	}
	return nil
}

// allies are the allies on the hub now, who decide a round.
func (g *consultGen) allies() []string { return g.e.World.codes(liaison.Ally) }

func (g *consultGen) proposal(i int, proposer string, m liaison.MarkingSpec, plan proposalPlan) error {
	by := *g.users[proposer]
	p := liaison.Proposal{Title: fmt.Sprintf("leak proposal %d", i), Text: "draft decision", Marking: m, Procedure: liaison.SilenceProcedure}
	if plan == concur || (plan == circulate && g.r.IntN(3) == 0) {
		p.Procedure = liaison.ConcurrenceProcedure
	}
	if err := g.s.CreateProposal(g.ctx, by, &p); err != nil {
		if emptyList(m) && liaison.ErrorCode(err) == liaison.EINVALID {
			g.cw.EmptyListsRefused++
			return nil
		}
		return fmt.Errorf("proposal %d (%s, %s): %w", i, proposer, SpecText(m), err)
	}
	rp := &Proposal{ID: p.ID, Title: p.Title, Proposer: proposer, Marking: m, Status: p.Status}
	g.cw.Proposals = append(g.cw.Proposals, rp)
	act := func(who string, a liaison.ProposalAct) error {
		got, err := g.s.Act(g.ctx, *g.users[who], p.ID, a)
		if err != nil {
			return fmt.Errorf("proposal %d: %s %s: %w", p.ID, who, a.Kind, err)
		}
		rp.Status = got.Status
		return nil
	}
	switch plan {
	case stayDraft:
		return nil
	case commentDraft:
		return act(proposer, liaison.ProposalAct{Kind: liaison.ActComment, Text: "a comment on a draft"})
	case withdrawDraft:
		return act(proposer, liaison.ProposalAct{Kind: liaison.ActWithdraw})
	}
	// Every ally must be able to read a draft decision to decide it.
	var outside []string
	for _, a := range g.allies() {
		if !g.e.ref.specReleases(a, proposer, m) {
			outside = append(outside, a)
		}
	}
	deadline := g.deadline
	if g.r.IntN(4) == 0 {
		deadline = g.shortDead
	}
	err := act(proposer, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: deadline})
	switch {
	case err == nil:
		rp.Circulated = true
		if len(outside) > 0 {
			g.cw.Disagreements = append(g.cw.Disagreements, fmt.Sprintf("proposal %d marked %q circulated, though its marking does not release it to the allies %v", p.ID, SpecText(m), outside))
			return nil // those allies cannot take part
		}
	case liaison.ErrorCode(err) == liaison.EINVALID:
		if len(outside) == 0 {
			g.cw.Disagreements = append(g.cw.Disagreements, fmt.Sprintf("proposal %d marked %q may not circulate (%v), though its marking releases it to every ally", p.ID, SpecText(m), err))
		}
		return nil
	default:
		return err
	}
	// A decider other than the proposer.
	var other string
	for _, a := range g.allies() {
		if a != proposer {
			other = a
			break
		}
	}
	switch plan {
	case blockRevise:
		if err := act(other, liaison.ProposalAct{Kind: liaison.ActBreakSilence, Reason: "the leak test objects"}); err != nil {
			return err
		}
		return act(proposer, liaison.ProposalAct{Kind: liaison.ActRevise, Text: "draft decision, revised"})
	case concur:
		return act(other, liaison.ProposalAct{Kind: liaison.ActConcur})
	case circulateWithdraw:
		return act(proposer, liaison.ProposalAct{Kind: liaison.ActWithdraw})
	}
	return nil
}
