package match

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestDecayScore(t *testing.T) {
	d := DefaultDecay()
	for _, tc := range []struct {
		name     string
		t, tau   time.Duration
		want     float64
		decayed  bool
		speedSet float64
	}{
		{"fresh", 0, 60 * Day, 100, false, 0},
		{"half the lifetime, speed 0.5: 1-(1/2)^2", 30 * Day, 60 * Day, 75, false, 0},
		{"at the lifetime", 60 * Day, 60 * Day, 0, true, 0},
		{"past it", 90 * Day, 60 * Day, 0, true, 0},
		{"speed 1 is linear", 15 * Day, 60 * Day, 75, false, 1},
		{"speed 2 drops early: 1-(1/4)^(1/2)", 15 * Day, 60 * Day, 50, false, 2},
		{"90% of the lifetime", 54 * Day, 60 * Day, 19, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dd := d
			if tc.speedSet > 0 {
				dd.Speed = tc.speedSet
			}
			got := dd.Score(tc.t, tc.tau)
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("score %v, want %v", got, tc.want)
			}
			if dd.Decayed(got) != tc.decayed {
				t.Errorf("decayed %v, want %v", dd.Decayed(got), tc.decayed)
			}
		})
	}
}

func TestDecayLifetime(t *testing.T) {
	d := DefaultDecay()
	for _, tc := range []struct {
		pattern string
		want    time.Duration
	}{
		{"[ipv4-addr:value = '198.51.100.1']", 60 * Day},
		{"[ipv6-addr:value = '2001:db8::1']", 60 * Day},
		{"[url:value = 'http://x.example/']", 180 * Day},
		{"[domain-name:value = 'x.example']", 365 * Day},
		{"[url:value = 'http://x.example/'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.1'] WITHIN 60 SECONDS", 60 * Day},
		{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR url:value = 'http://x/']", 180 * Day},
		{"not a pattern", 365 * Day},
	} {
		if got := d.Lifetime(tc.pattern); got != tc.want {
			t.Errorf("%s: lifetime %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestParseDecay(t *testing.T) {
	d, err := ParseDecay("speed=1, url=30d, domain-name=10d, other=36h, threshold=5")
	if err != nil {
		t.Fatal(err)
	}
	if d.Speed != 1 || d.Lifetimes["url"] != 30*Day || d.Lifetimes["domain-name"] != 10*Day || d.Other != 36*time.Hour || d.Threshold != 5 || d.Lifetimes["ipv4-addr"] != 60*Day || d.Base != 100 {
		t.Errorf("parsed %+v", d)
	}
	if DefaultDecay().Lifetimes["url"] != 180*Day {
		t.Error("ParseDecay changed the defaults")
	}
	for _, bad := range []struct{ in, want string }{
		{"speed", "speed"}, {"speed=-1", "speed=-1"}, {"url=forever", "url=forever"}, {"base=x", "base=x"}, {"url=0d", "url=0d"},
	} {
		if _, err := ParseDecay(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseDecay(%q): %v, want an error naming %q", bad.in, err, bad.want)
		}
	}
}

func TestDecayHistory(t *testing.T) {
	d := DefaultDecay()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(60 * Day)
	seen := start.Add(40 * Day)
	h := d.History(60*Day, start, now, []time.Time{seen, now.Add(Day), start.Add(-Day)}, 7)
	if len(h) != 9 {
		t.Fatalf("%d points, want 7 and two around the one sighting in range: %+v", len(h), h)
	}
	last := h[len(h)-1]
	if !last.At.Equal(now) || math.Abs(last.Score-d.Score(20*Day, 60*Day)) > 1e-9 {
		t.Errorf("last point %+v: want now, scored 20 days after the sighting", last)
	}
	for i := 1; i < len(h); i++ {
		if h[i].At.Before(h[i-1].At) {
			t.Fatalf("points out of order at %d", i)
		}
		if h[i].Reset && h[i].Score != 100 {
			t.Errorf("reset at %v scores %v", h[i].At, h[i].Score)
		}
	}
}

// FuzzParseDecay feeds ParseDecay arbitrary settings: it never panics,
// and what it accepts scores within [0, base] with positive lifetimes.
func FuzzParseDecay(f *testing.F) {
	for _, s := range []string{"", "speed=1", "ipv4-addr=60d,url=180d,other=365d", "base=50,threshold=5", "x=36h", "speed=", "=,=", "url=1e309d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecay(s)
		if err != nil {
			return
		}
		if d.Base <= 0 || d.Speed <= 0 || d.Threshold <= 0 || d.Other <= 0 {
			t.Fatalf("ParseDecay(%q) accepted %+v", s, d)
		}
		for typ, l := range d.Lifetimes {
			if l <= 0 {
				t.Fatalf("ParseDecay(%q): lifetime of %s is %v", s, typ, l)
			}
			if sc := d.Score(l/2, l); sc < 0 || sc > d.Base || math.IsNaN(sc) {
				t.Fatalf("ParseDecay(%q): score %v", s, sc)
			}
		}
	})
}
