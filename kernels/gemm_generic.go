package kernels

// gemmGeneric is the reference for Gemm: for each element the products
// op(A)[i,l]*op(B)[l,j] are summed in increasing l, then
// C = alpha*sum (+ beta*C when beta != 0). When alpha == 0 or k == 0, C is
// only scaled by beta, without reading A or B.
func gemmGeneric[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if alpha == 0 || k == 0 {
		for i := 0; i < m; i++ {
			crow := c[i*ldc : i*ldc+n]
			for j := range crow {
				switch beta {
				case 0:
					crow[j] = 0
				case 1:
				default:
					crow[j] *= beta
				}
			}
		}
		return
	}
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for j := range crow {
			var sum T
			for l := 0; l < k; l++ {
				var av, bv T
				if tA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				if tB {
					bv = b[j*ldb+l]
				} else {
					bv = b[l*ldb+j]
				}
				sum += av * bv
			}
			if beta == 0 {
				crow[j] = alpha * sum
			} else {
				crow[j] = alpha*sum + beta*crow[j]
			}
		}
	}
}

// gemmReLUGeneric is the reference for GemmReLU: gemmGeneric, then the
// rectifier and its mask (layout of C) element by element.
func gemmReLUGeneric[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, mask []T) {
	gemmGeneric(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		var mrow []T
		if mask != nil {
			mrow = mask[i*ldc : i*ldc+n]
		}
		reluGeneric(row, mrow, row)
	}
}
