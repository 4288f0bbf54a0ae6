package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/stix"
)

// indicator returns an indicator candidate matching one IPv4 address,
// with extra properties (such as "revoked":true) and marked with refs.
func indicator(t *testing.T, id string, modified time.Time, ip, extra string, refs ...string) liaison.Candidate {
	t.Helper()
	marks := ""
	if len(refs) > 0 {
		marks = `,"object_marking_refs":["` + strings.Join(refs, `","`) + `"]`
	}
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"pattern_type":"stix","pattern":"[ipv4-addr:value = '%s']","valid_from":%q%s%s}`,
		id, ts(day(-1000)), ts(modified), ip, ts(day(-1000)), extra, marks)
	c, err := stix.Decode(0, []byte(raw))
	if err != nil {
		t.Fatalf("indicator %s: %v", id, err)
	}
	return c
}

// observed returns a bundle's objects: one observed-data per address, each
// with its ipv4-addr, marked with refs.
func observed(n int, at time.Time, ips []string, refs ...string) []json.RawMessage {
	var out []json.RawMessage
	for i, ip := range ips {
		sco := fmt.Sprintf("ipv4-addr--%08x-0000-4000-8000-%012x", n, i)
		m := map[string]any{"type": "observed-data", "spec_version": "2.1", "id": oid("observed-data", n*100+i),
			"created": ts(at), "modified": ts(at), "first_observed": ts(at), "last_observed": ts(at), "number_observed": 1,
			"object_refs": []string{sco}}
		if len(refs) > 0 {
			m["object_marking_refs"] = refs
		}
		od, _ := json.Marshal(m)
		out = append(out, od, json.RawMessage(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":%q}`, sco, ip)))
	}
	return out
}

// matched returns the matches of ips as org's analyst, as
// "indicator@version" strings.
func (w *world) matched(org, coll string, ips ...string) []string {
	w.t.Helper()
	res, err := w.s.Match(w.ctx, w.user[org], liaison.MatchRequest{Objects: observed(1, w.clock.Now(), ips), Collection: coll})
	if err != nil {
		w.t.Fatalf("Match as %s: %v", org, err)
	}
	var out []string
	for _, m := range res.Matches {
		out = append(out, m.Indicator+"@"+m.Version.UTC().Format(time.RFC3339))
	}
	return out
}

