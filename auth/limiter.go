package auth

import (
	"sync"
	"time"
)

// limiter is a token bucket of failed-login allowances per source address.
// A password check must first take a token (reserve), under the lock, so
// that requests in flight at the same time cannot all pass on the same
// token; a check that succeeds gives its token back (refund). So an
// address never has more password checks run than it has tokens, however
// many it sends at once, and while its bucket is empty it gets no check at
// all. Buckets that have refilled completely carry no information and are
// dropped when the map grows.
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

// reserve takes one token from addr's bucket for a password check. If the
// bucket has no whole token it takes nothing and reports how long until it
// will have one.
func (l *limiter) reserve(addr string, now time.Time) (bool, time.Duration) {
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
		return false, time.Duration((1 - b.tokens) * float64(l.refill))
	}
	b.tokens--
	return true, 0
}

// refund gives back the token that reserve took, when the check it paid
// for succeeded or could not be made through no fault of the caller. A
// bucket pruned meanwhile was (nearly) full and stays dropped.
func (l *limiter) refund(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		return
	}
	l.level(b, now)
	b.tokens = min(b.tokens+1, l.burst)
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
