package web

import (
	"testing"
	"time"

	"liaison"
)

// TestBanner checks the banner of a page from the labels of what it
// shows: the highest classification, the releasability that every
// object on the page allows together (spelt with the markings' own names
// where they fit), and the strictest TLP.
func TestBanner(t *testing.T) {
	orgs := []liaison.Organisation{
		{Code: "FRA", Kind: liaison.Ally}, {Code: "USA", Kind: liaison.Ally}, {Code: "NATO-IS", Kind: liaison.NATOBody},
		{Code: "JPN", Kind: liaison.Partner}, {Code: "KOR", Kind: liaison.Partner}, {Code: "AUS", Kind: liaison.Partner}, {Code: "NZL", Kind: liaison.Partner},
	}
	dir := liaison.NewDirectory(orgs, []liaison.Community{{Name: "FIVE-EYES", Members: []string{"USA", "AUS", "NZL"}}}, nil, time.Now())
	nr := liaison.NATORestricted
	tests := []struct {
		name   string
		labels []label
		text   string
		class  string
	}{
		{"nothing shown", nil, "UNMARKED", "unmarked"},
		{"nothing marked", []label{{}, {Originator: "JPN"}}, "UNMARKED", "unmarked"},
		{"one marking", []label{{Classification: nr, Lists: [][]string{{"JPN", "NATO"}}}}, "NATO RESTRICTED · REL TO NATO, JPN", "nato-restricted"},
		{"TLP alone", []label{{TLP: liaison.TLPGreen}, {TLP: liaison.TLPAmber}}, "TLP:AMBER", "tlp-amber"},
		{"an unmarked object beside a marked one", []label{{}, {TLP: liaison.TLPClear}}, "TLP:CLEAR", "tlp-clear"},
		{"highest classification wins", []label{
			{Classification: liaison.NATOUnclassified, Lists: [][]string{{"NATO", "IP4"}}},
			{Classification: liaison.NATOConfidential, Lists: [][]string{{"NATO", "IP4"}}},
		}, "NATO CONFIDENTIAL · REL TO NATO, IP4", "nato-confidential"},
		{"narrowest releasability: the intersection", []label{
			{Lists: [][]string{{"NATO", "JPN"}}},
			{Lists: [][]string{{"NATO", "IP4"}}},
		}, "REL TO NATO, JPN", "unmarked"},
		{"a classification without a list is NATO only", []label{
			{Classification: nr},
			{Classification: liaison.NATOUnclassified, Lists: [][]string{{"NATO", "IP4"}}},
		}, "NATO RESTRICTED · REL TO NATO", "nato-restricted"},
		{"TLP:RED without a list is its originator alone", []label{
			{TLP: liaison.TLPRed, Originator: "JPN"},
			{Lists: [][]string{{"NATO", "IP4"}}},
		}, "REL TO JPN · TLP:RED", "tlp-red"},
		{"an operator community that fits", []label{
			{Lists: [][]string{{"FIVE-EYES", "FRA"}}},
			{Lists: [][]string{{"NATO", "IP4"}}},
		}, "REL TO FIVE-EYES, FRA", "unmarked"},
		{"several lists on one object intersect", []label{
			{Lists: [][]string{{"NATO", "IP4"}, {"USA", "JPN"}}},
		}, "REL TO JPN, USA", "unmarked"},
		{"nothing in common", []label{
			{Lists: [][]string{{"KOR"}}, Originator: "JPN"},
			{Lists: [][]string{{"JPN"}}, Originator: "KOR"},
		}, "REL TO no organisation in common", "unmarked"},
		{"classification over TLP colours the banner", []label{
			{TLP: liaison.TLPRed, Classification: liaison.NATOSecret, Lists: [][]string{{"NATO"}}},
		}, "NATO SECRET · REL TO NATO · TLP:RED", "nato-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bannerOf(tc.labels, dir)
			if b.Text != tc.text || b.Class != tc.class {
				t.Errorf("banner %q (%s), want %q (%s)", b.Text, b.Class, tc.text, tc.class)
			}
		})
	}
}
