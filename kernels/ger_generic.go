package kernels

func gerGeneric[T Float](a []T, lda int, alpha T, x, y []T) {
	for i, xi := range x {
		t := alpha * xi
		row := a[i*lda : i*lda+len(y)]
		for j, v := range y {
			row[j] += t * v
		}
	}
}
