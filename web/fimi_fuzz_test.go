package web

import (
	"strings"
	"testing"

	"liaison"
)

// FuzzFIMILines: the targets and channels fields never panic, and either
// give at most maxFIMILines distinct, trimmed, non-empty lines of at most
// maxFIMIText bytes, or an EINVALID naming the field.
func FuzzFIMILines(f *testing.F) {
	for _, s := range []string{"", "Japanese public\nLocal press", "  a \n\n a\n", strings.Repeat("x\n", 30), strings.Repeat("y", 300), "\r\n\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := lines(fieldTargets, "targets", s)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(liaison.ErrorMessage(err), "field targets") {
				t.Fatalf("error %v does not name the field", err)
			}
			return
		}
		if len(out) > maxFIMILines {
			t.Fatalf("%d lines", len(out))
		}
		seen := map[string]bool{}
		for _, l := range out {
			if l == "" || l != strings.TrimSpace(l) || len(l) > maxFIMIText || seen[l] {
				t.Fatalf("line %q", l)
			}
			seen[l] = true
		}
	})
}
