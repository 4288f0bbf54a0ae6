package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"liaison"
)

var barCount = regexp.MustCompile(`\] (\d+)/(\d+) `)

// checkBar reads what a bar drew: redraws separated by "\r\033[K". Every
// redraw must show done ≤ total, done must never go back, and the label
// must end its line once.
func checkBar(t *testing.T, out, label string) (lastDone, lastTotal int64) {
	t.Helper()
	if n := strings.Count(out, "\n"); n != 1 {
		t.Fatalf("the bar ended %d lines, want 1:\n%q", n, out)
	}
	prev := int64(-1)
	for _, seg := range strings.Split(out, "\r\033[K")[1:] {
		seg = strings.TrimSuffix(seg, "\n")
		if !strings.HasPrefix(seg, label) {
			t.Fatalf("redraw %q lacks the label %q", seg, label)
		}
		m := barCount.FindStringSubmatch(seg)
		if m == nil {
			t.Fatalf("redraw %q shows no count", seg)
		}
		d, _ := strconv.ParseInt(m[1], 10, 64)
		tot, _ := strconv.ParseInt(m[2], 10, 64)
		if d > tot {
			t.Fatalf("redraw %q overshoots", seg)
		}
		if d < prev {
			t.Fatalf("redraw %q goes back from %d", seg, prev)
		}
		prev, lastDone, lastTotal = d, d, tot
	}
	return lastDone, lastTotal
}

// TestCLIProgressOneBar feeds the bar the reports a recompute makes: phases
// whose total grows, done == total reached between phases and repeated at
// the end, and a second run within the same command.
func TestCLIProgressOneBar(t *testing.T) {
	tests := []struct {
		name      string
		runs      [][][2]int64
		wantTotal int64
	}{
		{"phases", [][][2]int64{{{0, 10}, {10, 10}, {10, 10}, {10, 25}, {25, 25}, {25, 25}}}, 25},
		{"two runs", [][][2]int64{{{0, 4}, {4, 4}, {4, 4}}, {{0, 10}, {10, 10}, {10, 12}, {12, 12}}}, 16},
		{"done past total", [][][2]int64{{{0, 10}, {16, 10}, {21, 10}}}, 21},
		{"empty then work", [][][2]int64{{{0, 0}, {0, 0}}, {{0, 3}, {3, 3}}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			ctx, end := withCLIProgress(context.Background(), &env{stderr: &buf, stderrIsTTY: true}, "recomputing audiences")
			report := liaison.ProgressFrom(ctx)
			for _, run := range tt.runs {
				for _, r := range run {
					report(r[0], r[1])
				}
			}
			end()
			if d, tot := checkBar(t, buf.String(), "recomputing audiences"); d != tt.wantTotal || tot != tt.wantTotal {
				t.Fatalf("ended at %d/%d, want %d/%d", d, tot, tt.wantTotal, tt.wantTotal)
			}
		})
	}
	var buf bytes.Buffer
	_, end := withCLIProgress(context.Background(), &env{stderr: &buf, stderrIsTTY: false}, "x")
	end()
	if buf.Len() != 0 {
		t.Fatalf("no terminal, yet the bar drew %q", buf.String())
	}
}

// TestCLIProgressOnRecompute runs real directory changes on a terminal:
// each draws one bar that ends once, whatever phases the store reports.
func TestCLIProgressOnRecompute(t *testing.T) {
	c := analystOffice(t, "NATO,IP4")
	// Objects to recompute: indicators of their own label each, marked
	// for the partner whose agreement changes, and relationships.
	var objs []string
	for i := range 40 {
		objs = append(objs, indicatorJSON(i))
		if i > 0 {
			objs = append(objs, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","relationship_type":"related-to","source_ref":"indicator--00000000-0000-4000-8000-%012d","target_ref":"indicator--00000000-0000-4000-8000-%012d"}`, i, i, i-1))
		}
	}
	bundle := writeBundle(t, objs)
	c.must("", "import", "--as", "usa-analyst", bundle)
	for _, args := range [][]string{
		{"agreement", "add", "--partner", "JPN", "--kind", "security", "--max-classification", "NATO CONFIDENTIAL", "--from", "2010-06-25"},
		{"community", "add", "FIVE-EYES", "USA", "GBR", "CAN", "AUS", "NZL"},
		{"community", "set", "FIVE-EYES", "USA", "GBR", "CAN", "AUS"},
	} {
		out := c.stderrOn(true, args...)
		bar, _, _ := strings.Cut(out, "added ")
		if d, tot := checkBar(t, bar, "recomputing audiences"); d != tot || tot == 0 {
			t.Fatalf("liaison %v ended its bar at %d/%d", args, d, tot)
		}
	}
}
