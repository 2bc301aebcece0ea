package kernels

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X or Xᵀ as tA and tB say, op(A) is m×k, op(B) is k×n and C is
// m×n:
//
//	for i < m, j < n: C[i*ldc+j] = alpha * Σ_l op(A)[i,l]*op(B)[l,j] + beta*C[i*ldc+j]
//
// A is m×k (lda ≥ k) when tA is false and k×m (lda ≥ m) when it is true;
// likewise B is k×n or n×k. When beta == 0, C is not read. When alpha == 0
// or k == 0, C is only scaled by beta (A and B are not read), and with
// alpha == 0 and beta == 1 Gemm returns at once. Unlike BLAS the argument order keeps
// the shapes first; C comes last as in BLAS so that calls read alike. It
// panics on negative sizes, a leading dimension too small, or a slice too
// short. C must not overlap A or B.
//
// Accumulation order: at the assembly levels every element is one FMA chain
// over l = 0..k-1 from zero, then t = alpha*sum and, when beta != 0,
// t + (beta*C) with both products rounded (see gemm_blocked.go); AVX2 and
// AVX-512 therefore agree bit for bit. A long sum with beta == 0 (more than
// 256 float64 or 512 float32 terms) runs in passes over blocks of l that
// keep their operands in cache, each continuing the chains from the partial
// sums the previous pass stored in C: the same bits as one pass (C's old
// contents are still not read). The generic level sums a*b products
// in increasing l without FMA. The result does not depend on GOMAXPROCS:
// products with 2·m·n·k ≥ 2²² are split over goroutines by output blocks
// only, and an element's arithmetic does not depend on its block. The
// parts run on long-lived worker goroutines that the package starts on
// first use (at most GOMAXPROCS-1), so steady-state calls allocate nothing;
// Gemm is safe for concurrent use. Levels: generic, avx2, avx512.
func Gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if is32[T]() {
		state.table.sgemm(tA, tB, m, n, k, float32(alpha), f32(a), lda, f32(b), ldb, float32(beta), f32(c), ldc)
		return
	}
	state.table.dgemm(tA, tB, m, n, k, float64(alpha), f64(a), lda, f64(b), ldb, float64(beta), f64(c), ldc)
}

// GemmReLU is Gemm followed by a rectifier applied to C in the same pass,
// the recurrent step h = relu(r·Wᵀ + x·W_inᵀ):
//
//	C = alpha*op(A)*op(B) + beta*C
//	if mask != nil { mask[i*ldc+j] = 1 if C[i*ldc+j] > 0 else 0 }
//	C[i*ldc+j] = max(C[i*ldc+j], 0)
//
// mask, if not nil, has the layout of C (leading dimension ldc); only its
// m×n entries are written. At the assembly levels the rectifier is fused
// into the micro-kernels' epilogue: each tile is rectified in registers and
// stored once, with its mask, in the same pass (edge tiles, smaller than a
// micro-kernel tile, are rectified in Go right after they are written). The
// values equal those of Gemm followed by ReLU at the same level, bit for
// bit: +0 where C ≤ 0 (including −0), NaN kept with mask 0. Panics as Gemm,
// and if mask is too short. C must not overlap mask. Levels: generic, avx2,
// avx512.
func GemmReLU[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, mask []T) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if mask != nil {
		checkMatrix(mask, m, n, ldc)
	}
	if m == 0 || n == 0 {
		return
	}
	if mk := activeMicro[T](); mk != nil {
		mk.run(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true, mask)
		return
	}
	Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	reluRows(c, ldc, mask, 0, m, 0, n)
}

func checkGemm[T Float](tA, tB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(errNegDim)
	}
	if tA {
		checkMatrix(a, k, m, lda)
	} else {
		checkMatrix(a, m, k, lda)
	}
	if tB {
		checkMatrix(b, n, k, ldb)
	} else {
		checkMatrix(b, k, n, ldb)
	}
	checkMatrix(c, m, n, ldc)
}
