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
// time order. Otherwise slots are ranked by fairest burden: fewest
// participants out of hours, then the least time out of hours for the
// worst-off participant, then the least in total, then the earliest.
// Proposals never overlap each other: a lower-ranked slot that overlaps a
// chosen one is skipped. Local times are computed with the IANA zone
// rules, so daylight-saving changes inside the range are honoured.
// EINVALID for a bad request.
func ProposeSlots(req liaison.SlotRequest, d *liaison.Directory) ([]liaison.Slot, error) {
	if req.Duration <= 0 || req.Duration > 24*time.Hour {
		return nil, liaison.Errorf(liaison.EINVALID, "slot duration must be between 1 minute and 24 hours, not %s", req.Duration)
	}
	if req.From.IsZero() || req.To.IsZero() || !req.To.After(req.From) {
		return nil, liaison.Errorf(liaison.EINVALID, "slot range needs a start (from) before its end (to)")
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
		return nil, liaison.Errorf(liaison.EINVALID, "slot step %s is shorter than %s", step, MinSlotStep)
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
		members = append(members, member{code, zone, loc})
	}

	var all []liaison.Slot
	first := req.From.Truncate(step)
	if first.Before(req.From) {
		first = first.Add(step)
	}
	for s := first; !s.Add(req.Duration).After(req.To); s = s.Add(step) {
		e := s.Add(req.Duration)
		slot := liaison.Slot{Start: s.UTC(), End: e.UTC(), Local: make([]liaison.LocalTime, 0, len(members))}
		for _, m := range members {
			out := int((req.Duration - inHours(s, e, m.loc, hours)) / time.Minute)
			ls := s.In(m.loc)
			slot.Local = append(slot.Local, liaison.LocalTime{
				Org: m.code, Zone: m.zone, Weekday: ls.Weekday().String()[:3],
				Start: ls.Format(time.RFC3339), End: e.In(m.loc).Format(time.RFC3339),
				InHours: out == 0, MinutesOut: out,
			})
			if out > 0 {
				slot.OutOfHours++
				slot.TotalMinutesOut += out
				slot.WorstMinutesOut = max(slot.WorstMinutesOut, out)
			}
		}
		all = append(all, slot)
	}
	if len(all) == 0 {
		return nil, liaison.Errorf(liaison.EINVALID, "a %s meeting does not fit between %s and %s", req.Duration, stamp(req.From), stamp(req.To))
	}
	inside := slices.ContainsFunc(all, func(s liaison.Slot) bool { return s.OutOfHours == 0 })
	if inside {
		all = slices.DeleteFunc(all, func(s liaison.Slot) bool { return s.OutOfHours > 0 })
	} else {
		sort.SliceStable(all, func(i, j int) bool {
			a, b := all[i], all[j]
			if a.OutOfHours != b.OutOfHours {
				return a.OutOfHours < b.OutOfHours
			}
			if a.WorstMinutesOut != b.WorstMinutesOut {
				return a.WorstMinutesOut < b.WorstMinutesOut
			}
			if a.TotalMinutesOut != b.TotalMinutesOut {
				return a.TotalMinutesOut < b.TotalMinutesOut
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

// inHours returns how much of [s, e) falls inside the working hours in loc.
// Each local day's window is built from the wall clock in loc, so a day
// on which daylight-saving time begins or ends is handled by the zone
// rules.
func inHours(s, e time.Time, loc *time.Location, h liaison.WorkingHours) time.Duration {
	ls := s.In(loc)
	var total time.Duration
	for i := -1; ; i++ {
		day := time.Date(ls.Year(), ls.Month(), ls.Day()+i, 0, 0, 0, 0, loc)
		if !day.Before(e) {
			break
		}
		if !slices.Contains(h.Days, day.Weekday()) {
			continue
		}
		ws := time.Date(day.Year(), day.Month(), day.Day(), 0, h.Start, 0, 0, loc)
		we := time.Date(day.Year(), day.Month(), day.Day(), 0, h.End, 0, 0, loc)
		lo, hi := s, e
		if ws.After(lo) {
			lo = ws
		}
		if we.Before(hi) {
			hi = we
		}
		if hi.After(lo) {
			total += hi.Sub(lo)
		}
	}
	return total
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
