package kernels

import (
	"fmt"
	"math"
	"testing"
)

// gemvScalars are the (alpha, beta) pairs the comparison matrix cycles
// through; beta == 0 runs with y full of NaN, which must be ignored.
var gemvScalars = [][2]float64{{1, 0}, {-0.75, 1}, {1.5, -0.5}, {0, 2}, {2, 0}, {0.5, 0.25}}

// gemvFunc is GemvN or GemvT.
type gemvFunc[T Float] func(y []T, alpha T, a []T, lda int, x []T, beta T)

// gemvBound returns the error bound of each y[k]: terms(k) lists the
// absolute products |A x| of the sum, plus |beta*y|.
func gemvBound[T Float](ny, nsum int, alpha, beta float64, y0 []T, term func(k, s int) float64) []float64 {
	b := make([]float64, ny)
	for k := range b {
		sum := 0.0
		for s := 0; s < nsum; s++ {
			sum += term(k, s)
		}
		by := 0.0
		if beta != 0 {
			by = math.Abs(beta * float64(y0[k]))
		}
		b[k] = tolBound[T](2, nsum+2, math.Abs(alpha)*sum+by)
	}
	return b
}

// runGemvCase compares f (at the active level) with ref on one shape.
// trans selects GemvT's shape: A is len(x)×len(y).
func runGemvCase[T Float](t *testing.T, f, ref gemvFunc[T], trans bool, m, n, ldExtra, off int, alpha, beta float64, seed uint64) {
	t.Helper()
	rnd := newRand(seed)
	rows, cols := m, n // A is rows×cols
	ny, nx := m, n
	if trans {
		ny, nx = n, m
	}
	ld := max(cols, 1) + ldExtra
	afull, a := guardedMatrix[T](rows, cols, ld, off)
	fillMatrix(rnd, a, rows, cols, ld)
	xfull, x := guardedVector[T](nx, (off+3)%8)
	fillRandom(rnd, x)
	yfull, y := guardedVector[T](ny, (off+5)%8)
	if beta == 0 {
		for i := range y {
			y[i] = T(math.NaN())
		}
	} else {
		fillRandom(rnd, y)
	}
	y0 := clone(y)
	a0, x0 := clone(afull), clone(xfull)
	want := clone(y)
	ref(want, T(alpha), clone(a), ld, clone(x), T(beta))

	f(y, T(alpha), a, ld, x, T(beta))

	name := fmt.Sprintf("m=%d/n=%d/ld=%d/off=%d/alpha=%v/beta=%v", m, n, ld, off, alpha, beta)
	checkGuards(t, name+" y", yfull, y)
	checkUnchanged(t, name+" A", afull, a0)
	checkUnchanged(t, name+" x", xfull, x0)
	var bound []float64
	if trans {
		bound = gemvBound[T](ny, nx, alpha, beta, y0, func(k, s int) float64 { return math.Abs(float64(a[s*ld+k]) * float64(x[s])) })
	} else {
		bound = gemvBound[T](ny, nx, alpha, beta, y0, func(k, s int) float64 { return math.Abs(float64(a[k*ld+s]) * float64(x[s])) })
	}
	checkClose(t, name, y, want, bound)
}

func testGemv[T Float](t *testing.T, trans bool) {
	f, ref := gemvFunc[T](GemvN[T]), gemvFunc[T](gemvNGeneric[T])
	if trans {
		f, ref = GemvT[T], gemvTGeneric[T]
	}
	testGemvWith(t, f, ref, trans)
}

