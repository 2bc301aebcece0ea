package kernels

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/blas/testblas"
)

// TestBLASFloat64 runs gonum's own BLAS test suite on Implementation at
// every level.
func TestBLASFloat64(t *testing.T) {
	impl := Implementation{}
	forEachLevel(t, func(t *testing.T) {
		t.Run("Ddot", func(t *testing.T) { testblas.DdotTest(t, impl) })
		t.Run("Daxpy", func(t *testing.T) { testblas.DaxpyTest(t, impl) })
		t.Run("Dscal", func(t *testing.T) { testblas.DscalTest(t, impl) })
		t.Run("Dgemv", func(t *testing.T) { testblas.DgemvTest(t, impl) })
		t.Run("Dger", func(t *testing.T) { testblas.DgerTest(t, impl) })
		t.Run("Dgemm", func(t *testing.T) { testblas.TestDgemm(t, impl) })
	})
}

// blasIncs are the increments the float32 comparison uses: the unit
// stride runs our kernels, the others gonum's fallback.
var blasIncs = []int{1, 2, -1, -3}

// stridedLen returns the length of a vector of n elements at increment inc.
func stridedLen(n, inc int) int {
	if n == 0 {
		return 0
	}
	if inc < 0 {
		inc = -inc
	}
	return 1 + (n-1)*inc
}

// TestBLASFloat32 compares the float32 overrides with gonum's float32
// methods over testLengths (level 1) and testDims (level 2 and 3), several
// increments, and alpha/beta special values.
func TestBLASFloat32(t *testing.T) {
	ours, ref := Implementation{}, gonum.Implementation{}
	forEachLevel(t, func(t *testing.T) {
		rnd := newRand(5)
		eps := epsilon[float32]()
		t.Run("level1", func(t *testing.T) {
			for _, n := range testLengths {
				for _, incX := range blasIncs {
					for _, incY := range blasIncs {
						x := make([]float32, stridedLen(n, incX))
						y := make([]float32, stridedLen(n, incY))
						fillRandom(rnd, x)
						fillRandom(rnd, y)
						name := fmt.Sprintf("n=%d/incX=%d/incY=%d", n, incX, incY)

						// Σ|x_i·y_i| over the elements a strided product
						// visits is at most Σ|x|·max|y|.
						mx := maxAbs(x)
						sumAbs := absSum(x) * maxAbs(y)
						got, want := ours.Sdot(n, x, incX, y, incY), ref.Sdot(n, x, incX, y, incY)
						if !closeEnough(got, want, 2*float64(max(n, 1))*eps*sumAbs) {
							t.Errorf("Sdot %s: %v, want %v", name, got, want)
						}

						for _, alpha := range []float32{0, 1, -0.75} {
							y1, y2 := clone(y), clone(y)
							ours.Saxpy(n, alpha, x, incX, y1, incY)
							ref.Saxpy(n, alpha, x, incX, y2, incY)
							bound := make([]float64, len(y))
							for i := range bound {
								bound[i] = tolBound[float32](2, 1, math.Abs(float64(y[i]))+math.Abs(float64(alpha))*mx)
							}
							checkClose(t, "Saxpy "+name, y1, y2, bound)

							x1, x2 := clone(x), clone(x)
							ours.Sscal(n, alpha, x1, incX)
							ref.Sscal(n, alpha, x2, incX)
							checkExact(t, "Sscal "+name, x1, x2)
						}
					}
				}
			}
		})
		t.Run("level2", func(t *testing.T) {
			for _, m := range testDims {
				for _, n := range testDims {
					for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
						for _, inc := range []int{1, 2} {
							testSgemvCase(t, rnd, ours, ref, tA, m, n, inc)
						}
					}
					testSgerCase(t, rnd, ours, ref, m, n)
				}
			}
		})
		t.Run("level3", func(t *testing.T) {
			dims, ks := []int{0, 1, 2, 3, 5, 7, 8, 9, 16, 17, 33, 64}, []int{0, 1, 4, 17, 28}
			if testing.Short() {
				// -short (the race run) keeps the edge cases only.
				dims, ks = []int{0, 1, 3, 8, 17, 33}, []int{0, 4, 28}
			}
			for _, m := range dims {
				for _, n := range dims {
					for _, k := range ks {
						for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
							for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
								testSgemmCase(t, rnd, ours, ref, tA, tB, m, n, k)
							}
						}
					}
				}
			}
		})
	})
}

