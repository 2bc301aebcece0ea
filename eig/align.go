package eig

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// AlignmentProfile returns, for k = 1..K, the fraction of the energy of x in
// the span of the first k columns of u (Dim×K with orthonormal columns, such
// as Result.Vectors):
//
//	profile[k−1] = ‖U_kᵀ x‖² / ‖x‖² = Σ_{i<k} ⟨u_i, x⟩² / ‖x‖²
//
// It is non-decreasing, in [0, 1] up to rounding, and 1 at K = Dim. x must
// be non-zero and finite.
func AlignmentProfile(u mat.Matrix, x []float64) ([]float64, error) {
	dim, kk := u.Dims()
	if len(x) != dim {
		return nil, &DimError{What: "x", Got: len(x), Want: dim}
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &ValueError{What: "x", Index: i, Value: v, Reason: "not finite"}
		}
	}
	nx := floats.Dot(x, x)
	if nx == 0 {
		return nil, &ValueError{What: "x", Value: 0, Reason: "zero vector has no direction"}
	}
	var c mat.VecDense
	c.MulVec(u.T(), mat.NewVecDense(dim, x))
	out := make([]float64, kk)
	var acc float64
	for i := 0; i < kk; i++ {
		acc += c.AtVec(i) * c.AtVec(i)
		out[i] = acc / nx
	}
	return out, nil
}

// Alignment returns ‖U_kᵀ x‖²/‖x‖², the energy fraction of x in the span of
// the first k columns of u (orthonormal; see AlignmentProfile). k must be
// in 1..columns of u.
func Alignment(u mat.Matrix, k int, x []float64) (float64, error) {
	_, kk := u.Dims()
	if k < 1 || k > kk {
		return 0, &SettingsError{Field: "k", Value: k, Allowed: "1..number of columns of u"}
	}
	p, err := AlignmentProfile(u, x)
	if err != nil {
		return 0, err
	}
	return p[k-1], nil
}
