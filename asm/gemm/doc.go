// Command gemm generates the register-blocked gemm micro-kernels of package
// kernels: kernels/gemm_amd64.s and its stubs kernels/gemm_amd64.go.
//
// One function, microKernel, emits all variants {float32, float64} ×
// {AVX2, AVX-512} × {full, half width} × {MR rows, 4 rows}, parametrised by
// element width, vector width and tile shape. Each micro-kernel computes a run of MR×NR tiles of C side by side:
//
//	for q < strips, r < MR, j < NR:   // C, B advanced by q*NR columns, q*bstep elements
//		acc := 0; if flags&16 != 0 { acc = C[r*ldc+j] }               // continue a blocked sum
//		for l := 0; l < k; l++ { acc = fma(A(r,l), B(l,j), acc) }   // one rounding per step
//		t := alpha*acc                                               // rounded
//		if flags&1 != 0 { t = t + beta*C[r*ldc+j] }                  // beta*C rounded, then the sum
//		if flags&2 != 0 {                                            // fused ReLU epilogue
//			if flags&4 != 0 { mask[r*ldc+j] = 1 if t > 0 else 0 }
//			if !(t > 0) && t == t { t = +0 }
//		} else if flags&8 != 0 {                                     // fused product
//			t = t * mask[r*ldc+j]                                    // rounded
//		}
//		C[r*ldc+j] = t
//
// where A(r,l) = a[r*ra + l*sa] and B(l,j) = b[l*sb + j] (all strides in
// elements). Accumulator layout: one vector register per (row r, vector v),
// lane i of register (r, v) holds column j = v*W + i; the sum over l is a
// single sequential FMA chain per element of C, in increasing l. The result
// of an element therefore does not depend on the tile it falls in, on the
// level (AVX2 and AVX-512 give the same bits), or on how the caller splits
// the output across goroutines. When flags&1 == 0 (and flags&16 == 0), C is
// only written. flags&16 lets the driver split a long sum over l into blocks
// that stay in cache: each block continues the chains from the partial sums
// the previous block stored (with alpha = 1, which stores acc exactly), so
// the chain, and every bit of the result, is that of one call.
//
// Before the k loop of each tile, the kernels prefetch the tile's rows of C
// and, when flags&12 != 0, of the mask or product operand: in the RNN these
// are rows of trajectories far larger than the caches (the forward pass's
// ψ, the backward pass's δ and ψ), whose misses otherwise stall the
// epilogue. Prefetches are hints and change no result.
//
// The file also holds the AVX2 packs the blocked driver uses: a transposing
// one (8×8 / 4×4 tiles) for op(B) = Bᵀ and a plain one for strips of B.
//
// With -tiles FILE it also writes the tile shapes of the micro-kernels and
// the tile width of the transposing packs as Go constants
// (kernels/gemm_tiles_amd64.go), so that the blocked driver's binding
// (kernels/gemm_bind_amd64.go) cannot disagree with the generated code.
//
// Run with `go generate` from this directory.
package main
