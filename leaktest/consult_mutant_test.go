package leaktest_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/decide"
	"liaison/leaktest"
)

// The consultation and decision checks must be able to fail. Each mutant
// below is the SQLite store with one deliberate fault of the kind the
// invariant forbids; the leak test, run on it in a child process, must
// fail with a LEAK that matches want. The control, the same child run on
// the store itself, must pass, so that the LEAKs are the mutant's.
func TestConsultMutantsAreCaught(t *testing.T) {
	mutantProofs(t)
	leaks := regexp.MustCompile(`consult/decide: .*; (\d+) LEAKs`)
	for _, m := range []struct {
		name, want string
		// page is the LEAK that the pages' check must report for the
		// same fault, seen through the web pages.
		page string
	}{
		// The control.
		{"none", "", ""},
		// A proposal never circulated is shown to its marking's audience,
		// as though it had been circulated.
		{"draft-by-marking", `LEAK proposal \d+ \([a-z]+, never circulated, .*\): returned`, `LEAK page (/decisions/\d+: a hidden one gives 200|/decisions lists \d+)`},
		// A consultation is shown to every participant, its marking
		// ignored.
		{"consult-ignores-marking", `LEAK consultation \d+ .*: returned, though the reference hides it \(consultation: a participant the marking does not release to\)`, `LEAK page (/consultations/\d+: a hidden one gives 200|/consultations lists \d+|/planner\?consultation=\d+)`},
		// The history of a contribution keeps the refs as written.
		{"history-refs-kept", `LEAK consultation \d+ .* history\[\d+\]: ref `, `LEAK page /consultations/\d+ names [a-z-]+--`},
	} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			child := mutantChild{test: "TestConsultMutant", env: "LEAKTEST_CONSULT_MUTANT", mode: m.name}
			count := func(out string) string {
				if s := leaks.FindStringSubmatch(out); s != nil {
					return s[1]
				}
				return "?"
			}
			if m.want == "" {
				out, err := child.run(t)
				if err != nil {
					t.Fatalf("the consult leak test failed on the store without a mutant:\n%s", tail(out))
				}
				t.Logf("control: %s LEAKs", count(out))
				return
			}
			out := child.caught(t)
			n := count(out)
			switch {
			case !regexp.MustCompile(m.want).MatchString(out):
				t.Fatalf("the consult leak test failed on mutant %s but without a LEAK matching %q:\n%s", m.name, m.want, tail(out))
			case !regexp.MustCompile(m.page).MatchString(out):
				t.Fatalf("the pages did not catch mutant %s: no LEAK matching %q:\n%s", m.name, m.page, tail(out))
			case n == "0" || n == "?":
				t.Fatalf("the consult leak test counted %s LEAKs on mutant %s:\n%s", n, m.name, tail(out))
			default:
				t.Logf("mutant %s: %s LEAKs", m.name, n)
			}
		})
	}
}

// TestConsultMutant runs a small consult leak test on the mutant that
// LEAKTEST_CONSULT_MUTANT names ("none": the store itself).
func TestConsultMutant(t *testing.T) {
	mode := os.Getenv("LEAKTEST_CONSULT_MUTANT")
	if mode == "" {
		t.Skip("run by TestConsultMutantsAreCaught")
	}
	open := func(t *testing.T, now func() time.Time) liaison.Store {
		s := openSQLite(t, now).(consultStore)
		if mode == "none" {
			return s
		}
		return &consultMutant{consultStore: s, mode: mode, states: map[int64][][]string{}}
	}
	// Markings with an empty releasable_to list are left out: the
	// stores do not yet keep them apart from no list (see
	// TestSQLiteConsultInvariant), and the control must pass.
	p := &consultPath{opt: leaktest.ConsultOptions{NoEmptyLists: true}}
	leaktest.RunWith(t, leaktest.Options{Sizes: leaktest.Sizes{Allies: 3, OtherPartners: 1, Objects: 150}, StopAtLeak: true}, open, p, consultPages{p})
	p.mustHaveRun(t)
}

type consultStore interface {
	liaison.Store
	liaison.ConsultationService
	liaison.DecisionService
}

// consultMutant is a store with one fault in its consultation or decision
// reads. It finds what it leaks by asking the store as every organisation.
type consultMutant struct {
	consultStore
	mode string

	mu     sync.Mutex
	states map[int64][][]string // refs of each state of each contribution, as written

	// Every proposal and consultation, found once reads begin (the
	// fixture is written by then).
	once     sync.Once
	allProps []liaison.Proposal
	allCons  []liaison.Consultation
}

// all returns every proposal and consultation, asking the store as each
// organisation: each is visible at least to its proposer or convenor.
func (m *consultMutant) all(ctx context.Context) ([]liaison.Proposal, []liaison.Consultation) {
	m.once.Do(func() {
		_, orgs := m.orgs(ctx)
		props, cons := map[int64]bool{}, map[int64]bool{}
		for _, org := range orgs {
			as := liaison.Principal{Name: "mutant", Org: org}
			ps, _ := m.consultStore.Proposals(ctx, as)
			for _, p := range ps {
				if !props[p.ID] {
					props[p.ID] = true
					m.allProps = append(m.allProps, p)
				}
			}
			cs, _ := m.consultStore.Consultations(ctx, as, liaison.ConsultationFilter{})
			for _, c := range cs {
				if !cons[c.ID] {
					cons[c.ID] = true
					m.allCons = append(m.allCons, c)
				}
			}
		}
	})
	return m.allProps, m.allCons
}

