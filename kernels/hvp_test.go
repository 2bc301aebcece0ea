package kernels

import (
	"math"
	"testing"
)

func axpyToKernel[T Float]() ewKernel[T] {
	return ewKernel[T]{
		name: "AxpyTo", nIn: 2,
		call: func(dst []T, alpha T, in [][]T) { AxpyTo(dst, alpha, in[0], in[1]) },
		ref:  func(dst []T, alpha T, in [][]T) { axpyToGeneric(dst, alpha, in[0], in[1]) },
		absTerms: func(_ []T, alpha T, in [][]T, i int) float64 {
			return math.Abs(float64(alpha)*float64(in[0][i])) + math.Abs(float64(in[1][i]))
		},
		aliases: []int{0, 1},
	}
}

func scaledDiffKernel[T Float]() ewKernel[T] {
	return ewKernel[T]{
		name: "ScaledDiff", nIn: 2,
		call:    func(dst []T, scale T, in [][]T) { ScaledDiff(dst, scale, in[0], in[1]) },
		ref:     func(dst []T, scale T, in [][]T) { scaledDiffGeneric(dst, scale, in[0], in[1]) },
		aliases: []int{0, 1},
	}
}

func TestAxpyTo(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t,
			func(t *testing.T) { testElementwise(t, axpyToKernel[float32]()) },
			func(t *testing.T) { testElementwise(t, axpyToKernel[float64]()) })
	})
}

func TestScaledDiff(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t,
			func(t *testing.T) { testElementwise(t, scaledDiffKernel[float32]()) },
			func(t *testing.T) { testElementwise(t, scaledDiffKernel[float64]()) })
	})
}

// TestHVPRoundTrip checks the use the helpers exist for: the central
// difference of a linear map g(w) = c ⊙ w recovers c ⊙ v.
func TestHVPRoundTrip(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rnd := newRand(11)
		const n, eps = 37, 1e-3
		w, v, c := make([]float64, n), make([]float64, n), make([]float64, n)
		fillRandom(rnd, w)
		fillRandom(rnd, v)
		fillRandom(rnd, c)
		wp, wm, gp, gm, hv := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		AxpyTo(wp, eps, v, w)
		AxpyTo(wm, -eps, v, w)
		Mul(gp, c, wp)
		Mul(gm, c, wm)
		ScaledDiff(hv, 1/(2*eps), gp, gm)
		for i := range hv {
			want := c[i] * v[i]
			// Cancellation in gp-gm costs about |c*w|/eps ulps.
			if d := math.Abs(hv[i] - want); d > 1e-9*(1+math.Abs(c[i]*w[i])/eps) {
				t.Errorf("hv[%d] = %v, want %v", i, hv[i], want)
			}
		}
	})
}

func TestPanicsHVP(t *testing.T) {
	a, b := make([]float64, 3), make([]float64, 4)
	expectPanic(t, "AxpyTo dst", errLength, func() { AxpyTo(b, 1, a, a) })
	expectPanic(t, "AxpyTo x", errLength, func() { AxpyTo(a, 1, b, a) })
	expectPanic(t, "AxpyTo y", errLength, func() { AxpyTo(a, 1, a, b) })
	expectPanic(t, "ScaledDiff dst", errLength, func() { ScaledDiff(b, 1, a, a) })
	expectPanic(t, "ScaledDiff a", errLength, func() { ScaledDiff(a, 1, b, a) })
	expectPanic(t, "ScaledDiff b", errLength, func() { ScaledDiff(a, 1, a, b) })
}
