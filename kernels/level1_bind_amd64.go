//go:build !noasm && !purego && gc

package kernels

// bindLevel1 installs the generated level-1 and elementwise kernels
// (level1_amd64.s, from asm/level1) at AVX2 and AVX512.
func bindLevel1(t *[numLevels]funcs) {
	a := &t[AVX2]
	a.sdot, a.ddot = sdotAVX2, ddotAVX2
	a.saxpy, a.daxpy = saxpyAVX2, daxpyAVX2
	a.sscal, a.dscal = sscalAVX2, dscalAVX2
	a.saxpyTo, a.daxpyTo = saxpyToAVX2, daxpyToAVX2
	a.sscaledDiff, a.dscaledDiff = sscaledDiffAVX2, dscaledDiffAVX2
	a.srelu, a.drelu = sreluAVX2, dreluAVX2
	a.smul, a.dmul = smulAVX2, dmulAVX2

	z := &t[AVX512]
	z.sdot, z.ddot = sdotAVX512, ddotAVX512
	z.saxpy, z.daxpy = saxpyAVX512, daxpyAVX512
	z.sscal, z.dscal = sscalAVX512, dscalAVX512
	z.saxpyTo, z.daxpyTo = saxpyToAVX512, daxpyToAVX512
	z.sscaledDiff, z.dscaledDiff = sscaledDiffAVX512, dscaledDiffAVX512
	z.srelu, z.drelu = sreluAVX512, dreluAVX512
	z.smul, z.dmul = smulAVX512, dmulAVX512
}
