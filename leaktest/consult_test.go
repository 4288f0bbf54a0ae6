package leaktest_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"liaison"
	"liaison/leaktest"
)

// TestSQLiteConsultInvariant runs the randomised leak test with the read
// paths of consultations, contributions and decision records: after every
// directory change, each principal sees exactly the consultations and
// proposals that the reference releases to their organisation, hidden
// ones look missing, and a contribution's refs, history included, name
// only objects they may read.
func TestSQLiteConsultInvariant(t *testing.T) {
	p := &consultPath{}
	leaktest.Run(t, openSQLite, p, consultPages{p})
	p.mustHaveRun(t)
}

// consultPath checks consultations and proposals against the reference
// (leaktest.Env.SeesConsultation, SeesProposal, ReadableIDs), which
// decides from the rules without the code under test.
type consultPath struct {
	opt leaktest.ConsultOptions

	once    sync.Once
	cw      *leaktest.ConsultWorld
	err     error
	noted   sync.Once
	mu      sync.Mutex
	branch  map[leaktest.Why]int // decisions of the reference, by branch
	leaks   atomic.Int64         // LEAKs reported
	missing atomic.Int64         // visible things not received
	// Refs the reference kept and removed, in current states and in
	// history.
	refsKept, refsHidden, historyKept, historyHidden atomic.Int64
}

func (*consultPath) Name() string { return "consult/decide" }

// mustHaveRun fails t unless every branch of the reference decided at
// least once, and logs how often each did.
func (cp *consultPath) mustHaveRun(t *testing.T) {
	t.Helper()
	if cp.cw == nil {
		return // the run stopped before the path was checked
	}
	drafts, never := cp.cw.Count(liaison.ConsultationDraft)
	t.Logf("consult/decide: %d consultations (%d left as drafts), %d proposals (%d never circulated); %d LEAKs, %d missing",
		len(cp.cw.Consultations), drafts, len(cp.cw.Proposals), never, cp.leaks.Load(), cp.missing.Load())
	if cp.cw.EmptyListsRefused > 0 {
		t.Logf("consult/decide: %d consultations and proposals refused for an empty releasable_to list", cp.cw.EmptyListsRefused)
	}
	t.Logf("consult/decide: contribution refs kept %d, removed %d; in history kept %d, removed %d",
		cp.refsKept.Load(), cp.refsHidden.Load(), cp.historyKept.Load(), cp.historyHidden.Load())
	for what, n := range map[string]int64{"a ref kept": cp.refsKept.Load(), "a ref removed": cp.refsHidden.Load(), "a history ref kept": cp.historyKept.Load(), "a history ref removed": cp.historyHidden.Load()} {
		if n == 0 {
			t.Errorf("consult/decide: the reference never decided %s: the world lacks the case", what)
		}
	}
	var whys []string
	for w := range cp.branch {
		whys = append(whys, string(w))
	}
	sort.Strings(whys)
	for _, w := range whys {
		t.Logf("consult/decide: %6d × %s", cp.branch[leaktest.Why(w)], w)
	}
	for _, w := range []leaktest.Why{
		leaktest.OffHub,
		leaktest.ConsultDraftConvenor, leaktest.ConsultDraftHidesAud, leaktest.ConsultDraftHides,
		leaktest.ConsultConvenor, leaktest.ConsultReleased, leaktest.ConsultNotReleased, leaktest.ConsultNotParticipant, leaktest.ConsultCancelledDraft,
		leaktest.ProposalDraftProposer, leaktest.ProposalDraftHidesAud, leaktest.ProposalDraftHides,
		leaktest.ProposalProposer, leaktest.ProposalReleased, leaktest.ProposalNotReleased, leaktest.ProposalRevisedRelease,
	} {
		if cp.branch[w] == 0 {
			t.Errorf("consult/decide: the reference never decided %q: the world lacks the case", w)
		}
	}
}

func (cp *consultPath) count(w leaktest.Why) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.branch == nil {
		cp.branch = map[leaktest.Why]int{}
	}
	cp.branch[w]++
}

func (cp *consultPath) leak(e *leaktest.Env, r *leaktest.User, format string, args ...any) {
	cp.leaks.Add(1)
	e.Errorf(r, "LEAK "+format, args...)
}

func (cp *consultPath) miss(e *leaktest.Env, r *leaktest.User, format string, args ...any) {
	cp.missing.Add(1)
	e.Errorf(r, "MISSING "+format, args...)
}

// sameAsMissing checks that err, for hidden id, is what a missing id gives.
func sameAsMissing(e *leaktest.Env, r *leaktest.User, what string, id int64, err error, probe func(int64) error) {
	e.Stats().Probes.Add(1)
	const absent = int64(1 << 40)
	missing := probe(absent)
	want := strings.Replace(liaison.ErrorMessage(missing), fmt.Sprint(absent), fmt.Sprint(id), 1)
	if liaison.ErrorCode(err) != liaison.ENOTFOUND || liaison.ErrorMessage(err) != want {
		e.Errorf(r, "hidden and missing differ: %s %d gives %v; a missing one gives %q", what, id, err, want)
	}
}

