// Package auth authenticates HTTP requests for every HTTP face of the
// office (TAXII, the JSON API, the UI's API calls). It accepts HTTP Basic
// with a user name and password, HTTP Basic with an API token as the
// password (any user name), and "Authorization: Bearer <token>".
//
// Failed logins are rate-limited per source address with a token bucket,
// and password checks (argon2, costly by design) run at most a bounded
// number at a time, so a flood of bad passwords cannot eat the CPU. A
// name and password that passed are remembered briefly (see credCache), so
// that a client sending Basic on every request pays for one check, not one
// per request.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// Options tune an Authenticator. The zero value is usable.
type Options struct {
	// Realm is named in the WWW-Authenticate challenges; default "liaison".
	Realm string
	// MaxFailures is how many failed logins an address may make in a burst
	// before it gets 429; default 10.
	MaxFailures int
	// Refill is how long an address waits to regain one failed-login
	// allowance; default 30s.
	Refill time.Duration
	// MaxAddresses bounds the addresses the limiter tracks; default 65536.
	MaxAddresses int
	// MaxConcurrentChecks bounds the password checks running at once;
	// default the number of CPUs.
	MaxConcurrentChecks int
	// CacheTTL is how long a name and password that passed are admitted
	// without another password check; default 60s, negative for never.
	// Keep it short: a password change made by another process (the CLI)
	// is seen only when the entry expires (see credCache).
	CacheTTL time.Duration
	// CacheSize bounds the remembered names and passwords; default 4096.
	CacheSize int
	// ClientAddr returns the source address of a request; default the host
	// part of r.RemoteAddr. Set it only behind a proxy you trust.
	ClientAddr func(r *http.Request) string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives failed logins and internal errors; default slog.Default().
	Logger *slog.Logger
	// WriteError writes the body of a failed authentication after the
	// status line's headers (WWW-Authenticate, Retry-After) are set. The
	// default writes {"error":{"code":…,"message":…}}.
	WriteError func(w http.ResponseWriter, r *http.Request, status int, err error)
}

// Authenticator checks credentials against a liaison.UserService.
type Authenticator struct {
	users   liaison.UserService
	opts    Options
	limiter *limiter
	checks  chan struct{}
	cache   *credCache // nil when off
}

// New returns an Authenticator over users.
func New(users liaison.UserService, opts Options) *Authenticator {
	if opts.Realm == "" {
		opts.Realm = "liaison"
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 10
	}
	if opts.Refill <= 0 {
		opts.Refill = 30 * time.Second
	}
	if opts.MaxAddresses <= 0 {
		opts.MaxAddresses = 65536
	}
	if opts.MaxConcurrentChecks <= 0 {
		opts.MaxConcurrentChecks = runtime.NumCPU()
	}
	if opts.ClientAddr == nil {
		opts.ClientAddr = remoteHost
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.WriteError == nil {
		opts.WriteError = writeJSONError
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 60 * time.Second
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 4096
	}
	a := &Authenticator{
		users:   users,
		opts:    opts,
		limiter: newLimiter(opts.MaxFailures, opts.Refill, opts.MaxAddresses),
		checks:  make(chan struct{}, opts.MaxConcurrentChecks),
	}
	if opts.CacheTTL > 0 {
		a.cache = newCredCache(opts.CacheTTL, opts.CacheSize)
	}
	return a
}

// RateLimitedError is returned by Principal when the request's source
// address has used up its failed-login allowance. Its HTTP status is 429.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed logins from this address: retry after %d s", retrySeconds(e.RetryAfter))
}

// Unwrap lets liaison.ErrorMessage show the reason; its code is
// EUNAUTHORIZED, but Status maps it to 429.
func (e *RateLimitedError) Unwrap() error {
	return &liaison.Error{Code: liaison.EUNAUTHORIZED, Message: e.Error()}
}

func retrySeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// errNoCredentials and errBadCredentials are the two 401s. Neither says
// which part of a credential was wrong.
var (
	errNoCredentials  = liaison.Errorf(liaison.EUNAUTHORIZED, "authentication required: use HTTP Basic (user and password, or any user and an API token) or Bearer with an API token")
	errBadCredentials = liaison.Errorf(liaison.EUNAUTHORIZED, "invalid credentials")
)

// Principal authenticates r. It returns EUNAUTHORIZED (a *liaison.Error)
// when credentials are missing or wrong, a *RateLimitedError when the
// source address has failed too often, and an internal error when the
// user service fails.
func (a *Authenticator) Principal(r *http.Request) (liaison.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return liaison.Principal{}, errNoCredentials
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	var user, secret string
	switch {
	case strings.EqualFold(scheme, "Basic"):
		u, p, ok := r.BasicAuth()
		if !ok || p == "" {
			return liaison.Principal{}, liaison.Errorf(liaison.EUNAUTHORIZED, "malformed Basic credentials: want base64 of user:password")
		}
		user, secret = u, p
	case strings.EqualFold(scheme, "Bearer"), strings.EqualFold(scheme, "Token"):
		// "Token" is what taxii2-client's TokenAuth sends.
		if rest == "" {
			return liaison.Principal{}, liaison.Errorf(liaison.EUNAUTHORIZED, "malformed Bearer credentials: want a token")
		}
		secret = rest
	default:
		return liaison.Principal{}, liaison.Errorf(liaison.EUNAUTHORIZED, "authorization scheme %q is not supported: use Basic or Bearer", truncate(scheme, 20))
	}
	return a.check(r, user, secret)
}

