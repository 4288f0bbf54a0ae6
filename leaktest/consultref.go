package leaktest

import (
	"strings"

	"liaison"
)

// This file extends the reference to consultations, contributions and
// proposals. Like reference.go it decides from the rules and the world's
// own directory, never through consult.Readers, decide.Readers,
// Directory.Expand, AudienceOf or MarkingSpec.Marking, so that a mistake
// there cannot hide itself here.
//
// The rules (liaison.ConsultationService and liaison.DecisionService):
//   - a draft consultation is seen by its convenor alone; any other
//     consultation by the convenor and by the participants (communities
//     followed) that its marking releases to, the convenor as originator;
//   - a reader of a consultation receives all its contributions, and in
//     each, current state and history alike, only the refs to objects
//     they may read somewhere on the hub;
//   - a proposal that was never circulated is seen by the proposer's
//     organisation alone; once circulated, by its marking's audience, the
//     proposer as originator.

// Consultation is a consultation as the leak test wrote it.
type Consultation struct {
	ID           int64
	Title        string
	Convenor     string
	Participants []string
	Topics       []string
	Marking      liaison.MarkingSpec
	Status       liaison.ConsultationStatus // as the test left it
	// WasOpen is set once it was opened (a draft cancelled is not).
	WasOpen       bool
	Contributions []*Contribution
}

// Contribution is a contribution as the leak test wrote it.
type Contribution struct {
	ID        int64
	Org       string
	Refs      []string   // the current refs, as written
	History   [][]string // the refs of each earlier state, oldest first
	Withdrawn bool
}

// Proposal is a proposal as the leak test wrote it.
type Proposal struct {
	ID       int64
	Title    string
	Proposer string
	Marking  liaison.MarkingSpec
	// Circulated is set once a round was opened, whatever came after
	// (a revision after a block makes it a draft again, but not one that
	// was never circulated).
	Circulated bool
	Status     liaison.ProposalStatus // as the test left it, for messages
}

// Why is the branch of the reference that decided a visibility: the leak
// test counts them, so a run can show that each branch was exercised.
type Why string

// The branches of the reference.
const (
	OffHub Why = "reader off the hub"

	ConsultConvenor        Why = "consultation: the convenor"
	ConsultDraftConvenor   Why = "draft consultation: the convenor"
	ConsultDraftHidesAud   Why = "draft consultation: hidden from a participant its marking releases to"
	ConsultDraftHides      Why = "draft consultation: hidden from a non-participant or outside the marking"
	ConsultReleased        Why = "consultation: a participant the marking releases to"
	ConsultNotReleased     Why = "consultation: a participant the marking does not release to"
	ConsultNotParticipant  Why = "consultation: not a participant"
	ConsultCancelledDraft  Why = "consultation cancelled as a draft: a participant the marking releases to"
	ProposalProposer       Why = "circulated proposal: the proposer"
	ProposalDraftProposer  Why = "never-circulated proposal: the proposer"
	ProposalDraftHidesAud  Why = "never-circulated proposal: hidden from an organisation its marking releases to"
	ProposalDraftHides     Why = "never-circulated proposal: hidden from an organisation outside its marking"
	ProposalReleased       Why = "circulated proposal: released by its marking"
	ProposalNotReleased    Why = "circulated proposal: not released by its marking"
	ProposalRevisedRelease Why = "circulated, blocked and revised proposal (a draft again): released by its marking"
)

// classificationLevels are the NATO classifications in order, written out
// here rather than taken from liaison.ParseClassification.
var classificationLevels = map[string]liaison.Classification{
	"NATO UNCLASSIFIED": liaison.NATOUnclassified,
	"NATO RESTRICTED":   liaison.NATORestricted,
	"NATO CONFIDENTIAL": liaison.NATOConfidential,
	"NATO SECRET":       liaison.NATOSecret,
	"COSMIC TOP SECRET": liaison.CosmicTopSecret,
}

// specLevel is the classification a spec names: case and surrounding
// space do not matter; empty is none.
func specLevel(s string) liaison.Classification {
	return classificationLevels[strings.ToUpper(strings.TrimSpace(s))]
}

// specRed reports whether a spec's TLP is RED, with or without the
// "TLP:" prefix, in any case.
func specRed(s string) bool {
	u := strings.ToUpper(strings.TrimSpace(s))
	return u == "RED" || u == "TLP:RED"
}

