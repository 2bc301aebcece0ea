package eig

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// DefaultWarmNoise is the relative norm of the random component that
// WarmStart adds when its noise argument is 0.
//
// At 1, every direction orthogonal to the previous vectors starts with
// 1/√2 of the component a cold (random) start gives it, so a Krylov method
// still finds a leading direction that is new (two eigenvalues crossed),
// while the previous direction starts with weight 1/√2 instead of 1/√Dim.
// The limit is a crossing so close that the residual test is met before
// the two directions are told apart: when the start is an exact
// eigenvector of the new second eigenvalue, Lanczos at Tol 1e-6 caught
// every crossing down to a gap of 1e-3·λ (40 of 40 random components, Dim
// 2000) and 34 of 40 at a gap of 1e-4·λ, where a miss reports the second
// eigenvalue, 1e-4 relative below the first; at noise 0.1 it caught 31 of
// 40 at 1e-3·λ (TestWarmStartCatchesCrossing).
const DefaultWarmNoise = 1.0

// WarmStart returns the start vector of an eigen-solver that continues from
// the eigenvectors prev (Dim×k, one unit vector per column, as in
// Result.Vectors) of a nearby operator, such as the Hessian at the previous
// training checkpoint:
//
//	s = u/‖u‖ + noise·z/‖z‖,   u = Σ_i prev[:, i],   z ~ N(0, I_Dim) from seed
//
// k = 1 continues a leading eigenvector (Lanczos or Power); k > 1 is a
// block warm start for the top k: every previous direction gets the same
// weight, so a single-vector Lanczos started from s has all of them in its
// first Krylov vector. The random component keeps every other direction in
// the Krylov space, so a leading direction that was not among prev (two
// eigenvalues crossed) is still found. noise 0 means DefaultWarmNoise; it
// must be finite and in [0, 1e3]. The result is a pure function of prev,
// noise and seed.
func WarmStart(prev *mat.Dense, noise float64, seed uint64) ([]float64, error) {
	if prev == nil || prev.IsEmpty() {
		return nil, &DimError{What: "WarmStart prev columns", Got: 0, Want: 1}
	}
	if !(noise >= 0 && noise <= 1e3) {
		return nil, &SettingsError{Field: "WarmStart noise", Value: noise, Allowed: "[0, 1e3] (0 means DefaultWarmNoise)"}
	}
	if noise == 0 {
		noise = DefaultWarmNoise
	}
	n, k := prev.Dims()
	u := make([]float64, n)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < k; j++ {
			s += prev.At(i, j)
		}
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, &ValueError{What: "WarmStart prev", Index: i, Value: s, Reason: "not finite"}
		}
		u[i] = s
	}
	if normalize(u) == 0 {
		return nil, &ValueError{What: "WarmStart prev", Reason: "columns sum to zero"}
	}
	z := make([]float64, n)
	fillNormal(newRand(seed), z)
	normalize(z)
	floats.AddScaled(u, noise, z)
	return u, nil
}