func (cp *consultPath) Check(e *leaktest.Env, r *leaktest.User) {
	cp.once.Do(func() { cp.cw, cp.err = e.WriteConsultations(cp.opt) })
	if cp.err != nil {
		e.Errorf(r, "writing consultations and proposals: %v", cp.err)
		return
	}
	cp.noted.Do(func() {
		for _, d := range cp.cw.Disagreements {
			e.Errorf(r, "the store and the reference disagree while writing: %s", d)
		}
	})
	cs := e.Store.(liaison.ConsultationService)
	ds := e.Store.(liaison.DecisionService)
	cp.checkConsultations(e, r, cs)
	cp.checkProposals(e, r, ds)
}

// consultPages checks the same world over the pages (lists, proposal and
// consultation pages, the reference picker, the planner): a path of its
// own, so that its reports are not crowded out by the store's.
type consultPages struct{ cp *consultPath }

func (consultPages) Name() string { return "web/consult" }

func (w consultPages) Check(e *leaktest.Env, r *leaktest.User) {
	cp := w.cp
	cp.once.Do(func() { cp.cw, cp.err = e.WriteConsultations(cp.opt) })
	if cp.err != nil {
		return // consultPath reports it
	}
	cp.leaks.Add(int64(e.ConsultPages(r, cp.cw)))
}

func describeConsultation(c *leaktest.Consultation) string {
	return fmt.Sprintf("consultation %d (%s, convened by %s for %v, marked %q)", c.ID, c.Status, c.Convenor, c.Participants, leaktest.SpecText(c.Marking))
}

func (cp *consultPath) checkConsultations(e *leaktest.Env, r *leaktest.User, cs liaison.ConsultationService) {
	ctx := e.Ctx()
	p := r.Principal
	readable := e.ReadableIDs(p)
	visible := map[int64]*leaktest.Consultation{}
	for _, c := range cp.cw.Consultations {
		sees, why := e.SeesConsultation(p, c)
		cp.count(why)
		_, err := cs.Consultation(ctx, p, c.ID)
		ks, kerr := cs.Contributions(ctx, p, c.ID)
		e.Stats().Reads.Add(2)
		if !sees {
			if err == nil {
				cp.leak(e, r, "%s: returned, though the reference hides it (%s)", describeConsultation(c), why)
			} else {
				sameAsMissing(e, r, "consultation", c.ID, err, func(id int64) error { _, err := cs.Consultation(ctx, p, id); return err })
			}
			if kerr == nil {
				cp.leak(e, r, "%s: %d contributions returned, though the reference hides it (%s)", describeConsultation(c), len(ks), why)
			} else {
				sameAsMissing(e, r, "consultation", c.ID, kerr, func(id int64) error { _, err := cs.Contributions(ctx, p, id); return err })
			}
			continue
		}
		visible[c.ID] = c
		if err != nil || kerr != nil {
			cp.miss(e, r, "%s: the reference shows it (%s), the store gives %v / %v", describeConsultation(c), why, err, kerr)
			continue
		}
		cp.checkContributions(e, r, c, ks, readable)
	}

	// The listing, whole and narrowed by status and by topic.
	list := func(f liaison.ConsultationFilter) {
		got, err := cs.Consultations(ctx, p, f)
		e.Stats().Reads.Add(1)
		if err != nil {
			e.Errorf(r, "consultations %+v: %v", f, err)
			return
		}
		seen := map[int64]bool{}
		for _, c := range got {
			seen[c.ID] = true
			w, ok := visible[c.ID]
			switch {
			case !ok:
				cp.leak(e, r, "consultations %+v: listed %d %q, which the reference hides", f, c.ID, c.Title)
			case f.Status != "" && w.Status != f.Status, f.Topic != "" && !slices.Contains(w.Topics, f.Topic):
				e.Errorf(r, "consultations %+v: listed %s, which the filter excludes", f, describeConsultation(w))
			}
		}
		for id, w := range visible {
			if !seen[id] && (f.Status == "" || w.Status == f.Status) && (f.Topic == "" || slices.Contains(w.Topics, f.Topic)) {
				cp.miss(e, r, "consultations %+v: %s not listed", f, describeConsultation(w))
			}
		}
	}
	list(liaison.ConsultationFilter{})
	for _, s := range []liaison.ConsultationStatus{liaison.ConsultationDraft, liaison.ConsultationOpen, liaison.ConsultationCancelled, liaison.ConsultationConcluded} {
		list(liaison.ConsultationFilter{Status: s})
	}
	list(liaison.ConsultationFilter{Topic: []string{"cyber", "disinformation", "edt", "geopolitical"}[e.Intn(4)]})
}

