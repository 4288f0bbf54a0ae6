//go:build race

package leaktest_test

// raceDetector is set when the tests run under the race detector: see
// mutantProofs in child_test.go.
const raceDetector = true
