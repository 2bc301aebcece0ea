package rules

import "github.com/hessrnn/hessrnn/kernels"

// smallRows is the largest row count for which mulNN uses one GemvT per row
// instead of kernels.Gemm: on the benchmark machine Gemm with 1–3 rows (the
// B = 1 pattern-generation shape, TBPTT's few windows) is several times
// slower than the matrix-vector kernel (see BenchmarkMulSmallRows).
const smallRows = 3

// mulNN computes C = alpha·A·B + beta·C for row-major A (m×k, leading
// dimension lda), B (k×n, ldb) and C (m×n, ldc), as kernels.Gemm with no
// transposes; C is not read when beta == 0.
func mulNN[T kernels.Float](m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m > smallRows || k == 0 {
		kernels.Gemm(false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for i := 0; i < m; i++ {
		kernels.GemvT(c[i*ldc:i*ldc+n], alpha, b, ldb, a[i*lda:i*lda+k], beta)
	}
}
