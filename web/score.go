package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"liaison"
	"liaison/match"
	"liaison/stix/pattern"
)

// scoreView is an indicator's decay score on its page: computed from the
// version shown and the sightings of it that the reader may read (the
// same reader-filtered Related the page lists), so that the score never
// tells of a sighting hidden from the reader.
type scoreView struct {
	Score        int // now, rounded
	Decayed      bool
	Expired      string // why it scores nothing whatever the clock: revoked, past valid_until
	LifetimeDays int
	Since        timeView // when the clock last started
	SinceUTC     string   // the same, RFC 3339 in UTC, for machines
	BySighting   bool     // it started at a sighting, not at valid_from
	Sightings    int
	SVG          template.HTML
}

// sightingTimes returns when each sighting among links was last seen
// (last_seen, else first_seen, else its version), for the indicator id.
func sightingTimes(id string, links []liaison.Version) []time.Time {
	var out []time.Time
	for _, l := range links {
		if l.Type != "sighting" {
			continue
		}
		var s struct {
			Of        string `json:"sighting_of_ref"`
			FirstSeen string `json:"first_seen"`
			LastSeen  string `json:"last_seen"`
		}
		if json.Unmarshal(l.Raw, &s) != nil || s.Of != id {
			continue
		}
		at := l.Modified
		for _, v := range []string{s.LastSeen, s.FirstSeen} {
			if t, ok := pattern.ParseTimestamp(v); ok && v != "" {
				at = t
				break
			}
		}
		out = append(out, at)
	}
	return out
}

// scoreFilter applies a list's score bounds to one version: with none it
// keeps every version; with either it keeps an indicator whose score now
// lies within them, and nothing else. The score counts only the
// sightings the reader may read (the store's reader-filtered Related, as
// on the indicator's page), so that whether a row shows never tells of a
// hidden sighting.
func (s *Server) scoreFilter(p *page, q listQuery, v liaison.Version) (*scoreView, bool, error) {
	if !q.scored() {
		return nil, true, nil
	}
	if v.Type != "indicator" {
		return nil, false, nil
	}
	links, _, err := s.store.Related(p.r.Context(), *p.p, v.ID, liaison.MaxRelated)
	if err != nil {
		return nil, false, fmt.Errorf("score of %s: %w", v.ID, err)
	}
	sv := p.scoreOf(s.cfg.Decay, v.ID, v.Raw, links, s.cfg.Now())
	if sv == nil || !q.scoreIn(sv.Score) {
		return nil, false, nil
	}
	return sv, true, nil
}

// scoreOf scores the indicator version raw at now.
func (p *page) scoreOf(d match.Decay, id string, raw []byte, links []liaison.Version, now time.Time) *scoreView {
	var ind struct {
		Pattern    string `json:"pattern"`
		ValidFrom  string `json:"valid_from"`
		ValidUntil string `json:"valid_until"`
		Revoked    bool   `json:"revoked"`
	}
	if json.Unmarshal(raw, &ind) != nil {
		return nil
	}
	start, ok := pattern.ParseTimestamp(ind.ValidFrom)
	if !ok {
		return nil
	}
	tau := d.Lifetime(ind.Pattern)
	seen := sightingTimes(id, links)
	h := d.History(tau, start, now, seen, 48)
	v := &scoreView{LifetimeDays: int(math.Round(float64(tau) / float64(match.Day))), Sightings: len(seen)}
	since := start
	for _, pt := range h {
		if pt.Reset {
			since, v.BySighting = pt.At, true
		}
	}
	v.Since, v.SinceUTC = p.when(since), since.UTC().Format(time.RFC3339Nano)
	score := h[len(h)-1].Score
	switch {
	case ind.Revoked:
		v.Expired, score = "revoked", 0
	case ind.ValidUntil != "":
		if until, ok := pattern.ParseTimestamp(ind.ValidUntil); ok && !now.Before(until) {
			v.Expired, score = "past its valid_until", 0
		}
	}
	if now.Before(start) {
		score = 0
		v.Expired = "not valid yet"
	}
	v.Score = int(math.Round(score))
	v.Decayed = d.Decayed(score)
	v.SVG = scoreSVG(h, d, start, now)
	return v
}

// scoreSVG draws the score's history: a line from valid_from to now on a
// scale of 0 to the base score, the threshold dashed, each restart by a
// sighting marked. The layout depends only on the points.
func scoreSVG(h []match.ScorePoint, d match.Decay, start, now time.Time) template.HTML {
	const w, ht, pad = 320.0, 90.0, 4.0
	base := d.Base
	if base <= 0 {
		base = match.DefaultDecay().Base
	}
	span := now.Sub(start).Seconds()
	x := func(t time.Time) float64 {
		if span <= 0 {
			return w - pad
		}
		return pad + (w-2*pad)*t.Sub(start).Seconds()/span
	}
	y := func(s float64) float64 { return pad + (ht-2*pad)*(1-s/base) }
	var pts, marks strings.Builder
	for i, pt := range h {
		if i > 0 {
			pts.WriteByte(' ')
		}
		fmt.Fprintf(&pts, "%.1f,%.1f", x(pt.At), y(pt.Score))
		if pt.Reset {
			fmt.Fprintf(&marks, `<circle class="sighting" cx="%.1f" cy="%.1f" r="3"/>`, x(pt.At), y(pt.Score))
		}
	}
	thr := d.Threshold
	if thr <= 0 {
		thr = match.DefaultDecay().Threshold
	}
	last := h[len(h)-1]
	svg := fmt.Sprintf(`<svg class="score-history" role="img" aria-labelledby="score-svg-t score-svg-d" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" xmlns="http://www.w3.org/2000/svg">`+
		`<title id="score-svg-t">Score history</title><desc id="score-svg-d">The score from valid_from to now: %d now%s.</desc>`+
		`<rect class="frame" x="0.5" y="0.5" width="%.0f" height="%.0f" fill="none" stroke="currentColor" stroke-opacity="0.3"/>`+
		`<line class="threshold" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="currentColor" stroke-dasharray="4 3" stroke-opacity="0.6"/>`+
		`<polyline class="score" fill="none" stroke="currentColor" stroke-width="2" points="%s"/>%s</svg>`,
		w, ht, w, ht, int(math.Round(last.Score)), resetWords(h), w-1, ht-1, pad, w-pad, y(thr), y(thr), pts.String(), marks.String())
	return template.HTML(svg) // built here from numbers only
}

func resetWords(h []match.ScorePoint) string {
	n := 0
	for _, pt := range h {
		if pt.Reset {
			n++
		}
	}
	switch n {
	case 0:
		return ", no sighting restarted it"
	case 1:
		return ", restarted by one sighting"
	}
	return fmt.Sprintf(", restarted by %d sightings", n)
}
