package kernels

func scalGeneric[T Float](x []T, alpha T) {
	for i := range x {
		x[i] *= alpha
	}
}
