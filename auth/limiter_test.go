package auth_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"liaison/auth"
)

// TestFailedLoginLimitUnderConcurrency sends 100 wrong passwords at once
// from one fresh address. The allowance is 10 failures, so at most 10
// password checks may run, however many requests are in flight together;
// every other request gets 429.
func TestFailedLoginLimitUnderConcurrency(t *testing.T) {
	const n, allowance = 100, 10
	tests := []struct {
		name   string
		checks int // MaxConcurrentChecks
	}{
		{"two checks at a time", 2},
		{"a check per request", n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, auth.Options{MaxFailures: allowance, Refill: 30 * time.Second, MaxConcurrentChecks: tc.checks})
			f.users.delay = 20 * time.Millisecond // argon2 takes about that long
			statuses := make(chan int, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					req, _ := http.NewRequest("GET", f.srv.URL, nil)
					req.Header.Set("X-Test-Addr", "203.0.113.7")
					req.SetBasicAuth("tanaka", "wrong")
					resp, err := f.srv.Client().Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					statuses <- resp.StatusCode
				}()
			}
			close(start)
			wg.Wait()
			close(statuses)
			count := map[int]int{}
			for s := range statuses {
				count[s]++
			}
			if c := f.users.calls.Load(); c != allowance {
				t.Errorf("%d password checks for %d concurrent wrong passwords, want the allowance, %d", c, n, allowance)
			}
			if count[401] != allowance || count[429] != n-allowance {
				t.Errorf("statuses %v, want %d × 401 and %d × 429", count, allowance, n-allowance)
			}
			// The allowance is spent: the right password waits too.
			if r := f.get(t, "203.0.113.7", basic("tanaka", "correct horse")); r.status != 429 || r.header.Get("Retry-After") != "30" {
				t.Errorf("right password after the flood: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
		})
	}
}

// TestConcurrentPasswordLoginsKeepAllowance signs in with the right
// password many times at once: each success gives its token back, so the
// allowance is whole afterwards.
func TestConcurrentPasswordLoginsKeepAllowance(t *testing.T) {
	f := newFixture(t, auth.Options{MaxFailures: 3, Refill: time.Minute, MaxConcurrentChecks: 1})
	good := basic("tanaka", "correct horse")
	if r := f.get(t, "192.0.2.20", good); r.status != 200 {
		t.Fatalf("first login: %d %s", r.status, r.body)
	}
	var wg sync.WaitGroup
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", f.srv.URL, nil)
			req.Header.Set("X-Test-Addr", "192.0.2.21")
			req.SetBasicAuth("tanaka", "correct horse")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			// More logins are in flight than the allowance holds, so
			// some may find every token taken (429); none may fail.
			if resp.StatusCode != 200 && resp.StatusCode != 429 {
				t.Errorf("concurrent login: %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	for i := range 3 {
		if r := f.get(t, "192.0.2.21", basic("tanaka", "wrong")); r.status != 401 {
			t.Fatalf("failure %d after the logins: %d, want the whole allowance of 3", i, r.status)
		}
	}
	if r := f.get(t, "192.0.2.21", basic("tanaka", "wrong")); r.status != 429 {
		t.Errorf("fourth failure: %d", r.status)
	}
}
