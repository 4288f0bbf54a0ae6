//go:build race

package leaktest

// raceEnabled is set when the race detector is on: the default sizes
// shrink so a CI run stays within about a minute on two cores.
const raceEnabled = true
