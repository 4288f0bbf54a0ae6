package leaktest_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
	"liaison/sqlite"
)

func openFedSQLite(t *testing.T) func(now func() time.Time) leaktest.FedStore {
	return func(now func() time.Time) leaktest.FedStore {
		s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// TestFederationInvariant: every organisation at every office reads
// exactly what the reference of rules 1–6 and 9 says, after every change.
func TestFederationInvariant(t *testing.T) {
	n, _ := leaktest.FedSeeds(testing.Short())
	var acs leaktest.FedStats
	defer func() {
		if !t.Failed() && (acs.ACSCarried == 0 || acs.ACSHeld == 0) {
			t.Errorf("ACS markings were exercised too little: %+v", acs)
		}
	}()
	for seed := range uint64(n) {
		findings, st, err := leaktest.RunFederation(context.Background(), leaktest.FedOptions{Seed: seed + 1, Open: openFedSQLite(t)})
		if err != nil {
			t.Fatalf("seed %d: %v", seed+1, err)
		}
		if st.CarriedReads == 0 || st.Withdrawn == 0 {
			t.Errorf("seed %d exercised too little: %+v", seed+1, st)
		}
		t.Logf("seed %d: %+v", seed+1, st)
		acs.ACSCarried += st.ACSCarried
		acs.ACSHeld += st.ACSHeld
		for _, f := range findings {
			t.Errorf("seed %d: %s", seed+1, f)
		}
	}
}

// fedMutant is an office whose arrivals or change feed go wrong.
type fedMutant struct {
	liaison.PeerService
	kind string
	orgs []string
}

func (m *fedMutant) ReceivePeerPage(ctx context.Context, peer, remote string, vs []liaison.PeerVersion, after time.Time) (liaison.PeerReceived, error) {
	for i := range vs {
		switch m.kind {
		case "widens on arrival":
			vs[i].Audience = liaison.NewAudience(m.orgs...)
			vs[i].Candidate.MarkingRefs = nil
		case "drops the source's audience":
			vs[i].Audience = liaison.NewAudience(m.orgs...)
		}
	}
	return m.PeerService.ReceivePeerPage(ctx, peer, remote, vs, after)
}

func (m *fedMutant) ApplyPeerChanges(ctx context.Context, peer string, changes []liaison.PeerChange, next int64) (liaison.PeerReceived, error) {
	if m.kind == "ignores the change feed" {
		changes = nil
	}
	return m.PeerService.ApplyPeerChanges(ctx, peer, changes, next)
}

// sharingMutant is an office that reads every ACS 3.0 marking as if its
// further_sharing permitted ALL: it serves peers regardless of federation
// rule 9.
type sharingMutant struct{ leaktest.FedStore }

func (m sharingMutant) AddObjects(ctx context.Context, writer liaison.Principal, coll string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	objs = slices.Clone(objs)
	for i, c := range objs {
		if c.Marking != nil && c.Marking.ACS != nil {
			mk := *c.Marking
			mk.ACS = &liaison.ACS{Access: mk.ACS.Access, FurtherSharing: []liaison.ACSSharing{{Scope: []string{"ALL"}, Permit: true}}}
			objs[i].Marking = &mk
		}
	}
	return m.FedStore.AddObjects(ctx, writer, coll, objs)
}

// AddObjectsWithStatus is the mutant's AddObjects, then the status saved
// as the TAXII server asks, so that TAXII adds meet the mutation too.
func (m sharingMutant) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, coll string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	res, err := m.AddObjects(ctx, writer, coll, objs)
	if err != nil {
		return res, err
	}
	return res, m.FedStore.SaveStatus(ctx, status(res))
}

// TestFederationMutantsAreCaught: an office that widens on arrival, one
// that drops the source's audience, one that ignores the change feed and
// one that ignores ACS further sharing are each found leaking.
func TestFederationMutantsAreCaught(t *testing.T) {
	mutantProofs(t)
	all := []string{"USA", "FRA", "DEU", "GBR", "NATO-IS", "JPN", "KOR", "AUS"}
	for _, kind := range []string{"widens on arrival", "drops the source's audience", "ignores the change feed", "ignores further sharing"} {
		t.Run(kind, func(t *testing.T) {
			leaks := 0
			_, n := leaktest.FedSeeds(testing.Short())
			for seed := range uint64(n) {
				open := openFedSQLite(t)
				if kind == "ignores further sharing" {
					open = func(now func() time.Time) leaktest.FedStore {
						return sharingMutant{openFedSQLite(t)(now)}
					}
				}
				findings, _, err := leaktest.RunFederation(context.Background(), leaktest.FedOptions{Seed: seed + 1, Open: open,
					Wrap: func(office string, s liaison.PeerService) liaison.PeerService {
						if office != "B" && office != "C" || kind == "ignores further sharing" {
							return s
						}
						return &fedMutant{PeerService: s, kind: kind, orgs: all}
					}})
				if err != nil {
					t.Fatalf("seed %d: %v", seed+1, err)
				}
				for _, f := range findings {
					leaks += len(f.Extra)
				}
			}
			if leaks == 0 {
				t.Errorf("the mutant office that %s was not caught", kind)
			}
			t.Logf("the mutant that %s: %d leaks found", kind, leaks)
		})
	}
}
