package consult

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

func zoned() *liaison.Directory {
	return liaison.NewDirectory([]liaison.Organisation{
		{Code: "NATO-IS", Name: "NATO International Staff", Kind: liaison.NATOBody, TimeZone: "Europe/Brussels"},
		{Code: "USA", Name: "United States", Kind: liaison.Ally, TimeZone: "America/New_York"},
		{Code: "FRA", Name: "France", Kind: liaison.Ally, TimeZone: "Europe/Paris"},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner, TimeZone: "Asia/Tokyo"},
		{Code: "AUS", Name: "Australia", Kind: liaison.Partner, TimeZone: "Australia/Sydney"},
		{Code: "KOR", Name: "Korea", Kind: liaison.Partner, TimeZone: "Asia/Seoul"},
		{Code: "NZL", Name: "New Zealand", Kind: liaison.Partner, TimeZone: "Pacific/Auckland"},
		{Code: "ISL", Name: "Iceland", Kind: liaison.Ally}, // no zone: UTC
	}, nil, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func local(s liaison.Slot, org string) liaison.LocalTime {
	for _, l := range s.Local {
		if l.Org == org {
			return l
		}
	}
	return liaison.LocalTime{}
}

// Washington moves to daylight time on 8 March 2026, Brussels only on 29
// March: for three weeks the common window opens an hour earlier in UTC.
func TestSlotsAcrossUSDaylightSaving(t *testing.T) {
	slots, err := ProposeSlots(liaison.SlotRequest{
		Participants: []string{"NATO-IS", "USA"},
		Duration:     time.Hour,
		From:         utc("2026-03-06T00:00:00Z"), // Friday
		To:           utc("2026-03-10T00:00:00Z"), // Tuesday
	}, zoned())
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, s := range slots {
		starts = append(starts, s.Start.Format(time.RFC3339))
		if s.OutOfHours != 0 {
			t.Fatalf("slot %v is out of hours for someone", s)
		}
	}
	want := []string{
		"2026-03-06T13:00:00Z", "2026-03-06T14:00:00Z", "2026-03-06T15:00:00Z", "2026-03-06T16:00:00Z",
		"2026-03-09T12:00:00Z", "2026-03-09T13:00:00Z", "2026-03-09T14:00:00Z", "2026-03-09T15:00:00Z", "2026-03-09T16:00:00Z",
	}
	if !slices.Equal(starts, want) {
		t.Fatalf("starts\n%v\nwant\n%v", starts, want)
	}
	fri, mon := slots[0], slots[4]
	for _, c := range []struct {
		slot      liaison.Slot
		org, want string
	}{
		{fri, "USA", "2026-03-06T08:00:00-05:00"},
		{fri, "NATO-IS", "2026-03-06T14:00:00+01:00"},
		{mon, "USA", "2026-03-09T08:00:00-04:00"},
		{mon, "NATO-IS", "2026-03-09T13:00:00+01:00"},
	} {
		if got := local(c.slot, c.org); got.Start != c.want || !got.InHours {
			t.Errorf("%s local start %q (in hours %v), want %q", c.org, got.Start, got.InHours, c.want)
		}
	}
	if l := local(mon, "USA"); l.Weekday != "Mon" || l.Zone != "America/New_York" {
		t.Errorf("local %+v", l)
	}
}

// Brussels moves to summer time on 29 March 2026; Tokyo keeps UTC+9. The
// window for a two-hour meeting opens at 07:00Z before and 06:00Z after.
func TestSlotsAcrossEuropeanDaylightSaving(t *testing.T) {
	slots, err := ProposeSlots(liaison.SlotRequest{
		Participants: []string{"NATO-IS", "JPN"},
		Duration:     2 * time.Hour,
		From:         utc("2026-03-27T00:00:00Z"),
		To:           utc("2026-03-31T00:00:00Z"),
	}, zoned())
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 2 || !slots[0].Start.Equal(utc("2026-03-27T07:00:00Z")) || !slots[1].Start.Equal(utc("2026-03-30T06:00:00Z")) {
		t.Fatalf("slots %+v", slots)
	}
	if l := local(slots[1], "NATO-IS"); l.Start != "2026-03-30T08:00:00+02:00" {
		t.Fatalf("Brussels after the change: %+v", l)
	}
	if l := local(slots[1], "JPN"); l.Start != "2026-03-30T15:00:00+09:00" || l.End != "2026-03-30T17:00:00+09:00" {
		t.Fatalf("Tokyo: %+v", l)
	}
}

// burdenOracle is an independent, minute-by-minute oracle of what a slot
// costs one participant under the default working hours: every minute
// out of hours weighs 1 + its hours of clock distance to 08:00–18:00,
// three times that between 00:00 and 06:00, four times on a weekend
// (where every minute counts, in clock hours too). Burden is the sum
// divided by 60, rounded down: weighted minutes.
func burdenOracle(t *testing.T, zone string, s, e time.Time) int {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for m := s; m.Before(e); m = m.Add(time.Minute) {
		l := m.In(loc)
		c := l.Hour()*60 + l.Minute()
		weekend := l.Weekday() == time.Saturday || l.Weekday() == time.Sunday
		inClock := c >= 8*60 && c < 18*60
		if inClock && !weekend {
			continue
		}
		d := 0
		if !inClock {
			// Clock distance to the window, across midnight either way.
			d = min((8*60-c+1440)%1440, (c-18*60+1440)%1440)
		}
		w := 60 + d
		if c < 6*60 {
			w *= 3
		}
		if weekend {
			w *= 4
		}
		sum += w
	}
	return sum / 60
}

// The four: Brussels, Washington, Tokyo and Sydney share no
// working hour. The slots are ranked by the worst-off participant's
// burden, then the sum, checked against the oracle; the top slot puts
// nobody between 00:00 and 06:00 local, nor on a weekend.
func TestSlotsNoCommonHours(t *testing.T) {
	d := zoned()
	orgs := []string{"NATO-IS", "USA", "JPN", "AUS"}
	req := liaison.SlotRequest{Participants: orgs, Duration: time.Hour, From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-09T00:00:00Z"), Limit: 5}
	slots, err := ProposeSlots(req, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 {
		t.Fatalf("%d slots", len(slots))
	}
	zone := map[string]string{}
	for _, c := range orgs {
		o, _ := d.Organisation(c)
		zone[c] = o.TimeZone
	}
	type key struct{ worst, total int }
	score := func(s, e time.Time) key {
		var k key
		for _, c := range orgs {
			b := burdenOracle(t, zone[c], s, e)
			k.worst = max(k.worst, b)
			k.total += b
		}
		return k
	}
	less := func(a, b key) bool {
		if a.worst != b.worst {
			return a.worst < b.worst
		}
		return a.total < b.total
	}
	best := key{1 << 30, 1 << 30}
	for s := req.From; !s.Add(req.Duration).After(req.To); s = s.Add(30 * time.Minute) {
		if k := score(s, s.Add(req.Duration)); less(k, best) {
			best = k
		}
	}
	prev := key{}
	for i, s := range slots {
		k := score(s.Start, s.End)
		if k.worst != s.WorstBurden || k.total != s.TotalBurden {
			t.Fatalf("slot %d at %s: burden (%d,%d), oracle (%d,%d)", i, s.Start, s.WorstBurden, s.TotalBurden, k.worst, k.total)
		}
		for _, l := range s.Local {
			if b := burdenOracle(t, zone[l.Org], s.Start, s.End); b != l.Burden {
				t.Fatalf("slot %d %s: burden %d, oracle %d", i, l.Org, l.Burden, b)
			}
		}
		if i == 0 && k != best {
			t.Fatalf("first slot %+v, oracle best %+v", k, best)
		}
		if i > 0 && less(k, prev) {
			t.Fatalf("slot %d ranks better than slot %d", i, i-1)
		}
		prev = k
		if len(s.Local) != 4 {
			t.Fatalf("slot %d shows %d local times", i, len(s.Local))
		}
		for j := 0; j < i; j++ {
			if s.Start.Before(slots[j].End) && slots[j].Start.Before(s.End) {
				t.Fatalf("slots %d and %d overlap", j, i)
			}
		}
	}
	for _, l := range slots[0].Local {
		ls, _ := time.Parse(time.RFC3339, l.Start)
		le, _ := time.Parse(time.RFC3339, l.End)
		if l.Night || ls.Hour() < 6 || (le.Hour() < 6 && le.Hour()*60+le.Minute() > 0) || l.Weekday == "Sat" || l.Weekday == "Sun" || l.DayOff {
			t.Fatalf("top slot %s puts %s at %s–%s (%s)", slots[0].Start, l.Org, l.Start, l.End, l.Weekday)
		}
	}
	// The worked example of the issue: 22:00Z on Monday (23:00 Brussels,
	// 17:00 Washington, 07:00 Tokyo, 09:00 Sydney) weighs less than
	// 00:00Z on Monday (01:00 Brussels, a Sunday evening in Washington),
	// although both leave two participants an hour out of hours.
	late, early := score(utc("2026-03-02T22:00:00Z"), utc("2026-03-02T23:00:00Z")), score(utc("2026-03-02T00:00:00Z"), utc("2026-03-02T01:00:00Z"))
	if !less(late, early) {
		t.Fatalf("22:00Z Monday %+v does not rank above 00:00Z Monday %+v", late, early)
	}
	if !less(key{slots[0].WorstBurden, slots[0].TotalBurden}, early) {
		t.Fatalf("top slot %+v is no better than 01:00 Brussels %+v", slots[0], early)
	}
}

// An hour at 07:00 weighs far less than one at 01:00; night more still; a
// weekend more again. One participant, table of single slots.
func TestSlotBurdenWeights(t *testing.T) {
	d := zoned()
	tests := []struct {
		name, start string // ISL works in UTC
		want        int
	}{
		{"in hours", "2026-03-02T09:00:00Z", 0},
		{"07:00", "2026-03-02T07:00:00Z", 90},           // 60 × (1 + 0.5 average hours away)
		{"18:00", "2026-03-02T18:00:00Z", 89},           // just after the day
		{"23:00", "2026-03-02T23:00:00Z", 389},          // 5 to 6 hours away
		{"01:00 night", "2026-03-03T01:00:00Z", 1351},   // 7 to 6 hours away, ×3
		{"Saturday 10:00", "2026-03-07T10:00:00Z", 240}, // a day off, ×4
		{"Sunday 01:00", "2026-03-08T01:00:00Z", 5406},  // night on a day off
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := utc(tt.start)
			slots, err := ProposeSlots(liaison.SlotRequest{Participants: []string{"ISL"}, Duration: time.Hour, From: s, To: s.Add(time.Hour)}, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(slots) != 1 || slots[0].Local[0].Burden != tt.want || slots[0].WorstBurden != tt.want {
				t.Fatalf("burden %+v, want %d", slots, tt.want)
			}
			if o := burdenOracle(t, "UTC", s, s.Add(time.Hour)); o != tt.want {
				t.Fatalf("oracle %d, want %d", o, tt.want)
			}
		})
	}
}

// A public holiday weighs like a weekend for the organisation that keeps it.
func TestSlotHolidays(t *testing.T) {
	s := utc("2026-03-20T09:00:00Z") // a Friday: Vernal Equinox Day in Japan
	slots, err := ProposeSlots(liaison.SlotRequest{
		Participants: []string{"ISL", "JPN"}, Duration: time.Hour, From: s, To: s.Add(time.Hour),
		Holidays: map[string][]string{"JPN": {"2026-03-20"}},
	}, zoned())
	if err != nil {
		t.Fatal(err)
	}
	if l := local(slots[0], "JPN"); !l.DayOff || l.Burden == 0 {
		t.Fatalf("JPN on its holiday: %+v", l)
	}
	if l := local(slots[0], "ISL"); l.DayOff || l.Burden != 0 {
		t.Fatalf("ISL keeps no holiday: %+v", l)
	}
	if _, err := ProposeSlots(liaison.SlotRequest{Participants: []string{"JPN"}, Duration: time.Hour, From: s, To: s.Add(time.Hour), Holidays: map[string][]string{"JPN": {"20 March"}}}, zoned()); liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), "holidays") {
		t.Fatalf("bad holiday: %v", err)
	}
}

