package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

// library is an office with STIX objects in two collections, marked so
// that JPN and KOR see different things:
//
//	cyber (read NATO, IP4; default TLP:AMBER)
//	  indicator A   TLP:GREEN, two versions (the second by JPN)   everyone
//	  indicator B   NATO RESTRICTED REL TO NATO, JPN               allies, JPN (agreement)
//	  malware M     REL TO USA                                     USA only
//	  relationship  A indicates M                                  USA only (an end is hidden)
//	  report R      TLP:CLEAR, refs A, B, M                        everyone; links only to what each may read
//	  fillers       no marking (the default TLP:AMBER), labels     everyone
//	allies (read NATO)
//	  malware N     TLP:GREEN                                      allies only
type library struct {
	*office
	cyber, allies                       liaison.Collection
	indA, indB, malM, rel, report, malN string
	fillers                             []string
	// the versions of A, as their URLs spell them
	aV1, aV2 string
}

const (
	markRestrictedJPN = "marking-definition--6c8e9f0a-0b1c-4d2e-8f3a-4b5c6d7e8f90"
	markRelUSA        = "marking-definition--7d9fa01b-1c2d-4e3f-9a4b-5c6d7e8f9a01"
)

func newLibrary(t *testing.T, fillers int) *library {
	t.Helper()
	o := newOffice(t)
	ctx := context.Background()
	l := &library{office: o,
		indA: "indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", indB: "indicator--1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
		malM: "malware--2c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f", rel: "relationship--3d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a",
		report: "report--4e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b", malN: "malware--5f6a7b8c-9d0e-4f1a-9b2c-4d5e6f7a8b9c",
	}
	if err := o.store.CreateAgreement(ctx, &liaison.Agreement{Partner: "JPN", Kind: liaison.SecurityAgreement, Name: "NATO-Japan",
		MaxClassification: liaison.NATOConfidential, From: time.Date(2010, 6, 25, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	l.cyber = liaison.Collection{Title: "Cyber threats", Topic: "cyber", Description: "Indicators and malware.",
		Read: []string{"NATO", "IP4"}, Write: []string{"NATO", "IP4"}, DefaultMarking: liaison.TLPAmberID}
	l.allies = liaison.Collection{Title: "Allies only", Topic: "cyber", Read: []string{"NATO"}, Write: []string{"NATO"}}
	for _, c := range []*liaison.Collection{&l.cyber, &l.allies} {
		if err := o.store.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	stamp := func(i int) string {
		return time.Date(2024, 3, 1, 0, 0, i, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
	}
	l.aV1, l.aV2 = time.Date(2024, 3, 1, 0, 0, 1, 0, time.UTC).Format(time.RFC3339Nano), time.Date(2024, 3, 1, 0, 0, 9, 0, time.UTC).Format(time.RFC3339Nano)
	usa := []string{
		`{"type":"marking-definition","spec_version":"2.1","id":"` + markRestrictedJPN + `","created":"2026-01-01T00:00:00.000Z","name":"NATO RESTRICTED REL TO NATO, JPN","extensions":{"extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21":{"extension_type":"property-extension","classification":"NATO RESTRICTED","releasable_to":["NATO","JPN"]}}}`,
		`{"type":"marking-definition","spec_version":"2.1","id":"` + markRelUSA + `","created":"2026-01-01T00:00:00.000Z","name":"REL TO USA","extensions":{"extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21":{"extension_type":"property-extension","releasable_to":["USA"]}}}`,
		fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"LanternLoader C2 domain","description":"The update domain.\nSecond line.","pattern":"[domain-name:value = 'update.lantern.example' OR domain-name:value = 'cdn.lantern.example'] AND [network-traffic:dst_port = 443] WITHIN 600 SECONDS","pattern_type":"stix","valid_from":"%s","indicator_types":["malicious-activity"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],"external_references":[{"source_name":"vendor","url":"https://reports.example/lantern","external_id":"LL-1"},{"source_name":"bad","url":"javascript:alert(1)"}],"object_marking_refs":["%s"]}`,
			l.indA, stamp(1), stamp(1), stamp(1), liaison.TLPGreenID),
		fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"Sea of Japan drill tracks","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"%s","object_marking_refs":["%s"]}`,
			l.indB, stamp(2), stamp(2), stamp(2), markRestrictedJPN),
		fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"LanternLoader","is_family":true,"object_marking_refs":["%s"]}`,
			l.malM, stamp(3), stamp(3), markRelUSA),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","relationship_type":"indicates","source_ref":"%s","target_ref":"%s","object_marking_refs":["%s"]}`,
			l.rel, stamp(4), stamp(4), l.indA, l.malM, liaison.TLPAmberID),
		fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"LanternLoader campaign","published":"%s","object_refs":["%s","%s","%s"],"object_marking_refs":["%s"]}`,
			l.report, stamp(5), stamp(5), stamp(5), l.indA, l.indB, l.malM, liaison.TLPClearID),
	}
	l.add(t, "usa", l.cyber.ID, usa)
	var fill []string
	for i := range fillers {
		id := fmt.Sprintf("indicator--9%07d-0000-4000-8000-%012d", i, i)
		l.fillers = append(l.fillers, id)
		label := "phishing"
		if i%3 == 0 {
			label = "ransomware"
		}
		fill = append(fill, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"Phishing landing page %02d","pattern":"[url:value = 'http://%d.example/']","pattern_type":"stix","valid_from":"%s","labels":["%s"],"revoked":%v}`,
			id, stamp(10), stamp(10), i, i, stamp(10), label, i == 1))
	}
	if len(fill) > 0 {
		l.add(t, "kor", l.cyber.ID, fill)
	}
	// A second version of A, written later by JPN.
	l.add(t, "jpn", l.cyber.ID, []string{fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"LanternLoader C2 domain (updated)","description":"The update domain.\nSecond line.","pattern":"[domain-name:value = 'update.lantern.example']","pattern_type":"stix","valid_from":"%s","indicator_types":["malicious-activity"],"object_marking_refs":["%s"]}`,
		l.indA, stamp(1), stamp(9), stamp(1), liaison.TLPGreenID)})
	l.add(t, "fra", l.allies.ID, []string{fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"Allied-only sample","is_family":false,"object_marking_refs":["%s"]}`,
		l.malN, stamp(6), stamp(6), liaison.TLPGreenID)})
	return l
}

// add writes objects as the user, each of which must be accepted.
func (l *library) add(t *testing.T, user, coll string, objs []string) {
	t.Helper()
	var cands []liaison.Candidate
	for i, raw := range objs {
		c, err := stix.Decode(i, []byte(raw))
		if err != nil {
			t.Fatalf("decode %d: %v\n%s", i, err, raw)
		}
		cands = append(cands, c)
	}
	res, err := l.store.AddObjects(context.Background(), l.users[user], coll, cands)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("rejected: %+v", res.Rejected)
	}
	// Let the clock move on, so dates added differ from one write to the next.
	l.clk.Set(l.clk.Now().Add(time.Second))
}

// signedIn returns a browser signed in as user.
func (l *library) signedIn(t *testing.T, user string) *browser {
	b := l.browser(t)
	b.mustSignIn(user, user+"-password")
	return b
}

// keys returns the data-version keys of the rows of a page, in order.
func keys(body string) []string {
	var out []string
	for _, m := range versionRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}
