//go:build race

package postgres_test

// raceDetector is true under -race, where the slowest tests run smaller
// or not at all.
const raceDetector = true
