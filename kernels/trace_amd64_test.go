//go:build !noasm && !purego && gc

package kernels

import "testing"

// TestTraceAVX512Kernels checks both AVX-512 trace kernels directly against
// traceGeneric: Trace picks one of them by size (traceInL2), so at the
// test shapes it would exercise mostly the two-row one.
func TestTraceAVX512Kernels(t *testing.T) {
	if Detected() < AVX512 {
		t.Skipf("CPU level %v lacks AVX-512", Detected())
	}
	for _, k := range []struct {
		name string
		s    traceKernel[float32]
		d    traceKernel[float64]
	}{
		{"one-row", straceAVX512, dtraceAVX512},
		{"two-row", strace2AVX512, dtrace2AVX512},
	} {
		t.Run(k.name+"/float32", func(t *testing.T) { testTraceWith(t, nonEmpty(k.s)) })
		t.Run(k.name+"/float64", func(t *testing.T) { testTraceWith(t, nonEmpty(k.d)) })
	}
}

// nonEmpty wraps an assembly trace kernel the way Trace calls it: never
// with zero rows or columns.
func nonEmpty[T Float](k traceKernel[T]) traceKernel[T] {
	return func(e []T, lde int, g []T, ldg int, c, d, p, q, v []T) {
		if len(c) > 0 && len(v) > 0 {
			k(e, lde, g, ldg, c, d, p, q, v)
		}
	}
}

func TestTraceInL2(t *testing.T) {
	for _, tc := range []struct {
		n, m, size, l2 int
		want           bool
	}{
		{256, 256, 4, 1 << 20, true},    // 512 KiB of 1 MiB
		{256, 256, 8, 1 << 20, false},   // 1 MiB
		{1024, 1024, 4, 1 << 20, false}, // 8 MiB
		{128, 128, 8, 1 << 20, true},
		{128, 128, 8, -1, true},  // 256 KiB of the default 512 KiB
		{256, 256, 4, -1, false}, // 512 KiB
		{0, 0, 4, -1, true},
	} {
		if got := traceInL2(tc.n, tc.m, tc.size, tc.l2); got != tc.want {
			t.Errorf("traceInL2(%d, %d, %d, %d) = %v, want %v", tc.n, tc.m, tc.size, tc.l2, got, tc.want)
		}
	}
}
