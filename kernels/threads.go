package kernels

import (
	"fmt"
	"runtime"
)

// Threads returns how many goroutines one parallel call may use: a large
// Gemm here, and the batch chunks of a forward, backward or
// Hessian-vector pass in package rnn. It is GOMAXPROCS unless SetThreads
// has set a lower cap. Results never depend on it.
func Threads() int {
	p := runtime.GOMAXPROCS(0)
	if t := state.threads; t > 0 && t < p {
		return t
	}
	return p
}

// SetThreads caps at n the goroutines of one parallel call (see Threads)
// and returns a function that restores the previous cap; n = 0 removes
// the cap. A caller that already runs independent computations on every
// core, such as a sweep running two training runs at once on two cores,
// sets 1, so that each computation stays on its goroutine instead of
// handing parts of its products to helpers that compete with the other
// computations for the same cores. It returns an error, and changes
// nothing, when n < 0. Like SetLevel it is not safe for concurrent use
// with running kernels: call it before starting them.
func SetThreads(n int) (restore func(), err error) {
	if n < 0 {
		return func() {}, fmt.Errorf("kernels: SetThreads(%d): allowed values are 0 (GOMAXPROCS) or a positive cap", n)
	}
	prev := state.threads
	state.threads = n
	return func() { state.threads = prev }, nil
}