// Each participant's local time is right in its own zone, including an
// organisation with no zone (UTC) and a weekend day.
func TestSlotsLocalTimesAndWeekends(t *testing.T) {
	slots, err := ProposeSlots(liaison.SlotRequest{
		Participants: []string{"IP4", "ISL"},
		Duration:     30 * time.Minute,
		From:         utc("2026-03-07T00:00:00Z"), // Saturday
		To:           utc("2026-03-08T00:00:00Z"),
		Limit:        1,
	}, zoned())
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 1 || slots[0].OutOfHours != 5 {
		t.Fatalf("on a Saturday everyone is out of hours: %+v", slots)
	}
	if l := local(slots[0], "ISL"); l.Zone != "UTC" || l.Weekday != "Sat" {
		t.Fatalf("ISL %+v", l)
	}
	if l := local(slots[0], "NZL"); l.Zone != "Pacific/Auckland" {
		t.Fatalf("NZL %+v", l)
	}
}

func TestSlotsCustomHours(t *testing.T) {
	// Sunday to Thursday, 07:00 to 15:00.
	days, err := ParseDays("sun-thu")
	if err != nil {
		t.Fatal(err)
	}
	slots, err := ProposeSlots(liaison.SlotRequest{
		Participants: []string{"ISL"}, Duration: time.Hour,
		From: utc("2026-03-06T00:00:00Z"), To: utc("2026-03-09T00:00:00Z"),
		Hours: liaison.WorkingHours{Start: 7 * 60, End: 15 * 60, Days: days}, Step: time.Hour, Limit: 100,
	}, zoned())
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 8 || !slots[0].Start.Equal(utc("2026-03-08T07:00:00Z")) || !slots[7].Start.Equal(utc("2026-03-08T14:00:00Z")) {
		t.Fatalf("slots %+v", slots)
	}
}

