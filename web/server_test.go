package web

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"liaison/auth"
	"liaison/sqlite"
)

// TestNewServerNeedsEveryService checks that a missing service is an error
// at construction, naming the field, and not a 500 on a live request.
func TestNewServerNeedsEveryService(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := auth.New(st, auth.Options{})
	tests := []struct {
		name string
		svc  Services
		a    *auth.Authenticator
		want string // in the error; "" for none
	}{
		{"all", Services{Store: st, Consultations: st, Decisions: st}, a, ""},
		{"no store", Services{Consultations: st, Decisions: st}, a, "Services.Store"},
		{"no consultations", Services{Store: st, Decisions: st}, a, "Services.Consultations"},
		{"no decisions", Services{Store: st, Consultations: st}, a, "Services.Decisions"},
		{"no authenticator", Services{Store: st, Consultations: st, Decisions: st}, nil, "authenticator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewServer(tc.svc, tc.a, Config{})
			switch {
			case tc.want == "" && (err != nil || s == nil):
				t.Fatalf("NewServer: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("NewServer: error %v, want one naming %s", err, tc.want)
			}
		})
	}
}
