package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"liaison"
)

//go:embed demo/*.json
var demoFS embed.FS

// The demo's fixed collection ids, so that the README's examples work as
// printed against `liaison demo`.
const (
	demoCyber          = "e55813c7-0446-4478-ae9d-76dc5d955e28"
	demoDisinformation = "b5e97d12-e03f-4da8-a50b-5868ac62c13e"
	demoEDT            = "1b7a7255-b039-4fe6-a055-368b4b223f35"
	demoGeopolitical   = "5a4c0b51-21b4-43f4-af7b-b099b6e9d6c4"
)

// demoUser is a demo login. Its password is public: the demo is for a
// laptop, not for a network.
type demoUser struct {
	name  string
	org   string
	roles []liaison.Role
}

func (u demoUser) password() string { return u.name + "-demo" }

var demoUsers = []demoUser{
	{"admin", "NATO-LO-TOKYO", []liaison.Role{liaison.RoleAdmin}},
	{"natois-officer", "NATO-IS", []liaison.Role{liaison.RoleOfficer}},
	{"fra-officer", "FRA", []liaison.Role{liaison.RoleOfficer}},
	{"usa-analyst", "USA", []liaison.Role{liaison.RoleAnalyst}},
	{"gbr-officer", "GBR", []liaison.Role{liaison.RoleOfficer}},
	{"jpn-analyst", "JPN", []liaison.Role{liaison.RoleAnalyst}},
	{"kor-analyst", "KOR", []liaison.Role{liaison.RoleAnalyst}},
	{"aus-analyst", "AUS", []liaison.Role{liaison.RoleAnalyst}},
	{"nzl-reader", "NZL", []liaison.Role{liaison.RoleReader}},
}

// demoLoads says which bundle goes into which collection, as whom.
var demoLoads = []struct{ file, collection, user string }{
	{"geopolitical.json", demoGeopolitical, "jpn-analyst"},
	{"cyber-usa.json", demoCyber, "usa-analyst"},
	{"cyber-jpn.json", demoCyber, "jpn-analyst"},
	{"disinformation.json", demoDisinformation, "natois-officer"},
	{"disarm-excerpt.json", demoDisinformation, "natois-officer"},
	{"edt.json", demoEDT, "usa-analyst"},
}

// demoHooks lets other parts of the office (consultations, decisions) add
// their share of the sample world after the STIX data is loaded.
var demoHooks []func(ctx context.Context, s liaison.Store, users map[string]liaison.Principal) error

type demoCmd struct{ serveFlags }

func (o *demoCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	if st.db == "" && !st.dataGiven && e.getenv("LIAISON_DATA") == "" {
		dir, err := os.MkdirTemp("", "liaison-demo-")
		if err != nil {
			return fmt.Errorf("demo: temporary folder: %w", err)
		}
		defer os.RemoveAll(dir)
		st.data = dir
	}
	s, discard, exists, err := newStore(ctx, e, st.location())
	if exists {
		return usagef("a store exists already at %s: the demo builds a fresh office; pick an empty folder or database, or leave out --data", displayLocation(st.location()))
	}
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	tokens, err := buildDemo(ctx, s)
	if err != nil {
		discard()
		return fmt.Errorf("demo: build the sample world: %w", err)
	}
	e.log.Info("demo world ready", "store", displayLocation(st.location()), "took", time.Since(start).Round(time.Millisecond))
	return serve(ctx, e, o.serveFlags, s, st.data, func(addr string) {
		printDemoLogins(e, addr, tokens)
	})
}

