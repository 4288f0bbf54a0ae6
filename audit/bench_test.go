package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"liaison"
	"liaison/audit"
)

// BenchmarkPage reads pages of 100 and of 1,000 versions from a
// collection of 10,000, through the store itself and through the
// auditing store; the entries' bytes are reported per read and per
// 1,000 versions served. The audited read includes appending its
// entries (Close), so the pair's ratio is what the audit costs a page.
// Run it at this small size only: go test -bench Page -benchtime 300x ./audit
func BenchmarkPage(b *testing.B) {
	s := backendsB(b)
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}))
	usa := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	must(s.CreateUser(ctx, &usa, ""))
	coll := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
	must(s.CreateCollection(ctx, &coll))
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10000; i += 1000 {
		var cs []liaison.Candidate
		for j := i; j < i+1000; j++ {
			cs = append(cs, candidate(fmt.Sprintf("indicator--%08d-1111-4111-8111-111111111111", j), day))
		}
		_, err := s.AddObjects(ctx, usa, coll.ID, cs)
		must(err)
	}
	read := func(b *testing.B, st liaison.Store, limit int) {
		q := liaison.ObjectQuery{Limit: limit}
		for i := 0; b.Loop(); i++ {
			p, err := st.Objects(ctx, usa, coll.ID, q)
			if err != nil || len(p.Versions) != limit {
				b.Fatal(err, len(p.Versions))
			}
			q.Next = p.Next
			if !p.More {
				q.Next = ""
			}
		}
	}
	for _, limit := range []int{100, 1000} {
		b.Run(fmt.Sprintf("plain-%d", limit), func(b *testing.B) { read(b, s, limit) })
		b.Run(fmt.Sprintf("audited-%d", limit), func(b *testing.B) {
			l := audit.New(s.DB(), audit.Options{Logger: quiet()})
			after := int64(-1)
			must(audit.Entries(ctx, s.DB(), audit.Filter{After: -1}, func(e audit.Entry) error { after = e.Index; return nil }))
			read(b, audit.NewStore(s, l), limit)
			must(l.Close()) // timed: the appender's work is the audit's cost
			b.StopTimer()
			var n, bytes int64
			must(audit.Entries(ctx, s.DB(), audit.Filter{After: after, Action: audit.ActionRead}, func(e audit.Entry) error {
				d, _ := e.Encode()
				n++
				bytes += int64(len(d))
				return nil
			}))
			if n > 0 {
				b.ReportMetric(float64(bytes)/float64(n), "leaf-B/read")
				b.ReportMetric(float64(bytes)/float64(n)*1000/float64(limit), "leaf-B/1000-versions")
			}
		})
	}
}

// BenchmarkAppend is the appender's rate: entries of one page of 100
// versions each, queued and appended in batches, until Close has
// appended the last.
func BenchmarkAppend(b *testing.B) {
	s := backendsB(b)
	l := audit.New(s.DB(), audit.Options{Logger: quiet(), FlushEvery: 10 * time.Millisecond})
	refs := make([]audit.Ref, 100)
	for i := range refs {
		refs[i] = audit.Ref{ID: fmt.Sprintf("indicator--%08d-1111-4111-8111-111111111111", i), Version: "2024-03-01T00:00:00Z"}
	}
	b.ResetTimer()
	for range b.N {
		l.Record(audit.Entry{Principal: "usa", Org: "USA", Action: audit.ActionRead, Path: audit.PathTAXII, Op: "Objects", Collection: "c", Refs: refs})
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

func backendsB(b *testing.B) dbStore {
	return openSQLiteB(b)
}

// BenchmarkIngest writes envelopes of 1,000 new indicators through the
// store itself and through the auditing store, whose appender competes
// for the same writer: go test -bench Ingest -benchtime 20x ./audit
func BenchmarkIngest(b *testing.B) {
	for _, audited := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "audited"}[audited]
		b.Run(name, func(b *testing.B) {
			s := backendsB(b)
			ctx := context.Background()
			if err := s.CreateOrganisation(ctx, liaison.Organisation{Code: "USA", Name: "United States", Kind: liaison.Ally}); err != nil {
				b.Fatal(err)
			}
			usa := liaison.Principal{Name: "usa", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
			if err := s.CreateUser(ctx, &usa, ""); err != nil {
				b.Fatal(err)
			}
			coll := liaison.Collection{Title: "Shared", Topic: liaison.TopicCyber, Read: []string{"ALL"}, Write: []string{"ALL"}}
			if err := s.CreateCollection(ctx, &coll); err != nil {
				b.Fatal(err)
			}
			var st liaison.Store = s
			var l *audit.Log
			if audited {
				l = audit.New(s.DB(), audit.Options{Logger: quiet()})
				st = audit.NewStore(s, l)
			}
			day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			n := 0
			for b.Loop() {
				cs := make([]liaison.Candidate, 1000)
				for j := range cs {
					cs[j] = candidate(fmt.Sprintf("indicator--%08d-2222-4222-8222-222222222222", n), day)
					n++
				}
				if _, err := st.AddObjects(ctx, usa, coll.ID, cs); err != nil {
					b.Fatal(err)
				}
			}
			if l != nil {
				if err := l.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
