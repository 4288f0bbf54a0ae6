package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/consult"
)

// plannerRoutes lists the fair meeting planner and its calendar download.
func (s *Server) plannerRoutes() {
	s.handle("GET /planner", s.signedIn(s.plannerPage))
	s.handle("GET /planner/slot.ics", s.signedIn(s.slotICS))
}

type plannerForm struct {
	Participants string
	Holidays     string
	Duration     int
	From, To     string
	Weeks        int
	Consultation int64
}

type slotRow struct {
	N           int
	Start       timeView
	Local       []liaison.LocalTime
	Worst       int
	Total       int
	Out         int
	Bands       template.HTML
	ICS         string
	Selected    bool
	Href        string
	Description string
}

type seriesRow struct {
	Week       int
	Start      timeView
	Cumulative []orgBurden
}

type orgBurden struct {
	Org    string
	Burden int
}

type plannerView struct {
	Form    plannerForm
	Asked   bool
	Slots   []slotRow
	Shown   *slotRow
	Series  []seriesRow
	Orgs    []string
	Title   string
	Hours   string
	Summary []orgBurden
}

// plannerPage proposes meeting slots for participants, a duration and a
// date range (or a consultation's participants and duration), ranked by
// fair burden, with each participant's day drawn as a 24-hour band and a
// weekly series that rotates the burden.
func (s *Server) plannerPage(p *page) error {
	ctx := p.r.Context()
	q := p.r.URL.Query()
	f := plannerForm{Participants: q.Get("participants"), Duration: 60, Weeks: 0,
		From: q.Get("from"), To: q.Get("to"), Holidays: strings.TrimSpace(q.Get("holidays"))}
	v := plannerView{Form: f, Hours: "08:00–18:00 local, Monday to Friday"}
	if d := strings.TrimSpace(q.Get("duration")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return liaison.Errorf(liaison.EINVALID, "duration: want a whole number of minutes such as 60")
		}
		v.Form.Duration = n
	}
	if w := strings.TrimSpace(q.Get("weeks")); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil {
			return liaison.Errorf(liaison.EINVALID, "weeks: want a whole number of weeks such as 12")
		}
		v.Form.Weeks = n
	}
	now := p.s.cfg.Now().In(p.zone)
	if v.Form.From == "" {
		v.Form.From = now.AddDate(0, 0, 1).Format("2006-01-02")
	}
	if v.Form.To == "" {
		v.Form.To = now.AddDate(0, 0, 8).Format("2006-01-02")
	}
	participants := splitList(strings.ToUpper(f.Participants))
	v.Title = "Meeting"
	if cid := strings.TrimSpace(q.Get("consultation")); cid != "" {
		id, err := strconv.ParseInt(cid, 10, 64)
		if err != nil || id <= 0 {
			return liaison.NotFound("consultation", cid)
		}
		c, err := s.consult.Consultation(ctx, *p.p, id)
		if err != nil {
			return err
		}
		p.show(specLabel(c.Marking, c.Convenor))
		d, err := s.store.Directory(ctx)
		if err != nil {
			return err
		}
		c.Status = liaison.ConsultationOpen // those who take part once it is open
		aud, err := consult.Readers(c, d)
		if err != nil {
			return err
		}
		participants = append(aud, participants...)
		if q.Get("duration") == "" && c.Duration > 0 {
			v.Form.Duration = c.DurationMinutes()
		}
		v.Form.Consultation, v.Title = id, c.Title
	}
	if len(participants) == 0 {
		return p.render(http.StatusOK, "planner.html", "Meeting planner", "consultations", v)
	}
	v.Form.Participants = strings.Join(participants, ", ")
	from, err := time.ParseInLocation("2006-01-02", v.Form.From, p.zone)
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "from: want a date such as 2026-03-02")
	}
	to, err := time.ParseInLocation("2006-01-02", v.Form.To, p.zone)
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "to: want a date such as 2026-03-09")
	}
	d, err := s.store.Directory(ctx)
	if err != nil {
		return err
	}
	holidays, err := parseHolidays(v.Form.Holidays, d)
	if err != nil {
		return err
	}
	req := liaison.SlotRequest{Participants: participants, Duration: time.Duration(v.Form.Duration) * time.Minute, From: from, To: to, Limit: 8, Holidays: holidays}
	slots, err := consult.ProposeSlots(req, d)
	if err != nil {
		return err
	}
	v.Asked = true
	pick, _ := strconv.Atoi(q.Get("slot"))
	if pick < 1 || pick > len(slots) {
		pick = 1
	}
	zones := map[string]*time.Location{}
	for _, sl := range slots[0].Local {
		v.Orgs = append(v.Orgs, sl.Org)
		if loc, err := time.LoadLocation(sl.Zone); err == nil {
			zones[sl.Org] = loc
		} else {
			zones[sl.Org] = time.UTC
		}
	}
	base := url.Values{"participants": {v.Form.Participants}, "duration": {strconv.Itoa(v.Form.Duration)}, "from": {v.Form.From}, "to": {v.Form.To}}
	if v.Form.Weeks > 0 {
		base.Set("weeks", strconv.Itoa(v.Form.Weeks))
	}
	if v.Form.Holidays != "" {
		base.Set("holidays", v.Form.Holidays)
	}
	for i, sl := range slots {
		hv := cloneValues(base)
		hv.Set("slot", strconv.Itoa(i+1))
		row := slotRow{N: i + 1, Start: p.when(sl.Start), Local: sl.Local, Worst: sl.WorstBurden, Total: sl.TotalBurden, Out: sl.OutOfHours,
			Selected: i+1 == pick, Href: withValues("/planner", hv) + "#bands",
			ICS: withValues("/planner/slot.ics", url.Values{"start": {sl.Start.Format(time.RFC3339)}, "duration": {strconv.Itoa(v.Form.Duration)}, "title": {v.Title}, "participants": {v.Form.Participants}})}
		if row.Selected {
			row.Bands = zoneBands(sl, zones, liaison.DefaultWorkingHours(), holidays)
			row.Description = bandText(sl)
			v.Shown = &row
		}
		v.Slots = append(v.Slots, row)
	}
	if v.Form.Weeks > 0 {
		series, err := consult.ProposeSeries(liaison.SlotRequest{Participants: participants, Duration: req.Duration, From: from, To: to, Holidays: holidays}, v.Form.Weeks, d)
		if err != nil {
			return err
		}
		for i, w := range series {
			row := seriesRow{Week: i + 1, Start: p.when(w.Slot.Start)}
			for _, org := range v.Orgs {
				row.Cumulative = append(row.Cumulative, orgBurden{org, w.Cumulative[org]})
			}
			v.Series = append(v.Series, row)
		}
		v.Summary = v.Series[len(v.Series)-1].Cumulative
	}
	return p.render(http.StatusOK, "planner.html", "Meeting planner", "consultations", v)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// bandText is the text equivalent of the bands: each participant's local
