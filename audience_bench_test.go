package liaison_test

import (
	"testing"
	"time"

	"liaison"
)

// benchDirectory is a hub as the office runs it: 32 allies, the IP4,
// NATO bodies, an operator community and two security agreements.
func benchDirectory() *liaison.Directory {
	var orgs []liaison.Organisation
	for _, c := range []string{"ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA",
		"LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA"} {
		orgs = append(orgs, liaison.Organisation{Code: c, Name: c, Kind: liaison.Ally})
	}
	for _, c := range liaison.IP4Members {
		orgs = append(orgs, liaison.Organisation{Code: c, Name: c, Kind: liaison.Partner})
	}
	for _, c := range []string{"NATO-HQ", "NATO-IS", "NCIA"} {
		orgs = append(orgs, liaison.Organisation{Code: c, Name: c, Kind: liaison.NATOBody})
	}
	comms := []liaison.Community{{Name: "FVEY", Members: []string{"USA", "GBR", "CAN", "AUS", "NZL"}}}
	ags := []liaison.Agreement{
		{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOConfidential},
		{Partner: "AUS", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret},
	}
	return liaison.NewDirectory(orgs, comms, ags, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

// BenchmarkAudienceOf computes the audience of one object version from
// its markings, for the marking combinations that decide real audiences.
// The store computes one per new label, and every label again when the
// directory changes.
func BenchmarkAudienceOf(b *testing.B) {
	d := benchDirectory()
	tlp := func(t liaison.TLP) liaison.Marking { return liaison.Marking{TLP: t} }
	cases := []struct {
		name     string
		markings []liaison.Marking
	}{
		{"markings=none", nil},
		{"markings=tlp-green", []liaison.Marking{tlp(liaison.TLPGreen)}},
		{"markings=tlp-red", []liaison.Marking{tlp(liaison.TLPRed)}},
		{"markings=rel-nato", []liaison.Marking{{ReleasableTo: []string{"NATO"}}}},
		{"markings=nr-rel-nato-ip4", []liaison.Marking{tlp(liaison.TLPAmber), {Classification: liaison.NATORestricted, ReleasableTo: []string{"NATO", "IP4"}}}},
		{"markings=ns-no-list", []liaison.Marking{{Classification: liaison.NATOSecret}}},
		{"markings=two-lists-community", []liaison.Marking{{ReleasableTo: []string{"FVEY", "JPN"}}, {ReleasableTo: []string{"ALL"}}, tlp(liaison.TLPRed)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if a := d.AudienceOf("USA", c.markings); len(a) == 0 {
					b.Fatal("empty audience")
				}
			}
		})
	}
}

// BenchmarkExpand resolves community names to organisations, the inner
// step of every releasable_to list.
func BenchmarkExpand(b *testing.B) {
	d := benchDirectory()
	for _, names := range [][]string{{"NATO"}, {"ALL"}, {"NATO", "IP4", "FVEY"}} {
		b.Run("names="+names[len(names)-1], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Expand(names...)
			}
		})
	}
}
