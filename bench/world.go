package bench

import (
	"context"
	"fmt"
	"time"

	"liaison"
)

// CollectionID is the collection every benchmark writes to and reads from.
const CollectionID = "b3c7a1d2-6e4f-4a5b-8c9d-0e1f2a3b4c5d"

// The benchmark's users: the writer, whose organisation originates every
// object and so reads everything, and a narrow reader who reads a small
// fraction.
const (
	WriterName = "bench-usa"
	NarrowName = "bench-nzl"
	WriterOrg  = "USA"
	NarrowOrg  = "NZL"
)

// World is the directory, collection and users a benchmark store holds.
type World struct {
	Collection  string
	Writer      liaison.Principal // analyst of the originating organisation: reads everything
	Narrow      liaison.Principal // reader of an organisation most markings exclude
	WriterToken string
	NarrowToken string
}

// benchOrgs is the benchmark's directory: the allies, the IP4 partners and
// NATO bodies, as on a real hub.
var benchOrgs = func() []liaison.Organisation {
	var out []liaison.Organisation
	for _, c := range []string{"ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA",
		"LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA"} {
		out = append(out, liaison.Organisation{Code: c, Name: "Nation " + c, Kind: liaison.Ally})
	}
	for _, c := range liaison.IP4Members {
		out = append(out, liaison.Organisation{Code: c, Name: "Partner " + c, Kind: liaison.Partner})
	}
	for _, c := range []string{"NATO-HQ", "NATO-IS", "NCIA", "NATO-LO-TOKYO"} {
		out = append(out, liaison.Organisation{Code: c, Name: "NATO body " + c, Kind: liaison.NATOBody})
	}
	return out
}()

// benchAgreements: Japan and Australia hold security agreements (as they
// do), New Zealand and Korea none.
var benchAgreements = []liaison.Agreement{
	{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOConfidential, From: time.Date(2010, 6, 25, 0, 0, 0, 0, time.UTC)},
	{Partner: "AUS", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, From: time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)},
}

// Directory returns the benchmark world's directory at now, as the store
// will compute audiences against it.
func Directory(now time.Time) *liaison.Directory {
	return liaison.NewDirectory(benchOrgs, nil, benchAgreements, now)
}

// Setup fills an empty store with the benchmark world: organisations
// missing from it, agreements, the collection (read by ALL, written by
// the writer's organisation, TLP:AMBER by default) and the two users with
// API tokens.
func Setup(ctx context.Context, s liaison.Store) (World, error) {
	have, err := s.Organisations(ctx)
	if err != nil {
		return World{}, fmt.Errorf("bench: setup: %w", err)
	}
	known := map[string]bool{}
	for _, o := range have {
		known[o.Code] = true
	}
	for _, o := range benchOrgs {
		if known[o.Code] {
			continue
		}
		if err := s.CreateOrganisation(ctx, o); err != nil {
			return World{}, fmt.Errorf("bench: setup: organisation %s: %w", o.Code, err)
		}
	}
	for _, a := range benchAgreements {
		a := a
		if err := s.CreateAgreement(ctx, &a); err != nil {
			return World{}, fmt.Errorf("bench: setup: agreement with %s: %w", a.Partner, err)
		}
	}
	c := liaison.Collection{ID: CollectionID, Title: "Benchmark feed", Topic: liaison.TopicCyber,
		Read: []string{liaison.CommunityAll}, Write: []string{WriterOrg}, DefaultMarking: liaison.TLPAmberID}
	if err := s.CreateCollection(ctx, &c); err != nil {
		return World{}, fmt.Errorf("bench: setup: collection: %w", err)
	}
	w := World{
		Collection: c.ID,
		Writer:     liaison.Principal{Name: WriterName, Org: WriterOrg, Roles: []liaison.Role{liaison.RoleAnalyst}},
		Narrow:     liaison.Principal{Name: NarrowName, Org: NarrowOrg, Roles: []liaison.Role{liaison.RoleReader}},
	}
	for _, u := range []struct {
		p     *liaison.Principal
		token *string
	}{{&w.Writer, &w.WriterToken}, {&w.Narrow, &w.NarrowToken}} {
		if err := s.CreateUser(ctx, u.p, ""); err != nil {
			return World{}, fmt.Errorf("bench: setup: user %s: %w", u.p.Name, err)
		}
		_, secret, err := s.CreateToken(ctx, u.p.Name)
		if err != nil {
			return World{}, fmt.Errorf("bench: setup: token for %s: %w", u.p.Name, err)
		}
		*u.token = secret
	}
	return w, nil
}