func absSum(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += math.Abs(float64(x))
	}
	return s
}

func maxAbs(v []float32) float64 {
	var s float64
	for _, x := range v {
		s = max(s, math.Abs(float64(x)))
	}
	return s
}

// gemmScalars are the (alpha, beta) pairs of the level-2 and level-3
// comparisons, with the special cases gonum branches on.
var gemmScalars = [][2]float32{{1, 0}, {0.5, 1}, {-1.25, 0.5}, {0, 1}, {0, 0.5}, {2, 0}}

func testSgemvCase(t *testing.T, rnd interface{ Float64() float64 }, ours, ref blas.Float32, tA blas.Transpose, m, n, inc int) {
	t.Helper()
	lda := n + 3
	lenX, lenY := n, m
	if tA == blas.Trans {
		lenX, lenY = m, n
	}
	for _, s := range gemmScalars {
		alpha, beta := s[0], s[1]
		a := make([]float32, max(m*lda, 1))
		x := make([]float32, stridedLen(lenX, inc))
		y := make([]float32, stridedLen(lenY, inc))
		for _, v := range [][]float32{a, x, y} {
			for i := range v {
				v[i] = float32(2*rnd.Float64() - 1)
			}
		}
		if beta == 0 {
			for i := range y {
				y[i] = float32(math.NaN()) // must be ignored
			}
		}
		y1, y2 := clone(y), clone(y)
		ours.Sgemv(tA, m, n, alpha, a, lda, x, inc, beta, y1, inc)
		ref.Sgemv(tA, m, n, alpha, a, lda, x, inc, beta, y2, inc)
		// |A| <= 1, |x| <= 1, |y| <= 1: each result sums at most
		// len(x) terms of size <= |alpha| plus |beta*y|.
		b := tolBound[float32](2, lenX+1, float64(abs32(alpha))*float64(lenX)+float64(abs32(beta)))
		bound := make([]float64, len(y))
		for i := range bound {
			bound[i] = b
		}
		checkClose(t, fmt.Sprintf("Sgemv tA=%c m=%d n=%d inc=%d alpha=%v beta=%v", tA, m, n, inc, alpha, beta), y1, y2, bound)
	}
}

func testSgerCase(t *testing.T, rnd interface{ Float64() float64 }, ours, ref blas.Float32, m, n int) {
	t.Helper()
	lda := n + 1
	for _, alpha := range []float32{0, 1, -0.5} {
		a := make([]float32, max(m*lda, 1))
		x, y := make([]float32, m), make([]float32, n)
		for _, v := range [][]float32{a, x, y} {
			for i := range v {
				v[i] = float32(2*rnd.Float64() - 1)
			}
		}
		a1, a2 := clone(a), clone(a)
		ours.Sger(m, n, alpha, x, 1, y, 1, a1, lda)
		ref.Sger(m, n, alpha, x, 1, y, 1, a2, lda)
		bound := make([]float64, len(a))
		for i := range bound {
			bound[i] = tolBound[float32](2, 1, 1+float64(abs32(alpha)))
		}
		checkClose(t, fmt.Sprintf("Sger m=%d n=%d alpha=%v", m, n, alpha), a1, a2, bound)
	}
}

