package kernels

func axpyGeneric[T Float](y []T, alpha T, x []T) {
	for i, v := range x {
		y[i] += alpha * v
	}
}