// checkContributions compares the contributions of a visible consultation
// with what was written, each ref list filtered by the reference.
func (cp *consultPath) checkContributions(e *leaktest.Env, r *leaktest.User, c *leaktest.Consultation, got []liaison.Contribution, readable map[string]bool) {
	written := map[int64]*leaktest.Contribution{}
	for _, k := range c.Contributions {
		written[k.ID] = k
	}
	refs := func(where string, k *leaktest.Contribution, got, wrote []string) {
		want := leaktest.VisibleRefs(wrote, readable)
		kept, hidden := &cp.refsKept, &cp.refsHidden
		if where != "refs" {
			kept, hidden = &cp.historyKept, &cp.historyHidden
		}
		kept.Add(int64(len(want)))
		hidden.Add(int64(len(wrote) - len(want)))
		leaked := false
		for _, ref := range got {
			if !readable[ref] || !slices.Contains(wrote, ref) {
				leaked = true
				cp.leak(e, r, "%s contribution %d (by %s) %s: ref %s, which the reader may not read or the contribution never had", describeConsultation(c), k.ID, k.Org, where, ref)
			}
		}
		if !leaked && !slices.Equal(got, want) {
			cp.miss(e, r, "%s contribution %d (by %s) %s: refs %v, want %v", describeConsultation(c), k.ID, k.Org, where, got, want)
		}
	}
	seen := map[int64]bool{}
	for _, g := range got {
		k, ok := written[g.ID]
		if !ok {
			cp.leak(e, r, "%s: contribution %d, which was never written to it", describeConsultation(c), g.ID)
			continue
		}
		seen[g.ID] = true
		e.Stats().Versions.Add(1)
		refs("refs", k, g.Refs, k.Refs)
		if len(g.History) != len(k.History) || g.Withdrawn != k.Withdrawn {
			e.Errorf(r, "%s contribution %d: %d history entries, withdrawn=%v; want %d, %v", describeConsultation(c), g.ID, len(g.History), g.Withdrawn, len(k.History), k.Withdrawn)
		}
		for i := range min(len(g.History), len(k.History)) {
			refs(fmt.Sprintf("history[%d]", i), k, g.History[i].Refs, k.History[i])
		}
	}
	for _, k := range c.Contributions {
		if !seen[k.ID] {
			cp.miss(e, r, "%s: contribution %d (by %s) not returned", describeConsultation(c), k.ID, k.Org)
		}
	}
}

func describeProposal(p *leaktest.Proposal) string {
	circ := "never circulated"
	if p.Circulated {
		circ = "circulated"
	}
	return fmt.Sprintf("proposal %d (%s, %s, proposed by %s, marked %q)", p.ID, p.Status, circ, p.Proposer, leaktest.SpecText(p.Marking))
}

func (cp *consultPath) checkProposals(e *leaktest.Env, r *leaktest.User, ds liaison.DecisionService) {
	ctx := e.Ctx()
	p := r.Principal
	visible := map[int64]*leaktest.Proposal{}
	comment := liaison.ProposalAct{Kind: liaison.ActComment, Text: "probe"}
	for _, pr := range cp.cw.Proposals {
		sees, why := e.SeesProposal(p, pr)
		cp.count(why)
		got, err := ds.Proposal(ctx, p, pr.ID)
		e.Stats().Reads.Add(1)
		if !sees {
			if err == nil {
				cp.leak(e, r, "%s: returned, though the reference hides it (%s)", describeProposal(pr), why)
			} else {
				sameAsMissing(e, r, "proposal", pr.ID, err, func(id int64) error { _, err := ds.Proposal(ctx, p, id); return err })
			}
			// Acting on a hidden proposal must look like acting on a
			// missing one (and, if it does, changes nothing).
			_, aerr := ds.Act(ctx, p, pr.ID, comment)
			if aerr == nil {
				cp.leak(e, r, "%s: %s commented on it, though the reference hides it (%s)", describeProposal(pr), p.Org, why)
			} else {
				sameAsMissing(e, r, "proposal", pr.ID, aerr, func(id int64) error { _, err := ds.Act(ctx, p, id, comment); return err })
			}
			continue
		}
		visible[pr.ID] = pr
		e.Stats().Versions.Add(1)
		if err != nil {
			cp.miss(e, r, "%s: the reference shows it (%s), the store gives %v", describeProposal(pr), why, err)
		} else if len(got.Record) == 0 || got.Record[0].Kind != liaison.ActCreate {
			e.Errorf(r, "%s: record %v", describeProposal(pr), got.Record)
		}
	}
	props, err := ds.Proposals(ctx, p)
	e.Stats().Reads.Add(1)
	if err != nil {
		e.Errorf(r, "proposals: %v", err)
		return
	}
	seen := map[int64]bool{}
	for _, g := range props {
		seen[g.ID] = true
		if _, ok := visible[g.ID]; !ok {
			cp.leak(e, r, "proposals: listed %d %q (%s), which the reference hides", g.ID, g.Title, g.Status)
		}
	}
	for id, pr := range visible {
		if !seen[id] {
			cp.miss(e, r, "proposals: %s not listed", describeProposal(pr))
		}
	}
}
