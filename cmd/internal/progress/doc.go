// Package progress reports the progress of hessrnn runs: on a terminal, a
// live bar per active run and an overall bar with the ETA; when the output
// is not a terminal (a Slurm log, a pipe), plain lines at a fixed interval
// and one line per finished run. The training loop sees only the Recorder
// interface, so progress output never affects results.
package progress
