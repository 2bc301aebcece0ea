package paired

import (
	"math"
	"slices"
	"testing"
	"time"
)

// Window is the target length of one timing window of Run:
// long enough that the clock's resolution and the loop are negligible,
// short enough that most windows run without being descheduled.
const Window = 50 * time.Microsecond

// Run times the implementations fns (named names, fns[0] the
// baseline) against each other on a shared, noisy machine; fns[i](reps)
// makes reps calls of implementation i. Every b.Loop iteration is one
// round: each implementation in turn runs one timed window of about
// Window (its own number of calls), so contention hits all of them
// alike. It reports, per implementation, work/1e9 per second of its
// fastest window as "<name>-<unit>" (the uncontended speed) and of its
// median window as "<name>-med-<unit>" (the typical speed), and the median
// over rounds of the baseline's time per call over this one's as
// "<name>/<names[0]>" (the paired speed-up; > 1 is faster than the
// baseline). ns/op is the time of one round and means nothing by itself.
func Run(b *testing.B, names []string, fns []func(reps int), work float64, unit string) {
	b.Helper()
	// Warm up, and double each implementation's reps until its window lasts
	// at least Window.
	reps := make([]int, len(fns))
	for i, f := range fns {
		reps[i] = 1
		for {
			t0 := time.Now()
			f(reps[i])
			if time.Since(t0) >= Window {
				break
			}
			reps[i] *= 2
		}
	}
	best := make([]float64, len(fns)) // fastest seconds per call
	for i := range best {
		best[i] = math.Inf(1)
	}
	ratios := make([][]float64, len(fns))
	times := make([][]float64, len(fns))
	perCall := make([]float64, len(fns))
	for b.Loop() {
		for i, f := range fns {
			t0 := time.Now()
			f(reps[i])
			perCall[i] = time.Since(t0).Seconds() / float64(reps[i])
			best[i] = min(best[i], perCall[i])
			times[i] = append(times[i], perCall[i])
		}
		for i := range fns {
			ratios[i] = append(ratios[i], perCall[0]/perCall[i])
		}
	}
	for i, name := range names {
		b.ReportMetric(work/best[i]/1e9, name+"-"+unit)
		b.ReportMetric(work/median(times[i])/1e9, name+"-med-"+unit)
		if i > 0 {
			b.ReportMetric(median(ratios[i]), name+"/"+names[0])
		}
	}
}

// median returns the median of v (0 when v is empty); v is reordered.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Repeat returns a function that calls f reps times, the form Run takes.
func Repeat(f func()) func(reps int) {
	return func(reps int) {
		for range reps {
			f()
		}
	}
}
