package rules

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMulNN compares mulNN, on both sides of smallRows, with a plain
// triple loop, with padded leading dimensions, beta 0 (C holds NaN, which
// must not be read) and beta != 0, and guards after C.
func TestMulNN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct{ m, n, k int }{{1, 7, 5}, {2, 9, 1}, {3, 4, 11}, {4, 6, 3}, {6, 13, 8}, {1, 1, 1}} {
		for _, beta := range []float64{0, 0.5} {
			lda, ldb, ldc := tc.k+2, tc.n+1, tc.n+3
			a := make([]float64, tc.m*lda)
			b := make([]float64, tc.k*ldb)
			c := make([]float64, tc.m*ldc+4)
			for i := range a {
				a[i] = rng.NormFloat64()
			}
			for i := range b {
				b[i] = rng.NormFloat64()
			}
			for i := range c {
				c[i] = math.NaN()
				if beta != 0 && i < tc.m*ldc {
					c[i] = rng.NormFloat64()
				}
			}
			want := append([]float64(nil), c...)
			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					s := 0.0
					for l := 0; l < tc.k; l++ {
						s += a[i*lda+l] * b[l*ldb+j]
					}
					v := 1.5 * s
					if beta != 0 {
						v += beta * want[i*ldc+j]
					}
					want[i*ldc+j] = v
				}
			}
			mulNN(tc.m, tc.n, tc.k, 1.5, a, lda, b, ldb, beta, c, ldc)
			for i := range c {
				row, col := i/ldc, i%ldc
				inside := row < tc.m && col < tc.n
				switch {
				case inside && math.Abs(c[i]-want[i]) > 1e-13*(1+math.Abs(want[i])):
					t.Errorf("%+v beta %v: C[%d] = %v, want %v", tc, beta, i, c[i], want[i])
				case !inside && !(math.IsNaN(want[i]) && math.IsNaN(c[i])) && c[i] != want[i]:
					t.Errorf("%+v beta %v: C[%d] outside the matrix changed to %v", tc, beta, i, c[i])
				}
			}
		}
	}
}
