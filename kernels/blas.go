package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is a gonum BLAS backend that runs the package's kernels.
// It embeds gonum's native implementation, so it satisfies blas.Float32 and
// blas.Float64, and overrides Sdot/Ddot, Saxpy/Daxpy, Sscal/Dscal,
// Sgemv/Dgemv, Sger/Dger and Sgemm/Dgemm. Install it with
//
//	blas64.Use(kernels.Implementation{})
//	blas32.Use(kernels.Implementation{})
//
// in a main package or a test, never in a library's init.
//
// An override takes the fast path, Dot, Axpy, Scal, GemvN/GemvT, Ger or
// Gemm at the active level, only for unit increments and arguments that
// gonum accepts; every other call (non-unit or negative increments, empty
// sizes, alpha == 0 special cases, bad arguments) is passed to the embedded
// gonum.Implementation. Hence results for those calls are gonum's, and bad
// arguments panic with gonum's "blas: …" messages. Matrices are row-major,
// as in gonum.
type Implementation struct {
	gonum.Implementation
}

var (
	_ blas.Float64 = Implementation{}
	_ blas.Float32 = Implementation{}
)

// vecFits reports whether a unit-stride vector of n > 0 elements fits in x.
func vecFits[T Float](x []T, n int) bool { return n > 0 && len(x) >= n }

// matFits reports whether r > 0 rows of c > 0 columns with leading
// dimension ld >= c fit in a.
func matFits[T Float](a []T, r, c, ld int) bool {
	return r > 0 && c > 0 && ld >= c && len(a) >= (r-1)*ld+c
}

// transFlag converts a valid blas.Transpose to whether it transposes.
func transFlag(t blas.Transpose) (trans, ok bool) {
	switch t {
	case blas.NoTrans:
		return false, true
	case blas.Trans, blas.ConjTrans:
		return true, true
	}
	return false, false
}

// Ddot returns the dot product of x and y, as gonum's Ddot.
func (impl Implementation) Ddot(n int, x []float64, incX int, y []float64, incY int) float64 {
	if incX != 1 || incY != 1 || !vecFits(x, n) || !vecFits(y, n) {
		return impl.Implementation.Ddot(n, x, incX, y, incY)
	}
	return Dot(x[:n], y[:n])
}

// Sdot returns the dot product of x and y, as gonum's Sdot.
func (impl Implementation) Sdot(n int, x []float32, incX int, y []float32, incY int) float32 {
	if incX != 1 || incY != 1 || !vecFits(x, n) || !vecFits(y, n) {
		return impl.Implementation.Sdot(n, x, incX, y, incY)
	}
	return Dot(x[:n], y[:n])
}

// Daxpy adds alpha*x to y, as gonum's Daxpy.
func (impl Implementation) Daxpy(n int, alpha float64, x []float64, incX int, y []float64, incY int) {
	if incX != 1 || incY != 1 || !vecFits(x, n) || !vecFits(y, n) || alpha == 0 {
		impl.Implementation.Daxpy(n, alpha, x, incX, y, incY)
		return
	}
	Axpy(y[:n], alpha, x[:n])
}

// Saxpy adds alpha*x to y, as gonum's Saxpy.
func (impl Implementation) Saxpy(n int, alpha float32, x []float32, incX int, y []float32, incY int) {
	if incX != 1 || incY != 1 || !vecFits(x, n) || !vecFits(y, n) || alpha == 0 {
		impl.Implementation.Saxpy(n, alpha, x, incX, y, incY)
		return
	}
	Axpy(y[:n], alpha, x[:n])
}

// Dscal multiplies x by alpha, as gonum's Dscal (alpha == 0 stores zeros).
func (impl Implementation) Dscal(n int, alpha float64, x []float64, incX int) {
	if incX != 1 || !vecFits(x, n) || alpha == 0 {
		impl.Implementation.Dscal(n, alpha, x, incX)
		return
	}
	Scal(x[:n], alpha)
}

