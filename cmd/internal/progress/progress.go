package progress

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Recorder is what a training loop calls after each iteration.
type Recorder interface {
	// Step reports that iteration iter (1-based) of the run is done, with
	// the current training loss.
	Step(iter int, loss float64)
}

// Discard is a Recorder that ignores everything.
var Discard Recorder = discard{}

type discard struct{}

func (discard) Step(int, float64) {}

// IsTerminal reports whether f is a terminal that can redraw bars: a tty
// by term.IsTerminal (a character device such as /dev/null is not one),
// with $TERM other than "dumb".
func IsTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// Tracker follows a set of runs. Its methods are safe for concurrent use.
type Tracker struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	interval time.Duration
	now      func() time.Time

	total, done int
	skipped     int // runs counted done without work (results that existed)
	start       time.Time
	last        time.Time
	active      map[string]*Run
	drawn       int // lines of the live display currently on screen
}

// Options configures a Tracker.
type Options struct {
	// Terminal selects live bars; otherwise plain periodic lines.
	Terminal bool
	// Interval between plain lines (default 30 s) or redraws (default 100 ms).
	Interval time.Duration
	// Now is the clock (default time.Now); tests replace it.
	Now func() time.Time
}

// New returns a Tracker for total runs writing to w.
func New(w io.Writer, total int, opts Options) *Tracker {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Interval == 0 {
		opts.Interval = 30 * time.Second
		if opts.Terminal {
			opts.Interval = 100 * time.Millisecond
		}
	}
	t := &Tracker{w: w, terminal: opts.Terminal, interval: opts.Interval, now: opts.Now, total: total, active: map[string]*Run{}}
	t.start = t.now()
	t.last = t.start
	return t
}

// Run is the progress of one run; it implements Recorder.
type Run struct {
	t     *Tracker
	id    string
	iters int
	iter  int
	loss  float64
	start time.Time
}

// Start registers a run of iters iterations.
func (t *Tracker) Start(id string, iters int) *Run {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &Run{t: t, id: id, iters: max(1, iters), start: t.now()}
	t.active[id] = r
	t.maybeDraw(true)
	return r
}

// Step implements Recorder.
func (r *Run) Step(iter int, loss float64) {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	r.iter, r.loss = iter, loss
	t.maybeDraw(false)
}

// Done marks the run finished with a status word ("finished", "diverged
// at step 12: ...") and prints one line for it.
func (r *Run) Done(status string) {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.active, r.id)
	t.done++
	t.clear()
	fmt.Fprintf(t.w, "[%d/%d] %s: %s (%s)\n", t.done, t.total, r.id, status, fmtDur(t.now().Sub(r.start)))
	t.maybeDraw(true)
}

// Skip counts a run that needs no work (its result exists).
func (t *Tracker) Skip(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done++
	t.skipped++
}

// Finish clears the live display and prints the overall time.
func (t *Tracker) Finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	fmt.Fprintf(t.w, "%d/%d runs done in %s\n", t.done, t.total, fmtDur(t.now().Sub(t.start)))
}

// fraction returns the overall completed fraction in [0, 1].
func (t *Tracker) fraction() float64 {
	if t.total == 0 {
		return 1
	}
	f := float64(t.done)
	for _, r := range t.active {
		f += float64(r.iter) / float64(r.iters)
	}
	return min(1, f/float64(t.total))
}

// eta extrapolates the rate of this invocation's own work: runs that were
// skipped (done before it started) took none of its elapsed time, so they
// count towards the fraction done but not towards the rate.
func (t *Tracker) eta() string {
	f := t.fraction()
	worked := f*float64(t.total) - float64(t.skipped)
	el := t.now().Sub(t.start)
	if worked <= 0 || el <= 0 {
		return "?"
	}
	return fmtDur(time.Duration(float64(el) * (1 - f) * float64(t.total) / worked))
}

func (t *Tracker) maybeDraw(force bool) {
	now := t.now()
	if t.terminal {
		if !force && now.Sub(t.last) < t.interval {
			return
		}
		t.last = now
		t.draw()
		return
	}
	if now.Sub(t.last) < t.interval {
		return
	}
	t.last = now
	fmt.Fprintf(t.w, "progress: %d/%d runs done, %.0f%%, elapsed %s, ETA %s%s\n",
		t.done, t.total, 100*t.fraction(), fmtDur(now.Sub(t.start)), t.eta(), t.activeSummary())
}

func (t *Tracker) sortedActive() []*Run {
	rs := make([]*Run, 0, len(t.active))
	for _, r := range t.active {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].id < rs[j].id })
	return rs
}

func (t *Tracker) activeSummary() string {
	var b strings.Builder
	for _, r := range t.sortedActive() {
		fmt.Fprintf(&b, "; %s %d/%d loss %.4g", r.id, r.iter, r.iters, r.loss)
	}
	return b.String()
}

// clear erases the live display.
func (t *Tracker) clear() {
	if !t.terminal || t.drawn == 0 {
		return
	}
	fmt.Fprintf(t.w, "\x1b[%dA", t.drawn)
	for range t.drawn {
		fmt.Fprint(t.w, "\x1b[2K\n")
	}
	fmt.Fprintf(t.w, "\x1b[%dA", t.drawn)
	t.drawn = 0
}

func bar(f float64, width int) string {
	n := int(f*float64(width) + 0.5)
	n = max(0, min(width, n))
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func (t *Tracker) draw() {
	t.clear()
	lines := 0
	for _, r := range t.sortedActive() {
		f := float64(r.iter) / float64(r.iters)
		fmt.Fprintf(t.w, "  %-40s %s %3.0f%% %d/%d loss %.4g\n", trim(r.id, 40), bar(f, 20), 100*f, r.iter, r.iters, r.loss)
		lines++
	}
	f := t.fraction()
	fmt.Fprintf(t.w, "overall %s %3.0f%% %d/%d runs, elapsed %s, ETA %s\n", bar(f, 30), 100*f, t.done, t.total, fmtDur(t.now().Sub(t.start)), t.eta())
	t.drawn = lines + 1
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
