package kernels_test

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/kernels"
)

// ExampleGemvN computes y = 1.5·A·x for a 3×4 row-major A.
func ExampleGemvN() {
	a := []float32{
		1, 0, 0, 0,
		0, 1, 1, 0,
		1, 1, 1, 1,
	}
	x := []float32{1, 2, 3, 4}
	y := make([]float32, 3)
	kernels.GemvN(y, 1.5, a, 4, x, 0)
	fmt.Println(y)
	// Output:
	// [1.5 7.5 15]
}

// ExampleGemmReLU is one recurrent step of a batch of two networks of three
// units: H = relu(Hprev·Wᵀ), with the derivative mask of the rectifier
// written in the same pass.
func ExampleGemmReLU() {
	const batch, n = 2, 3
	hPrev := []float64{
		1, 2, 0,
		0, 1, 1,
	}
	w := []float64{ // row i holds the weights into unit i
		0, 1, -1,
		-1, 0, 1,
		1, -1, 0,
	}
	h := make([]float64, batch*n)
	mask := make([]float64, batch*n)
	kernels.GemmReLU(false, true, batch, n, n, 1, hPrev, n, w, n, 0, h, n, mask)
	fmt.Println(h, mask)
	// Output:
	// [2 0 0 0 1 0] [1 0 0 0 1 0]
}

// ExampleTrace advances two rows of eligibility traces E = c⊙E + d vᵀ and
// adds their contribution to the gradient, G += p⊙E + q vᵀ (each of c, d,
// p and q scales the rows).
func ExampleTrace() {
	e := []float32{1, 1, 1, 2, 2, 2} // 2×3 traces
	g := make([]float32, 6)          // 2×3 gradient
	c := []float32{0.5, 0}           // decay
	d := []float32{1, 1}             // input gain
	p := []float32{1, 2}             // learning signal
	q := []float32{0, 0}
	v := []float32{1, 2, 3} // presynaptic rates
	kernels.Trace(e, 3, g, 3, c, d, p, q, v)
	fmt.Println(e, g)
	// Output:
	// [1.5 2.5 3.5 1 2 3] [1.5 2.5 3.5 2 4 6]
}

// ExampleImplementation routes gonum's BLAS, and so every product of
// gonum/mat, through the kernels.
func ExampleImplementation() {
	blas64.Use(kernels.Implementation{})
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	var c mat.Dense
	c.Mul(a, a)
	fmt.Println(mat.Formatted(&c, mat.Squeeze()))
	// Output:
	// ⎡ 7  10⎤
	// ⎣15  22⎦
}
