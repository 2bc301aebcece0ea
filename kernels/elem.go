package kernels

// ReLU writes the rectified src to dst and, when mask is not nil, the
// derivative indicator to mask:
//
//	for i := range src {
//		dst[i] = max(src[i], 0)
//		mask[i] = 1 if src[i] > 0 else 0
//	}
//
// NaN in src gives NaN in dst and 0 in mask. It panics unless dst (and mask,
// if not nil) have the length of src. dst may be src. Levels: generic, avx2,
// avx512.
func ReLU[T Float](dst, mask, src []T) {
	if len(dst) != len(src) || (mask != nil && len(mask) != len(src)) {
		panic(errLength)
	}
	if is32[T]() {
		state.table.srelu(f32(dst), f32(mask), f32(src))
		return
	}
	state.table.drelu(f64(dst), f64(mask), f64(src))
}

// Mul writes the elementwise product of a and b to dst:
//
//	for i := range dst { dst[i] = a[i] * b[i] }
//
// It panics unless the three have the same length. dst may be a or b.
// Levels: generic, avx2, avx512.
func Mul[T Float](dst, a, b []T) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic(errLength)
	}
	if is32[T]() {
		state.table.smul(f32(dst), f32(a), f32(b))
		return
	}
	state.table.dmul(f64(dst), f64(a), f64(b))
}
