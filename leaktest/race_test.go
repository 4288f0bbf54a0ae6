//go:build race

package leaktest_test

import "testing"

// skipMutantsUnderRace skips a test that proves the leak test can fail on
// a mutant. The proof is the same with or without the race detector, and
// the plain run of `go test ./...` makes it; under -race, where each
// mutant's child run costs minutes, it only adds time.
func skipMutantsUnderRace(t *testing.T) {
	t.Helper()
	t.Skip("mutants are proven by the run without -race; the race detector changes nothing they check")
}
