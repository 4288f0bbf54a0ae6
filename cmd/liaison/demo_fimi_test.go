package main

import (
	"io"
	"net/http"
	"regexp"
	"testing"
)

// demoDISARM is the demo's DISARM excerpt matrix (demo/disarm-excerpt.json).
const demoDISARM = "x-mitre-matrix--e14f8cfa-b8f9-5672-90ab-5e538bab3e68"

// TestDemoFIMIIncidents: the demo's two FIMI incidents use DISARM
// techniques of its matrix, and each reader's counts are their own: the
// deepfake is for NATO and Japan alone, so Korea counts one user of Post
// Content where Japan and the NATO International Staff count two.
func TestDemoFIMIIncidents(t *testing.T) {
	srv := demoServer(t)
	cell := regexp.MustCompile(`data-technique="` + demoT0115 + `" data-count="(\d+)"`)
	for _, tc := range []struct{ user, want string }{
		{"jpn-analyst", "2"}, {"natois-officer", "2"}, {"kor-analyst", "1"}, {"nzl-reader", "1"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/matrices/"+demoDISARM, nil)
		req.SetBasicAuth(tc.user, tc.user+"-demo")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", tc.user, resp.StatusCode, body)
		}
		m := cell.FindSubmatch(body)
		if m == nil || string(m[1]) != tc.want {
			t.Errorf("%s counts %q users of T0115, want %s", tc.user, m, tc.want)
		}
	}
}
