package consult

import (
	"slices"
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

// cost is an independent, minute-by-minute oracle of what a slot costs.
func cost(t *testing.T, d *liaison.Directory, orgs []string, s, e time.Time) (out, worst, total int) {
	t.Helper()
	for _, code := range orgs {
		o, _ := d.Organisation(code)
		loc, err := time.LoadLocation(o.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := s; m.Before(e); m = m.Add(time.Minute) {
			l := m.In(loc)
			mins := l.Hour()*60 + l.Minute()
			if l.Weekday() == time.Saturday || l.Weekday() == time.Sunday || mins < 8*60 || mins >= 18*60 {
				n++
			}
		}
		if n > 0 {
			out++
			total += n
			worst = max(worst, n)
		}
	}
	return
}

// Brussels, Washington, Tokyo and Canberra share no working hour: the
// proposals are ranked by fairest burden, checked against an oracle.
func TestSlotsNoCommonHours(t *testing.T) {
	d := zoned()
	orgs := []string{"NATO-IS", "USA", "JPN", "AUS"}
	req := liaison.SlotRequest{Participants: orgs, Duration: time.Hour, From: utc("2026-03-02T00:00:00Z"), To: utc("2026-03-14T00:00:00Z"), Limit: 5}
	slots, err := ProposeSlots(req, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 {
		t.Fatalf("%d slots", len(slots))
	}
	type key struct{ out, worst, total int }
	best := key{99, 1 << 30, 1 << 30}
	less := func(a, b key) bool {
		if a.out != b.out {
			return a.out < b.out
		}
		if a.worst != b.worst {
			return a.worst < b.worst
		}
		return a.total < b.total
	}
	for s := req.From; !s.Add(req.Duration).After(req.To); s = s.Add(30 * time.Minute) {
		o, w, tot := cost(t, d, orgs, s, s.Add(req.Duration))
		if o == 0 {
			t.Fatalf("oracle found a common slot at %s", s)
		}
		if k := (key{o, w, tot}); less(k, best) {
			best = k
		}
	}
	prev := key{}
	for i, s := range slots {
		o, w, tot := cost(t, d, orgs, s.Start, s.End)
		if o != s.OutOfHours || w != s.WorstMinutesOut || tot != s.TotalMinutesOut {
			t.Fatalf("slot %d at %s: got (%d,%d,%d), oracle (%d,%d,%d)", i, s.Start, s.OutOfHours, s.WorstMinutesOut, s.TotalMinutesOut, o, w, tot)
		}
		k := key{o, w, tot}
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
	if best.out != 2 {
		t.Fatalf("expected two participants out of hours at best, oracle says %d", best.out)
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
