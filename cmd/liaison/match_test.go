package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"liaison/sqlite"
)

// TestMatchCommand runs liaison match on the demo office with the
// README's observations: an ally matches both LanternLoader indicators, a
// partner only the one released to it, and --record writes sightings.
func TestMatchCommand(t *testing.T) {
	c := newCLI(t)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, c.data, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildDemo(ctx, s); err != nil {
		t.Fatalf("build demo: %v", err)
	}
	s.Close()
	file := filepath.Join("..", "..", "docs", "examples", "observations.json")
	for _, tc := range []struct {
		user string
		want []string
	}{
		{"usa-analyst", []string{demoLanternC2, demoLanternDomain}},
		{"jpn-analyst", []string{demoLanternDomain}},
	} {
		r := c.must("", "match", "--as", tc.user, file)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != len(tc.want) {
			t.Fatalf("%s: %d matches, want %d:\n%s", tc.user, len(lines), len(tc.want), r.stdout)
		}
		for i, id := range tc.want {
			if !strings.HasPrefix(lines[i], id) {
				t.Errorf("%s: match %d is %q, want %s", tc.user, i, lines[i], id)
			}
		}
	}
	r := c.must("", "match", "--as", "jpn-analyst", "--record", "--collection", demoCyber, file)
	if !strings.Contains(r.stdout, "; sighting sighting--") || !strings.Contains(r.stderr, "recorded: 7 objects written") {
		t.Errorf("record: stdout %q stderr %q", r.stdout, r.stderr)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"match", file}, "--as"},
		{[]string{"match", "--as", "jpn-analyst", "--record", file}, "--collection"},
		{[]string{"match", "--as", "jpn-analyst", "no-such-file.json"}, "cannot open"},
		{[]string{"match", "--as", "jpn-analyst", "-"}, "not a JSON STIX bundle"},
	} {
		r := c.run("", bad.args...)
		if r.code == 0 || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("liaison %s: exit %d, stderr %q, want a failure naming %q", strings.Join(bad.args, " "), r.code, r.stderr, bad.want)
		}
	}
}

// TestMatchBench runs liaison bench --match at a tiny size: the matcher's
// figures and the office's, and the JSON.
func TestMatchBench(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(t.TempDir(), "match.json")
	r := c.must("", "bench", "--match", "300:600", "--match-office", "100", "--json", out)
	for _, want := range []string{"indexed:", "plain loop:", "bytes/indicator", "office Match (SQLite, 100 indicators"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench --match lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := c.run("", "bench", "--match", "300"); r.code == 0 || !strings.Contains(r.stderr, "INDICATORS:OBSERVATIONS") {
		t.Errorf("bench --match 300: exit %d, %s", r.code, r.stderr)
	}
}
