//go:build !noasm && !purego && gc

package kernels

// bindGemv installs the assembly kernels of the gemv family (gemv_amd64.s)
// and of ger (ger_amd64.s) at the AVX2 and AVX512 levels.
func bindGemv(t *[numLevels]funcs) {
	t[AVX2].sgemvN, t[AVX2].dgemvN = sgemvNAVX2, dgemvNAVX2
	t[AVX2].sgemvT, t[AVX2].dgemvT = sgemvTAVX2, dgemvTAVX2
	t[AVX512].sgemvN, t[AVX512].dgemvN = sgemvNAVX512, dgemvNAVX512
	t[AVX512].sgemvT, t[AVX512].dgemvT = sgemvTAVX512, dgemvTAVX512
	t[AVX2].sger, t[AVX2].dger = sgerAVX2, dgerAVX2
	t[AVX512].sger, t[AVX512].dger = sgerAVX512, dgerAVX512
}
