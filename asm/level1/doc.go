// Command level1 generates kernels/level1_amd64.s and its stubs: the AVX2+FMA
// and AVX-512 versions of the level-1 and elementwise kernels dot, axpy,
// scal, axpyTo, scaledDiff, relu and mul, for float32 and float64.
//
// Every kernel walks its slices in increasing index order with
// simd.Variant.ElementLoop: blocks of 4 vectors, then single vectors, then
// the tail — one masked vector (K register) at AVX-512, a scalar loop at
// AVX2. Loads and stores are unaligned; every function ends in VZEROUPPER.
//
// Rounding compared with the Go references:
//
//   - scal, scaledDiff, mul and relu perform the same operations as their
//     references and give bit-identical results (relu maps -0 to +0 and
//     passes NaN through, as reluGeneric does).
//   - axpy and axpyTo use one fused multiply-add per element (alpha*x + y
//     rounded once).
//   - dot sums in four vector accumulators. With W lanes per vector, the
//     4-vector blocks add x[i]*y[i] (fused) into accumulator (i/W) mod 4,
//     lane i mod W. The single-vector steps after the last full block and
//     the AVX-512 masked tail add into accumulator 0 (masked-off lanes add
//     0*0). The AVX2 scalar tail sums its elements in order in a separate
//     scalar accumulator t. At the end the result is
//     reduce((acc0+acc1) + (acc2+acc3)) + t, where reduce adds the upper
//     half of the vector to the lower half down to one lane (see
//     simd.Variant.ReduceAdd).
package main
