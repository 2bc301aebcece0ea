//go:build !noasm && !purego && gc

package kernels

// Tile shapes of the generated micro-kernels (asm/gemm/main.go, variants).
const (
	sgemmMRAVX2, sgemmNRAVX2     = 6, 16
	dgemmMRAVX2, dgemmNRAVX2     = 6, 8
	sgemmMRAVX512, sgemmNRAVX512 = 8, 32
	dgemmMRAVX512, dgemmNRAVX512 = 8, 16
)

// bindGemm installs the blocked gemm driver with each level's micro-kernel.
func bindGemm(t *[numLevels]funcs) {
	// The packs use AVX2 only; AVX-512 CPUs have it. Every nr·size is 64 or
	// 128 bytes, as packN requires.
	gemmMicros32[AVX2] = &gemmMicro[float32]{kern: sgemmKernelAVX2, half: sgemmKernelHalfAVX2, mr: sgemmMRAVX2, nr: sgemmNRAVX2, packT: sgemmPackTAVX2, w: 8, packN: sgemmPackNAVX2}
	gemmMicros64[AVX2] = &gemmMicro[float64]{kern: dgemmKernelAVX2, half: dgemmKernelHalfAVX2, mr: dgemmMRAVX2, nr: dgemmNRAVX2, packT: dgemmPackTAVX2, w: 4, packN: dgemmPackNAVX2}
	gemmMicros32[AVX512] = &gemmMicro[float32]{kern: sgemmKernelAVX512, half: sgemmKernelHalfAVX512, mr: sgemmMRAVX512, nr: sgemmNRAVX512, packT: sgemmPackTAVX2, w: 8, packN: sgemmPackNAVX2}
	gemmMicros64[AVX512] = &gemmMicro[float64]{kern: dgemmKernelAVX512, half: dgemmKernelHalfAVX512, mr: dgemmMRAVX512, nr: dgemmNRAVX512, packT: dgemmPackTAVX2, w: 4, packN: dgemmPackNAVX2}
	for _, l := range []Level{AVX2, AVX512} {
		t[l].sgemm = gemmMicros32[l].gemm
		t[l].dgemm = gemmMicros64[l].gemm
	}
}
