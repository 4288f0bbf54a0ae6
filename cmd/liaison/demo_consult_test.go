package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func apiGet(t *testing.T, srv *httptest.Server, user, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.SetBasicAuth(user, user+"-demo")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// The demo carries the seed story: France breaks silence on the Tokyo
// office, and a NATO–IP4 consultation whose references each reader sees
// only as far as they may read the objects.
func TestDemoDecisionAndConsultation(t *testing.T) {
	srv := demoServer(t)
	var p struct {
		Title  string
		Status string
		Rounds []struct {
			Blocker     string `json:"blocker"`
			BlockReason string `json:"block_reason"`
		}
	}
	if code := apiGet(t, srv, "jpn-analyst", "/api/v1/proposals/1", &p); code != http.StatusOK {
		t.Fatalf("proposal: %d", code)
	}
	if p.Title != "Open a NATO liaison office in Tokyo" || p.Status != "blocked" || len(p.Rounds) != 1 ||
		p.Rounds[0].Blocker != "FRA" || !strings.Contains(p.Rounds[0].BlockReason, "Articles 5 and 6") {
		t.Fatalf("proposal %+v", p)
	}
	refs := func(user string) []string {
		var out struct {
			Contributions []struct {
				Org  string   `json:"org"`
				Refs []string `json:"refs"`
			} `json:"contributions"`
		}
		if code := apiGet(t, srv, user, "/api/v1/consultations/1/contributions", &out); code != http.StatusOK {
			t.Fatalf("%s contributions: %d", user, code)
		}
		if len(out.Contributions) != 3 {
			t.Fatalf("%s sees %d contributions", user, len(out.Contributions))
		}
		var all []string
		for _, k := range out.Contributions {
			all = append(all, k.Refs...)
		}
		return all
	}
	usa, jpn, kor := refs("usa-analyst"), refs("jpn-analyst"), refs("kor-analyst")
	for _, want := range []string{demoLanternC2, demoLanternSeen, demoLanternDomain} {
		if !slices.Contains(usa, want) {
			t.Errorf("usa-analyst does not see %s", want)
		}
	}
	// NATO CONFIDENTIAL with no releasability list is for NATO alone.
	if slices.Contains(jpn, demoLanternC2) || !slices.Contains(jpn, demoLanternSeen) {
		t.Errorf("jpn-analyst refs %v", jpn)
	}
	for _, hidden := range []string{demoLanternC2, demoLanternSeen} {
		if slices.Contains(kor, hidden) {
			t.Errorf("kor-analyst sees %s, which is not releasable to KOR", hidden)
		}
	}
	if !slices.Contains(kor, demoLanternDomain) {
		t.Errorf("kor-analyst misses %s", demoLanternDomain)
	}
}
