package liaison_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

var (
	t2025 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
)

// testDirectory is a small hub: three allies, two NATO bodies, the IP4,
// one operator community, and agreements in several states.
func testDirectory(now time.Time) *liaison.Directory {
	orgs := []liaison.Organisation{
		{Code: "FRA", Kind: liaison.Ally}, {Code: "USA", Kind: liaison.Ally}, {Code: "GBR", Kind: liaison.Ally},
		{Code: "NATO-IS", Kind: liaison.NATOBody}, {Code: "NCIA", Kind: liaison.NATOBody},
		{Code: "JPN", Kind: liaison.Partner}, {Code: "KOR", Kind: liaison.Partner},
		{Code: "AUS", Kind: liaison.Partner}, {Code: "NZL", Kind: liaison.Partner},
	}
	comms := []liaison.Community{
		{Name: "PACIFIC", Members: []string{"USA", "JPN", "AUSNZ"}},
		{Name: "AUSNZ", Members: []string{"AUS", "NZL", "PACIFIC"}}, // a cycle, on purpose
	}
	agreements := []liaison.Agreement{
		{Partner: "JPN", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOConfidential, From: time.Date(2010, 6, 25, 0, 0, 0, 0, time.UTC)},
		{Partner: "AUS", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, From: time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)},
		// KOR's agreement has expired; NZL's has not started.
		{Partner: "KOR", Kind: liaison.SecurityAgreement, MaxClassification: liaison.CosmicTopSecret, Until: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Partner: "NZL", Kind: liaison.SecurityAgreement, MaxClassification: liaison.NATOSecret, From: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		// A programme grants nothing.
		{Partner: "KOR", Kind: liaison.Programme, Name: "IPCP"},
	}
	return liaison.NewDirectory(orgs, comms, agreements, now)
}

