package metrics

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"liaison"
	"liaison/sqlite"

	dto "github.com/prometheus/client_model/go"
)

// family returns the gathered metric family name, or nil.
func family(t *testing.T, m *Metrics, name string) *dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

// labelValues returns the values of label across the family's series.
func labelValues(f *dto.MetricFamily, label string) []string {
	var out []string
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && !slices.Contains(out, l.GetValue()) {
				out = append(out, l.GetValue())
			}
		}
	}
	slices.Sort(out)
	return out
}

// panicking is a store whose every method panics (its embedded store is
// nil): the wrapper's deferred observation still runs, which is all this
// test needs.
type panicking struct{ liaison.Store }

// TestEveryMethodIsTimed calls every method of liaison.Store through the
// wrapper and checks that each is timed under its own name, and that
// exactly the methods that recompute audiences are in that histogram.
func TestEveryMethodIsTimed(t *testing.T) {
	m := New()
	w := reflect.ValueOf(m.Store(panicking{}))
	iface := reflect.TypeFor[liaison.Store]()
	var want []string
	for i := range iface.NumMethod() {
		meth := iface.Method(i)
		want = append(want, meth.Name)
		fn := w.MethodByName(meth.Name)
		args := make([]reflect.Value, fn.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(fn.Type().In(j))
		}
		if fn.Type().NumIn() > 0 {
			args[0] = reflect.ValueOf(context.Background())
		}
		func() {
			defer func() { _ = recover() }()
			fn.Call(args)
		}()
	}
	slices.Sort(want)
	if got := labelValues(family(t, m, StoreOperationDuration), "operation"); !slices.Equal(got, want) {
		t.Errorf("timed operations:\n got %v\nwant %v", got, want)
	}
	want = []string{"CreateAgreement", "CreateCommunity", "CreateOrganisation", "RecomputeAudiences", "SetCommunityMembers", "UpdateAgreement", "UpdateOrganisation"}
	if got := labelValues(family(t, m, AudienceRecompute), "operation"); !slices.Equal(got, want) {
		t.Errorf("recompute operations %v, want %v", got, want)
	}
	// Each was observed once, by the panicking call (outcome ok, the
	// series made at the start), and nothing else was.
	for _, mt := range family(t, m, AudienceRecompute).GetMetric() {
		if n := mt.GetHistogram().GetSampleCount(); n > 1 {
			t.Errorf("recompute %v observed %d times, want at most 1", mt.GetLabel(), n)
		}
	}
}

// TestStoreCounts runs real calls through the wrapper on a SQLite store
// and checks outcomes, object results and recompute timings.
func TestStoreCounts(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	raw, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Logger: quiet, Password: sqlite.PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.WatchGroupCommits(raw)
	s := m.Store(raw)
	defer s.Close()
	for _, o := range []liaison.Organisation{{Code: "NATO-IS", Name: "NATO IS", Kind: liaison.NATOBody}, {Code: "USA", Name: "USA", Kind: liaison.Ally}} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "again", Kind: liaison.Ally}); err == nil {
		t.Fatal("duplicate organisation accepted")
	}
	usa := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &usa, ""); err != nil {
		t.Fatal(err)
	}
	coll := liaison.Collection{Title: "c", Topic: "cyber", Read: []string{"NATO"}, Write: []string{"NATO"}}
	if err := s.CreateCollection(ctx, &coll); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	obj := func(i int, id, raw string, refs ...string) liaison.Candidate {
		return liaison.Candidate{Index: i, ID: id, Type: "indicator", SpecVersion: "2.1", Modified: t0, Raw: []byte(raw), MarkingRefs: refs}
	}
	const a, b, c = "indicator--11111111-1111-4111-8111-111111111111", "indicator--22222222-2222-4222-8222-222222222222", "indicator--33333333-3333-4333-8333-333333333333"
	if _, err := s.AddObjects(ctx, usa, coll.ID, []liaison.Candidate{obj(0, a, `{"a":1}`), obj(1, b, `{"b":1}`)}); err != nil {
		t.Fatal(err)
	}
	res, err := s.AddObjects(ctx, usa, coll.ID, []liaison.Candidate{
		obj(0, a, `{"a":1}`), // present
		obj(1, b, `{"b":2}`), // conflicting
		obj(2, c, `{"c":1}`), // written
		obj(3, "indicator--44444444-4444-4444-8444-444444444444", `{}`, "marking-definition--55555555-5555-4555-8555-555555555555"), // rejected: unknown marking
	})
	if err != nil || len(res.Accepted) != 3 || len(res.Rejected) != 1 {
		t.Fatalf("second write: %v %+v", err, res)
	}
	if _, err := s.Objects(ctx, usa, "no-such-collection", liaison.ObjectQuery{}); liaison.ErrorCode(err) != liaison.ENOTFOUND {
		t.Fatalf("read of a missing collection: %v", err)
	}

	wantObjects := map[string]float64{resultWritten: 3, resultPresent: 1, resultConflicting: 1, resultRejected: 1}
	for _, mt := range family(t, m, ObjectWrites).GetMetric() {
		r := mt.GetLabel()[0].GetValue()
		if got := mt.GetCounter().GetValue(); got != wantObjects[r] {
			t.Errorf("%s{result=%q} = %v, want %v", ObjectWrites, r, got, wantObjects[r])
		}
	}
	count := func(name, op, outcome string) uint64 {
		for _, mt := range family(t, m, name).GetMetric() {
			l := map[string]string{}
			for _, p := range mt.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["operation"] == op && l["outcome"] == outcome {
				return mt.GetHistogram().GetSampleCount()
			}
		}
		return 0
	}
	for _, tc := range []struct {
		name, op, outcome string
		want              uint64
	}{
		{StoreOperationDuration, "AddObjects", "ok", 2},
		{StoreOperationDuration, "Objects", liaison.ENOTFOUND, 1},
		{StoreOperationDuration, "CreateOrganisation", "ok", 2},
		{StoreOperationDuration, "CreateOrganisation", liaison.ECONFLICT, 1},
		{AudienceRecompute, "CreateOrganisation", "ok", 2},
		{AudienceRecompute, "CreateOrganisation", liaison.ECONFLICT, 1},
		{AudienceRecompute, "CreateUser", "ok", 0},
	} {
		if got := count(tc.name, tc.op, tc.outcome); got != tc.want {
			t.Errorf("%s{operation=%q,outcome=%q} count %d, want %d", tc.name, tc.op, tc.outcome, got, tc.want)
		}
	}
	groups, calls := raw.GroupCommits()
	if f := family(t, m, SQLiteGroupCommits); f == nil || f.GetMetric()[0].GetCounter().GetValue() != float64(groups) || groups < 1 {
		t.Errorf("%s: %v, want %d (≥ 1)", SQLiteGroupCommits, f, groups)
	}
	if f := family(t, m, SQLiteGroupCommitCalls); f == nil || f.GetMetric()[0].GetCounter().GetValue() != float64(calls) || calls < 2 {
		t.Errorf("%s: %v, want %d (≥ 2)", SQLiteGroupCommitCalls, f, calls)
	}
	busy := raw.GroupWriterBusy()
	if f := family(t, m, SQLiteGroupWriterBusy); f == nil || f.GetMetric()[0].GetCounter().GetValue() != busy.Seconds() || busy <= 0 {
		t.Errorf("%s: %v, want %v (> 0)", SQLiteGroupWriterBusy, f, busy.Seconds())
	}
}
