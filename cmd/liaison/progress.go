package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"liaison"
)

// progressBar draws one line of progress on a terminal: what, how far,
// rate and bytes. It redraws at most ten times a second.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	unit  string
	start time.Time
	last  time.Time
	shown bool
}

func newProgressBar(w io.Writer, label, unit string) *progressBar {
	return &progressBar{w: w, label: label, unit: unit, start: time.Now()}
}

// update redraws the bar; total ≤ 0 means unknown; bytes < 0 hides bytes.
func (p *progressBar) update(done, total, bytes int64, force bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !force && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.shown = true
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	line := fmt.Sprintf("%s: %d", p.label, done)
	if total > 0 {
		done = min(done, total)
		const width = 24
		n := int(float64(width) * float64(done) / float64(total))
		n = min(max(n, 0), width)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = '.'
			if i < n {
				bar[i] = '#'
			}
		}
		line = fmt.Sprintf("%s [%s] %d/%d", p.label, bar, done, total)
	}
	line += fmt.Sprintf(" %s  %.0f %s/s", p.unit, rate, p.unit)
	if bytes >= 0 {
		line += fmt.Sprintf("  %s", humanBytes(bytes))
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// finish ends the bar's line, if one was drawn.
func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

// withCLIProgress returns ctx carrying a progress reporter that draws one
// bar on stderr when stderr is a terminal, and does nothing otherwise;
// end finishes the bar and must be called once the work is over.
func withCLIProgress(ctx context.Context, e *env, label string) (_ context.Context, end func()) {
	if !e.stderrIsTTY {
		return ctx, func() {}
	}
	p := &cliProgress{bar: newProgressBar(e.stderr, label, "objects")}
	return liaison.WithProgress(ctx, p.report), p.end
}

// cliProgress turns the reports of long work into one bar for the whole
// command. The work may report in phases whose total grows, report
// done == total more than once, and run more than once in one command
// (an audience recompute before the change, then one for it): the bar
// only ever moves forward, never shows more done than its total, and
// ends its line once, when the command's work is over.
type cliProgress struct {
	mu              sync.Mutex
	bar             *progressBar
	base, baseTotal int64 // what earlier runs did
	done, total     int64 // the current run's last report
}

func (p *cliProgress) report(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done < p.done {
		// A new run started: what the last one did is part of the whole.
		p.base += p.done
		p.baseTotal += p.total
	}
	p.done, p.total = done, max(total, done)
	d, t := p.base+p.done, p.baseTotal+p.total
	if t == 0 {
		return
	}
	p.bar.update(d, t, -1, false)
}

func (p *cliProgress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.baseTotal + p.total; t > 0 {
		p.bar.update(p.base+p.done, t, -1, true)
	}
	p.bar.finish()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
