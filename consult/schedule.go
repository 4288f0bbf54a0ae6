package consult

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// Scheduling limits.
const (
	MaxSlotRange = 62 * 24 * time.Hour // the longest range searched
	MinSlotStep  = 5 * time.Minute
	MaxSlots     = 100
)

// ProposeSlots proposes meeting slots for req under d. Each participant
// organisation (communities expanded) works in its home time zone
// (Organisation.TimeZone, UTC when empty) during req.Hours. Start times
// fall on multiples of req.Step inside [From, To-Duration].
//
// When slots exist inside everyone's working hours, those are returned in
// time order. Otherwise slots are ranked by fair burden (see
// LocalTime.Burden): how far outside each participant's working day the
// meeting falls, so that an hour at 07:00 weighs far less than one at
// 01:00, night more, and a weekend or public holiday more again. The
// order is the worst-off participant's burden first, then the sum over
// participants, then the earliest start.
// Proposals never overlap each other: a lower-ranked slot that overlaps a
// chosen one is skipped. Local times are computed with the IANA zone
// rules, so daylight-saving changes inside the range are honoured.
// EINVALID for a bad request.
func ProposeSlots(req liaison.SlotRequest, d *liaison.Directory) ([]liaison.Slot, error) {
	if req.Duration <= 0 || req.Duration > 24*time.Hour {
		return nil, liaison.Errorf(liaison.EINVALID, "duration_minutes: a meeting lasts between 1 minute and 24 hours, not %s", spoken(req.Duration))
	}
	if req.From.IsZero() || req.To.IsZero() || !req.To.After(req.From) {
		return nil, liaison.Errorf(liaison.EINVALID, "from and to: the range needs a start (from) before its end (to)")
	}
	if req.To.Sub(req.From) > MaxSlotRange {
		return nil, liaison.Errorf(liaison.EINVALID, "slot range %s to %s is longer than %d days", stamp(req.From), stamp(req.To), int(MaxSlotRange/(24*time.Hour)))
	}
	hours := req.Hours
	if hours.Start == 0 && hours.End == 0 && hours.Days == nil {
		hours = liaison.DefaultWorkingHours()
	}
	if hours.Start < 0 || hours.End > 24*60 || hours.Start >= hours.End {
		return nil, liaison.Errorf(liaison.EINVALID, "working hours %s–%s are not a day's span", clock(hours.Start), clock(hours.End))
	}
	if len(hours.Days) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "working hours need at least one working day")
	}
	step := req.Step
	if step == 0 {
		step = 30 * time.Minute
	}
	if step < MinSlotStep {
		return nil, liaison.Errorf(liaison.EINVALID, "step_minutes: a step of %s is shorter than %s", spoken(step), spoken(MinSlotStep))
	}
	if step%time.Minute != 0 || req.Duration%time.Minute != 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "step_minutes and duration_minutes must be whole minutes, not %s and %s", spoken(step), spoken(req.Duration))
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, MaxSlots)
	if len(req.Participants) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "slot request needs participants")
	}
	for i, p := range req.Participants {
		if _, ok := d.Organisation(p); !ok && !d.HasCommunity(p) {
			return nil, liaison.Errorf(liaison.EINVALID, "participants[%d]: %q is neither an organisation nor a community on the hub", i, p)
		}
	}
	orgs := d.Expand(req.Participants...)
	if len(orgs) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "participants %v stand for no organisation on the hub", req.Participants)
	}
	holidays := map[string][]int64{}
	for code, dates := range req.Holidays {
		for i, ds := range dates {
			day, err := time.Parse(time.DateOnly, ds)
			if err != nil {
				return nil, liaison.Errorf(liaison.EINVALID, "holidays %s[%d]: want a date such as 2026-03-20, not %q", code, i, ds)
			}
			holidays[code] = append(holidays[code], day.Unix()/86400)
		}
	}
	type member struct {
		code, zone string
		loc        *time.Location
	}
	members := make([]member, 0, len(orgs))
	for _, code := range orgs {
		o, _ := d.Organisation(code)
		zone := o.TimeZone
		if zone == "" {
			zone = "UTC"
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return nil, liaison.Errorf(liaison.EINVALID, "organisation %s: time zone %q is not an IANA zone name", code, zone)
		}
		members = append(members, member{code: code, zone: zone, loc: loc})
	}

	var all []liaison.Slot
	first := req.From.Truncate(step)
	if first.Before(req.From) {
		first = first.Add(step)
	}
	dur := int(req.Duration / time.Minute)
	for s := first; !s.Add(req.Duration).After(req.To); s = s.Add(step) {
		all = append(all, liaison.Slot{Start: s.UTC(), End: s.Add(req.Duration).UTC(), Local: make([]liaison.LocalTime, 0, len(members))})
	}
	// One participant at a time, so that only one set of running sums
	// is held at once.
	span := int(req.To.Sub(first) / time.Minute)
	for _, m := range members {
		cost := costMinutes(first, max(span, 0), m.loc, hours, holidays[m.code])
		for i := range all {
			slot := &all[i]
			k := int(slot.Start.Sub(first) / time.Minute)
			out, weight, night, off := cost.between(k, k+dur)
			burden := int(weight / 60)
			ls := slot.Start.In(m.loc)
			slot.Local = append(slot.Local, liaison.LocalTime{
				Org: m.code, Zone: m.zone, Weekday: ls.Weekday().String()[:3],
				Start: ls.Format(time.RFC3339), End: slot.End.In(m.loc).Format(time.RFC3339),
				InHours: out == 0, MinutesOut: out, Burden: burden, Night: night > 0, DayOff: off > 0,
			})
			if out > 0 {
				slot.OutOfHours++
				slot.TotalMinutesOut += out
				slot.WorstMinutesOut = max(slot.WorstMinutesOut, out)
			}
			slot.TotalBurden += burden
			slot.WorstBurden = max(slot.WorstBurden, burden)
		}
	}
	if len(all) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "a meeting of %s does not fit between %s and %s", spoken(req.Duration), stamp(req.From), stamp(req.To))
	}
	inside := slices.ContainsFunc(all, func(s liaison.Slot) bool { return s.OutOfHours == 0 })
	if inside {
		all = slices.DeleteFunc(all, func(s liaison.Slot) bool { return s.OutOfHours > 0 })
	} else {
		sort.SliceStable(all, func(i, j int) bool {
			a, b := all[i], all[j]
			if a.WorstBurden != b.WorstBurden {
				return a.WorstBurden < b.WorstBurden
			}
			if a.TotalBurden != b.TotalBurden {
				return a.TotalBurden < b.TotalBurden
			}
			return a.Start.Before(b.Start)
		})
	}
	var picked []liaison.Slot
	for _, s := range all {
		if len(picked) == limit {
			break
		}
		if slices.ContainsFunc(picked, func(p liaison.Slot) bool { return s.Start.Before(p.End) && p.Start.Before(s.End) }) {
			continue
		}
		picked = append(picked, s)
	}
	return picked, nil
}

