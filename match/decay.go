package match

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison/stix/pattern"
)

// Decay scores an indicator by MISP's polynomial model,
//
//	score(t) = Base · (1 − (t/τ)^(1/δ))   for 0 ≤ t < τ, else 0,
//
// where t is the time since the clock last started (valid_from, or the
// last sighting), τ the lifetime of the indicator's kind and δ the decay
// speed: δ below 1 keeps the score high and drops it late, above 1 drops
// it early.
type Decay struct {
	Base  float64 // the score at t = 0 (default 100)
	Speed float64 // δ (default 0.5)
	// Lifetimes are τ by the SCO type a pattern compares; an indicator
	// whose pattern names several types takes the shortest. Other is τ
	// for every type not listed.
	Lifetimes map[string]time.Duration
	Other     time.Duration
	// Threshold is the score below which an indicator counts as decayed
	// (default 20): shown as such, as OpenCTI revokes it.
	Threshold float64
}

// Day is 24 hours, the unit lifetimes are written in.
const Day = 24 * time.Hour

// DefaultDecay returns the defaults: base 100, speed 0.5, threshold 20,
// and OpenCTI's lifetimes: 60 days for addresses (ipv4-addr, ipv6-addr),
// 180 for URLs, 365 for everything else.
func DefaultDecay() Decay {
	return Decay{Base: 100, Speed: 0.5, Threshold: 20, Other: 365 * Day,
		Lifetimes: map[string]time.Duration{"ipv4-addr": 60 * Day, "ipv6-addr": 60 * Day, "url": 180 * Day}}
}

// withDefaults fills the zero fields from DefaultDecay.
func (d Decay) withDefaults() Decay {
	def := DefaultDecay()
	if d.Base <= 0 {
		d.Base = def.Base
	}
	if d.Speed <= 0 {
		d.Speed = def.Speed
	}
	if d.Threshold <= 0 {
		d.Threshold = def.Threshold
	}
	if d.Other <= 0 {
		d.Other = def.Other
	}
	if d.Lifetimes == nil {
		d.Lifetimes = def.Lifetimes
	}
	return d
}

// ParseDecay reads a decay setting written as comma-separated key=value
// pairs over the defaults: base=100, speed=0.5, threshold=20, other=365d,
// and a lifetime for any SCO type, such as ipv4-addr=60d or url=180d
// (durations in days with d, or as Go durations such as 36h). Errors
// name the pair.
func ParseDecay(s string) (Decay, error) {
	d := DefaultDecay()
	d.Lifetimes = map[string]time.Duration{}
	for k, v := range DefaultDecay().Lifetimes {
		d.Lifetimes[k] = v
	}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return d, fmt.Errorf("decay: %q is not key=value", kv)
		}
		switch k {
		case "base", "speed", "threshold":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || math.IsInf(f, 0) {
				return d, fmt.Errorf("decay: %s=%s: want a positive number", k, v)
			}
			switch k {
			case "base":
				d.Base = f
			case "speed":
				d.Speed = f
			default:
				d.Threshold = f
			}
		default:
			dur, err := parseDays(v)
			if err != nil {
				return d, fmt.Errorf("decay: %s=%s: %v", k, v, err)
			}
			if k == "other" {
				d.Other = dur
			} else {
				d.Lifetimes[k] = dur
			}
		}
	}
	return d, nil
}

func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || f <= 0 || f > 36500 {
			return 0, fmt.Errorf("want a number of days above 0 such as 60d")
		}
		return time.Duration(f * float64(Day)), nil
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("want a lifetime such as 60d or 36h")
	}
	return dur, nil
}

// Lifetime returns τ for a pattern: the shortest lifetime among the SCO
// types it compares, Other if it names none listed (or does not parse).
func (d Decay) Lifetime(src string) time.Duration {
	d = d.withDefaults()
	p, err := pattern.Parse(src)
	if err != nil {
		return d.Other
	}
	best := time.Duration(0)
	for _, typ := range patternTypes(p.Expr) {
		if l, ok := d.Lifetimes[typ]; ok && (best == 0 || l < best) {
			best = l
		}
	}
	if best == 0 {
		return d.Other
	}
	return best
}

// patternTypes returns the object types a pattern's comparisons start
// from, sorted, once each.
func patternTypes(e pattern.Expression) []string {
	var out []string
	var comp func(c pattern.Comparison)
	comp = func(c pattern.Comparison) {
		switch c := c.(type) {
		case *pattern.Test:
			out = append(out, c.Path.ObjectType)
		case *pattern.Exists:
			out = append(out, c.Path.ObjectType)
		case *pattern.BoolExpr:
			comp(c.Left)
			comp(c.Right)
		}
	}
	var obs func(e pattern.Expression)
	obs = func(e pattern.Expression) {
		switch e := e.(type) {
		case *pattern.Observation:
			comp(e.Comparison)
		case *pattern.Combination:
			obs(e.Left)
			obs(e.Right)
		case *pattern.Qualified:
			obs(e.Expr)
		}
	}
	obs(e)
	slices.Sort(out)
	return slices.Compact(out)
}

// Score returns the score at t after the clock started, for lifetime τ.
func (d Decay) Score(t, lifetime time.Duration) float64 {
	d = d.withDefaults()
	if t < 0 {
		t = 0
	}
	if lifetime <= 0 || t >= lifetime {
		return 0
	}
	return d.Base * (1 - math.Pow(float64(t)/float64(lifetime), 1/d.Speed))
}

// ScorePoint is the score at one instant.
type ScorePoint struct {
	At    time.Time
	Score float64
	Reset bool // a sighting restarted the clock here
}

// History returns the score from start (valid_from) to now, with the
// clock restarted at each sighting (those before start or after now are
// ignored): n evenly spaced points (at least 2), plus the instant before
// and at each restart, in time order. The last point is now.
func (d Decay) History(lifetime time.Duration, start, now time.Time, sightings []time.Time, n int) []ScorePoint {
	d = d.withDefaults()
	if !now.After(start) {
		return []ScorePoint{{At: now, Score: d.Score(0, lifetime)}}
	}
	n = max(n, 2)
	var resets []time.Time
	for _, s := range sightings {
		if s.After(start) && !s.After(now) {
			resets = append(resets, s)
		}
	}
	slices.SortFunc(resets, func(a, b time.Time) int { return a.Compare(b) })
	resets = slices.Compact(resets)
	clock := func(at time.Time) time.Time {
		from := start
		for _, r := range resets {
			if !r.After(at) {
				from = r
			}
		}
		return from
	}
	var out []ScorePoint
	span := now.Sub(start)
	for i := range n {
		at := start.Add(time.Duration(float64(span) * float64(i) / float64(n-1)))
		out = append(out, ScorePoint{At: at, Score: d.Score(at.Sub(clock(at)), lifetime)})
	}
	for _, r := range resets {
		before := r.Add(-time.Nanosecond)
		out = append(out, ScorePoint{At: before, Score: d.Score(before.Sub(clock(before)), lifetime)}, ScorePoint{At: r, Score: d.Base, Reset: true})
	}
	slices.SortStableFunc(out, func(a, b ScorePoint) int { return a.At.Compare(b.At) })
	return out
}

// Decayed reports whether a score is below the threshold.
func (d Decay) Decayed(score float64) bool { return score < d.withDefaults().Threshold }