// buildDemo fills an empty store with the Tokyo office and its sample
// world, and returns each demo user's API token.
func buildDemo(ctx context.Context, s liaison.Store) (map[string]string, error) {
	office := liaison.Organisation{Code: "NATO-LO-TOKYO", Name: "NATO Liaison Office Tokyo", Kind: liaison.NATOBody, TimeZone: "Asia/Tokyo"}
	if err := s.CreateOrganisation(ctx, office); err != nil {
		return nil, err
	}
	if err := seedNations(func(o liaison.Organisation) error { return s.CreateOrganisation(ctx, o) }); err != nil {
		return nil, err
	}
	agreements := []liaison.Agreement{
		{Partner: "JPN", Kind: liaison.SecurityAgreement, Name: "Agreement on the Protection of Information and Material, NATO-Japan",
			MaxClassification: liaison.NATOConfidential, From: day(2010, 6, 25)},
		{Partner: "AUS", Kind: liaison.SecurityAgreement, Name: "Security agreement NATO-Australia",
			MaxClassification: liaison.NATOSecret, From: day(2012, 1, 1)},
		{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP 2023-2026", From: day(2023, 7, 12), Until: day(2027, 1, 1),
			Objectives: []string{"Strengthen dialogue and consultation", "Enhance practical cooperation and interoperability", "Promote shared understanding of security challenges"},
			Areas: []string{"cyber defence", "space security", "strategic communications and countering disinformation",
				"emerging and disruptive technologies", "maritime security", "hybrid threats", "interoperability and standards",
				"climate change and security", "humanitarian assistance and disaster relief"}},
	}
	for i := range agreements {
		if err := s.CreateAgreement(ctx, &agreements[i]); err != nil {
			return nil, err
		}
	}
	collections := []liaison.Collection{
		{ID: demoCyber, Title: "Cyber threats", Topic: liaison.TopicCyber, Description: "Indicators, malware and intrusion sets seen against allies and partners.",
			Read: []string{liaison.CommunityNATO, liaison.CommunityIP4}, Write: []string{liaison.CommunityNATO, liaison.CommunityIP4}, DefaultMarking: liaison.TLPAmberID},
		{ID: demoDisinformation, Title: "Disinformation (FIMI)", Topic: liaison.TopicDisinformation, Description: "Foreign information manipulation, described with DISARM.",
			Read: []string{liaison.CommunityAll}, Write: []string{liaison.CommunityNATO, liaison.CommunityIP4}, DefaultMarking: liaison.TLPGreenID},
		{ID: demoEDT, Title: "Emerging and disruptive technologies", Topic: liaison.TopicEDT, Description: "Assessments across NATO's EDT priority areas.",
			Read: []string{liaison.CommunityNATO, liaison.CommunityIP4}, Write: []string{liaison.CommunityNATO}},
		{ID: demoGeopolitical, Title: "Geopolitical challenges", Topic: liaison.TopicGeopolitical, Description: "Military activity and regional developments in the Indo-Pacific.",
			Read: []string{liaison.CommunityNATO, liaison.CommunityIP4}, Write: []string{liaison.CommunityNATO, liaison.CommunityIP4}, DefaultMarking: liaison.TLPGreenID},
	}
	for i := range collections {
		if err := s.CreateCollection(ctx, &collections[i]); err != nil {
			return nil, err
		}
	}
	users := map[string]liaison.Principal{}
	tokens := map[string]string{}
	for _, u := range demoUsers {
		p := liaison.Principal{Name: u.name, Org: u.org, Roles: u.roles}
		if err := s.CreateUser(ctx, &p, u.password()); err != nil {
			return nil, err
		}
		_, secret, err := s.CreateToken(ctx, u.name)
		if err != nil {
			return nil, err
		}
		users[u.name] = p
		tokens[u.name] = secret
	}
	for _, l := range demoLoads {
		f, err := demoFS.Open("demo/" + l.file)
		if err != nil {
			return nil, err
		}
		sum, err := importBundle(ctx, s, users[l.user], l.collection, f, nil)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", l.file, err)
		}
		if len(sum.rejected) > 0 {
			return nil, fmt.Errorf("load %s: %d objects rejected, first: %s", l.file, len(sum.rejected), sum.rejected[0].Message)
		}
	}
	for _, hook := range demoHooks {
		if err := hook(ctx, s, users); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

func printDemoLogins(e *env, addr string, tokens map[string]string) {
	fmt.Fprintf(e.stdout, "\nThe NATO Liaison Office Tokyo demo is open at http://%s/\n", addr)
	fmt.Fprintf(e.stdout, "TAXII 2.1 discovery: http://%s%s   API root: http://%s%s\n\n", addr, taxiiDiscovery, addr, taxiiAPIRoot)
	fmt.Fprintln(e.stdout, "Demo logins (public demo credentials; never use them on a network):")
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  USER\tORG\tROLE\tPASSWORD\tAPI TOKEN")
	for _, u := range demoUsers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", u.name, u.org, joinRoles(u.roles), u.password(), tokens[u.name])
	}
	_ = tw.Flush()
	fmt.Fprintf(e.stdout, "\nTry: curl -u jpn-analyst:jpn-analyst-demo -H 'Accept: application/taxii+json;version=2.1' http://%s%scollections/\n", addr, taxiiAPIRoot)
	fmt.Fprintln(e.stdout, "Press Ctrl-C to close the office.")
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