func TestSlotRequestRefusals(t *testing.T) {
	d := zoned()
	from, to := utc("2026-03-02T00:00:00Z"), utc("2026-03-03T00:00:00Z")
	tests := []struct {
		name string
		req  liaison.SlotRequest
	}{
		{"no duration", liaison.SlotRequest{Participants: []string{"JPN"}, From: from, To: to}},
		{"too long", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: 25 * time.Hour, From: from, To: to}},
		{"range backwards", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: time.Hour, From: to, To: from}},
		{"range too long", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: time.Hour, From: from, To: from.Add(100 * 24 * time.Hour)}},
		{"no participants", liaison.SlotRequest{Duration: time.Hour, From: from, To: to}},
		{"unknown participant", liaison.SlotRequest{Participants: []string{"JPN", "XXX"}, Duration: time.Hour, From: from, To: to}},
		{"does not fit", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: 2 * time.Hour, From: from, To: from.Add(time.Hour)}},
		{"bad hours", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: time.Hour, From: from, To: to, Hours: liaison.WorkingHours{Start: 600, End: 500, Days: []time.Weekday{1}}}},
		{"no days", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: time.Hour, From: from, To: to, Hours: liaison.WorkingHours{Start: 500, End: 600, Days: []time.Weekday{}}}},
		{"tiny step", liaison.SlotRequest{Participants: []string{"JPN"}, Duration: time.Hour, From: from, To: to, Step: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ProposeSlots(tt.req, d)
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("got %v, want invalid", err)
			}
		})
	}
}

