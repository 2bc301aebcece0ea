// Package simd holds the helpers shared by the avo generators of the
// kernels package: element types, instruction-set levels, the pairing of
// the two into a Variant that selects the right instruction for each
// operation, element loops with vector, masked (AVX-512) and scalar (AVX2)
// tails, horizontal reductions, and the GOOS/GOARCH and build-constraint
// set-up every generator needs.
//
// A generator writes one Go function per kernel, parametrised by a Variant,
// and calls it for every element of Variants(): one source emits float32
// and float64 at AVX2 and AVX-512.
//
// The exported API of this package is used by the generators of every kernel
// family (asm/level1, asm/gemv, asm/ger, asm/gemm, asm/trace); keep it
// stable and extend it rather than change it.
package simd