func testSgemmCase(t *testing.T, rnd interface{ Float64() float64 }, ours, ref blas.Float32, tA, tB blas.Transpose, m, n, k int) {
	t.Helper()
	ar, ac := m, k
	if tA == blas.Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB == blas.Trans {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+1, bc+2, n+3
	for _, s := range gemmScalars {
		alpha, beta := s[0], s[1]
		a := make([]float32, max(ar*lda, 1))
		b := make([]float32, max(br*ldb, 1))
		c := make([]float32, max(m*ldc, 1))
		for _, v := range [][]float32{a, b, c} {
			for i := range v {
				v[i] = float32(2*rnd.Float64() - 1)
			}
		}
		c1, c2 := clone(c), clone(c)
		ours.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc)
		ref.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc)
		bd := tolBound[float32](2, k+1, float64(abs32(alpha))*float64(k)+float64(abs32(beta)))
		bound := make([]float64, len(c))
		for i := range bound {
			bound[i] = bd
		}
		checkClose(t, fmt.Sprintf("Sgemm tA=%c tB=%c m=%d n=%d k=%d alpha=%v beta=%v", tA, tB, m, n, k, alpha, beta), c1, c2, bound)
		if t.Failed() {
			return
		}
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

// panicOf returns the panic message of f, or "" when it returns.
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// TestPanicsBLAS checks that bad arguments panic with gonum's messages, for
// the float32 and float64 overrides alike.
func TestPanicsBLAS(t *testing.T) {
	ours, ref := Implementation{}, gonum.Implementation{}
	x32, x64 := make([]float32, 10), make([]float64, 10)
	a32, a64 := make([]float32, 20), make([]float64, 20)
	cases := []struct {
		name string
		call func(blas.Float32, blas.Float64)
	}{
		{"sdot short x", func(s blas.Float32, d blas.Float64) { s.Sdot(11, x32, 1, x32, 1) }},
		{"dot short x", func(s blas.Float32, d blas.Float64) { d.Ddot(11, x64, 1, x64, 1) }},
		{"dot short y", func(s blas.Float32, d blas.Float64) { d.Ddot(5, x64, 1, x64[:4], 1) }},
		{"sdot short y", func(s blas.Float32, d blas.Float64) { s.Sdot(5, x32, 1, x32[:4], 1) }},
		{"dot n<0", func(s blas.Float32, d blas.Float64) { d.Ddot(-1, x64, 1, x64, 1) }},
		{"dot incX 0", func(s blas.Float32, d blas.Float64) { s.Sdot(3, x32, 0, x32, 1) }},
		{"axpy short y", func(s blas.Float32, d blas.Float64) { d.Daxpy(5, 2, x64, 1, x64[:4], 1) }},
		{"saxpy short x", func(s blas.Float32, d blas.Float64) { s.Saxpy(5, 2, x32[:4], 1, x32, 1) }},
		{"axpy n<0", func(s blas.Float32, d blas.Float64) { s.Saxpy(-2, 2, x32, 1, x32, 1) }},
		{"scal short", func(s blas.Float32, d blas.Float64) { d.Dscal(11, 2, x64, 1) }},
		{"sscal short", func(s blas.Float32, d blas.Float64) { s.Sscal(11, 2, x32, 1) }},
		{"scal inc 0", func(s blas.Float32, d blas.Float64) { d.Dscal(3, 2, x64, 0) }},
		{"gemv trans", func(s blas.Float32, d blas.Float64) { d.Dgemv('x', 2, 2, 1, a64, 2, x64, 1, 0, x64, 1) }},
		{"gemv lda", func(s blas.Float32, d blas.Float64) { s.Sgemv(blas.NoTrans, 2, 3, 1, a32, 2, x32, 1, 0, x32, 1) }},
		{"gemv short a", func(s blas.Float32, d blas.Float64) { d.Dgemv(blas.NoTrans, 5, 5, 1, a64, 5, x64, 1, 0, x64, 1) }},
		{"gemv short x", func(s blas.Float32, d blas.Float64) { s.Sgemv(blas.Trans, 4, 3, 1, a32, 3, x32[:3], 1, 0, x32, 1) }},
		{"gemv short y", func(s blas.Float32, d blas.Float64) { d.Dgemv(blas.NoTrans, 4, 3, 1, a64, 3, x64, 1, 0, x64[:3], 1) }},
		{"gemv m<0", func(s blas.Float32, d blas.Float64) { s.Sgemv(blas.NoTrans, -1, 3, 1, a32, 3, x32, 1, 0, x32, 1) }},
		{"ger lda", func(s blas.Float32, d blas.Float64) { d.Dger(2, 3, 1, x64, 1, x64, 1, a64, 2) }},
		{"ger short a", func(s blas.Float32, d blas.Float64) { s.Sger(5, 5, 1, x32, 1, x32, 1, a32, 5) }},
		{"ger short x", func(s blas.Float32, d blas.Float64) { d.Dger(3, 2, 1, x64[:2], 1, x64, 1, a64, 2) }},
		{"gemm transB", func(s blas.Float32, d blas.Float64) {
			s.Sgemm(blas.NoTrans, 'q', 2, 2, 2, 1, a32, 2, a32, 2, 0, a32, 2)
		}},
		{"gemm ldc", func(s blas.Float32, d blas.Float64) {
			d.Dgemm(blas.NoTrans, blas.NoTrans, 2, 3, 2, 1, a64, 2, a64, 3, 0, a64, 2)
		}},
		{"gemm short b", func(s blas.Float32, d blas.Float64) {
			s.Sgemm(blas.NoTrans, blas.Trans, 2, 6, 4, 1, a32, 4, a32, 4, 0, a32, 6)
		}},
		{"gemm k<0", func(s blas.Float32, d blas.Float64) {
			d.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, -1, 1, a64, 2, a64, 2, 0, a64, 2)
		}},
	}
	forEachLevel(t, func(t *testing.T) {
		for _, c := range cases {
			want := panicOf(func() { c.call(ref, ref) })
			got := panicOf(func() { c.call(ours, ours) })
			if want == "" {
				t.Errorf("%s: gonum does not panic; the case is wrong", c.name)
			}
			if got != want {
				t.Errorf("%s: panic %q, want gonum's %q", c.name, got, want)
			}
		}
	})
}

