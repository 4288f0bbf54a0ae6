package web

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestPlannerPage proposes slots for Brussels, Washington, Tokyo and
// Sydney: the top slot is the fair one, its bands are drawn, the .ics is
// a proper calendar, and a weekly series shows the cumulative burden.
func TestPlannerPage(t *testing.T) {
	o := newOffice(t)
	b := o.browser(t)
	b.mustSignIn("nis", "nis-password")
	status, _, page := b.get("/planner?participants=NATO-IS,USA,JPN,AUS&duration=60&from=2026-03-02&to=2026-03-07&weeks=12")
	if status != http.StatusOK {
		t.Fatalf("planner: %d\n%s", status, page)
	}
	checkLayout(t, "planner", page)
	row := regexp.MustCompile(`(?s)<tr data-slot="1" class="selected">(.*?)</tr>`).FindStringSubmatch(page)
	if row == nil || !strings.Contains(row[1], "2026-03-02T21:00:00.000Z") {
		t.Fatalf("top slot:\n%s", page)
	}
	if !strings.Contains(page, `<svg class="bands"`) || strings.Count(page, `<rect class="slot"`) != 1 || !strings.Contains(page, "NATO-IS Mon 22:00 out of hours") {
		t.Fatalf("bands missing or without their text")
	}
	if n := strings.Count(page, `<tr data-week="`); n != 12 {
		t.Fatalf("%d weeks in the series", n)
	}
	ics := regexp.MustCompile(`<a href="(/planner/slot\.ics\?[^"]+)" download>`).FindStringSubmatch(page)
	if ics == nil {
		t.Fatal("no .ics link")
	}
	status, h, cal := b.get(html.UnescapeString(ics[1]))
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf(".ics %s: %d %q\n%s", ics[1], status, h.Get("Content-Type"), cal)
	}
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "DTSTART:20260302T210000Z\r\n", "DTEND:20260302T220000Z\r\n", "END:VCALENDAR\r\n"} {
		if !strings.Contains(cal, want) {
			t.Errorf(".ics lacks %q:\n%s", want, cal)
		}
	}
	for _, line := range strings.Split(cal, "\r\n") {
		if len(line) > 75 {
			t.Errorf(".ics line longer than 75 octets: %q", line)
		}
	}
	if status, _, body := b.get("/planner?participants=JPN&from=next+week"); status != http.StatusBadRequest || !strings.Contains(body, "from: want a date") {
		t.Fatalf("bad date: %d", status)
	}
}
