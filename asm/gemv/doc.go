// Command gemv generates kernels/gemv_amd64.s and its stubs: the AVX2+FMA
// and AVX-512 matrix-vector kernels sgemvN, dgemvN, sgemvT and dgemvT.
//
// Summation order, which fixes the rounding:
//
//   - gemvN computes each y[i] from R rows at once (AVX2: R = 4 with U = 2,
//     then single rows with U = 2; AVX-512: single rows with U = 4).
//     Row r keeps U vector accumulators; accumulator u, lane l sums
//     A[i+r, j]*x[j] over the j with (j/W) mod U == u and j mod W == l (W =
//     lanes per vector), each step one FMA. The tail (len(x) mod W elements)
//     is added through a lane mask into accumulator 0. The accumulators are
//     then added (u = 0+1+...), each vector is folded in halves down to 128
//     bits, and the four rows of a block are reduced together by unpack/add:
//     lanes (0+2) + (1+3) for float32, lane 0 + lane 1 for float64 (a single
//     row likewise, by hsum). Finally
//     y[i] = fma(alpha, sum, beta*y[i]), or alpha*sum when beta == 0 (y is
//     not read). The AVX-512 kernels run a second copy of the row loop,
//     with software prefetch and the same arithmetic, when A is larger
//     than streamBytes (see streamPrefetch).
//   - gemvT first sets y = beta*y (y = 0 without reading y when beta == 0,
//     untouched when beta == 1), then adds the rows of A in increasing i,
//     y[j] = fma(alpha*x[i], A[i, j], y[j]), processing R rows per pass over
//     y (AVX2: 4, then 1; AVX-512: 2, then 1, or 4, then 1 when A is
//     larger than midBytes, or single rows when A is larger than
//     streamBytes), each pass in steps of several vectors of y (the same
//     order as gemvTGeneric, with fused rounding). The single-row passes
//     prefetch (see streamPrefetchT), and so do the 4-row passes of A
//     between midBytes and streamBytes (see midBytes); with two rows per
//     pass, software prefetching measured slower than the hardware
//     prefetchers on Zen 5 for float64 n = 512 (A in L3): PREFETCHT0 or
//     PREFETCHNTA of the pass's rows 512-2048 bytes ahead, or of the next
//     pass's rows, on every line or every 4th or 16th, 1-9% slower; so
//     were column panels of 16-28 vectors of y kept in registers over all
//     rows (no y traffic, A read in row segments; 1-8%, with or without
//     prefetch).
package main
