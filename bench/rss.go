package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler records the peak resident set size of this process (where
// the server runs) during a phase: it polls VmRSS and, where the kernel
// lets it, resets and reads the VmHWM high-water mark too.
type rssSampler struct {
	mu   sync.Mutex
	peak int64 // bytes
	stop chan struct{}
	done chan struct{}
}

// startRSS begins a phase.
func startRSS() *rssSampler {
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	rss, hwm := procStatus()
	s.mu.Lock()
	s.peak = max(s.peak, rss)
	s.mu.Unlock()
	_ = hwm
}

// end finishes the phase and returns its peak in MiB.
func (s *rssSampler) end() float64 {
	close(s.stop)
	<-s.done
	s.sample()
	_, hwm := procStatus()
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(max(s.peak, hwm)) / (1 << 20)
}

// procStatus returns VmRSS and VmHWM of this process in bytes (0 where
// /proc is not available).
func procStatus() (rss, hwm int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		default:
			continue
		}
		fields := strings.Fields(line)
		if len(fields) >= 2 {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				*dst = kb << 10
			}
		}
	}
	return rss, hwm
}
