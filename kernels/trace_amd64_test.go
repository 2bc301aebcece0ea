//go:build !noasm && !purego && gc

package kernels

import "testing"

// TestTraceRowGroups compares Trace with traceGeneric at every level for
// every row count up to three groups of 16 rows plus a partial one: the
// assembly kernels take their row coefficients from one vector load per
// group of Lanes rows (8 or 16 at float32, 4 or 8 at float64) and
// broadcast the last len(c) mod Lanes rows from memory, so this covers
// whole groups, the remainder and both together, with special values in
// E, v, G and c (NaN in a coefficient of a grouped row must propagate).
func TestTraceRowGroups(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for n := 0; n <= 3*16+7; n++ {
			tc := traceCase{n: n, m: 19, ldePad: n % 3, ldgPad: (n + 1) % 2, off: n % 8, seed: uint64(n + 1), special: uint8(n % 16)}
			runTraceCase[float32](t, tc)
			runTraceCase[float64](t, tc)
		}
	})
}