func TestParseClockAndDays(t *testing.T) {
	for in, want := range map[string]int{"08:00": 480, "18:30": 1110, "00:00": 0, "24:00": 1440} {
		if got, err := ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "8:00", "24:01", "12:60", "ab:cd", "12-00", "-1:00"} {
		if _, err := ParseClock(bad); liaison.ErrorCode(err) != liaison.EINVALID {
			t.Errorf("ParseClock(%q) = %v", bad, err)
		}
	}
	days, err := ParseDays("fri-mon,wed")
	if err != nil || !slices.Equal(days, []time.Weekday{5, 6, 0, 1, 3}) {
		t.Errorf("ParseDays: %v %v", days, err)
	}
	for _, bad := range []string{"", "monday", "mon-", "mon,,tue"} {
		if _, err := ParseDays(bad); liaison.ErrorCode(err) != liaison.EINVALID {
			t.Errorf("ParseDays(%q) = %v", bad, err)
		}
	}
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"08:00", "24:00", "9:5", "", "99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseClock(s)
		if err == nil && (m < 0 || m > 24*60) {
			t.Fatalf("%q parsed to %d", s, m)
		}
		if err != nil && liaison.ErrorCode(err) != liaison.EINVALID {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"mon-fri", "sun-thu,sat", "x", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := ParseDays(s)
		if err == nil && (len(days) == 0 || len(days) > 7) {
			t.Fatalf("%q parsed to %v", s, days)
		}
	})
}