func TestAudienceOf(t *testing.T) {
	d := testDirectory(t2025)
	all := "AUS,FRA,GBR,JPN,KOR,NATO-IS,NCIA,NZL,USA"
	nato := "FRA,GBR,NATO-IS,NCIA,USA"
	rel := func(list ...string) liaison.Marking { return liaison.Marking{ReleasableTo: list} }
	cls := func(c liaison.Classification, list ...string) liaison.Marking {
		m := liaison.Marking{Classification: c}
		if list != nil {
			m.ReleasableTo = list
		}
		return m
	}
	tlp := func(l liaison.TLP) liaison.Marking { return liaison.Marking{TLP: l} }
	tests := []struct {
		name       string
		originator string
		markings   []liaison.Marking
		want       string
	}{
		{"no marking: everyone on the hub", "FRA", nil, all},
		{"TLP CLEAR does not narrow", "FRA", []liaison.Marking{tlp(liaison.TLPClear)}, all},
		{"TLP GREEN does not narrow", "FRA", []liaison.Marking{tlp(liaison.TLPGreen)}, all},
		{"TLP AMBER does not narrow", "FRA", []liaison.Marking{tlp(liaison.TLPAmber)}, all},
		{"TLP AMBER+STRICT does not narrow", "FRA", []liaison.Marking{tlp(liaison.TLPAmberStrict)}, all},
		{"TLP RED alone: the originator only", "JPN", []liaison.Marking{tlp(liaison.TLPRed)}, "JPN"},
		{"TLP RED with a list: the list and the originator", "JPN", []liaison.Marking{tlp(liaison.TLPRed), rel("USA")}, "JPN,USA"},
		{"releasable_to names nations", "FRA", []liaison.Marking{rel("JPN", "USA")}, "FRA,JPN,USA"},
		{"releasable_to expands NATO", "JPN", []liaison.Marking{rel("NATO")}, "FRA,GBR,JPN,NATO-IS,NCIA,USA"},
		{"releasable_to expands IP4", "FRA", []liaison.Marking{rel("IP4")}, "AUS,FRA,JPN,KOR,NZL"},
		{"releasable_to ALL is everyone", "FRA", []liaison.Marking{rel("ALL")}, all},
		{"operator community expands recursively through a cycle", "FRA", []liaison.Marking{rel("PACIFIC")}, "AUS,FRA,JPN,NZL,USA"},
		{"several lists intersect", "FRA", []liaison.Marking{rel("NATO", "IP4"), rel("USA", "JPN", "KOR")}, "FRA,JPN,KOR,USA"},
		{"an unknown code stands for nobody", "FRA", []liaison.Marking{rel("XYZ")}, "FRA"},
		{"an empty list releases to the originator only", "USA", []liaison.Marking{{ReleasableTo: []string{}}}, "USA"},
		{"classification without a list: NATO", "FRA", []liaison.Marking{cls(liaison.NATOUnclassified)}, nato},
		{"classification by a partner without a list: NATO and the partner", "JPN", []liaison.Marking{cls(liaison.NATOUnclassified)}, "FRA,GBR,JPN,NATO-IS,NCIA,USA"},
		{"NATO UNCLASSIFIED with a list keeps partners without agreements", "FRA", []liaison.Marking{cls(liaison.NATOUnclassified, "NATO", "IP4")}, all},
		{"NATO RESTRICTED drops partners without an agreement in force", "FRA", []liaison.Marking{cls(liaison.NATORestricted, "NATO", "IP4")}, "AUS,FRA,GBR,JPN,NATO-IS,NCIA,USA"},
		{"NATO CONFIDENTIAL is within JPN's agreement", "FRA", []liaison.Marking{cls(liaison.NATOConfidential, "NATO", "JPN")}, "FRA,GBR,JPN,NATO-IS,NCIA,USA"},
		{"NATO SECRET is above JPN's agreement", "FRA", []liaison.Marking{cls(liaison.NATOSecret, "NATO", "JPN")}, nato},
		{"NATO SECRET is within AUS's agreement", "FRA", []liaison.Marking{cls(liaison.NATOSecret, "NATO", "AUS")}, "AUS,FRA,GBR,NATO-IS,NCIA,USA"},
		{"an expired agreement covers nothing", "FRA", []liaison.Marking{cls(liaison.NATORestricted, "KOR")}, "FRA"},
		{"an agreement not yet in force covers nothing", "FRA", []liaison.Marking{cls(liaison.NATORestricted, "NZL")}, "FRA"},
		{"the highest classification of several markings counts", "FRA", []liaison.Marking{cls(liaison.NATORestricted, "NATO", "JPN", "AUS"), cls(liaison.NATOSecret)}, "AUS,FRA,GBR,NATO-IS,NCIA,USA"},
		{"a classification and a separate list: the list rules, the level filters", "FRA", []liaison.Marking{cls(liaison.NATOConfidential), rel("IP4", "USA")}, "AUS,FRA,JPN,USA"},
		{"the originator stays even above its own agreement", "JPN", []liaison.Marking{cls(liaison.CosmicTopSecret, "NATO")}, "FRA,GBR,JPN,NATO-IS,NCIA,USA"},
		{"statement and PAP markings do not narrow", "FRA", []liaison.Marking{{Statement: "Copyright"}, {PAP: "PAP:RED"}}, all},
		{"no originator: nobody is added", "", []liaison.Marking{tlp(liaison.TLPRed)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.AudienceOf(tt.originator, tt.markings).Key()
			if got != tt.want {
				t.Errorf("AudienceOf(%s, %+v)\n got  %s\n want %s", tt.originator, tt.markings, got, tt.want)
			}
		})
	}
}

