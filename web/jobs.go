package web

import (
	"context"
	"sync"
	"time"

	"liaison"
)

// Jobs are the long directory changes and recomputes that an admin starts
// from a page: each runs in the background, reports progress through
// liaison.WithProgress, and has a page that shows it (GET
// /office/jobs/{id}). They live in this process only.

// job is one running or finished change.
type job struct {
	ID      string
	What    string
	By      string // the admin who started it
	Started time.Time
	Back    string // where the finished page links to

	mu       sync.Mutex
	done     int64
	total    int64
	permille int64 // never decreases: the bar never goes back
	finished bool
	err      error
	ended    time.Time
}

// jobState is a job as its page and its JSON show it.
type jobState struct {
	ID       string `json:"id"`
	What     string `json:"what"`
	Done     int64  `json:"done"`
	Total    int64  `json:"total"`
	Permille int64  `json:"permille"`
	Percent  int64  `json:"percent"`
	Finished bool   `json:"finished"`
	Failed   bool   `json:"failed"`
	Message  string `json:"message,omitempty"`
	Back     string `json:"back"`
	Took     string `json:"took,omitempty"`
}

// report takes one progress report: done is clamped to total, so the
// counts never overshoot, and the bar moves only forward even when the
// total grows (recompute learns its later steps' size as it goes).
func (j *job) report(done, total int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	done = max(0, min(done, total))
	j.done, j.total = done, total
	if total > 0 {
		j.permille = max(j.permille, done*1000/total)
	}
}

func (j *job) finish(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished, j.err, j.ended = true, err, time.Now()
	if err == nil {
		j.permille, j.done = 1000, j.total
	}
}

func (j *job) state() jobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := jobState{ID: j.ID, What: j.What, Done: j.done, Total: j.total, Permille: j.permille, Percent: j.permille / 10,
		Finished: j.finished, Failed: j.err != nil, Back: j.Back}
	if j.err != nil {
		st.Message = liaison.ErrorMessage(j.err)
	}
	if j.finished {
		st.Took = j.ended.Sub(j.Started).Round(time.Millisecond).String()
	}
	return st
}

// jobs holds the jobs of this process, the latest maxJobs of them.
type jobs struct {
	mu    sync.Mutex
	byID  map[string]*job
	order []string
}

const maxJobs = 100

func newJobs() *jobs { return &jobs{byID: map[string]*job{}} }

// start runs fn in the background with a context that reports to the
// new job and keeps ctx's values (the principal, for the audit log) but
// not its cancellation: a change goes on when the browser leaves.
func (js *jobs) start(ctx context.Context, what, by, back string, fn func(ctx context.Context) error) *job {
	j := &job{ID: randomToken(), What: what, By: by, Back: back, Started: time.Now()}
	js.mu.Lock()
	js.byID[j.ID] = j
	js.order = append(js.order, j.ID)
	if len(js.order) > maxJobs {
		delete(js.byID, js.order[0])
		js.order = js.order[1:]
	}
	js.mu.Unlock()
	run := liaison.WithProgress(context.WithoutCancel(ctx), j.report)
	go func() { j.finish(fn(run)) }()
	return j
}

func (js *jobs) get(id string) (*job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.byID[id]
	return j, ok
}
