package kernels

func gemvNGeneric[T Float](y []T, alpha T, a []T, lda int, x []T, beta T) {
	for i := range y {
		var sum T
		row := a[i*lda : i*lda+len(x)]
		for j, v := range row {
			sum += v * x[j]
		}
		if beta == 0 {
			y[i] = alpha * sum
		} else {
			y[i] = alpha*sum + beta*y[i]
		}
	}
}

func gemvTGeneric[T Float](y []T, alpha T, a []T, lda int, x []T, beta T) {
	if beta == 0 {
		for j := range y {
			y[j] = 0
		}
	} else if beta != 1 {
		for j := range y {
			y[j] *= beta
		}
	}
	for i, xi := range x {
		t := alpha * xi
		row := a[i*lda : i*lda+len(y)]
		for j, v := range row {
			y[j] += t * v
		}
	}
}
