//go:build !race

package rnn

// raceEnabled reports a -race build, whose instrumentation allocates.
const raceEnabled = false
