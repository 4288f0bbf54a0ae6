package auth

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"liaison"
)

// credCache remembers, for a short time, user name and password pairs that
// passed a password check, so that a client sending HTTP Basic on every
// request (as browsers and most scripts do) pays for one argon2 check per
// TTL rather than one per request.
//
// It never holds a password: an entry is keyed by HMAC-SHA256, under a key
// drawn at random when the process starts, of the name and password. A
// lookup that misses, such as any wrong password, tells nothing and goes on
// to the real check. Entries expire ttl after the check that made them
// (a hit does not extend them) and the oldest goes first when the cache is
// full.
//
// The cache cannot see changes made by another process (the CLI's user
// commands run apart from serve), so each entry keeps the user's
// credential stamp (UserService.CredentialStamp) read before the password
// was checked, and the Authenticator reads the stamp again, a cheap
// lookup, on every hit: a changed password, organisation or roles, or a
// removed user, drops the entry on the next request.
type credCache struct {
	mu      sync.Mutex
	key     []byte
	ttl     time.Duration
	max     int
	entries map[[sha256.Size]byte]*list.Element // of *cacheEntry
	order   *list.List                          // oldest first
}

type cacheEntry struct {
	mac     [sha256.Size]byte
	p       liaison.Principal
	stamp   string // the user's credential stamp when the entry was made
	expires time.Time
}

func newCredCache(ttl time.Duration, size int) *credCache {
	key := make([]byte, 32)
	rand.Read(key) // never fails: crypto/rand crashes the program instead
	return &credCache{key: key, ttl: ttl, max: size, entries: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
}

// mac is the entry key of a name and password. The name's length comes
// first so that no two pairs share an input.
func (c *credCache) mac(name, password string) [sha256.Size]byte {
	h := hmac.New(sha256.New, c.key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(name)))
	h.Write(n[:])
	h.Write([]byte(name))
	h.Write([]byte(password))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// get returns the principal and credential stamp cached for name and
// password, if an entry is live at now.
func (c *credCache) get(name, password string, now time.Time) (liaison.Principal, string, bool) {
	if c == nil {
		return liaison.Principal{}, "", false
	}
	k := c.mac(name, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return liaison.Principal{}, "", false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.removeLocked(el)
		return liaison.Principal{}, "", false
	}
	p := e.p
	p.Roles = slices.Clone(p.Roles)
	return p, e.stamp, true
}

// put caches p for name and password from now, evicting the oldest entries
// beyond the bound.
func (c *credCache) put(name, password string, p liaison.Principal, stamp string, now time.Time) {
	if c == nil {
		return
	}
	k := c.mac(name, password)
	p.Roles = slices.Clone(p.Roles)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.removeLocked(el)
	}
	for c.order.Len() >= c.max {
		c.removeLocked(c.order.Front())
	}
	c.entries[k] = c.order.PushBack(&cacheEntry{mac: k, p: p, stamp: stamp, expires: now.Add(c.ttl)})
}

// drop forgets name and password.
func (c *credCache) drop(name, password string) {
	if c == nil {
		return
	}
	k := c.mac(name, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.removeLocked(el)
	}
}

func (c *credCache) removeLocked(el *list.Element) {
	delete(c.entries, el.Value.(*cacheEntry).mac)
	c.order.Remove(el)
}
