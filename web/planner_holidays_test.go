package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"liaison"
)

// TestPlannerHolidays: a public holiday entered on the planner weighs as a
// day off, so the fair slot moves off it, and each bad line is a 400
// naming the line.
func TestPlannerHolidays(t *testing.T) {
	o := newOffice(t)
	b := o.browser(t)
	b.mustSignIn("nis", "nis-password")
	base := "/planner?participants=NATO-IS,USA,JPN,AUS&duration=60&from=2026-03-02&to=2026-03-07"
	top := regexp.MustCompile(`(?s)<tr data-slot="1" class="selected">(.*?)</tr>`)
	_, _, plain := b.get(base)
	m := top.FindStringSubmatch(plain)
	if m == nil || !strings.Contains(m[1], "2026-03-02T21:00:00.000Z") {
		t.Fatalf("without holidays the top slot is not Monday 21:00 UTC:\n%s", plain)
	}
	// Tuesday 3 March is Tokyo's 06:00 of that slot: make it a holiday.
	status, _, page := b.get(base + "&holidays=" + url.QueryEscape("JPN 2026-03-03\r\nFRA,DEU 2026-04-06..2026-04-07"))
	if status != http.StatusOK {
		t.Fatalf("planner with holidays: %d\n%s", status, page)
	}
	m = top.FindStringSubmatch(page)
	if m == nil || strings.Contains(m[1], "2026-03-02T21:00:00.000Z") {
		t.Fatalf("a holiday in Tokyo did not move the top slot")
	}
	if !strings.Contains(page, "JPN 2026-03-03") {
		t.Error("the form does not keep the holidays")
	}
	if !strings.Contains(plain, "Tue 06:00") || strings.Contains(page, "Tue 06:00") {
		t.Error("Tokyo's Tuesday 06:00 is still proposed on its holiday")
	}
	// Tokyo alone, over its holiday and the next morning: the holiday's
	// daytime is weighed as a day off, below an early hour of a working day.
	_, _, alone := b.get("/planner?participants=JPN&duration=60&from=2026-03-03&to=2026-03-04&holidays=JPN+2026-03-03")
	m = top.FindStringSubmatch(alone)
	if m == nil || !strings.Contains(m[1], "Wed 07:00") || !regexp.MustCompile(`Tue 1\d:00<span class="utc">burden \d+, day off</span>`).MatchString(alone) {
		t.Errorf("Tokyo's holiday is not weighed as a day off:\n%s", alone)
	}
	for _, tc := range []struct{ text, want string }{
		{"JPN", "holidays line 1 (&#34;JPN&#34;): want organisations then a date"},
		{"JPN 2026-02-30", "holidays line 1 (&#34;JPN 2026-02-30&#34;): want a date such as 2026-03-20"},
		{"JPN 2026-03-20\nXYZ 2026-03-20", "holidays line 2 (&#34;XYZ 2026-03-20&#34;): &#34;XYZ&#34; is neither an organisation nor a community"},
		{"JPN 2026-03-20..2026-03-01", "a range runs forward"},
		{"JPN 2026-01-01..2026-12-31", "over at most 62 days"},
	} {
		status, _, body := b.get(base + "&holidays=" + url.QueryEscape(tc.text))
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("holidays %q: %d, want 400 saying %q", tc.text, status, tc.want)
		}
	}
}

// FuzzParseHolidays: any text is either refused as bad input or read
// into dates of organisations on the hub, never a panic.
func FuzzParseHolidays(f *testing.F) {
	d := liaison.NewDirectory([]liaison.Organisation{{Code: "JPN", Kind: liaison.Partner}, {Code: "FRA", Kind: liaison.Ally}}, nil, nil, time.Now())
	for _, s := range []string{"JPN 2026-03-20", "FRA,JPN 2026-04-06..2026-04-07\r\n\nIP4 2026-01-01", "JPN", "x 2026-13-01..", "NATO 2026-03-01..2026-05-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseHolidays(s, d)
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(liaison.ErrorMessage(err), "holidays") {
				t.Fatalf("error %v is not a bad-input error naming holidays", err)
			}
			return
		}
		for org, days := range out {
			if _, ok := d.Organisation(org); !ok {
				t.Fatalf("holiday for %q, not on the hub", org)
			}
			for _, ds := range days {
				if _, err := time.Parse(time.DateOnly, ds); err != nil {
					t.Fatalf("holiday %q is not a date", ds)
				}
			}
		}
	})
}
