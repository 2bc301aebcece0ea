package openblas

// #cgo LDFLAGS: -lopenblas
// #include <cblas.h>
import "C"

import "unsafe"

// SetNumThreads sets the number of threads OpenBLAS uses.
func SetNumThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

func trans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

func p32(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func p64(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}

// Sgemv computes y = alpha*op(A)*x + beta*y with cblas_sgemv for the m×n
// row-major A with leading dimension lda and unit-stride x and y.
func Sgemv(tA bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	C.cblas_sgemv(C.CblasRowMajor, trans(tA), C.blasint(m), C.blasint(n), C.float(alpha), p32(a), C.blasint(lda),
		p32(x), 1, C.float(beta), p32(y), 1)
}

// Dgemv is Sgemv for float64, with cblas_dgemv.
func Dgemv(tA bool, m, n int, alpha float64, a []float64, lda int, x []float64, beta float64, y []float64) {
	C.cblas_dgemv(C.CblasRowMajor, trans(tA), C.blasint(m), C.blasint(n), C.double(alpha), p64(a), C.blasint(lda),
		p64(x), 1, C.double(beta), p64(y), 1)
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C with cblas_sgemm for
// row-major matrices, op(A) m×k and op(B) k×n.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.cblas_sgemm(C.CblasRowMajor, trans(tA), trans(tB), C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		p32(a), C.blasint(lda), p32(b), C.blasint(ldb), C.float(beta), p32(c), C.blasint(ldc))
}

// Dgemm is Sgemm for float64, with cblas_dgemm.
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	C.cblas_dgemm(C.CblasRowMajor, trans(tA), trans(tB), C.blasint(m), C.blasint(n), C.blasint(k), C.double(alpha),
		p64(a), C.blasint(lda), p64(b), C.blasint(ldb), C.double(beta), p64(c), C.blasint(ldc))
}
