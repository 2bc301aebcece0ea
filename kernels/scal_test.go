package kernels

import "testing"

func scalKernel[T Float]() ewKernel[T] {
	return ewKernel[T]{
		name: "Scal",
		call: func(x []T, alpha T, _ [][]T) { Scal(x, alpha) },
		ref:  func(x []T, alpha T, _ [][]T) { scalGeneric(x, alpha) },
	}
}

func TestScal(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t,
			func(t *testing.T) { testElementwise(t, scalKernel[float32]()) },
			func(t *testing.T) { testElementwise(t, scalKernel[float64]()) })
	})
}