func TestAudienceFollowsTheClock(t *testing.T) {
	m := []liaison.Marking{{Classification: liaison.NATORestricted, ReleasableTo: []string{"NZL", "KOR"}}}
	before := testDirectory(time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC))
	if got := before.AudienceOf("FRA", m).Key(); got != "FRA,KOR" {
		t.Errorf("before KOR's agreement ends: got %s, want FRA,KOR", got)
	}
	at := testDirectory(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if got := at.AudienceOf("FRA", m).Key(); got != "FRA" {
		t.Errorf("the instant KOR's agreement ends: got %s, want FRA", got)
	}
	later := testDirectory(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if got := later.AudienceOf("FRA", m).Key(); got != "FRA,NZL" {
		t.Errorf("once NZL's agreement starts: got %s, want FRA,NZL", got)
	}
	if got, want := before.NextChange(), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("NextChange before 2020 = %v, want %v", got, want)
	}
	if got, want := at.NextChange(), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("NextChange in 2020 = %v, want %v", got, want)
	}
	if got := later.NextChange(); !got.IsZero() {
		t.Errorf("NextChange after every transition = %v, want zero", got)
	}
}

func TestAccessAndMayRead(t *testing.T) {
	d := testDirectory(t2025)
	c := liaison.Collection{Title: "c", Topic: "cyber", Read: []string{"NATO", "JPN"}, Write: []string{"USA"}}
	tests := []struct {
		p               liaison.Principal
		canRead, canWr  bool
		mayReadAudience bool
	}{
		{liaison.Principal{Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}, true, true, true},
		{liaison.Principal{Org: "USA", Roles: []liaison.Role{liaison.RoleReader}}, true, false, true},
		{liaison.Principal{Org: "JPN", Roles: []liaison.Role{liaison.RoleAdmin}}, true, false, false},
		{liaison.Principal{Org: "KOR", Roles: []liaison.Role{liaison.RoleAnalyst}}, false, false, false},
	}
	aud := liaison.NewAudience("USA", "KOR")
	for _, tt := range tests {
		a := d.Access(tt.p, c)
		if a.CanRead != tt.canRead || a.CanWrite != tt.canWr {
			t.Errorf("%s %v: access read=%v write=%v, want %v %v", tt.p.Org, tt.p.Roles, a.CanRead, a.CanWrite, tt.canRead, tt.canWr)
		}
		if got := liaison.MayRead(tt.p, d.Expand(c.Read...), aud); got != tt.mayReadAudience {
			t.Errorf("%s: MayRead = %v, want %v", tt.p.Org, got, tt.mayReadAudience)
		}
	}
}

// FuzzAudienceOf checks the invariants of audience resolution on arbitrary
// markings: the originator is always in, the audience never leaves the hub,
// it never grows when a marking is added, and partners never read above
// their agreements.
func FuzzAudienceOf(f *testing.F) {
	f.Add("FRA", "NATO,IP4", uint8(2), uint8(0), "", uint8(0))
	f.Add("JPN", "", uint8(0), uint8(5), "USA", uint8(4))
	f.Add("KOR", "PACIFIC,XYZ", uint8(5), uint8(3), "ALL", uint8(1))
	d := testDirectory(t2025)
	f.Fuzz(func(t *testing.T, originator, list1 string, cls1, tlp1 uint8, list2 string, cls2 uint8) {
		mk := func(list string, c, l uint8) liaison.Marking {
			m := liaison.Marking{Classification: liaison.Classification(c % 6), TLP: liaison.TLP(l % 6)}
			if list != "" {
				m.ReleasableTo = strings.Split(list, ",")
			}
			return m
		}
		m1 := mk(list1, cls1, tlp1)
		m2 := mk(list2, cls2, 0)
		one := d.AudienceOf(originator, []liaison.Marking{m1})
		two := d.AudienceOf(originator, []liaison.Marking{m1, m2})
		// Explain is the same computation, and its steps account for
		// every organisation that left or joined.
		for _, ms := range [][]liaison.Marking{{m1}, {m1, m2}} {
			want := d.AudienceOf(originator, ms)
			got, steps := d.Explain(originator, ms)
			if got.Key() != want.Key() {
				t.Fatalf("Explain gives %v, AudienceOf %v", got, want)
			}
			all := map[string]bool{}
			for _, o := range d.Expand(liaison.CommunityAll) {
				all[o] = true
			}
			for _, st := range steps {
				for _, o := range st.Removed {
					delete(all, o)
				}
				for _, o := range st.Added {
					all[o] = true
				}
			}
			for _, o := range want {
				if !all[o] {
					t.Fatalf("%s reads but no step put it in: %+v", o, steps)
				}
			}
			for o := range all {
				if !want.Contains(o) {
					t.Fatalf("%s does not read but no step took it out: %+v", o, steps)
				}
			}
		}
		for _, aud := range []liaison.Audience{one, two} {
			if !slices.IsSorted(aud) {
				t.Fatalf("audience not sorted: %v", aud)
			}
			if originator != "" && !aud.Contains(originator) {
				t.Fatalf("originator %q missing from %v", originator, aud)
			}
			for _, o := range aud {
				org, onHub := d.Organisation(o)
				if !onHub && o != originator {
					t.Fatalf("audience %v holds %q, which is not on the hub", aud, o)
				}
				if onHub && o != originator && org.Kind == liaison.Partner {
					level := max(m1.Classification, m2.Classification)
					if aud.Key() == two.Key() && level > liaison.NATOUnclassified && !d.CoversLevel(o, level) {
						t.Fatalf("partner %s reads %s without an agreement: %v", o, level, aud)
					}
				}
			}
		}
		// Adding a marking only narrows, unless the first marking's own
		// narrowing (RED alone, classification alone) is lifted by the
		// second's list, which is the rule.
		if m2.ReleasableTo == nil && m2.Classification <= m1.Classification {
			for _, o := range two {
				if !one.Contains(o) {
					t.Fatalf("adding %+v widened %v to %v", m2, one, two)
				}
			}
		}
	})
}

