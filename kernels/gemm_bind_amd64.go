//go:build !noasm && !purego && gc

package kernels

// bindGemm installs the blocked gemm driver with each level's micro-kernel,
// half-width kernel, their 4-row twins and packs. The tile shapes and pack widths come from
// the generator (gemm_tiles_amd64.go). Everything a level calls goes into
// its table entry, where TestRequiresCoveredByLevel checks it.
func bindGemm(t *[numLevels]funcs) {
	// The packs use AVX2 only; AVX-512 CPUs have it. Every nr·size is 64 or
	// 128 bytes, as packN requires.
	t[AVX2].sgemmMicro = &gemmMicro[float32]{kern: sgemmKernelAVX2, half: sgemmKernelHalfAVX2, kern4: sgemmKernel4AVX2, half4: sgemmKernelHalf4AVX2, mr: sgemmMRAVX2, nr: sgemmNRAVX2, packT: sgemmPackTAVX2, w: sgemmPackTW, packN: sgemmPackNAVX2}
	t[AVX2].dgemmMicro = &gemmMicro[float64]{kern: dgemmKernelAVX2, half: dgemmKernelHalfAVX2, kern4: dgemmKernel4AVX2, half4: dgemmKernelHalf4AVX2, mr: dgemmMRAVX2, nr: dgemmNRAVX2, packT: dgemmPackTAVX2, w: dgemmPackTW, packN: dgemmPackNAVX2}
	t[AVX512].sgemmMicro = &gemmMicro[float32]{kern: sgemmKernelAVX512, half: sgemmKernelHalfAVX512, kern4: sgemmKernel4AVX512, half4: sgemmKernelHalf4AVX512, mr: sgemmMRAVX512, nr: sgemmNRAVX512, packT: sgemmPackTAVX2, w: sgemmPackTW, packN: sgemmPackNAVX2}
	t[AVX512].dgemmMicro = &gemmMicro[float64]{kern: dgemmKernelAVX512, half: dgemmKernelHalfAVX512, kern4: dgemmKernel4AVX512, half4: dgemmKernelHalf4AVX512, mr: dgemmMRAVX512, nr: dgemmNRAVX512, packT: dgemmPackTAVX2, w: dgemmPackTW, packN: dgemmPackNAVX2}
	for _, l := range []Level{AVX2, AVX512} {
		t[l].sgemm = t[l].sgemmMicro.gemm
		t[l].dgemm = t[l].dgemmMicro.gemm
	}
}
