//go:build !unix

package experiment

// processCPUSeconds returns 0: the process's CPU time is not read on this
// system.
func processCPUSeconds() float64 { return 0 }
