package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"sync"
	"time"

	"liaison"
)

// Session defaults. A session ends after SessionIdle without a request
// or SessionLifetime after sign-in, whichever comes first.
const (
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionLifetime = 12 * time.Hour
	// maxSessions bounds the sessions kept in memory; when full, expired
	// ones go first, then the least recently used.
	maxSessions = 10000
	// firstVisitWindow is how far back "new since your last visit" looks
	// for a user the office has not seen since it started.
	firstVisitWindow = 7 * 24 * time.Hour
)

// Cookie names. Under TLS the session cookie takes the __Host- prefix,
// which the browser honours only for a Secure cookie with Path=/ and no
// Domain: no other host (a sibling subdomain) can set or shadow it.
const (
	sessionCookie       = "liaison-session"
	secureSessionCookie = "__Host-liaison-session"
	signinCookie        = "liaison-signin"
	secureSigninCookie  = "__Host-liaison-signin"
)

// session is one signed-in browser. The store keys it by the SHA-256 of
// its id, so the ids themselves live only in the browsers' cookies: a
// dump of the server's memory does not let anyone take a session over.
type session struct {
	principal liaison.Principal
	csrf      string    // the token every state-changing form carries
	created   time.Time // sign-in
	seen      time.Time // the last request
	since     time.Time // the user's previous visit: what "new" is measured from
}

// sessions keeps the sessions in memory. A restart signs everyone out.
type sessions struct {
	mu       sync.Mutex
	byHash   map[[sha256.Size]byte]*session
	lastSeen map[int64]time.Time // user id → their last request, across sessions
	idle     time.Duration
	lifetime time.Duration
	now      func() time.Time
}

func newSessions(idle, lifetime time.Duration, now func() time.Time) *sessions {
	if idle <= 0 {
		idle = DefaultSessionIdle
	}
	if lifetime <= 0 {
		lifetime = DefaultSessionLifetime
	}
	return &sessions{byHash: map[[sha256.Size]byte]*session{}, lastSeen: map[int64]time.Time{}, idle: idle, lifetime: lifetime, now: now}
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashID(id string) [sha256.Size]byte { return sha256.Sum256([]byte(id)) }

// create starts a session for p and returns its id, to be sent once, in
// the cookie.
func (ss *sessions) create(p liaison.Principal) (string, *session) {
	now := ss.now()
	id := randomToken()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	since, ok := ss.lastSeen[p.ID]
	if !ok {
		since = now.Add(-firstVisitWindow)
	}
	s := &session{principal: p, csrf: randomToken(), created: now, seen: now, since: since}
	if len(ss.byHash) >= maxSessions {
		ss.prune(now)
	}
	ss.byHash[hashID(id)] = s
	ss.lastSeen[p.ID] = now
	return id, s
}

// get returns a copy of the live session with the id, and marks it used
// now. An expired session is removed and not returned.
func (ss *sessions) get(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	now := ss.now()
	h := hashID(id)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byHash[h]
	if !ok {
		return nil, false
	}
	if ss.expired(s, now) {
		delete(ss.byHash, h)
		return nil, false
	}
	s.seen = now
	ss.lastSeen[s.principal.ID] = now
	cp := *s
	return &cp, true
}

// update replaces the principal of the live session with the id (its
// roles changed).
func (ss *sessions) update(id string, p liaison.Principal) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.byHash[hashID(id)]; ok {
		s.principal = p
	}
}

// endOthers removes every session of the user but the one with the id
// keep: after a password change, a browser signed in with the old
// password must sign in again.
func (ss *sessions) endOthers(userID int64, keep string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	kh, n := hashID(keep), 0
	for h, s := range ss.byHash {
		if s.principal.ID == userID && h != kh {
			delete(ss.byHash, h)
			n++
		}
	}
	return n
}

// end removes the session with the id, if any.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byHash, hashID(id))
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) >= ss.idle || now.Sub(s.created) >= ss.lifetime
}

// prune drops expired sessions and, if still full, the least recently
// used tenth. The caller holds mu.
func (ss *sessions) prune(now time.Time) {
	type aged struct {
		h    [sha256.Size]byte
		seen time.Time
	}
	live := make([]aged, 0, len(ss.byHash))
	for h, s := range ss.byHash {
		if ss.expired(s, now) {
			delete(ss.byHash, h)
			continue
		}
		live = append(live, aged{h, s.seen})
	}
	if len(live) < maxSessions*9/10 {
		return
	}
	slices.SortFunc(live, func(a, b aged) int { return a.seen.Compare(b.seen) })
	for _, a := range live[:len(live)-maxSessions*9/10] {
		delete(ss.byHash, a.h)
	}
}

// validCSRF reports, in constant time, whether the form's token is the
// session's.
func (s *session) validCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

// secure reports whether cookies go out Secure and __Host- prefixed:
// under TLS here, or when the office says it is behind a TLS proxy.
func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func (s *Server) sessionCookieName(r *http.Request) string {
	if s.secure(r) {
		return secureSessionCookie
	}
	return sessionCookie
}

func (s *Server) signinCookieName(r *http.Request) string {
	if s.secure(r) {
		return secureSigninCookie
	}
	return signinCookie
}

// setCookie sets a cookie the pages own: HttpOnly, SameSite=Lax, Path=/,
// and Secure under TLS. maxAge < 0 deletes it.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

// cookieValue returns the value of the named cookie, or "".
func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// constantEqual compares two tokens in constant time.
func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
