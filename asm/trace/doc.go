// Command trace generates kernels/trace_amd64.s and its stubs: the AVX2+FMA
// and AVX-512 fused eligibility-trace kernels strace and dtrace, which for
// i < len(c), j < len(v) do
//
//	E[i, j] = c[i]*E[i, j] + d[i]*v[j]
//	G[i, j] += p[i]*E[i, j] + q[i]*v[j]
//
// in one pass: each element of E and G is loaded and stored once. Rows go
// one at a time; each row walks its columns with simd.Variant.ElementLoop
// (blocks of 2 or 4 vectors that load v and E before computing and storing,
// see blocking; single vectors; then a masked AVX-512 tail or a scalar
// AVX2 tail).
//
// Row coefficients (see rowGroups): the rows are taken in groups of one
// vector's width (8 or 16 float32, 4 or 8 float64 rows); a group loads c,
// d, p and q once as vectors and each row broadcasts its lane from those
// registers with VPERMPS. The rows after the last whole group broadcast
// their coefficients from memory. Measured on Zen 5 (BenchmarkTracePaired,
// float32 256×256, E and G in L2): median paired ratio to the rmw reference
// 0.83 (six runs, 0.81-0.85) against 0.67-0.73 for the previous kernels,
// which per row reloaded the four slice bases from the argument frame and
// broadcast the coefficients from memory; with rows of 1 KiB those few
// loads per row cost about a fifth of the bandwidth. With the register
// broadcasts these were measured no faster: two rows per pass sharing the
// loads of v (25% slower; three and four rows were also slower with the
// memory broadcasts), column chunks of 512 bytes
// swept down the rows with v in registers (30% slower; 3% faster only when
// a whole row fits in 16 registers), a bottom-tested column loop, fully
// unrolled rows, and prefetching E and G 256-512 bytes ahead with
// PREFETCHT0 or a hand-encoded PREFETCHW (which avo and the Go assembler
// lack).
//
// Rounding: e = fma(d, v, c*E); G = G + fma(p, e, q*v). The reference
// traceGeneric rounds every product and sum; here two products are fused.
package main
