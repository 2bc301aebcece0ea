// Command ger generates kernels/ger_amd64.s and its stubs: the AVX2+FMA and
// AVX-512 rank-one updates sger and dger, A += alpha*x*yᵀ for row-major A.
//
// Each row i is updated in one pass with simd.Variant.ElementLoop (blocks of
// 4 vectors, single vectors, then a masked AVX-512 tail or a scalar AVX2
// tail): t = alpha*x[i] is broadcast once per row and
// A[i, j] = fma(t, y[j], A[i, j]), the same operations as gerGeneric with
// the product and the sum rounded once.
package main
