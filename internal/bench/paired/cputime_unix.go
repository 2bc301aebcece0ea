//go:build unix

package paired

import (
	"syscall"
	"time"
)

// CPUTime returns the process's user+system CPU time, or 0 where it cannot
// be read. On a shared, noisy machine the CPU time per operation of a
// single-threaded benchmark (GOMAXPROCS=1, pinned with taskset) is steadier
// than its wall time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
