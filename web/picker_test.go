package web

import (
	"fmt"
	"liaison/stix"
	"strings"
	"testing"
	"time"

	"liaison"
)

func pickerDirectory() *liaison.Directory {
	return liaison.NewDirectory([]liaison.Organisation{
		{Code: "USA", Kind: liaison.Ally}, {Code: "FRA", Kind: liaison.Ally}, {Code: "NATO-IS", Kind: liaison.NATOBody},
		{Code: "JPN", Kind: liaison.Partner}, {Code: "KOR", Kind: liaison.Partner},
	}, []liaison.Community{{Name: "QUAD", Members: []string{"USA", "JPN"}}}, nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestPickerMarkings(t *testing.T) {
	d := pickerDirectory()
	for _, tc := range []struct {
		name              string
		tlp, class        string
		rel               []string
		wantName, wantErr string
		hub               bool
	}{
		{"nothing", "", "", nil, "UNMARKED", "", false},
		{"TLP alone uses the fixed id", "amber", "", nil, "TLP:AMBER", "", false},
		{"classification and list", "", "nato-secret", []string{"USA", "QUAD", "USA"}, "NATO SECRET REL TO QUAD, USA", "", true},
		{"all three", "red", "NATO RESTRICTED", []string{"JPN"}, "NATO RESTRICTED REL TO JPN TLP:RED", "", true},
		{"unknown org", "", "", []string{"ZZZ"}, "", "field releasable to", false},
		{"unknown TLP", "white", "", nil, "", "field TLP", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pk, err := parsePick(func(k string) []string {
				switch k {
				case fieldTLP:
					return []string{tc.tlp}
				case fieldClass:
					return []string{tc.class}
				case fieldRel:
					return tc.rel
				}
				return nil
			}, d)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || liaison.ErrorCode(err) != liaison.EINVALID {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pk.spec().Name(); got != tc.wantName {
				t.Errorf("name %q, want %q", got, tc.wantName)
			}
			m, raw, ok := pk.hubMarking()
			if ok != tc.hub {
				t.Fatalf("hub marking %v, want %v", ok, tc.hub)
			}
			if ok {
				// The hub's own decoder reads back what the picker means,
				// and the same choice always makes the same bytes.
				c, err := decodeMarking(raw)
				if err != nil {
					t.Fatalf("the picked marking does not decode: %v\n%s", err, raw)
				}
				if c.ID != m.ID || c.Marking.Classification != m.Classification || strings.Join(c.Marking.ReleasableTo, ",") != strings.Join(m.ReleasableTo, ",") {
					t.Errorf("decoded %+v, want %+v", c.Marking, m)
				}
				_, again, _ := pk.hubMarking()
				if string(again) != string(raw) {
					t.Errorf("two makings differ")
				}
			}
			aud := d.AudienceOf("KOR", pk.markings())
			if !aud.Contains("KOR") {
				t.Errorf("the originator is not in %v", aud)
			}
		})
	}
}

// FuzzParsePick feeds the picker any field values: it never panics, and
// what it accepts names only organisations and communities of the
// directory and makes a marking-definition the hub's decoder accepts.
func FuzzParsePick(f *testing.F) {
	f.Add("amber", "nato-secret", "USA,QUAD")
	f.Add("", "", "")
	f.Add("TLP:RED", "COSMIC TOP SECRET", "JPN,,KOR")
	d := pickerDirectory()
	f.Fuzz(func(t *testing.T, tlp, class, rel string) {
		pk, err := parsePick(func(k string) []string {
			switch k {
			case fieldTLP:
				return []string{tlp}
			case fieldClass:
				return []string{class}
			case fieldRel:
				return strings.Split(rel, ",")
			}
			return nil
		}, d)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("error code %s: %v", liaison.ErrorCode(err), err)
			}
			return
		}
		for _, n := range pk.Rel {
			if _, ok := d.Organisation(n); !ok && !d.HasCommunity(n) {
				t.Fatalf("accepted %q", n)
			}
		}
		if _, raw, ok := pk.hubMarking(); ok {
			if _, err := decodeMarking(raw); err != nil {
				t.Fatalf("picked marking does not decode: %v\n%s", err, raw)
			}
		}
	})
}

func decodeMarking(raw []byte) (liaison.Candidate, error) {
	c, err := stix.Decode(0, raw)
	if err == nil && c.Marking == nil {
		err = fmt.Errorf("not read as a marking")
	}
	return c, err
}
