package kernels

// Dot returns the inner product of x and y:
//
//	for i := range x { sum += x[i] * y[i] }
//
// It panics if len(x) != len(y). Levels: generic, avx2, avx512. The SIMD
// levels sum in several accumulators, so results differ from the generic
// order by rounding.
func Dot[T Float](x, y []T) T {
	if len(x) != len(y) {
		panic(errLength)
	}
	if is32[T]() {
		return T(state.table.sdot(f32(x), f32(y)))
	}
	return T(state.table.ddot(f64(x), f64(y)))
}
