package leveltest

import (
	"runtime"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
)

// TestForEachLevel checks that ForEachLevel visits exactly the supported
// levels in order with each one active, and restores the active level and
// GOMAXPROCS afterwards.
func TestForEachLevel(t *testing.T) {
	before, procs := kernels.Active(), runtime.GOMAXPROCS(0)
	var want, got []kernels.Level
	for _, l := range kernels.Levels() {
		if l <= kernels.Detected() {
			want = append(want, l)
		}
	}
	ForEachLevel(t, func(l kernels.Level) {
		if a := kernels.Active(); a != l {
			t.Errorf("level %s: active level %s", l, a)
		}
		runtime.GOMAXPROCS(procs + 1)
		got = append(got, l)
	})
	if len(got) != len(want) {
		t.Fatalf("visited %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("visited %v, want %v", got, want)
		}
	}
	if a := kernels.Active(); a != before {
		t.Errorf("active level after: %s, want %s", a, before)
	}
	if p := runtime.GOMAXPROCS(0); p != procs {
		t.Errorf("GOMAXPROCS after: %d, want %d", p, procs)
	}
}