func (m *consultMutant) orgs(ctx context.Context) (*liaison.Directory, []string) {
	d, err := m.Directory(ctx)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, o := range d.Organisations() {
		out = append(out, o.Code)
	}
	return d, out
}

// draftsShown returns the never-circulated proposals hidden from reader
// that their marking releases to reader.
func (m *consultMutant) draftsShown(ctx context.Context, reader liaison.Principal) []liaison.Proposal {
	d, _ := m.orgs(ctx)
	all, _ := m.all(ctx)
	var out []liaison.Proposal
	for _, p := range all {
		if p.Proposer == reader.Org || decide.Circulated(p) {
			continue
		}
		mk, err := p.Marking.Marking()
		if err == nil && d.AudienceOf(p.Proposer, []liaison.Marking{mk}).Contains(reader.Org) {
			out = append(out, p)
		}
	}
	return out
}

func (m *consultMutant) Proposal(ctx context.Context, reader liaison.Principal, id int64) (liaison.Proposal, error) {
	p, err := m.consultStore.Proposal(ctx, reader, id)
	if m.mode == "draft-by-marking" && liaison.ErrorCode(err) == liaison.ENOTFOUND {
		for _, q := range m.draftsShown(ctx, reader) {
			if q.ID == id {
				return q, nil
			}
		}
	}
	return p, err
}

func (m *consultMutant) Proposals(ctx context.Context, reader liaison.Principal) ([]liaison.Proposal, error) {
	ps, err := m.consultStore.Proposals(ctx, reader)
	if m.mode == "draft-by-marking" && err == nil {
		ps = append(ps, m.draftsShown(ctx, reader)...)
	}
	return ps, err
}

// consultsShown returns the consultations, drafts aside, hidden from
// reader in which reader takes part.
func (m *consultMutant) consultsShown(ctx context.Context, reader liaison.Principal) []liaison.Consultation {
	d, _ := m.orgs(ctx)
	_, all := m.all(ctx)
	mine, _ := m.consultStore.Consultations(ctx, reader, liaison.ConsultationFilter{})
	var out []liaison.Consultation
	for _, c := range all {
		seen := slices.ContainsFunc(mine, func(x liaison.Consultation) bool { return x.ID == c.ID })
		if !seen && c.Status != liaison.ConsultationDraft && d.Expand(append(slices.Clone(c.Participants), c.Convenor)...).Contains(reader.Org) {
			out = append(out, c)
		}
	}
	return out
}

func (m *consultMutant) Consultation(ctx context.Context, reader liaison.Principal, id int64) (liaison.Consultation, error) {
	c, err := m.consultStore.Consultation(ctx, reader, id)
	if m.mode == "consult-ignores-marking" && liaison.ErrorCode(err) == liaison.ENOTFOUND {
		for _, x := range m.consultsShown(ctx, reader) {
			if x.ID == id {
				return x, nil
			}
		}
	}
	return c, err
}

func (m *consultMutant) Consultations(ctx context.Context, reader liaison.Principal, f liaison.ConsultationFilter) ([]liaison.Consultation, error) {
	cs, err := m.consultStore.Consultations(ctx, reader, f)
	if m.mode == "consult-ignores-marking" && err == nil {
		for _, x := range m.consultsShown(ctx, reader) {
			if (f.Status == "" || x.Status == f.Status) && (f.Topic == "" || slices.Contains(x.Topics, f.Topic)) {
				cs = append(cs, x)
			}
		}
	}
	return cs, err
}

func (m *consultMutant) Contributions(ctx context.Context, reader liaison.Principal, id int64) ([]liaison.Contribution, error) {
	ks, err := m.consultStore.Contributions(ctx, reader, id)
	switch {
	case m.mode == "consult-ignores-marking" && liaison.ErrorCode(err) == liaison.ENOTFOUND:
		for _, x := range m.consultsShown(ctx, reader) {
			if x.ID == id {
				return m.consultStore.Contributions(ctx, liaison.Principal{Name: "mutant", Org: x.Convenor}, id)
			}
		}
	case m.mode == "history-refs-kept" && err == nil:
		m.mu.Lock()
		defer m.mu.Unlock()
		for i := range ks {
			st := m.states[ks[i].ID]
			for j := range ks[i].History {
				if j < len(st) {
					ks[i].History[j].Refs = slices.Clone(st[j])
				}
			}
		}
	}
	return ks, err
}

func (m *consultMutant) Contribute(ctx context.Context, by liaison.Principal, k *liaison.Contribution) error {
	err := m.consultStore.Contribute(ctx, by, k)
	if err == nil {
		m.mu.Lock()
		m.states[k.ID] = [][]string{slices.Clone(k.Refs)}
		m.mu.Unlock()
	}
	return err
}

func (m *consultMutant) EditContribution(ctx context.Context, by liaison.Principal, id int64, text string, refs []string) (liaison.Contribution, error) {
	k, err := m.consultStore.EditContribution(ctx, by, id, text, refs)
	if err == nil {
		m.mu.Lock()
		m.states[id] = append(m.states[id], slices.Clone(refs))
		m.mu.Unlock()
	}
	return k, err
}
