package main

import (
	"context"
	"fmt"
	"time"

	"liaison"
)

// The demo's STIX objects that consultation contributions reference.
const (
	demoLanternDomain = "indicator--58e3435f-9579-441c-8f0c-464f4337de84" // TLP:AMBER by default: NATO and IP4
	demoLanternC2     = "indicator--3b79f543-bc16-4a44-b63f-1e5e66585dc1" // NATO CONFIDENTIAL: NATO only
	demoLanternSeen   = "sighting--757ade5e-36fe-46c6-89be-40c65891ca6a"  // REL TO JPN, USA
	demoLanternSet    = "intrusion-set--325428bf-b74a-42c5-8c2a-c3a1e46a0828"
)

func init() { demoHooks = append(demoHooks, demoDecisionsAndConsultations) }

// demoDecisionsAndConsultations adds the seed story's draft decision, on
// which France breaks silence, and a NATO–IP4 consultation on cyber
// threats whose contributions reference the demo's STIX objects.
func demoDecisionsAndConsultations(ctx context.Context, s liaison.Store, users map[string]liaison.Principal) error {
	var ds liaison.DecisionService = s
	var cs liaison.ConsultationService = s
	now := time.Now().UTC()
	nis, fra := users["natois-officer"], users["fra-officer"]

	p := liaison.Proposal{
		Title: "Open a NATO liaison office in Tokyo",
		Text: "The North Atlantic Council agrees to open a NATO liaison office in Tokyo, the first in Asia, " +
			"to hold consultations with Japan and the other Indo-Pacific partners (IP4) on cyber threats, " +
			"disinformation, emerging and disruptive technologies and geopolitical challenges.",
		Procedure: liaison.SilenceProcedure,
		Marking:   liaison.MarkingSpec{Classification: "NATO UNCLASSIFIED", ReleasableTo: []string{liaison.CommunityNATO, liaison.CommunityIP4}},
	}
	if err := ds.CreateProposal(ctx, nis, &p); err != nil {
		return fmt.Errorf("demo proposal: %w", err)
	}
	steps := []struct {
		by  liaison.Principal
		act liaison.ProposalAct
	}{
		{nis, liaison.ProposalAct{Kind: liaison.ActCirculate, Deadline: now.Add(7 * 24 * time.Hour).Truncate(time.Hour)}},
		{fra, liaison.ProposalAct{Kind: liaison.ActBreakSilence, Reason: "NATO's scope is the North Atlantic area (Articles 5 and 6 of the Washington Treaty); an office in Tokyo goes beyond it."}},
	}
	for _, st := range steps {
		if _, err := ds.Act(ctx, st.by, p.ID, st.act); err != nil {
			return fmt.Errorf("demo proposal %s: %w", st.act.Kind, err)
		}
	}

	start := now.Add(7 * 24 * time.Hour).Truncate(24 * time.Hour).Add(23 * time.Hour) // 08:00 in Tokyo
	c := liaison.Consultation{
		Title:        "NATO–IP4 consultation on cyber threats",
		Topics:       []string{liaison.TopicCyber},
		Participants: []string{liaison.CommunityIP4, "USA", "NATO-LO-TOKYO"},
		Format:       liaison.FormatMeeting, Start: start, Duration: 90 * time.Minute,
		Place: "NATO Liaison Office Tokyo, and https://meet.example/nato-ip4-cyber",
		Agenda: []liaison.AgendaItem{
			{Title: "The threat picture: NORTHERN LANTERN and LanternLoader"},
			{Title: "Exchanging indicators between NATO and the IP4"},
		},
		Marking: liaison.MarkingSpec{ReleasableTo: []string{liaison.CommunityNATO, liaison.CommunityIP4}, TLP: "amber"},
	}
	if err := cs.CreateConsultation(ctx, nis, &c); err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	if _, err := cs.SetConsultationStatus(ctx, nis, c.ID, liaison.ConsultationOpen, ""); err != nil {
		return fmt.Errorf("demo consultation: open: %w", err)
	}
	posts := []struct {
		user string
		item int
		text string
		refs []string
	}{
		{"usa-analyst", 1, "US Cyber Command tracks NORTHERN LANTERN and its LanternLoader implant; the update domain and the command server are attached.", []string{demoLanternSet, demoLanternDomain, demoLanternC2}},
		{"jpn-analyst", 1, "Japan sighted the LanternLoader update domain from two ministry workstations in March.", []string{demoLanternSeen, demoLanternDomain}},
		{"kor-analyst", 2, "Korea proposes a weekly exchange of indicators over TAXII through the Tokyo office.", nil},
	}
	for _, ps := range posts {
		k := liaison.Contribution{Consultation: c.ID, AgendaItem: ps.item, Text: ps.text, Refs: ps.refs}
		if err := cs.Contribute(ctx, users[ps.user], &k); err != nil {
			return fmt.Errorf("demo contribution by %s: %w", ps.user, err)
		}
	}
	return nil
}
