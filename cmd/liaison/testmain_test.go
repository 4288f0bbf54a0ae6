package main

import (
	"os"
	"testing"
)

// TestMain lets this test binary be liaison itself when beMainEnv is set,
// so that commands which start another liaison process (the load mode of
// bench) run it in tests as they do in production.
func TestMain(m *testing.M) {
	if os.Getenv(beMainEnv) == "1" {
		os.Args = append([]string{"liaison"}, flagArgs(os.Args[1:])...)
		main()
		return
	}
	os.Exit(m.Run())
}

// flagArgs drops the test flags the go tool may have passed.
func flagArgs(args []string) []string {
	var out []string
	for _, a := range args {
		if len(a) > 6 && a[:6] == "-test." {
			continue
		}
		out = append(out, a)
	}
	return out
}
