package kernels

// GemvN computes y = alpha*A*x + beta*y for the len(y)×len(x) row-major
// matrix A with leading dimension lda:
//
//	for i := range y { y[i] = alpha * Dot(A[i*lda:i*lda+len(x)], x) + beta*y[i] }
//
// When beta == 0, y is not read (NaN in y is overwritten). When alpha == 0
// and beta == 1 it returns at once. It panics if lda < max(len(x), 1) or A is
// too short. y must not overlap A or x. Levels: generic, avx2, avx512.
func GemvN[T Float](y []T, alpha T, a []T, lda int, x []T, beta T) {
	checkMatrix(a, len(y), len(x), lda)
	if alpha == 0 && beta == 1 {
		return
	}
	if is32[T]() {
		state.table.sgemvN(f32(y), float32(alpha), f32(a), lda, f32(x), float32(beta))
		return
	}
	state.table.dgemvN(f64(y), float64(alpha), f64(a), lda, f64(x), float64(beta))
}

// GemvT computes y = alpha*Aᵀ*x + beta*y for the len(x)×len(y) row-major
// matrix A with leading dimension lda:
//
//	for j := range y { y[j] = alpha * Σ_i A[i*lda+j]*x[i] + beta*y[j] }
//
// When beta == 0, y is not read. When alpha == 0 and beta == 1 it returns at
// once. It panics if lda < max(len(y), 1) or A is too short. y must not
// overlap A or x. Levels: generic, avx2, avx512.
func GemvT[T Float](y []T, alpha T, a []T, lda int, x []T, beta T) {
	checkMatrix(a, len(x), len(y), lda)
	if alpha == 0 && beta == 1 {
		return
	}
	if is32[T]() {
		state.table.sgemvT(f32(y), float32(alpha), f32(a), lda, f32(x), float32(beta))
		return
	}
	state.table.dgemvT(f64(y), float64(alpha), f64(a), lda, f64(x), float64(beta))
}
