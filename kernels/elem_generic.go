package kernels

func reluGeneric[T Float](dst, mask, src []T) {
	for i, v := range src {
		if v > 0 {
			dst[i] = v
			if mask != nil {
				mask[i] = 1
			}
		} else {
			if v != v {
				dst[i] = v
			} else {
				dst[i] = 0
			}
			if mask != nil {
				mask[i] = 0
			}
		}
	}
}

func mulGeneric[T Float](dst, a, b []T) {
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}
