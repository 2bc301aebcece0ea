package kernels

import (
	"fmt"
	"math"
	"testing"
)

func runGerCase[T Float](t *testing.T, m, n, ldExtra, off int, alpha float64, seed uint64) {
	t.Helper()
	rnd := newRand(seed)
	ld := max(n, 1) + ldExtra
	afull, a := guardedMatrix[T](m, n, ld, off)
	fillMatrix(rnd, a, m, n, ld)
	xfull, x := guardedVector[T](m, (off+3)%8)
	fillRandom(rnd, x)
	yfull, y := guardedVector[T](n, (off+6)%8)
	fillRandom(rnd, y)
	a0, x0, y0 := clone(a), clone(xfull), clone(yfull)
	want := clone(a)
	gerGeneric(want, ld, T(alpha), clone(x), clone(y))

	Ger(a, ld, T(alpha), x, y)

	name := fmt.Sprintf("m=%d/n=%d/ld=%d/off=%d/alpha=%v", m, n, ld, off, alpha)
	checkMatrixGuards(t, name+" A", afull, a, m, n, ld)
	checkUnchanged(t, name+" x", xfull, x0)
	checkUnchanged(t, name+" y", yfull, y0)
	for i := 0; i < m; i++ {
		got, ref := a[i*ld:i*ld+n], want[i*ld:i*ld+n]
		bound := make([]float64, n)
		for j := range bound {
			bound[j] = tolBound[T](2, 2, math.Abs(float64(a0[i*ld+j]))+math.Abs(alpha*float64(x[i])*float64(y[j])))
		}
		checkClose(t, fmt.Sprintf("%s row %d", name, i), got, ref, bound)
	}
}

func testGer[T Float](t *testing.T) {
	alphas := []float64{1, -0.5, 2.25, 1e-3}
	c := 0
	for _, m := range testDims {
		for _, n := range testDims {
			for _, ldExtra := range []int{0, 5} {
				runGerCase[T](t, m, n, ldExtra, c%8, alphas[c%len(alphas)], uint64(c))
				c++
			}
		}
	}
	// Long rows (every test length) and long columns.
	for _, m := range []int{1, 5} {
		for _, n := range testLengths {
			runGerCase[T](t, m, n, c%3, c%8, alphas[c%len(alphas)], uint64(c))
			c++
		}
	}
	for _, m := range []int{127, 128, 129, 1000, 4099} {
		runGerCase[T](t, m, 3, 1, c%8, alphas[c%len(alphas)], uint64(c))
		c++
	}
	for _, mn := range [][2]int{{17, 17}, {3, 65}, {2, 129}} {
		for off := range testOffsets {
			runGerCase[T](t, mn[0], mn[1], 2, off, 0.75, uint64(c))
			c++
		}
	}
}

func TestGer(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGer[float32])
		t.Run("float64", testGer[float64])
	})
}

// testGerSpecial checks NaN/Inf propagation (testblas DgerTest's "Y NaN
// element") and the alpha == 0 quick return.
func testGerSpecial[T Float](t *testing.T) {
	const m, n = 9, 21
	rnd := newRand(11)
	a, x, y := make([]T, m*n), make([]T, m), make([]T, n)
	fillRandom(rnd, a)
	fillRandom(rnd, x)
	fillRandom(rnd, y)
	inf, nan := T(math.Inf(1)), T(math.NaN())
	for _, c := range []struct {
		name string
		set  func(a, x, y []T)
	}{
		{"y NaN", func(a, x, y []T) { y[n-1] = nan }},
		{"x NaN", func(a, x, y []T) { x[4] = nan }},
		{"x Inf", func(a, x, y []T) { x[0] = inf }},
		{"A NaN", func(a, x, y []T) { a[3*n+7] = nan }},
		{"Inf-Inf", func(a, x, y []T) { a[n+2] = -inf; y[2] = inf; x[1] = 1 }},
	} {
		ac, xc, yc := clone(a), clone(x), clone(y)
		c.set(ac, xc, yc)
		want := clone(ac)
		gerGeneric(want, n, 1.5, xc, yc)
		Ger(ac, n, 1.5, xc, yc)
		bound := make([]float64, len(ac))
		for i := range bound {
			bound[i] = tolBound[T](2, 2, 1e2)
		}
		checkClose(t, c.name, ac, want, bound)
	}
	// alpha == 0 returns at once: NaN in x does not reach A.
	ac, xc := clone(a), clone(x)
	xc[0] = nan
	Ger(ac, n, 0, xc, y)
	checkUnchanged(t, "alpha=0", ac, a)
}

func TestGerSpecial(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGerSpecial[float32])
		t.Run("float64", testGerSpecial[float64])
	})
}

func TestGerPanics(t *testing.T) {
	a, x, y := make([]float32, 12), make([]float32, 3), make([]float32, 4)
	expectPanic(t, "Ger lda", errBadLd, func() { Ger(a, 3, 1, x, y) })
	expectPanic(t, "Ger short", errShortSlice, func() { Ger(a[:11], 4, 1, x, y) })
	expectPanic(t, "Ger lda=0", errBadLd, func() { Ger(a, 0, 1, x, y[:0]) })
}

func TestGerAllocs(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		a, x, y := make([]float32, 33*35), make([]float32, 33), make([]float32, 35)
		ad, xd, yd := make([]float64, 33*35), make([]float64, 33), make([]float64, 35)
		if n := testing.AllocsPerRun(10, func() { Ger(a, 35, 0.5, x, y) }); n != 0 {
			t.Errorf("sger: %v allocations per run, want 0", n)
		}
		if n := testing.AllocsPerRun(10, func() { Ger(ad, 35, 0.5, xd, yd) }); n != 0 {
			t.Errorf("dger: %v allocations per run, want 0", n)
		}
	})
}
