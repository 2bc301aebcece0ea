//go:build !noasm && !purego && gc

package kernels

// bindTrace installs the assembly kernels of the trace family
// (trace_amd64.s, from asm/trace) at the AVX2 and AVX512 levels.
func bindTrace(t *[numLevels]funcs) {
	t[AVX2].strace, t[AVX2].dtrace = straceAVX2, dtraceAVX2
	t[AVX512].strace, t[AVX512].dtrace = straceAVX512, dtraceAVX512
}
