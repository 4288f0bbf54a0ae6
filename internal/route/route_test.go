package route

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestNoteThroughCopies checks that the innermost mux's pattern reaches
// the outer middleware through handlers that pass on copies of the
// request, and that a request no inner route matched keeps the outer
// pattern.
func TestNoteThroughCopies(t *testing.T) {
	inner := http.NewServeMux()
	inner.Handle("GET /api/v1/items/{id}", Note(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	copying := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(r.Context())) // a copy, as auth and body guards make
	})
	sub := http.NewServeMux()
	sub.Handle("GET /sub/x", Note(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	sub.Handle("/", Note(http.NotFoundHandler()))
	outer := http.NewServeMux()
	outer.Handle("/", Note(copying))
	outer.Handle("/sub/", Note(sub))
	tests := []struct{ path, want string }{
		{"/api/v1/items/42", "GET /api/v1/items/{id}"},
		{"/api/v1/items/43", "GET /api/v1/items/{id}"},
		{"/elsewhere", "/"},
		{"/sub/x", "GET /sub/x"},
		{"/sub/y", "/sub/"}, // the inner catch-all says less than the outer pattern
	}
	for _, tc := range tests {
		ctx, l := Track(t.Context())
		r := httptest.NewRequestWithContext(ctx, "GET", tc.path, nil)
		outer.ServeHTTP(httptest.NewRecorder(), r)
		if got := l.Pattern(); got != tc.want {
			t.Errorf("%s: pattern %q, want %q", tc.path, got, tc.want)
		}
	}
	// Untracked requests are served as usual.
	rec := httptest.NewRecorder()
	outer.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/items/1", nil))
	if rec.Code != 200 {
		t.Errorf("untracked: %d", rec.Code)
	}
}
