package auth

import (
	"sync"
	"time"
)

// limiter is a token bucket of failed-login allowances per source address.
// Each credential check takes one token before it runs and gives it back
// when the check succeeds, so an address can make at most burst failing
// checks at once and then one more every refill. Buckets that have refilled
// completely carry no information and are dropped when the map grows.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	refill  time.Duration // time to regain one token
	max     int           // soft bound on the number of tracked addresses
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newLimiter(burst int, refill time.Duration, maxAddrs int) *limiter {
	return &limiter{burst: float64(burst), refill: refill, max: maxAddrs, buckets: map[string]*bucket{}}
}

// level brings b up to date at now.
func (l *limiter) level(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens += float64(el) / float64(l.refill)
		if b.tokens > l.burst {
			b.tokens = l.burst
		}
		b.at = now
	}
}

// take reserves one check for addr. When the bucket is empty it returns
// false and how long until a token is back.
func (l *limiter) take(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[addr] = b
	}
	l.level(b, now)
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) * float64(l.refill))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// give returns a token reserved by take, after a successful check.
func (l *limiter) give(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[addr]; ok {
		l.level(b, now)
		b.tokens++
		if b.tokens > l.burst {
			b.tokens = l.burst
		}
	}
}

// prune drops the buckets that are full again. If every bucket is still
// draining (a flood from many addresses), it drops the fullest half so that
// memory stays bounded; those addresses start again with a full bucket,
// and the global bound on concurrent checks still protects the CPU.
func (l *limiter) prune(now time.Time) {
	for a, b := range l.buckets {
		l.level(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, a)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	n := 0
	for a, b := range l.buckets {
		if b.tokens >= l.burst/2 {
			delete(l.buckets, a)
			n++
		}
		if n >= l.max/2 {
			break
		}
	}
}