// Sscal multiplies x by alpha, as gonum's Sscal (alpha == 0 stores zeros).
func (impl Implementation) Sscal(n int, alpha float32, x []float32, incX int) {
	if incX != 1 || !vecFits(x, n) || alpha == 0 {
		impl.Implementation.Sscal(n, alpha, x, incX)
		return
	}
	Scal(x[:n], alpha)
}

// gemvFast reports whether a gemv call can run on GemvN/GemvT, and whether
// it is transposed.
func gemvFast[T Float](tA blas.Transpose, m, n int, alpha T, a []T, lda int, x []T, incX int, y []T, incY int) (trans, ok bool) {
	trans, ok = transFlag(tA)
	if !ok || incX != 1 || incY != 1 || alpha == 0 || !matFits(a, m, n, lda) {
		return false, false
	}
	lenX, lenY := n, m
	if trans {
		lenX, lenY = m, n
	}
	return trans, vecFits(x, lenX) && vecFits(y, lenY)
}

// Dgemv computes y = alpha*op(A)*x + beta*y, as gonum's Dgemv.
func (impl Implementation) Dgemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	trans, ok := gemvFast(tA, m, n, alpha, a, lda, x, incX, y, incY)
	switch {
	case !ok:
		impl.Implementation.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
	case trans:
		GemvT(y[:n], alpha, a, lda, x[:m], beta)
	default:
		GemvN(y[:m], alpha, a, lda, x[:n], beta)
	}
}

// Sgemv computes y = alpha*op(A)*x + beta*y, as gonum's Sgemv.
func (impl Implementation) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	trans, ok := gemvFast(tA, m, n, alpha, a, lda, x, incX, y, incY)
	switch {
	case !ok:
		impl.Implementation.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
	case trans:
		GemvT(y[:n], alpha, a, lda, x[:m], beta)
	default:
		GemvN(y[:m], alpha, a, lda, x[:n], beta)
	}
}

// gerFast reports whether a ger call can run on Ger.
func gerFast[T Float](m, n int, alpha T, x []T, incX int, y []T, incY int, a []T, lda int) bool {
	return incX == 1 && incY == 1 && alpha != 0 && matFits(a, m, n, lda) && vecFits(x, m) && vecFits(y, n)
}

// Dger adds alpha*x*yᵀ to A, as gonum's Dger.
func (impl Implementation) Dger(m, n int, alpha float64, x []float64, incX int, y []float64, incY int, a []float64, lda int) {
	if !gerFast(m, n, alpha, x, incX, y, incY, a, lda) {
		impl.Implementation.Dger(m, n, alpha, x, incX, y, incY, a, lda)
		return
	}
	Ger(a, lda, alpha, x[:m], y[:n])
}

// Sger adds alpha*x*yᵀ to A, as gonum's Sger.
func (impl Implementation) Sger(m, n int, alpha float32, x []float32, incX int, y []float32, incY int, a []float32, lda int) {
	if !gerFast(m, n, alpha, x, incX, y, incY, a, lda) {
		impl.Implementation.Sger(m, n, alpha, x, incX, y, incY, a, lda)
		return
	}
	Ger(a, lda, alpha, x[:m], y[:n])
}

// gemmFast reports whether a gemm call can run on Gemm, and the transpose
// flags.
func gemmFast[T Float](tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, c []T, ldc int) (ta, tb, ok bool) {
	ta, okA := transFlag(tA)
	tb, okB := transFlag(tB)
	if !okA || !okB || alpha == 0 || !matFits(c, m, n, ldc) {
		return false, false, false
	}
	if ta {
		ok = matFits(a, k, m, lda)
	} else {
		ok = matFits(a, m, k, lda)
	}
	if tb {
		ok = ok && matFits(b, n, k, ldb)
	} else {
		ok = ok && matFits(b, k, n, ldb)
	}
	return ta, tb, ok
}

// Dgemm computes C = alpha*op(A)*op(B) + beta*C, as gonum's Dgemm.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ta, tb, ok := gemmFast(tA, tB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
	if !ok {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C, as gonum's Sgemm.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb, ok := gemmFast(tA, tB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
	if !ok {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
