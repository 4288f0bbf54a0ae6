package leaktest

import "flag"

// DefaultSeed is the seed CI uses, so that a CI run is reproducible.
const DefaultSeed = 20260601

var (
	seedFlag    = flag.Int64("leak.seed", DefaultSeed, "leaktest: seed of the random world; 0 picks a random seed (printed on failure for replay)")
	objectsFlag = flag.Int("leak.objects", 0, "leaktest: number of object versions to write; 0 means 2500, or 1200 under the race detector")
	fullFlag    = flag.Bool("leak.full", false, "leaktest: check every path for every principal in every phase (slow; for deep runs)")
)

// objects returns the number of object versions a run writes.
func objects() int {
	switch {
	case *objectsFlag > 0:
		return *objectsFlag
	case raceEnabled:
		return 1200
	}
	return 2500
}
