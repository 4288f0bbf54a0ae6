package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// transferProgress draws the progress of an import or an export on stderr:
// objects, their rate and bytes, and, when the size of the input is known
// (a file, not a pipe), the share of it read and the time left. On a
// terminal it redraws one line at most ten times a second; asked for with
// --progress on something else (a log file), it writes a line at most
// once a second, so the log stays readable.
type transferProgress struct {
	mu        sync.Mutex
	w         io.Writer
	label     string
	size      int64 // bytes in all; ≤ 0 when unknown
	tty       bool
	start     time.Time
	last      time.Time
	shown     bool
	now       func() time.Time
	lastDrawn string
}

// newTransferProgress returns the progress of one transfer, or nil when
// nothing is to be drawn: stderr is no terminal and --progress was not
// given. A nil *transferProgress does nothing.
func newTransferProgress(e *env, forced bool, label string, size int64) *transferProgress {
	if !e.stderrIsTTY && !forced {
		return nil
	}
	return &transferProgress{w: e.stderr, label: label, size: size, tty: e.stderrIsTTY, start: time.Now(), now: time.Now}
}

// fileSize is the size of a regular file, or 0 (unknown) for anything
// else, such as standard input or a pipe.
func fileSize(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return fi.Size()
}

// update redraws with objects done and bytes read or written so far;
// force draws whatever the time since the last draw.
func (p *transferProgress) update(objects, bytes int64, force bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	every := 100 * time.Millisecond
	if !p.tty {
		every = time.Second
	}
	if !force && p.shown && now.Sub(p.last) < every {
		return
	}
	line := p.line(objects, bytes, now.Sub(p.start))
	if !p.tty && force && line == p.lastDrawn {
		return // a log gets no copy of the line it has
	}
	p.last, p.shown, p.lastDrawn = now, true, line
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// line is what one draw shows.
func (p *transferProgress) line(objects, bytes int64, el time.Duration) string {
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(objects) / s
	}
	if p.size <= 0 {
		return fmt.Sprintf("%s: %d objects  %.0f objects/s  %s", p.label, objects, rate, humanBytes(bytes))
	}
	done := min(max(bytes, 0), p.size)
	frac := float64(done) / float64(p.size)
	const width = 24
	n := min(int(width*frac), width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < n {
			bar[i] = '#'
		}
	}
	left := "time left unknown"
	switch {
	case done == p.size:
		left = "done"
	case done > 0:
		rest := time.Duration(float64(el) * float64(p.size-done) / float64(done))
		left = "about " + roundLeft(rest) + " left"
	}
	return fmt.Sprintf("%s [%s] %3.0f%%  %d objects  %.0f objects/s  %s of %s  %s",
		p.label, bar, 100*frac, objects, rate, humanBytes(done), humanBytes(p.size), left)
}

// roundLeft says a time left as a person reads it: seconds under a
// minute, minutes and seconds under an hour, hours and minutes beyond.
func roundLeft(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// finish draws the last state and ends a terminal's line.
func (p *transferProgress) finish(objects, bytes int64) {
	if p == nil {
		return
	}
	p.update(objects, bytes, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
}