// specReleases reports whether the marking spec m releases something by
// originator to org: the same rules as object markings. A nil list is no
// list; an empty one names nobody, so only the originator is left.
func (r *ref) specReleases(org, originator string, m liaison.MarkingSpec) bool {
	if org == originator {
		return true
	}
	var lists [][]string
	if m.ReleasableTo != nil {
		lists = [][]string{m.ReleasableTo}
	}
	return r.release(org, lists, specRed(m.TLP), specLevel(m.Classification))
}

// participates reports whether org takes part in c: the convenor, or
// named by a participant (communities followed).
func (r *ref) participates(org string, c *Consultation) bool {
	return r.onHub(org) && (org == c.Convenor || r.namedByAny(org, c.Participants))
}

// seesConsultation decides whether org may see c, and by which branch.
func (r *ref) seesConsultation(org string, c *Consultation) (bool, Why) {
	switch {
	case !r.onHub(org):
		return false, OffHub
	case org == c.Convenor && c.Status == liaison.ConsultationDraft:
		return true, ConsultDraftConvenor
	case org == c.Convenor:
		return true, ConsultConvenor
	}
	part := r.participates(org, c)
	rel := r.specReleases(org, c.Convenor, c.Marking)
	if c.Status == liaison.ConsultationDraft {
		if part && rel {
			return false, ConsultDraftHidesAud
		}
		return false, ConsultDraftHides
	}
	switch {
	case !part:
		return false, ConsultNotParticipant
	case !rel:
		return false, ConsultNotReleased
	case !c.WasOpen:
		return true, ConsultCancelledDraft
	}
	return true, ConsultReleased
}

// seesProposal decides whether org may see p, and by which branch.
func (r *ref) seesProposal(org string, p *Proposal) (bool, Why) {
	switch {
	case !r.onHub(org):
		return false, OffHub
	case org == p.Proposer && !p.Circulated:
		return true, ProposalDraftProposer
	case org == p.Proposer:
		return true, ProposalProposer
	}
	rel := r.specReleases(org, p.Proposer, p.Marking)
	if !p.Circulated {
		if rel {
			return false, ProposalDraftHidesAud
		}
		return false, ProposalDraftHides
	}
	switch {
	case !rel:
		return false, ProposalNotReleased
	case p.Status == liaison.ProposalDraft:
		return true, ProposalRevisedRelease
	}
	return true, ProposalReleased
}

// SeesConsultation reports whether p may see c, by the reference, and
// the branch that decided it.
func (e *Env) SeesConsultation(p liaison.Principal, c *Consultation) (bool, Why) {
	return e.ref.seesConsultation(p.Org, c)
}

// SeesProposal reports whether p may see pr, by the reference, and the
// branch that decided it.
func (e *Env) SeesProposal(p liaison.Principal, pr *Proposal) (bool, Why) {
	return e.ref.seesProposal(p.Org, pr)
}

// ReadableIDs returns the ids of which p may read at least one version in
// some collection, by the reference: the refs a contribution may show p.
func (e *Env) ReadableIDs(p liaison.Principal) map[string]bool {
	out := map[string]bool{}
	for _, c := range e.World.Collections {
		for _, o := range e.Expected(p, c, All) {
			out[o.ID] = true
		}
	}
	return out
}

// VisibleRefs returns the refs of written that readable contains, in
// their order: what a reader must receive of a written ref list.
func VisibleRefs(written []string, readable map[string]bool) []string {
	out := []string{}
	for _, id := range written {
		if readable[id] {
			out = append(out, id)
		}
	}
	return out
}

// SpecText shows a marking spec, telling an empty releasable_to list
// (released to nobody but the originator) from none.
func SpecText(m liaison.MarkingSpec) string {
	var parts []string
	if m.Classification != "" {
		parts = append(parts, m.Classification)
	}
	switch {
	case m.ReleasableTo == nil:
	case len(m.ReleasableTo) == 0:
		parts = append(parts, "REL TO nobody (empty list)")
	default:
		parts = append(parts, "REL TO "+strings.Join(m.ReleasableTo, ", "))
	}
	if m.TLP != "" {
		parts = append(parts, "TLP "+m.TLP)
	}
	if len(parts) == 0 {
		return "unmarked"
	}
	return strings.Join(parts, " ")
}
