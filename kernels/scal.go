package kernels

// Scal multiplies x by alpha in place:
//
//	for i := range x { x[i] *= alpha }
//
// Levels: generic, avx2, avx512.
func Scal[T Float](x []T, alpha T) {
	if is32[T]() {
		state.table.sscal(f32(x), float32(alpha))
		return
	}
	state.table.dscal(f64(x), float64(alpha))
}
