//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuTime returns this process's user and system CPU time, so figures can
// be given per CPU-second: on a shared, loaded machine wall time measures
// the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