// testGemvWith compares f with ref (gemvNGeneric, or gemvTGeneric when
// trans) over the shape, offset and scalar matrix of the gemv tests.
func testGemvWith[T Float](t *testing.T, f, ref gemvFunc[T], trans bool) {
	c := 0
	for _, m := range testDims {
		for _, n := range testDims {
			for _, ldExtra := range []int{0, 3} {
				ab := gemvScalars[c%len(gemvScalars)]
				runGemvCase(t, f, ref, trans, m, n, ldExtra, c%8, ab[0], ab[1], uint64(c))
				c++
			}
		}
	}
	// Long rows (every test length, through the 8- and 4-row blocks and the
	// single-row remainder) and long columns.
	for _, m := range []int{1, 13} {
		for _, n := range testLengths {
			ab := gemvScalars[c%len(gemvScalars)]
			runGemvCase(t, f, ref, trans, m, n, c%3, c%8, ab[0], ab[1], uint64(c))
			c++
		}
	}
	for _, m := range []int{127, 128, 129, 1000, 4099} {
		for _, n := range []int{1, 3, 17} {
			ab := gemvScalars[c%len(gemvScalars)]
			runGemvCase(t, f, ref, trans, m, n, c%3, c%8, ab[0], ab[1], uint64(c))
			c++
		}
	}
	// Matrices of more than 1 MiB, where the AVX-512 gemvN prefetches:
	// 2049×129 and 520×515 elements take 1.01 and 1.02 MiB as float32.
	for _, mn := range [][2]int{{2049, 129}, {520, 515}} {
		for i, ab := range gemvScalars[:2] {
			runGemvCase(t, f, ref, trans, mn[0], mn[1], i, (c+3*i)%8, ab[0], ab[1], uint64(c))
			c++
		}
	}
	// Matrices of more than 512 KiB up to 1 MiB, where the AVX-512 gemvT
	// takes 4 rows per pass with prefetch: 403×401 float32 (0.62 MiB; 403
	// rows leave 3 single rows, rows of 25 vectors and a 1-element tail),
	// 512×512 float32 (1 MiB, the benchmark shape) and 299×301 float64
	// (0.69 MiB).
	for _, mn := range [][2]int{{403, 401}, {512, 512}, {299, 301}} {
		for i, ab := range gemvScalars[:3] {
			runGemvCase(t, f, ref, trans, mn[0], mn[1], i, (c+3*i)%8, ab[0], ab[1], uint64(c))
			c++
		}
	}
	// Every offset and scalar pair on shapes with full vectors and tails.
	for _, mn := range [][2]int{{17, 17}, {65, 65}, {5, 33}, {33, 5}} {
		for off := range testOffsets {
			for _, ab := range gemvScalars {
				runGemvCase(t, f, ref, trans, mn[0], mn[1], 1, off, ab[0], ab[1], uint64(c))
				c++
			}
		}
	}
}

func TestGemvN(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", func(t *testing.T) { testGemv[float32](t, false) })
		t.Run("float64", func(t *testing.T) { testGemv[float64](t, false) })
	})
}

func TestGemvT(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", func(t *testing.T) { testGemv[float32](t, true) })
		t.Run("float64", func(t *testing.T) { testGemv[float64](t, true) })
	})
}

// testGemvSpecial checks the quick return and NaN/Inf propagation.
func testGemvSpecial[T Float](t *testing.T, trans bool) {
	f, ref := gemvFunc[T](GemvN[T]), gemvFunc[T](gemvNGeneric[T])
	if trans {
		f, ref = GemvT[T], gemvTGeneric[T]
	}
	testGemvSpecialWith(t, f, ref, trans)
}