// Burden weights, per minute (see liaison.LocalTime.Burden).
const (
	nightStart, nightEnd = 0, 6 * 60 // local clock minutes
	nightFactor          = 3
	dayOffFactor         = 4
)

// minuteCost holds one participant's running sums, minute by minute from
// the first candidate start: minutes out of hours, weighted minutes (×60),
// night minutes and day-off minutes. The sums make each slot's cost a
// subtraction, whatever its length.
type minuteCost struct {
	out, weight, night, off []int64
}

func (c *minuteCost) between(a, b int) (out int, weight int64, night, off int) {
	return int(c.out[b] - c.out[a]), c.weight[b] - c.weight[a], int(c.night[b] - c.night[a]), int(c.off[b] - c.off[a])
}

// costMinutes weighs n minutes from first for a participant in loc. The
// local wall clock comes from the zone rules, refreshed whenever the
// zone's offset period ends, so daylight-saving changes are honoured.
// holidays are local days, as days since 1970-01-01.
func costMinutes(first time.Time, n int, loc *time.Location, h liaison.WorkingHours, holidays []int64) *minuteCost {
	c := &minuteCost{out: make([]int64, n+1), weight: make([]int64, n+1), night: make([]int64, n+1), off: make([]int64, n+1)}
	var offset int64
	var periodEnd time.Time
	for i := range n {
		t := first.Add(time.Duration(i) * time.Minute)
		if periodEnd.IsZero() || !t.Before(periodEnd) {
			lt := t.In(loc)
			_, off := lt.Zone()
			offset = int64(off)
			_, periodEnd = lt.ZoneBounds()
			if periodEnd.IsZero() {
				periodEnd = t.Add(100 * 365 * 24 * time.Hour) // a zone with no further change
			}
		}
		wall := t.Unix() + offset
		day := floorDiv(wall, 86400)
		clockMin := int((wall - day*86400) / 60)
		weekday := time.Weekday((day + 4) % 7) // 1970-01-01 was a Thursday
		dayOff := !slices.Contains(h.Days, weekday) || slices.Contains(holidays, day)
		inClock := clockMin >= h.Start && clockMin < h.End
		var w, out, night, off int64
		if !inClock || dayOff {
			out = 1
			d := 0
			if !inClock {
				d = min((h.Start-clockMin+1440)%1440, (clockMin-h.End+1440)%1440)
			}
			w = int64(60 + d)
			if clockMin >= nightStart && clockMin < nightEnd {
				w *= nightFactor
				night = 1
			}
			if dayOff {
				w *= dayOffFactor
				off = 1
			}
		}
		c.out[i+1] = c.out[i] + out
		c.weight[i+1] = c.weight[i] + w
		c.night[i+1] = c.night[i] + night
		c.off[i+1] = c.off[i] + off
	}
	return c
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// spoken says a duration in words, such as "90 minutes" or "25 hours".
func spoken(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d != 0:
		return plural(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// ParseClock reads a local time of day "HH:MM" (00:00 to 24:00) as
// minutes after midnight. EINVALID otherwise.
func ParseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(hh) != 2 || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, liaison.Errorf(liaison.EINVALID, "time of day %q is malformed: want HH:MM such as 08:00", s)
	}
	return h*60 + m, nil
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseDays reads working days as a comma-separated list of three-letter
// weekday names or ranges, such as "mon-fri" or "sun-thu,sat".
// EINVALID otherwise.
func ParseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(strings.ToLower(strings.TrimSpace(s)), ",") {
		a, b, isRange := strings.Cut(strings.TrimSpace(part), "-")
		from, ok1 := weekdays[a]
		to, ok2 := from, true
		if isRange {
			to, ok2 = weekdays[b]
		}
		if !ok1 || !ok2 {
			return nil, liaison.Errorf(liaison.EINVALID, "working days %q are malformed: want names such as mon-fri or sun-thu,sat", s)
		}
		for d := from; ; d = (d + 1) % 7 {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
			if d == to {
				break
			}
		}
	}
	return out, nil
}

// SeriesWeek is one meeting of a weekly series and the burden each
// participant has carried up to and including it.
type SeriesWeek struct {
	Slot       liaison.Slot
	Cumulative map[string]int // by organisation code
}

// ProposeSeries plans a weekly series of n meetings: week i searches
// [From+7i days, To+7i days) for req's meeting. It rotates the burden: each
// week it takes the slot that leaves the worst-off participant's
// cumulative burden lowest (then the lowest cumulative sum, then the
// earliest), so that no participant carries the night slot week after
// week when another slot exists. EINVALID for a bad request or n outside
// 1 to 52.
func ProposeSeries(req liaison.SlotRequest, n int, d *liaison.Directory) ([]SeriesWeek, error) {
	if n < 1 || n > 52 {
		return nil, liaison.Errorf(liaison.EINVALID, "weeks: a series has 1 to 52 weekly meetings, not %d", n)
	}
	cum := map[string]int{}
	var out []SeriesWeek
	for i := range n {
		week := req
		week.From = req.From.AddDate(0, 0, 7*i)
		week.To = req.To.AddDate(0, 0, 7*i)
		week.Limit = MaxSlots
		slots, err := ProposeSlots(week, d)
		if err != nil {
			return nil, err
		}
		best, bestWorst, bestSum := -1, 0, 0
		for j, s := range slots {
			worst, sum := 0, 0
			for _, l := range s.Local {
				c := cum[l.Org] + l.Burden
				worst = max(worst, c)
				sum += c
			}
			if best < 0 || worst < bestWorst || (worst == bestWorst && sum < bestSum) {
				best, bestWorst, bestSum = j, worst, sum
			}
		}
		s := slots[best]
		w := SeriesWeek{Slot: s, Cumulative: map[string]int{}}
		for _, l := range s.Local {
			cum[l.Org] += l.Burden
		}
		for k, v := range cum {
			w.Cumulative[k] = v
		}
		out = append(out, w)
	}
	return out, nil
}
