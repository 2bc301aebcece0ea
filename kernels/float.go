package kernels

import "unsafe"

// Float is the set of element types the kernels accept.
type Float interface {
	float32 | float64
}

// is32 reports whether T is float32. The compiler folds it to a constant in
// each instantiation.
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// f32 reinterprets s as []float32; only valid when is32[T]().
func f32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// f64 reinterprets s as []float64; only valid when !is32[T]().
func f64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
