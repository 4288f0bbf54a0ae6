package bench

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCommitInCheckout: test binaries record no VCS revision, so inside a
// git checkout of this module Commit falls back to git's HEAD, with or
// without a -dirty suffix.
func TestCommitInCheckout(t *testing.T) {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not inside a git checkout with git installed (%v); Commit says %q", err, Commit())
	}
	head := strings.TrimSpace(string(out))
	got := Commit()
	if got != head && got != head+"-dirty" {
		t.Errorf("Commit() = %q, want %s with or without -dirty", got, head)
	}
}
