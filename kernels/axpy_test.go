package kernels

import (
	"math"
	"testing"
)

func axpyKernel[T Float]() ewKernel[T] {
	return ewKernel[T]{
		name: "Axpy", nIn: 1,
		call: func(y []T, alpha T, in [][]T) { Axpy(y, alpha, in[0]) },
		ref:  func(y []T, alpha T, in [][]T) { axpyGeneric(y, alpha, in[0]) },
		absTerms: func(y0 []T, alpha T, in [][]T, i int) float64 {
			return math.Abs(float64(alpha)*float64(in[0][i])) + math.Abs(float64(y0[i]))
		},
		aliases: []int{0},
	}
}

func TestAxpy(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t,
			func(t *testing.T) { testElementwise(t, axpyKernel[float32]()) },
			func(t *testing.T) { testElementwise(t, axpyKernel[float64]()) })
	})
}

func TestPanicsAxpy(t *testing.T) {
	expectPanic(t, "Axpy", errLength, func() { Axpy(make([]float64, 3), 1, make([]float64, 4)) })
	expectPanic(t, "Axpy float32", errLength, func() { Axpy(make([]float32, 4), 1, make([]float32, 3)) })
}
