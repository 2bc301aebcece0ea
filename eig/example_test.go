package eig_test

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/eig"
)

// laplacian is a user's own symmetric operator: the n×n second-difference
// matrix tridiag(−1, 2, −1), applied without storing it. Its eigenvalues
// are 2 − 2cos(jπ/(n+1)), j = 1..n.
type laplacian struct{ n int }

func (l laplacian) Dim() int { return l.n }

func (l laplacian) Apply(dst, src []float64) {
	for i := range dst {
		v := 2 * src[i]
		if i > 0 {
			v -= src[i-1]
		}
		if i+1 < l.n {
			v -= src[i+1]
		}
		dst[i] = v
	}
}

// Example_topK computes the three largest eigenvalues of an operator that
// is known only through its products, as a Hessian is.
func Example_topK() {
	op := laplacian{n: 100}
	res, err := eig.Lanczos(op, 3, eig.LanczosSettings{Seed: 1})
	if err != nil {
		panic(err)
	}
	for i, v := range res.Values {
		exact := 2 - 2*math.Cos(float64(op.n-i)*math.Pi/float64(op.n+1))
		fmt.Printf("λ_%d = %.6f (exact %.6f)\n", i+1, v, exact)
	}
	// Output:
	// λ_1 = 3.999033 (exact 3.999033)
	// λ_2 = 3.996131 (exact 3.996131)
	// λ_3 = 3.991299 (exact 3.991299)
}
