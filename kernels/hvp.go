package kernels

// AxpyTo writes alpha*x + y to dst; it forms the perturbed weights w ± eps*v
// of a finite-difference Hessian-vector product:
//
//	for i := range dst { dst[i] = alpha*x[i] + y[i] }
//
// It panics unless dst, x and y have the same length. dst may be x or y but
// must not partially overlap them. Levels: generic, avx2, avx512.
func AxpyTo[T Float](dst []T, alpha T, x, y []T) {
	if len(x) != len(dst) || len(y) != len(dst) {
		panic(errLength)
	}
	if is32[T]() {
		state.table.saxpyTo(f32(dst), float32(alpha), f32(x), f32(y))
		return
	}
	state.table.daxpyTo(f64(dst), float64(alpha), f64(x), f64(y))
}

// ScaledDiff writes scale*(a - b) to dst; it forms the central difference
// (g(w+eps*v) - g(w-eps*v)) / (2*eps) of a finite-difference Hessian-vector
// product:
//
//	for i := range dst { dst[i] = scale * (a[i] - b[i]) }
//
// It panics unless dst, a and b have the same length. dst may be a or b but
// must not partially overlap them. Levels: generic, avx2, avx512.
func ScaledDiff[T Float](dst []T, scale T, a, b []T) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic(errLength)
	}
	if is32[T]() {
		state.table.sscaledDiff(f32(dst), float32(scale), f32(a), f32(b))
		return
	}
	state.table.dscaledDiff(f64(dst), float64(scale), f64(a), f64(b))
}