// testGemvSpecialWith is testGemvSpecial for f and its reference ref.
func testGemvSpecialWith[T Float](t *testing.T, f, ref gemvFunc[T], trans bool) {
	const m, n = 19, 37
	ny, nx := m, n
	if trans {
		ny, nx = n, m
	}
	rnd := newRand(7)
	a := make([]T, m*n)
	fillRandom(rnd, a)
	x := make([]T, nx)
	fillRandom(rnd, x)
	y := make([]T, ny)
	fillRandom(rnd, y)

	// alpha == 0 && beta == 1 returns at once: NaN in A and x is not read.
	an := clone(a)
	xn := clone(x)
	for i := range an {
		an[i] = T(math.NaN())
	}
	xn[0] = T(math.Inf(1))
	y1 := clone(y)
	f(y1, 0, an, n, xn, 1)
	checkUnchanged(t, "alpha=0,beta=1", y1, y)

	// NaN and Inf in A, x and y propagate as in the reference.
	inf, nan := T(math.Inf(1)), T(math.NaN())
	for _, c := range []struct {
		name string
		set  func(a, x, y []T)
	}{
		{"A NaN", func(a, x, y []T) { a[2*n+3] = nan }},
		{"A Inf", func(a, x, y []T) { a[5*n+36] = inf; a[7*n] = -inf }},
		{"x NaN", func(a, x, y []T) { x[len(x)-1] = nan }},
		{"x Inf", func(a, x, y []T) { x[1] = inf }},
		{"y NaN", func(a, x, y []T) { y[len(y)-1] = nan }},
		{"y Inf", func(a, x, y []T) { y[0] = -inf }},
		{"Inf-Inf", func(a, x, y []T) { a[0] = inf; a[1] = inf; x[0] = 1; x[1] = -1 }},
	} {
		for _, ab := range [][2]float64{{1, 1}, {1.5, 0}, {0, 0.5}, {-2, 3}} {
			ac, xc, yc := clone(a), clone(x), clone(y)
			c.set(ac, xc, yc)
			want := clone(yc)
			ref(want, T(ab[0]), ac, n, xc, T(ab[1]))
			f(yc, T(ab[0]), ac, n, xc, T(ab[1]))
			bound := make([]float64, len(yc))
			for i := range bound {
				bound[i] = tolBound[T](2, nx+2, 1e3)
			}
			checkClose(t, fmt.Sprintf("%s/alpha=%v/beta=%v", c.name, ab[0], ab[1]), yc, want, bound)
		}
	}
}

func TestGemvSpecial(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, trans := range []bool{false, true} {
			t.Run(fmt.Sprintf("trans=%v", trans), func(t *testing.T) {
				t.Run("float32", func(t *testing.T) { testGemvSpecial[float32](t, trans) })
				t.Run("float64", func(t *testing.T) { testGemvSpecial[float64](t, trans) })
			})
		}
	})
}

func TestGemvPanics(t *testing.T) {
	y, x, a := make([]float64, 3), make([]float64, 4), make([]float64, 12)
	expectPanic(t, "GemvN lda", errBadLd, func() { GemvN(y, 1, a, 3, x, 0) })
	expectPanic(t, "GemvN short", errShortSlice, func() { GemvN(y, 1, a[:11], 4, x, 0) })
	expectPanic(t, "GemvN lda=0", errBadLd, func() { GemvN(y, 1, a, 0, x[:0], 0) })
	expectPanic(t, "GemvT lda", errBadLd, func() { GemvT(x, 1, a, 3, y, 0) })
	expectPanic(t, "GemvT short", errShortSlice, func() { GemvT(x, 1, a[:11], 4, y, 0) })
}

func TestGemvAllocs(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		y, x, a := make([]float32, 33), make([]float32, 35), make([]float32, 33*35)
		yd, xd, ad := make([]float64, 33), make([]float64, 35), make([]float64, 33*35)
		for name, f := range map[string]func(){
			"sgemvN": func() { GemvN(y, 1, a, 35, x, 0.5) },
			"sgemvT": func() { GemvT(x, 1, a, 35, y, 0.5) },
			"dgemvN": func() { GemvN(yd, 1, ad, 35, xd, 0.5) },
			"dgemvT": func() { GemvT(xd, 1, ad, 35, yd, 0.5) },
		} {
			if n := testing.AllocsPerRun(10, f); n != 0 {
				t.Errorf("%s: %v allocations per run, want 0", name, n)
			}
		}
	})
}
