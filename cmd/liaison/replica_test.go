package main

import (
	"os"
	"strings"
	"testing"
)

func TestReplicaFlag(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without --db", []string{"org", "list", "--data", dir, "--db-replica", "postgres://u@replica:5432/office"}, "--db-replica needs --db"},
		{"not a URL", []string{"org", "list", "--db", "postgres://u@primary:5432/office", "--db-replica", "replica:5432"}, `--db-replica "replica:5432": want a PostgreSQL URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

// TestReplicaFlagReads runs commands against a PostgreSQL office with its
// replica named.
func TestReplicaFlagReads(t *testing.T) {
	pg := pgURL(t)
	rep := os.Getenv("LIAISON_TEST_POSTGRES_REPLICA")
	if rep == "" {
		t.Skip("no PostgreSQL replica to test against: set LIAISON_TEST_POSTGRES_REPLICA to a streaming replica of LIAISON_TEST_POSTGRES (as root, bash .ci/pg-replica makes one and prints its URL)")
	}
	mustCLI(t, "init", "--nations", "--db", pg)
	r := mustCLI(t, "org", "list", "--db", pg, "--db-replica", rep)
	if !strings.Contains(r.stdout, "JPN") {
		t.Errorf("org list through the replica: %q, want the nations", r.stdout)
	}
}
