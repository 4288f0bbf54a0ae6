// Package route carries the ServeMux pattern that served a request back
// out to the middleware that wraps the whole server, so that metrics are
// labelled by route ("GET /api/v1/proposals/{id}"), never by raw path,
// which would let any client grow a label without bound.
//
// A mux sets r.Pattern only on the request it hands to the matched
// handler; handlers in between (body limits, authentication) pass on
// copies, so the outer middleware never sees it. Track puts a holder in
// the context, which every copy shares, and Note, wrapped around each
// registered handler, writes the pattern into it. The innermost mux's
// pattern wins, since it is noted last.
package route

import (
	"context"
	"net/http"
	"sync/atomic"
)

type key struct{}

// Label holds the pattern of the route that served a request.
type Label struct{ p atomic.Pointer[string] }

// Pattern returns the noted pattern, or "" if no noted handler ran.
func (l *Label) Pattern() string {
	if s := l.p.Load(); s != nil {
		return *s
	}
	return ""
}

// Track returns a context that carries a fresh Label, and the Label.
func Track(ctx context.Context) (context.Context, *Label) {
	l := &Label{}
	return context.WithValue(ctx, key{}, l), l
}

// Of returns the Label that ctx carries, or nil.
func Of(ctx context.Context) *Label {
	l, _ := ctx.Value(key{}).(*Label)
	return l
}

// Note wraps a handler registered on a ServeMux: before it runs, the
// mux's pattern for the request (r.Pattern) is noted in the request's
// Label, if it is tracked. An inner mux's bare catch-all "/" does not
// replace an outer pattern, which says more ("/taxii2/" rather than "/"
// for a TAXII path that no TAXII route matched).
func Note(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := Of(r.Context()); l != nil && r.Pattern != "" && (r.Pattern != "/" || l.Pattern() == "") {
			p := r.Pattern
			l.p.Store(&p)
		}
		h.ServeHTTP(w, r)
	})
}