func testMatch(t *testing.T, open Opener) {
	w := newWorld(t, open)
	relNATO := hubMarking(oid("marking-definition", 30), liaison.NoClassification, "NATO")
	w.add("FRA", w.shared, relNATO)
	a, b, gone := oid("indicator", 1), oid("indicator", 2), oid("indicator", 3)
	// a: only the alliance reads it. b: everyone reads its first version,
	// only the alliance its second, which matches another address.
	// gone: revoked, and another past its valid_until.
	w.add("FRA", w.shared,
		indicator(t, a, day(0), "10.0.0.1", "", relNATO.ID),
		indicator(t, b, day(0), "10.0.0.2", ""),
		indicator(t, b, day(1), "10.0.0.3", "", relNATO.ID),
		indicator(t, gone, day(0), "10.0.0.4", `,"revoked":true`),
		indicator(t, oid("indicator", 4), day(0), "10.0.0.5", fmt.Sprintf(`,"valid_until":%q`, ts(start.Add(-time.Hour)))),
	)
	v := func(id string, d int) string { return id + "@" + day(d).Format(time.RFC3339) }
	for _, tc := range []struct {
		org  string
		ips  []string
		want []string
	}{
		{"USA", []string{"10.0.0.1"}, []string{v(a, 0)}},
		{"JPN", []string{"10.0.0.1"}, nil},
		{"JPN", []string{"10.0.0.2"}, []string{v(b, 0)}},
		{"USA", []string{"10.0.0.2"}, nil},
		{"USA", []string{"10.0.0.3"}, []string{v(b, 1)}},
		{"JPN", []string{"10.0.0.3"}, nil},
		{"USA", []string{"10.0.0.4", "10.0.0.5"}, nil},
		{"USA", []string{"10.0.0.1", "10.0.0.3", "10.9.9.9"}, []string{v(a, 0), v(b, 1)}},
	} {
		if got := w.matched(tc.org, "", tc.ips...); !slices.Equal(got, tc.want) {
			t.Errorf("%s matching %v: got %v, want %v", tc.org, tc.ips, got, tc.want)
		}
	}
	// Limited to a collection the submitter reads nothing of there.
	if got := w.matched("USA", w.nato, "10.0.0.1"); got != nil {
		t.Errorf("USA matching in %s: got %v, want nothing", w.nato, got)
	}
	// The index follows writes made after it was filled.
	c := oid("indicator", 5)
	w.add("USA", w.nato, indicator(t, c, day(0), "10.0.0.9", ""))
	if got, want := w.matched("USA", "", "10.0.0.9"), []string{v(c, 0)}; !slices.Equal(got, want) {
		t.Errorf("after a write: got %v, want %v", got, want)
	}
	if got := w.matched("JPN", "", "10.0.0.9"); got != nil {
		t.Errorf("JPN after a write to %s: got %v, want nothing", w.nato, got)
	}
	// A deleted version is no longer matched; the one before it is.
	if _, err := w.s.DeleteObject(w.ctx, w.user["FRA"], w.shared, b, liaison.ObjectQuery{Versions: []string{"last"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := w.matched("USA", "", "10.0.0.2", "10.0.0.3"), []string{v(b, 0)}; !slices.Equal(got, want) {
		t.Errorf("after a delete: got %v, want %v", got, want)
	}

	// Bad input names the object and property; a hidden collection and a
	// missing one say the same.
	_, err := w.s.Match(w.ctx, w.user["USA"], liaison.MatchRequest{Objects: []json.RawMessage{json.RawMessage(`{"type":"observed-data","id":"observed-data--00000000-0000-4000-8000-000000000001","last_observed":"2026-01-01T00:00:00Z"}`)}})
	wantCode(t, err, liaison.EINVALID)
	if !strings.Contains(err.Error(), "object 0") || !strings.Contains(err.Error(), "first_observed") {
		t.Errorf("bad observation: %v", err)
	}
	_, err = w.s.Match(w.ctx, w.user["JPN"], liaison.MatchRequest{Collection: w.nato})
	_, err2 := w.s.Match(w.ctx, w.user["JPN"], liaison.MatchRequest{Collection: "no-such-collection"})
	wantCode(t, err, liaison.ENOTFOUND)
	wantCode(t, err2, liaison.ENOTFOUND)
	_, err = w.s.Match(w.ctx, w.user["USA"], liaison.MatchRequest{Record: true})
	wantCode(t, err, liaison.EINVALID)
}

func testSightings(t *testing.T, open Opener) {
	w := newWorld(t, open)
	relNATO := hubMarking(oid("marking-definition", 30), liaison.NoClassification, "NATO")
	relUSA := hubMarking(oid("marking-definition", 31), liaison.NoClassification, "USA", "FRA", "JPN")
	w.add("FRA", w.shared, relNATO, relUSA)
	a := oid("indicator", 1)
	w.add("FRA", w.shared, indicator(t, a, day(0), "10.0.0.1", "", relNATO.ID))
	record := func(n int, refs ...string) liaison.MatchResult {
		t.Helper()
		res, err := w.s.Match(w.ctx, w.user["USA"], liaison.MatchRequest{Objects: observed(n, w.clock.Now(), []string{"10.0.0.1"}, refs...), Collection: w.shared, Record: true})
		if err != nil {
			t.Fatalf("record: %v", err)
		}
		if len(res.Matches) != 1 || res.Matches[0].Sighting == "" || len(res.Rejected) > 0 {
			t.Fatalf("record: %+v", res)
		}
		return res
	}
	// The observation is released to USA, FRA and JPN; the indicator to
	// NATO: the sighting only to USA and FRA.
	res := record(1, relUSA.ID)
	id := res.Matches[0].Sighting
	w.expectSeen(w.shared, id, "USA", "FRA")
	w.clock.Advance(time.Minute)
	record(2, relUSA.ID)
	vs := w.versions("USA", w.shared, liaison.ObjectQuery{IDs: []string{id}})
	if len(vs) != 1 {
		t.Fatalf("sighting %s: %d versions read", id, len(vs))
	}
	var s struct {
		Count    int      `json:"count"`
		Of       string   `json:"sighting_of_ref"`
		Observed []string `json:"observed_data_refs"`
		Where    []string `json:"where_sighted_refs"`
		Marks    []string `json:"object_marking_refs"`
	}
	if err := json.Unmarshal(vs[0].Raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Count != 2 || s.Of != a || len(s.Observed) != 2 || len(s.Where) != 1 || !slices.Contains(s.Marks, relNATO.ID) || !slices.Contains(s.Marks, relUSA.ID) {
		t.Errorf("the day's sighting after two matches: %s", vs[0].Raw)
	}
	if all := w.versions("USA", w.shared, liaison.ObjectQuery{IDs: []string{id}, Versions: []string{"all"}}); len(all) != 2 {
		t.Errorf("sighting %s has %d versions, want one per match", id, len(all))
	}
	w.expectSeen(w.shared, id, "USA", "FRA")
	// The next day is another sighting.
	w.clock.Advance(24 * time.Hour)
	if next := record(3).Matches[0].Sighting; next == id {
		t.Errorf("the next day's sighting has the same id %s", id)
	}
	// JPN may not record where it may not write; FRA may not read it there.
	_, err := w.s.Match(w.ctx, w.user["JPN"], liaison.MatchRequest{Collection: w.nato, Record: true})
	wantCode(t, err, liaison.ENOTFOUND)
}

// testMatchConcurrent matches while indicators are written: every
// indicator written before a match began is found by it (the index is
// fed by each committed write), and nothing races (run under -race).
func testMatchConcurrent(t *testing.T, open Opener) {
	w := newWorld(t, open)
	const writers, each = 2, 15
	done := make(chan error, writers+1)
	var written [writers]int
	var mu sync.Mutex
	for g := range writers {
		go func() {
			for i := range each {
				n := 100 + g*each + i
				ip := fmt.Sprintf("10.1.%d.%d", g, i)
				if _, err := w.s.AddObjects(w.ctx, w.user["USA"], w.shared, indexed(indicator(t, oid("indicator", n), day(0), ip, ""))); err != nil {
					done <- err
					return
				}
				mu.Lock()
				written[g] = i + 1
				mu.Unlock()
			}
			done <- nil
		}()
	}
	go func() {
		for range 20 {
			mu.Lock()
			var ips []string
			for g := range writers {
				for i := range written[g] {
					ips = append(ips, fmt.Sprintf("10.1.%d.%d", g, i))
				}
			}
			mu.Unlock()
			res, err := w.s.Match(w.ctx, w.user["JPN"], liaison.MatchRequest{Objects: observed(2, w.clock.Now(), ips)})
			if err != nil {
				done <- err
				return
			}
			if len(res.Matches) < len(ips) {
				done <- fmt.Errorf("matched %d of %d indicators written before the match", len(res.Matches), len(ips))
				return
			}
		}
		done <- nil
	}()
	for range writers + 1 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