// SignIn checks a user name and password typed into a sign-in form, as
// Principal checks them when sent with HTTP Basic: the password may be an
// API token, failed tries count against r's source address in the same
// bucket, and a rate-limited address gets a *RateLimitedError. It returns
// EUNAUTHORIZED, without saying which part was wrong, on any mismatch.
func (a *Authenticator) SignIn(r *http.Request, user, password string) (liaison.Principal, error) {
	if user == "" || password == "" {
		return liaison.Principal{}, errBadCredentials
	}
	return a.check(r, user, password)
}

// check authenticates a secret, with the user name that came with it (""
// for a bare token): a live token first, then the rate-limited password
// path.
func (a *Authenticator) check(r *http.Request, user, secret string) (liaison.Principal, error) {
	// A live API token is a cheap hash lookup of an unguessable secret:
	// it passes even from an address that is rate-limited, so one
	// brute-forcer behind a shared address cannot lock out token users.
	p, err := a.users.PrincipalByToken(r.Context(), secret)
	if err == nil {
		return p, nil
	}
	if code := liaison.ErrorCode(err); code != liaison.EUNAUTHORIZED && code != liaison.ENOTFOUND {
		return liaison.Principal{}, liaison.Internal("auth: check token", err)
	}
	// Every other attempt is paid for up front with a token of the
	// address's failed-login allowance, taken atomically before anything
	// is checked, so that concurrent requests cannot all pass on the same
	// token. Success gives it back. The cache is looked up only after the
	// token is taken: a guess that hits it is the right password, and a
	// rate-limited address must not be able to make guesses for free.
	addr := a.opts.ClientAddr(r)
	if ok, wait := a.limiter.reserve(addr, a.opts.Now()); !ok {
		a.opts.Logger.Warn("auth: login rate-limited", "addr", addr, "retry_after", wait)
		return liaison.Principal{}, &RateLimitedError{RetryAfter: wait}
	}
	p, err = a.checkPassword(r.Context(), user, secret)
	if err == nil {
		a.limiter.refund(addr, a.opts.Now())
		return p, nil
	}
	if liaison.ErrorCode(err) != liaison.EUNAUTHORIZED {
		// Our fault, not the caller's: do not count it against them.
		a.limiter.refund(addr, a.opts.Now())
		return liaison.Principal{}, liaison.Internal("auth: check credentials", err)
	}
	a.opts.Logger.Info("auth: failed login", "addr", addr, "user", truncate(user, 64))
	return liaison.Principal{}, errBadCredentials
}

// checkPassword checks a user name and password: from the cache if the
// pair passed recently and the user is unchanged, otherwise with the user
// service, under the bound on concurrent password checks. Without a user
// name the secret was a token that did not match, which is a failed login
// too.
func (a *Authenticator) checkPassword(ctx context.Context, user, secret string) (liaison.Principal, error) {
	if user == "" {
		return liaison.Principal{}, errBadCredentials
	}
	if a.cache == nil {
		return a.verifyPassword(ctx, user, secret)
	}
	if cached, stamp, ok := a.cache.get(user, secret, a.opts.Now()); ok {
		// Another process may have changed the password, organisation
		// or roles, or removed the user, since: the stamp, a cheap
		// lookup rather than a password check, tells.
		cur, err := a.users.CredentialStamp(ctx, user)
		switch {
		case err == nil && cur == stamp:
			return cached, nil
		case err != nil && liaison.ErrorCode(err) != liaison.ENOTFOUND:
			return liaison.Principal{}, err
		}
		a.cache.drop(user, secret)
	}
	// The stamp is read before the check: a change in between leaves a
	// stale stamp, which the next hit sees.
	stamp, stampErr := a.users.CredentialStamp(ctx, user)
	p, err := a.verifyPassword(ctx, user, secret)
	if err == nil && stampErr == nil {
		a.cache.put(user, secret, p, stamp, a.opts.Now())
	}
	return p, err
}

// verifyPassword runs the password check itself.
func (a *Authenticator) verifyPassword(ctx context.Context, user, secret string) (liaison.Principal, error) {
	select {
	case a.checks <- struct{}{}:
	case <-ctx.Done():
		return liaison.Principal{}, liaison.Errorf(liaison.EUNAUTHORIZED, "request ended before the credentials were checked")
	}
	defer func() { <-a.checks }()
	p, err := a.users.Authenticate(ctx, user, secret)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return liaison.Principal{}, errBadCredentials
	}
	return p, err
}

// Status returns the HTTP status for an error from Principal: 429 when
// rate-limited, otherwise liaison.HTTPStatus of its code.
func Status(err error) int {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return http.StatusTooManyRequests
	}
	return liaison.HTTPStatus(liaison.ErrorCode(err))
}

// SetHeaders sets the headers a failed authentication needs: the
// WWW-Authenticate challenges (Basic and Bearer) on 401, Retry-After on 429.
// It returns the HTTP status to send.
func (a *Authenticator) SetHeaders(w http.ResponseWriter, err error) int {
	status := Status(err)
	var rl *RateLimitedError
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(rl.RetryAfter)))
	case status == http.StatusUnauthorized:
		w.Header().Add("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", a.opts.Realm))
		w.Header().Add("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", a.opts.Realm))
	}
	if status == http.StatusInternalServerError {
		a.opts.Logger.Error("auth: internal error", "err", err)
	}
	return status
}

// Middleware authenticates each request and calls next with the principal
// in the request context (liaison.PrincipalFrom). A request that fails gets
// 401 (with challenges), 429 (with Retry-After) or 500, written by
// Options.WriteError.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Principal(r)
		if err != nil {
			status := a.SetHeaders(w, err)
			a.opts.WriteError(w, r, status, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(liaison.NewContext(r.Context(), p)))
	})
}

func writeJSONError(w http.ResponseWriter, _ *http.Request, status int, err error) {
	code := liaison.ErrorCode(err)
	if status == http.StatusTooManyRequests {
		code = "rate_limited"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": liaison.ErrorMessage(err)}})
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
