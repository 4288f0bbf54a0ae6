//go:build !race

package leaktest_test

// raceDetector: see race_test.go.
const raceDetector = false
