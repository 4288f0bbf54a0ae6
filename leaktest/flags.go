package leaktest

import "flag"

// DefaultSeed is the seed CI uses, so that a CI run is reproducible.
const DefaultSeed = 20260601

var (
	seedFlag    = flag.Int64("leak.seed", DefaultSeed, "leaktest: seed of the random world; 0 picks a random seed (printed on failure for replay)")
	objectsFlag = flag.Int("leak.objects", 2500, "leaktest: number of object versions to write")
)
