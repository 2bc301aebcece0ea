package kernels

// checkMatrix panics unless a can hold an r×c row-major matrix with leading
// dimension ld.
func checkMatrix[T Float](a []T, r, c, ld int) {
	if r < 0 || c < 0 {
		panic(errNegDim)
	}
	if ld < max(c, 1) {
		panic(errBadLd)
	}
	if r > 0 && c > 0 && len(a) < (r-1)*ld+c {
		panic(errShortSlice)
	}
}
