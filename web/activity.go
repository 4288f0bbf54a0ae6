package web

import (
	"cmp"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"liaison"
)

// activitySeries is the most series a timeline draws; the rest are
// summed as "other".
const activitySeries = 8

// activityQuery is the activity page's query: the split, and the days
// it covers, ending with To (a midnight in the reader's zone).
type activityQuery struct {
	Split string
	Days  int
	To    time.Time
}

// midnight is the start of t's day in zone.
func midnight(t time.Time, zone *time.Location) time.Time {
	y, m, d := t.In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, zone)
}

func parseActivityQuery(v url.Values, now time.Time, zone *time.Location) (activityQuery, error) {
	q := activityQuery{Split: liaison.SplitCollection, Days: 30, To: midnight(now, zone)}
	for k := range v {
		if k != "split" && k != "days" && k != "to" {
			return q, liaison.Errorf(liaison.EINVALID, "field %s is unknown: the activity page takes split, days and to", truncate(k, 40))
		}
	}
	switch sp := v.Get("split"); sp {
	case "", liaison.SplitCollection:
	case liaison.SplitType, liaison.SplitOriginator:
		q.Split = sp
	default:
		return q, liaison.Errorf(liaison.EINVALID, "field split: %q is not collection, type or originator", truncate(sp, 40))
	}
	if d := v.Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > liaison.MaxActivityDays {
			return q, liaison.Errorf(liaison.EINVALID, "field days: %q is not a number of days from 1 to %d", truncate(d, 40), liaison.MaxActivityDays)
		}
		q.Days = n
	}
	if t := v.Get("to"); t != "" {
		d, err := time.ParseInLocation("2006-01-02", t, zone)
		if err != nil || d.Year() < 1971 || d.Year() > 9998 {
			return q, liaison.Errorf(liaison.EINVALID, "field to: %q is not a date such as 2024-03-31", truncate(t, 40))
		}
		q.To = d
	}
	return q, nil
}

func (q activityQuery) from() time.Time { return q.To.AddDate(0, 0, 1-q.Days) }

// activityView is what the activity page shows.
type activityView struct {
	Q        activityQuery
	Splits   []optionView
	Spans    []optionView
	To       string
	Series   []seriesView
	Days     []dayView
	Total    int
	SVG      template.HTML
	From     string
	Last     string
	EarlierH string
	LaterH   string
}

// seriesView is one series of the timeline: a collection, a type or an
// originator.
type seriesView struct {
	Key, Label, Colour string
	Total              int
	Other              bool // the sum of the smaller series
}

// dayView is one day with something added, for the table.
type dayView struct {
	Day    string
	Counts []int // by series
	Total  int
}