// TestBLASUsesKernels checks that unit-stride calls take the kernels' fast
// path: the results equal the kernels' bit for bit at every level.
func TestBLASUsesKernels(t *testing.T) {
	impl := Implementation{}
	forEachLevel(t, func(t *testing.T) {
		rnd := newRand(9)
		const m, n = 13, 1001
		x, y, a := make([]float64, n), make([]float64, m), make([]float64, m*n)
		fillRandom(rnd, x)
		fillRandom(rnd, y)
		fillRandom(rnd, a)
		if got, want := impl.Ddot(n, x, 1, x, 1), Dot(x, x); !sameBits(got, want) {
			t.Errorf("Ddot = %v, Dot = %v", got, want)
		}
		y1, y2 := clone(y), clone(y)
		impl.Dgemv(blas.NoTrans, m, n, 0.5, a, n, x, 1, 0.25, y1, 1)
		GemvN(y2, 0.5, a, n, x, 0.25)
		checkExact(t, "Dgemv", y1, y2)
		x32 := make([]float32, n)
		fillRandom(rnd, x32)
		z1, z2 := clone(x32), clone(x32)
		impl.Saxpy(n, 0.3, x32, 1, z1, 1)
		Axpy(z2, 0.3, x32)
		checkExact(t, "Saxpy", z1, z2)
	})
}

// TestBLASAllocs checks that the fast paths of Implementation allocate
// nothing at any level.
func TestBLASAllocs(t *testing.T) {
	impl := Implementation{}
	forEachLevel(t, func(t *testing.T) {
		const m, n = 33, 35
		a, x, y := make([]float64, m*n), make([]float64, n), make([]float64, m)
		a32, x32, y32 := make([]float32, m*n), make([]float32, n), make([]float32, m)
		var s float64
		cases := []struct {
			name string
			f    func()
		}{
			{"Ddot", func() { s += impl.Ddot(n, x, 1, x, 1) }},
			{"Sdot", func() { s += float64(impl.Sdot(n, x32, 1, x32, 1)) }},
			{"Daxpy", func() { impl.Daxpy(n, 0.5, x, 1, x, 1) }},
			{"Sscal", func() { impl.Sscal(n, 0.5, x32, 1) }},
			{"Dgemv", func() { impl.Dgemv(blas.NoTrans, m, n, 1, a, n, x, 1, 0.5, y, 1) }},
			{"Sgemv", func() { impl.Sgemv(blas.Trans, m, n, 1, a32, n, y32, 1, 0.5, x32, 1) }},
			{"Dger", func() { impl.Dger(m, n, 0.5, y, 1, x, 1, a, n) }},
			{"Sger", func() { impl.Sger(m, n, 0.5, y32, 1, x32, 1, a32, n) }},
		}
		for _, c := range cases {
			if got := testing.AllocsPerRun(10, c.f); got != 0 {
				t.Errorf("%s: %v allocations per run, want 0", c.name, got)
			}
		}
		_ = s
	})
}