// A 12-week series for Brussels, Washington, Tokyo and Sydney rotates
// the burden: each nation that carries any ends within 1.5 times the
// least burdened of them, where always taking the single fairest slot
// would leave Brussels with all of it.
func TestSeriesRotatesTheBurden(t *testing.T) {
	d := liaison.NewDirectory([]liaison.Organisation{
		{Code: "BEL", Name: "Belgium", Kind: liaison.Ally, TimeZone: "Europe/Brussels"},
		{Code: "USA", Name: "United States", Kind: liaison.Ally, TimeZone: "America/New_York"},
		{Code: "JPN", Name: "Japan", Kind: liaison.Partner, TimeZone: "Asia/Tokyo"},
		{Code: "AUS", Name: "Australia", Kind: liaison.Partner, TimeZone: "Australia/Sydney"},
	}, nil, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	req := liaison.SlotRequest{Participants: []string{"BEL", "USA", "JPN", "AUS"}, Duration: time.Hour, From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-07T00:00:00Z")}
	weeks, err := ProposeSeries(req, 12, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) != 12 {
		t.Fatalf("%d weeks", len(weeks))
	}
	last := weeks[11].Cumulative
	lo, hi := 1<<30, 0
	for org, b := range last {
		t.Logf("%s carries %d", org, b)
		lo, hi = min(lo, b), max(hi, b)
	}
	if lo == 0 || float64(hi) > 1.5*float64(lo) {
		t.Fatalf("cumulative burdens %v: the most burdened carries more than 1.5× the least", last)
	}
	for i, w := range weeks {
		if w.Slot.Start.Before(req.From.AddDate(0, 0, 7*i)) || w.Slot.End.After(req.To.AddDate(0, 0, 7*i)) {
			t.Fatalf("week %d slot %s is outside its week", i, w.Slot.Start)
		}
		for _, l := range w.Slot.Local {
			if l.DayOff {
				t.Errorf("week %d puts %s on a day off", i, l.Org)
			}
		}
	}
	// The weeks span the change to summer time in Washington (8 March)
	// and Brussels (29 March) and the end of it in Sydney (5 April).
	if _, err := ProposeSeries(req, 0, d); liaison.ErrorCode(err) != liaison.EINVALID {
		t.Fatalf("0 weeks: %v", err)
	}
}