// activity shows how many versions the reader may read were added per
// day, split by collection, type or originator: counts the store makes
// in its query, under the reader's filter.
func (s *Server) activity(p *page) error {
	q, err := parseActivityQuery(p.r.URL.Query(), s.cfg.Now(), p.zone)
	if err != nil {
		return err
	}
	counts, err := s.store.Activity(p.r.Context(), *p.p, liaison.ActivityQuery{From: q.from(), Days: q.Days, Split: q.Split, Zone: p.zone})
	if err != nil {
		return err
	}
	titles := map[string]string{}
	if q.Split == liaison.SplitCollection {
		cs, err := s.readable(p)
		if err != nil {
			return err
		}
		for _, c := range cs {
			titles[c.ID] = c.Title
		}
	}
	av := activityView{Q: q, To: q.To.Format("2006-01-02"), From: q.from().Format("2006-01-02"), Last: q.To.Format("2006-01-02"),
		Splits: options(q.Split, liaison.SplitCollection, "collection", liaison.SplitType, "type", liaison.SplitOriginator, "originator"),
		Spans:  options(strconv.Itoa(q.Days), "7", "7 days", "30", "30 days", "90", "90 days", "365", "a year")}
	if !slices.ContainsFunc(av.Spans, func(o optionView) bool { return o.Selected }) {
		av.Spans = append(av.Spans, optionView{strconv.Itoa(q.Days), strconv.Itoa(q.Days) + " days", true})
	}
	keyOf := func(c liaison.ActivityCount) string {
		if q.Split == liaison.SplitCollection {
			return c.Collection
		}
		return c.Key
	}
	// The series, largest first, then by key; beyond activitySeries the
	// rest are one series, "other".
	totals := map[string]int{}
	for _, c := range counts {
		totals[keyOf(c)] += c.N
		av.Total += c.N
	}
	keys := make([]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
	index := map[string]int{}
	for i, k := range keys {
		if i == activitySeries && len(keys) > activitySeries+1 {
			other := 0
			for _, k2 := range keys[i:] {
				other += totals[k2]
				index[k2] = i
			}
			av.Series = append(av.Series, seriesView{Key: "", Label: strconv.Itoa(len(keys)-i) + " others", Colour: "#6b6b6b", Total: other, Other: true})
			break
		}
		index[k] = i
		label := k
		if t, ok := titles[k]; ok {
			label = t
		}
		av.Series = append(av.Series, seriesView{Key: k, Label: label, Colour: seriesColour(i), Total: totals[k]})
	}
	// Per day, per series.
	from := q.from()
	grid := make([][]int, q.Days)
	dayIndex := map[string]int{}
	for d := range q.Days {
		dayIndex[from.AddDate(0, 0, d).Format("2006-01-02")] = d
	}
	for _, c := range counts {
		d, ok := dayIndex[c.Day.In(p.zone).Format("2006-01-02")]
		if !ok {
			continue
		}
		if grid[d] == nil {
			grid[d] = make([]int, len(av.Series))
		}
		grid[d][index[keyOf(c)]] += c.N
	}
	for d, row := range grid {
		if row == nil {
			continue
		}
		dv := dayView{Day: from.AddDate(0, 0, d).Format("2006-01-02"), Counts: row}
		for _, n := range row {
			dv.Total += n
		}
		av.Days = append(av.Days, dv)
	}
	earlier := url.Values{"split": {q.Split}, "days": {strconv.Itoa(q.Days)}, "to": {from.AddDate(0, 0, -1).Format("2006-01-02")}}
	av.EarlierH = withValues("/activity", earlier)
	if today := midnight(s.cfg.Now(), p.zone); q.To.Before(today) {
		later := q.To.AddDate(0, 0, q.Days)
		if later.After(today) {
			later = today
		}
		av.LaterH = withValues("/activity", url.Values{"split": {q.Split}, "days": {strconv.Itoa(q.Days)}, "to": {later.Format("2006-01-02")}})
	}
	av.SVG = drawTimeline(av, grid, from)
	return p.render(http.StatusOK, "activity.html", "Activity", "activity", av)
}

// drawTimeline draws the days as stacked bars, one colour a series, with
// a scale and the first day of each month (or each week) marked.
func drawTimeline(av activityView, grid [][]int, from time.Time) template.HTML {
	const w, h, left, right, top, bottom = 960.0, 260.0, 48.0, 12.0, 12.0, 42.0
	days := len(grid)
	most := 0
	for _, row := range grid {
		t := 0
		for _, n := range row {
			t += n
		}
		most = max(most, t)
	}
	step := niceStep(most)
	ceil := max(step, ((most+step-1)/step)*step)
	plotW, plotH := w-left-right, h-top-bottom
	bw := plotW / float64(max(days, 1))
	y := func(n int) float64 { return top + plotH - plotH*float64(n)/float64(ceil) }
	var s svg
	label := "Versions added per day from " + av.From + " to " + av.Last + ", " + strconv.Itoa(av.Total) + " in all, split by " + av.Q.Split
	s.open("svg", "xmlns", "http://www.w3.org/2000/svg", "viewBox", "0 0 "+num(w)+" "+num(h), "class", "timeline", "role", "img", "aria-label", label)
	s.elem("title", label)
	s.open("g", "class", "axis")
	for n := 0; n <= ceil; n += step {
		s.empty("line", "x1", num(left), "x2", num(w-right), "y1", num(y(n)), "y2", num(y(n)), "class", "grid")
		s.elem("text", strconv.Itoa(n), "x", num(left-6), "y", num(y(n)+4), "text-anchor", "end")
	}
	for d := 0; d < days; d++ {
		day := from.AddDate(0, 0, d)
		mark := day.Day() == 1 || d == 0
		if days <= 31 {
			mark = d%7 == 0
		}
		if mark {
			x := left + bw*float64(d)
			s.empty("line", "x1", num(x), "x2", num(x), "y1", num(top+plotH), "y2", num(top+plotH+5), "class", "tick")
			s.elem("text", day.Format("2 Jan"), "x", num(x), "y", num(top+plotH+18), "text-anchor", "start")
		}
	}
	s.close("g")
	s.open("g", "class", "bars")
	for d, row := range grid {
		acc := 0
		for i, n := range row {
			if n == 0 {
				continue
			}
			x := left + bw*float64(d)
			s.open("rect", "x", num(x+bw*0.1), "width", num(max(bw*0.8, 1)), "y", num(y(acc+n)), "height", num(y(acc)-y(acc+n)), "fill", av.Series[i].Colour)
			s.elem("title", from.AddDate(0, 0, d).Format("2006-01-02")+": "+strconv.Itoa(n)+" "+av.Series[i].Label)
			s.close("rect")
			acc += n
		}
	}
	s.close("g")
	s.close("svg")
	return s.html()
}

// niceStep is a step of 1, 2 or 5 times a power of ten that cuts 0..most
// into at most five parts.
func niceStep(most int) int {
	if most <= 5 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if most/(m*p) <= 5 {
				return m * p
			}
		}
	}
}
