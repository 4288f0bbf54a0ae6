package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTransferProgressLine checks what one draw says: with a known size the
// share read and the time left, without one only counts and rate.
func TestTransferProgressLine(t *testing.T) {
	tests := []struct {
		name          string
		size          int64
		objects, done int64
		el            time.Duration
		want          []string
		not           []string
	}{
		{"a quarter in 10 s", 4 << 20, 500, 1 << 20, 10 * time.Second, []string{"[######..................]", " 25%", "500 objects", "50 objects/s", "1.0 MiB of 4.0 MiB", "about 30s left"}, nil},
		{"nearly done, slow", 1000, 10, 999, time.Hour, []string{"100%", "about 4s left"}, nil},
		{"hours left", 100, 1, 1, time.Hour, []string{"  1%", "about 99h00m left"}, nil},
		{"minutes left", 100, 1, 50, 90 * time.Second, []string{" 50%", "about 1m30s left"}, nil},
		{"nothing read yet", 100, 0, 0, 0, []string{"  0%", "time left unknown"}, []string{"about"}},
		{"all read", 100, 7, 100, time.Second, []string{"100%", "done"}, []string{"left"}},
		{"read past the size", 100, 7, 150, time.Second, []string{"100%", "100 B of 100 B"}, nil},
		{"size unknown", 0, 2000, 3 << 20, 2 * time.Second, []string{"importing x: 2000 objects", "1000 objects/s", "3.0 MiB"}, []string{"%", "left"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &transferProgress{label: "importing x", size: tt.size}
			got := p.line(tt.objects, tt.done, tt.el)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("line %q lacks %q", got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("line %q has %q", got, w)
				}
			}
		})
	}
}

// TestTransferProgressThrottles: a terminal is redrawn at most ten times
// a second, a log written at most once a second, and a final draw that
// repeats a log's last line is left out.
func TestTransferProgressThrottles(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		clock := time.Unix(0, 0)
		p := &transferProgress{w: &buf, label: "exporting", tty: tty, start: clock, now: func() time.Time { return clock }}
		for i := range 30 { // 3 s in steps of 100 ms
			clock = clock.Add(100 * time.Millisecond)
			p.update(int64(i), int64(i), false)
		}
		p.update(29, 29, true)
		if tty {
			if n := strings.Count(buf.String(), "\r\033[K"); n != 31 {
				t.Errorf("terminal: %d draws, want 31", n)
			}
			continue
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 4 || strings.Contains(buf.String(), "\r") { // at 0.1 s, 1.1 s, 2.1 s, and the final one
			t.Errorf("log: %d lines, want 4 without carriage returns:\n%s", len(lines), buf.String())
		}
	}
}

var percentRe = regexp.MustCompile(`\] +(\d+)%`)

// TestImportExportProgress runs import and export as the command line does:
// nothing on a pipe unless --progress, lines on a pipe with it, and one
// redrawn line on a terminal whose share read only grows and ends at 100%.
func TestImportExportProgress(t *testing.T) {
	c := analystOffice(t, "NATO")
	write := func(first, n int) string {
		var objs []string
		for i := first; i < first+n; i++ {
			objs = append(objs, indicatorJSON(i))
		}
		return writeBundle(t, objs)
	}

	// A pipe, no flag: only the summary.
	out := c.stderrOn(false, "import", "--as", "usa-analyst", write(0, 600))
	if strings.Contains(out, "importing") || strings.Count(out, "\n") != 1 {
		t.Fatalf("import on a pipe drew progress:\n%q", out)
	}
	// A pipe with --progress: whole lines, the last at 100%.
	out = c.stderrOn(false, "import", "--progress", "--as", "usa-analyst", write(600, 600))
	if strings.Contains(out, "\r") || !strings.Contains(out, "100%") || !strings.Contains(out, "done") {
		t.Fatalf("import --progress on a pipe:\n%q", out)
	}
	// A terminal: one line redrawn, its share never going back.
	name := write(1200, 3000)
	out = c.stderrOn(true, "import", "--as", "usa-analyst", name)
	bar, summary, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(summary, name+": 3000 objects") {
		t.Fatalf("after the bar, want the summary, got %q", summary)
	}
	prev := -1
	draws := strings.Split(bar, "\r\033[K")[1:]
	for _, d := range draws {
		m := percentRe.FindStringSubmatch(d)
		if m == nil || !strings.HasPrefix(d, "importing "+name) {
			t.Fatalf("draw %q shows no share read", d)
		}
		pc, _ := strconv.Atoi(m[1])
		if pc < prev {
			t.Fatalf("draw %q goes back from %d%%", d, prev)
		}
		prev = pc
	}
	if prev != 100 || !strings.Contains(draws[len(draws)-1], "3000 objects") {
		t.Fatalf("the last draw is %q, want 100%% and 3000 objects", draws[len(draws)-1])
	}

	// Export: nothing on a pipe, a count on a terminal or with --progress.
	if out := c.stderrOn(false, "export", "--as", "usa-analyst", "--output", filepath.Join(t.TempDir(), "a.json")); strings.Contains(out, "exporting") {
		t.Fatalf("export on a pipe drew progress:\n%q", out)
	}
	for _, tty := range []bool{true, false} {
		args := []string{"export", "--as", "usa-analyst", "--output", filepath.Join(t.TempDir(), "b.json")}
		if !tty {
			args = append(args, "--progress")
		}
		out := c.stderrOn(tty, args...)
		if !strings.Contains(out, "exporting: 4200 objects") || !strings.Contains(out, "exported 4200 object versions") {
			t.Fatalf("export (terminal %v):\n%q", tty, out)
		}
	}
}
