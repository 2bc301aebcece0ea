package kernels

// Axpy adds alpha*x to y:
//
//	for i := range y { y[i] += alpha * x[i] }
//
// It panics if len(x) != len(y). x and y must be the same slice or not
// overlap. Levels: generic, avx2, avx512.
func Axpy[T Float](y []T, alpha T, x []T) {
	if len(x) != len(y) {
		panic(errLength)
	}
	if is32[T]() {
		state.table.saxpy(f32(y), float32(alpha), f32(x))
		return
	}
	state.table.daxpy(f64(y), float64(alpha), f64(x))
}
