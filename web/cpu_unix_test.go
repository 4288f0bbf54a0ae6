//go:build unix

package web

import (
	"syscall"
	"time"
)

// cpuTime is this process's user and system CPU time: benchmarks report
// per-CPU figures beside wall time, which on a shared machine measures
// the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
