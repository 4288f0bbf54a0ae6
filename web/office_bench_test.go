package web

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"liaison"
)

// BenchmarkOfficePages serves the decision, consultation and planner
// pages, signed in, over real HTTP:
//
//	go test ./web/ -run '^$' -bench OfficePages
func BenchmarkOfficePages(b *testing.B) {
	o := newOffice(b)
	ctx := context.Background()
	pr := liaison.Proposal{Title: "Open a NATO liaison office in Tokyo", Text: "The Council agrees.", Procedure: liaison.SilenceProcedure,
		Marking: liaison.MarkingSpec{Classification: "NATO UNCLASSIFIED", ReleasableTo: []string{"NATO", "IP4"}}}
	if err := o.store.CreateProposal(ctx, o.users["nis"], &pr); err != nil {
		b.Fatal(err)
	}
	if _, err := o.store.Act(ctx, o.users["nis"], pr.ID, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: o.clk.Now().Add(48 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	c := liaison.Consultation{Title: "NATO–IP4 consultation on cyber threats", Topics: []string{"cyber"}, Participants: []string{"IP4"},
		Format: liaison.FormatMeeting, Start: o.clk.Now().Add(48 * time.Hour), Duration: time.Hour, Place: "https://meet.example/nato-ip4", Agenda: []liaison.AgendaItem{{Title: "Threat picture"}}}
	if err := o.store.CreateConsultation(ctx, o.users["nis"], &c); err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/decisions", "/decisions/1", "/consultations", "/planner?participants=NATO-IS,USA,JPN,AUS&duration=60&from=2026-03-02&to=2026-03-07"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("GET", o.srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+o.tokens["fra"])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, res.StatusCode)
				}
			}
		})
	}
}