// time and burden.
func bandText(sl liaison.Slot) string {
	var parts []string
	for _, l := range sl.Local {
		t, _ := time.Parse(time.RFC3339, l.Start)
		s := fmt.Sprintf("%s %s %s", l.Org, l.Weekday, t.Format("15:04"))
		switch {
		case l.InHours:
			s += " in working hours"
		default:
			s += fmt.Sprintf(" out of hours (burden %d", l.Burden)
			if l.Night {
				s += ", at night"
			}
			if l.DayOff {
				s += ", on a day off"
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Band geometry: a 24-hour window centred on the slot, one row per
// participant.
const (
	bandLabelW = 150
	bandHourW  = 30
	bandRowH   = 34
	bandTop    = 22
)

// zoneBands draws each participant's day as a band of 24 hours in their
// local time, centred on the slot: working hours light, off hours white,
// night (00:00–06:00) dark, a day off hatched, the slot one stripe
// across every row. Hours are labelled in local time on each row.
func zoneBands(sl liaison.Slot, zones map[string]*time.Location, h liaison.WorkingHours, holidays map[string][]string) template.HTML {
	mid := sl.Start.Add(sl.End.Sub(sl.Start) / 2)
	start := mid.Add(-12 * time.Hour).Truncate(time.Hour)
	rows := len(sl.Local)
	w := bandLabelW + 24*bandHourW + 10
	ht := bandTop + rows*bandRowH + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bands" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="bands-title bands-desc">`, w, ht, w, ht)
	fmt.Fprintf(&b, `<title id="bands-title">Each participant's day around the slot starting %s</title>`, sl.Start.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, `<desc id="bands-desc">%s</desc>`, template.HTMLEscapeString(bandText(sl)))
	b.WriteString(`<defs><pattern id="dayoff" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4e3f0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#a05195" stroke-width="2"/></pattern></defs>`)
	// UTC hours along the top.
	for i := 0; i <= 24; i += 3 {
		x := bandLabelW + i*bandHourW
		fmt.Fprintf(&b, `<text x="%d" y="14" font-size="11" text-anchor="middle" fill="#4f5d6b">%sZ</text>`, x, start.Add(time.Duration(i)*time.Hour).UTC().Format("15"))
	}
	for r, l := range sl.Local {
		loc := zones[l.Org]
		if loc == nil {
			loc = time.UTC
		}
		y := bandTop + r*bandRowH
		fmt.Fprintf(&b, `<text x="4" y="%d" font-size="13" font-weight="700" fill="#1b2733">%s</text>`, y+14, template.HTMLEscapeString(l.Org))
		fmt.Fprintf(&b, `<text x="4" y="%d" font-size="10" fill="#4f5d6b">%s</text>`, y+27, template.HTMLEscapeString(l.Zone))
		for i := range 24 {
			t := start.Add(time.Duration(i) * time.Hour).In(loc)
			c := t.Hour()*60 + t.Minute()
			off := !slices.Contains(h.Days, t.Weekday()) || slices.Contains(holidays[l.Org], t.Format(time.DateOnly))
			fill := "#ffffff"
			switch {
			case off:
				fill = "url(#dayoff)"
			case c >= h.Start && c < h.End:
				fill = "#cfe8d5"
			case c < 6*60:
				fill = "#2f3b4a"
			}
			x := bandLabelW + i*bandHourW
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#dde2e8"/>`, x, y+2, bandHourW, bandRowH-6, fill)
			if t.Hour()%3 == 0 {
				ink := "#1b2733"
				if fill == "#2f3b4a" {
					ink = "#ffffff"
				}
				fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="%s">%02d</text>`, x+3, y+bandRowH/2+4, ink, t.Hour())
			}
		}
	}
	// The slot: one stripe across every row.
	x0 := bandLabelW + int(sl.Start.Sub(start)/time.Minute)*bandHourW/60
	x1 := bandLabelW + int(sl.End.Sub(start)/time.Minute)*bandHourW/60
	fmt.Fprintf(&b, `<rect class="slot" x="%d" y="%d" width="%d" height="%d" fill="#0b4f9c" fill-opacity="0.25" stroke="#0b4f9c" stroke-width="2"/>`, x0, bandTop-2, max(x1-x0, 2), rows*bandRowH+2)
	// Legend.
	ly := bandTop + rows*bandRowH + 14
	for i, item := range []struct{ fill, text string }{{"#cfe8d5", "working hours"}, {"#ffffff", "off hours"}, {"#2f3b4a", "night 00–06"}, {"url(#dayoff)", "weekend or holiday"}, {"#9dbbe0", "the slot"}} {
		x := bandLabelW + i*150
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s" stroke="#9aa5b1"/><text x="%d" y="%d" font-size="11" fill="#1b2733">%s</text>`, x, ly-10, item.fill, x+16, ly, item.text)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text in it is escaped above
}

// slotICS returns one slot as an iCalendar event (RFC 5545), in UTC,
// with each participant's local time in the description.
func (s *Server) slotICS(p *page) error {
	q := p.r.URL.Query()
	start, err := time.Parse(time.RFC3339, q.Get("start"))
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "start: want a date and time such as 2026-03-02T09:00:00Z")
	}
	mins, err := strconv.Atoi(q.Get("duration"))
	if err != nil || mins <= 0 || mins > 24*60 {
		return liaison.Errorf(liaison.EINVALID, "duration: want a whole number of minutes from 1 to 1440")
	}
	title := strings.TrimSpace(q.Get("title"))
	if title == "" {
		title = "Meeting"
	}
	end := start.Add(time.Duration(mins) * time.Minute)
	var desc []string
	if parts := splitList(strings.ToUpper(q.Get("participants"))); len(parts) > 0 {
		d, err := s.store.Directory(p.r.Context())
		if err != nil {
			return err
		}
		orgs := d.Expand(parts...)
		sort.Strings(orgs)
		for _, code := range orgs {
			o, _ := d.Organisation(code)
			loc, err := time.LoadLocation(o.TimeZone)
			if err != nil || o.TimeZone == "" {
				loc = time.UTC
			}
			desc = append(desc, fmt.Sprintf("%s: %s", code, start.In(loc).Format("Mon 2006-01-02 15:04 MST")))
		}
	}
	body := icsEvent(title, strings.Join(desc, "\n"), start, end, p.s.cfg.Now())
	h := p.w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="meeting.ics"`)
	_, _ = p.w.Write([]byte(body))
	return nil
}

// icsEvent writes a one-event calendar: CRLF line ends, text escaped and
// lines folded at 75 octets, as RFC 5545 requires.
func icsEvent(summary, description string, start, end, stamp time.Time) string {
	const layout = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//liaison//meeting planner//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"BEGIN:VEVENT",
		"UID:" + start.UTC().Format(layout) + "-" + strconv.FormatInt(int64(end.Sub(start)/time.Minute), 10) + "@liaison",
		"DTSTAMP:" + stamp.UTC().Format(layout),
		"DTSTART:" + start.UTC().Format(layout),
		"DTEND:" + end.UTC().Format(layout),
		"SUMMARY:" + icsText(summary),
	}
	if description != "" {
		lines = append(lines, "DESCRIPTION:"+icsText(description))
	}
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(icsFold(l))
		b.WriteString("\r\n")
	}
	return b.String()
}

func icsText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// icsFold folds a content line into lines of at most 75 octets, never
// inside a UTF-8 sequence.
func icsFold(l string) string {
	var b strings.Builder
	n := 0
	for _, r := range l {
		size := len(string(r))
		if n+size > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	return b.String()
}

// Holiday limits: a line's range, and the lines a form may carry.
const (
	maxHolidayDays  = 62
	maxHolidayLines = 200
)

// parseHolidays reads the planner's public holidays: one line each, the
// organisations or communities (separated by commas) then a local date or
// a range of dates, such as "JPN 2026-03-20" or "FRA,BEL 2026-04-06..2026-04-07".
// Communities are expanded. EINVALID naming the line otherwise.
func parseHolidays(text string, d *liaison.Directory) (map[string][]string, error) {
	out := map[string][]string{}
	if strings.TrimSpace(text) == "" {
		return out, nil
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	seen := map[string]bool{}
	if len(lines) > maxHolidayLines {
		return nil, liaison.Errorf(liaison.EINVALID, "holidays: at most %d lines, not %d", maxHolidayLines, len(lines))
	}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		where := fmt.Sprintf("holidays line %d (%q)", i+1, truncate(line, 60))
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, liaison.Errorf(liaison.EINVALID, "%s: want organisations then a date, such as JPN 2026-03-20 or FRA,BEL 2026-04-06..2026-04-07", where)
		}
		codes := strings.Split(strings.ToUpper(fields[0]), ",")
		for _, c := range codes {
			if _, ok := d.Organisation(c); !ok && !d.HasCommunity(c) {
				return nil, liaison.Errorf(liaison.EINVALID, "%s: %q is neither an organisation nor a community on the hub", where, truncate(c, 30))
			}
		}
		a, b, isRange := strings.Cut(fields[1], "..")
		first, err1 := time.Parse(time.DateOnly, a)
		last := first
		var err2 error
		if isRange {
			last, err2 = time.Parse(time.DateOnly, b)
		}
		if err1 != nil || err2 != nil {
			return nil, liaison.Errorf(liaison.EINVALID, "%s: want a date such as 2026-03-20, or a range such as 2026-04-06..2026-04-07", where)
		}
		if last.Before(first) || last.Sub(first) > maxHolidayDays*24*time.Hour {
			return nil, liaison.Errorf(liaison.EINVALID, "%s: a range runs forward, over at most %d days", where, maxHolidayDays)
		}
		for _, org := range d.Expand(codes...) {
			for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
				ds := day.Format(time.DateOnly)
				if !seen[org+" "+ds] {
					seen[org+" "+ds] = true
					out[org] = append(out[org], ds)
				}
			}
		}
	}
	return out, nil
}
