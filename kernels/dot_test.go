package kernels

import (
	"math"
	"testing"
)

func TestDot(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, special := range []bool{false, true} {
			name := "finite"
			if special {
				name = "special"
			}
			t.Run(name, func(t *testing.T) {
				forTypes(t,
					func(t *testing.T) { testDot[float32](t, special) },
					func(t *testing.T) { testDot[float64](t, special) })
			})
		}
	})
}

// testDot compares Dot with dotGeneric over testLengths × testOffsets,
// x and y at different offsets, within 2·n·ε·Σ|x_i·y_i| (each order is
// within n·ε·Σ of the exact sum), and with x == y.
func testDot[T Float](t *testing.T, special bool) {
	rnd := newRand(3)
	for _, same := range []bool{false, true} {
		for _, n := range testLengths {
			for _, off := range testOffsets {
				xf, x := guardedVector[T](n, off)
				yf, y := guardedVector[T](n, (off+3)%8)
				fillRandom(rnd, x)
				fillRandom(rnd, y)
				if special {
					sprinkleSpecial(rnd, x)
					sprinkleSpecial(rnd, y)
				}
				if same {
					y = x
				}
				x0, y0 := clone(x), clone(y)
				want := dotGeneric(x0, y0)
				got := Dot(x, y)
				var sumAbs float64
				for i := range x0 {
					sumAbs += math.Abs(float64(x0[i]) * float64(y0[i]))
				}
				name := "Dot/" + caseName(n, off)
				if !closeEnough(got, want, tolBound[T](2, n, sumAbs)) {
					t.Errorf("%s (same=%v): got %v, want %v (|diff| %g, bound %g)", name, same, got, want,
						math.Abs(float64(got)-float64(want)), tolBound[T](2, n, sumAbs))
				}
				checkUnchanged(t, name+"/x", x, x0)
				checkUnchanged(t, name+"/y", y, y0)
				checkGuards(t, name+"/x", xf, x)
				if !same {
					checkGuards(t, name+"/y", yf, y)
				}
				if t.Failed() {
					return
				}
			}
		}
	}
}

// TestDotExactSmall checks sums that every order computes exactly, so any
// lost or doubled element shows up as a wrong integer.
func TestDotExactSmall(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, n := range testLengths {
			x, y := make([]float64, n), make([]float32, n)
			var want float64
			for i := range x {
				x[i] = float64(i%7 + 1)
				y[i] = float32(i%5 + 1)
				want += x[i] * x[i]
			}
			if got := Dot(x, x); got != want {
				t.Errorf("float64 n=%d: Dot = %v, want %v", n, got, want)
			}
			var want32 float32
			for i := range y {
				want32 += y[i] * y[i]
			}
			if got := Dot(y, y); got != want32 {
				t.Errorf("float32 n=%d: Dot = %v, want %v", n, got, want32)
			}
		}
	})
}

func TestPanicsDot(t *testing.T) {
	expectPanic(t, "Dot", errLength, func() { Dot(make([]float64, 3), make([]float64, 4)) })
	expectPanic(t, "Dot float32", errLength, func() { Dot(make([]float32, 4), make([]float32, 3)) })
}
