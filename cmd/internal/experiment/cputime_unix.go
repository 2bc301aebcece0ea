//go:build unix

package experiment

import "syscall"

// processCPUSeconds returns the process's CPU time so far (user + system),
// or 0 if it cannot be read.
func processCPUSeconds() float64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return float64(u.Utime.Sec+u.Stime.Sec) + float64(u.Utime.Usec+u.Stime.Usec)/1e6
}
