package leveltest

import (
	"runtime"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
)

// ForEachLevel calls f once for each level of kernels.Levels() that this
// machine supports (kernels.Detected()), in that order, with the level
// active, and skips the others. It restores the active level after each
// call and GOMAXPROCS on return, so f may set runtime.GOMAXPROCS. Tests
// that use it must not call t.Parallel.
func ForEachLevel(t testing.TB, f func(l kernels.Level)) {
	t.Helper()
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	for _, l := range kernels.Levels() {
		if l > kernels.Detected() {
			continue
		}
		restore, err := kernels.SetLevel(l)
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer restore()
			f(l)
		}()
	}
}
