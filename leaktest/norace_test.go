//go:build !race

package leaktest_test

import "testing"

// skipMutantsUnderRace: see race_test.go. Without -race the mutants run.
func skipMutantsUnderRace(*testing.T) {}
