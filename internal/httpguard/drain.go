package httpguard

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// Bounds on what DrainUnread reads and throws away after a response.
const (
	// DrainBytes is how much of an unread body DrainUnread reads at most
	// unless told otherwise: twice the office's largest body limit.
	DrainBytes = 128 << 20
	// DrainWait is how long it reads at most.
	DrainWait = 10 * time.Second
)

type drainKey struct{}

// DrainUnread wraps next so that a request body that next leaves unread
// (because it refused the request before reading it all: too large, no
// credentials, the wrong type) is read to its end and thrown away once
// the response is sent, so that the client receives that response.
//
// Without it, net/http closes the connection with the body unread, and
// the server's kernel answers the client's further data with a reset. A
// client that sends its whole body before it reads (Python's http.client,
// many scripts) then fails on a broken connection and never sees the 413
// waiting in its receive buffer, which the reset destroys.
//
// It reads at most maxBytes of the body (not at all when Content-Length
// says the body is longer) and for at most maxWait, then lets the
// connection close. Nested inside another DrainUnread (TAXII or the pages
// inside the office's server), only the outermost drains, as only it sees
// the body before any other limit wraps it.
func DrainUnread(next http.Handler, maxBytes int64, maxWait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Context().Value(drainKey{}) != nil {
			next.ServeHTTP(w, r)
			return
		}
		body := &countingBody{rc: r.Body}
		r = r.WithContext(context.WithValue(r.Context(), drainKey{}, true))
		r.Body = body
		next.ServeHTTP(w, r)
		if body.eof || r.ContentLength > maxBytes {
			return
		}
		if body.n == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			// No "100 Continue" went out: the client waits and sends nothing.
			return
		}
		// The deadline comes first: sending the response makes net/http
		// itself read up to 256 KiB of a body of unknown length. It stays
		// set afterwards, as net/http reads a little more of an unfinished
		// body once the handler returns; a next request on the connection
		// sets its own.
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(maxWait)); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		_, _ = io.CopyN(io.Discard, body.rc, maxBytes-body.n)
	})
}

// countingBody is a request body that counts what was read of it and
// whether its end was reached.
type countingBody struct {
	rc  io.ReadCloser
	n   int64
	eof bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }
