//go:build !race

package leaktest

const raceEnabled = false
