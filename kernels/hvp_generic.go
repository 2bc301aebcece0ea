package kernels

func axpyToGeneric[T Float](dst []T, alpha T, x, y []T) {
	for i := range dst {
		dst[i] = alpha*x[i] + y[i]
	}
}

func scaledDiffGeneric[T Float](dst []T, scale T, a, b []T) {
	for i := range dst {
		dst[i] = scale * (a[i] - b[i])
	}
}
