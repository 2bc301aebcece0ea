//go:build !race

package kernels

// gemmRace is true under the race detector, which makes sync.Pool drop
// items at random, so allocation counts are meaningless.
const gemmRace = false
