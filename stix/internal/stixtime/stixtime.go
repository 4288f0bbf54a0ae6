// Package stixtime parses STIX 2.1 timestamps for the stix packages.
package stixtime

import "time"

// Parse reads a STIX 2.1 timestamp: RFC 3339 in UTC with a
// literal Z, "YYYY-MM-DDTHH:MM:SS[.s+]Z", any number of fraction digits.
// It reports false for anything else, including impossible dates.
func Parse(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	min, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	rest := s[19 : len(s)-1]
	if rest != "" {
		if rest[0] != '.' || len(rest) < 2 {
			return time.Time{}, false
		}
		scale := 100000000
		for i := 1; i < len(rest); i++ {
			c := rest[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			nsec += int(c-'0') * scale
			scale /= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC), true
}

// Digits is the number of fraction-of-second digits written in the
// timestamp s (0 for "…:SSZ"). It assumes s parsed.
func Digits(s string) int {
	if len(s) <= 21 {
		return 0
	}
	return len(s) - 21
}

// Before reports whether a (written with da fraction digits) is before b
// (written with db), compared at the coarser of the two precisions: a
// producer that writes milliseconds and one that writes microseconds for
// the same instant do not contradict each other.
func Before(a time.Time, da int, b time.Time, db int) bool {
	d := min(da, db)
	if d < 9 {
		unit := time.Second
		for range d {
			unit /= 10
		}
		a, b = a.Truncate(unit), b.Truncate(unit)
	}
	return a.Before(b)
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
