//go:build !noasm && !purego && gc

package kernels

import "github.com/klauspost/cpuid/v2"

// bindTrace installs the assembly kernels of the trace family
// (trace_amd64.s) at the AVX2 and AVX512 levels. At AVX512 a trace whose E
// and G fit in half of L2 goes to the two-row kernel (strace2AVX512,
// dtrace2AVX512), which is faster there, and a larger one to the one-row
// kernel, which is faster when E and G stream from L3 or memory (see
// asm/trace).
func bindTrace(t *[numLevels]funcs) {
	t[AVX2].strace, t[AVX2].dtrace = straceAVX2, dtraceAVX2
	l2 := cpuid.CPU.Cache.L2
	t[AVX512].strace = func(e []float32, lde int, g []float32, ldg int, c, d, p, q, v []float32) {
		if traceInL2(len(c), len(v), 4, l2) {
			strace2AVX512(e, lde, g, ldg, c, d, p, q, v)
			return
		}
		straceAVX512(e, lde, g, ldg, c, d, p, q, v)
	}
	t[AVX512].dtrace = func(e []float64, lde int, g []float64, ldg int, c, d, p, q, v []float64) {
		if traceInL2(len(c), len(v), 8, l2) {
			dtrace2AVX512(e, lde, g, ldg, c, d, p, q, v)
			return
		}
		dtraceAVX512(e, lde, g, ldg, c, d, p, q, v)
	}
}

// traceDefaultL2 is the L2 size assumed when cpuid does not report one.
const traceDefaultL2 = 512 << 10

// traceInL2 reports whether an n×m trace of elements of size bytes (E and
// G, 2·n·m·size bytes) fits in half of an L2 cache of l2 bytes (l2 <= 0:
// unknown, traceDefaultL2), leaving the other half for v, the coefficients
// and whatever the caller keeps there. Measured on Zen 5 (L2 1 MiB): float32
// 256×256 (512 KiB) is 12-14% faster with the two-row kernel, float32 and
// float64 1024×1024 5-15% slower.
func traceInL2(n, m, size, l2 int) bool {
	if l2 <= 0 {
		l2 = traceDefaultL2
	}
	return 2*n*m*size <= l2/2
}