// TestExplain checks the reasons given for audiences, in the words a
// delegation reads on the object page.
func TestExplain(t *testing.T) {
	d := testDirectory(t2025)
	tests := []struct {
		name       string
		originator string
		markings   []liaison.Marking
		want       []string // each step's text, in order
		audience   string
	}{
		{"NATO CONFIDENTIAL REL TO NATO, JPN, KOR", "USA",
			[]liaison.Marking{{ID: "m1", Name: "NATO CONFIDENTIAL REL TO NATO, JPN, KOR", Classification: liaison.NATOConfidential, ReleasableTo: []string{"NATO", "JPN", "KOR"}}},
			[]string{
				"releasable to NATO, JPN, KOR (NATO CONFIDENTIAL REL TO NATO, JPN, KOR)",
				"NATO CONFIDENTIAL: partners need a security agreement in force that covers it",
				"JPN's security agreement of 25 June 2010 covers up to NATO CONFIDENTIAL",
				"KOR has no security agreement in force",
			},
			"FRA,GBR,JPN,NATO-IS,NCIA,USA"},
		{"TLP:RED alone", "JPN", []liaison.Marking{{ID: liaison.TLPRedID, TLP: liaison.TLPRed}},
			[]string{"TLP:RED with no releasable_to list is for the originator alone", "the originator, JPN, always reads"}, "JPN"},
		{"a classification alone", "AUS", []liaison.Marking{{ID: "m2", Classification: liaison.NATORestricted}},
			[]string{"NATO RESTRICTED with no releasable_to list is for NATO: allies and NATO bodies", "the originator, AUS, always reads"},
			"AUS,FRA,GBR,NATO-IS,NCIA,USA"},
		{"TLP:GREEN narrows nothing", "USA", []liaison.Marking{{ID: liaison.TLPGreenID, TLP: liaison.TLPGreen}}, nil,
			"AUS,FRA,GBR,JPN,KOR,NATO-IS,NCIA,NZL,USA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aud, steps := d.Explain(tc.originator, tc.markings)
			if aud.Key() != tc.audience {
				t.Errorf("audience %v, want %s", aud, tc.audience)
			}
			var got []string
			for _, s := range steps {
				got = append(got, s.Text)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("steps\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
