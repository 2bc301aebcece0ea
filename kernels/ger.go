package kernels

// Ger adds the rank-one update alpha*x*yᵀ to the len(x)×len(y) row-major
// matrix A with leading dimension lda:
//
//	for i := range x { for j := range y { A[i*lda+j] += alpha * x[i] * y[j] } }
//
// It panics if lda < max(len(y), 1) or A is too short. A must not overlap x
// or y. Levels: generic, avx2, avx512.
func Ger[T Float](a []T, lda int, alpha T, x, y []T) {
	checkMatrix(a, len(x), len(y), lda)
	if alpha == 0 {
		return
	}
	if is32[T]() {
		state.table.sger(f32(a), lda, float32(alpha), f32(x), f32(y))
		return
	}
	state.table.dger(f64(a), lda, float64(alpha), f64(x), f64(y))
}
