package dsa

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestLogNorms(t *testing.T) {
	for _, tc := range []struct {
		name     string
		j        *mat.Dense
		mu2, muI float64
	}{
		// μ₂ of a symmetric matrix is its largest eigenvalue.
		{"diag", mat.NewDense(2, 2, []float64{-1, 0, 0, 0.5}), 0.5, 0.5},
		// [[0, 2], [0, 0]]: symmetric part [[0,1],[1,0]], eigenvalues ±1;
		// μ∞ = max(0 + 2, 0 + 0).
		{"nilpotent", mat.NewDense(2, 2, []float64{0, 2, 0, 0}), 1, 2},
		// Rotation generator: skew, μ₂ = 0; μ∞ = 1.
		{"skew", mat.NewDense(2, 2, []float64{0, -1, 1, 0}), 0, 1},
		// Negative off-diagonal counts by its absolute value in μ∞; the
		// symmetric part [[−3, ½], [½, −1]] has λ_max = −2 + √1.25.
		{"mixed", mat.NewDense(2, 2, []float64{-3, -1, 2, -1}), -2 + math.Sqrt(1.25), 1},
	} {
		if got := LogNorm2(tc.j); math.Abs(got-tc.mu2) > 1e-12 {
			t.Errorf("%s: μ₂ = %v, want %v", tc.name, got, tc.mu2)
		}
		if got := LogNormInf(tc.j); math.Abs(got-tc.muI) > 1e-12 {
			t.Errorf("%s: μ∞ = %v, want %v", tc.name, got, tc.muI)
		}
	}
}

// rateAt is max_t μ∞(D J_t D⁻¹).
func rateAt(js []mat.Matrix, d []float64) float64 {
	best := math.Inf(-1)
	for _, j := range js {
		n, _ := j.Dims()
		m := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for k := 0; k < n; k++ {
				m.Set(i, k, d[i]*j.At(i, k)/d[k])
			}
		}
		best = math.Max(best, LogNormInf(m))
	}
	return best
}

func TestOptimalDiagonalInf(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	rnd := func(n int, scale float64) *mat.Dense {
		m := mat.NewDense(n, n, nil)
		for i := range m.RawMatrix().Data {
			m.RawMatrix().Data[i] = scale * rng.NormFloat64()
		}
		return m
	}
	// Never worse than the identity; the reported rate is the objective at
	// the reported D; Lower ≤ Rate.
	for trial := 0; trial < 20; trial++ {
		n := 2 + trial%5
		var js []mat.Matrix
		for k := 0; k < 1+trial%4; k++ {
			js = append(js, rnd(n, 1))
		}
		res, err := OptimalDiagonalInf(js, DiagonalSettings{})
		if err != nil {
			t.Fatal(err)
		}
		id := make([]float64, n)
		for i := range id {
			id[i] = 1
		}
		if want := rateAt(js, id); math.Abs(res.Identity-want) > 1e-12 {
			t.Errorf("trial %d: identity rate %v, want %v", trial, res.Identity, want)
		}
		if res.Rate > res.Identity+1e-15 {
			t.Errorf("trial %d: optimised %v worse than identity %v", trial, res.Rate, res.Identity)
		}
		if got := rateAt(js, res.D); math.Abs(got-res.Rate) > 1e-9*math.Max(1, math.Abs(got)) {
			t.Errorf("trial %d: rate at D = %v, reported %v", trial, got, res.Rate)
		}
		if res.Lower > res.Rate+1e-12 {
			t.Errorf("trial %d: lower bound %v above rate %v", trial, res.Lower, res.Rate)
		}
	}
	// One irreducible Metzler matrix: the optimum is its largest real
	// eigenvalue (Perron–Frobenius).
	M := mat.NewDense(3, 3, []float64{-1, 2, 0.5, 0.3, -2, 1, 1, 0.2, 0.5})
	res, _ := OptimalDiagonalInf([]mat.Matrix{M}, DiagonalSettings{Tol: 1e-10})
	ev := eigs(M)
	perron := math.Inf(-1)
	for _, v := range ev {
		perron = math.Max(perron, real(v))
	}
	if !res.Converged || math.Abs(res.Rate-perron) > 1e-8 {
		t.Errorf("Metzler: rate %v (converged %v, %d iterations), Perron root %v", res.Rate, res.Converged, res.Iterations, perron)
	}
}

// TestOptimalDiagonalGrid compares the solver with a brute-force search over
// D = diag(1, e^x, e^y) on a 3-unit example with three Jacobians.
func TestOptimalDiagonalGrid(t *testing.T) {
	js := []mat.Matrix{
		mat.NewDense(3, 3, []float64{0.2, 1.5, -0.1, 0.05, -0.3, 0.8, 0.4, 0, 0.1}),
		mat.NewDense(3, 3, []float64{0.2, 0, -0.9, 0.6, -0.3, 0.1, 0.1, 0.7, 0.1}),
		mat.NewDense(3, 3, []float64{-0.5, 0.3, 0.3, 0.02, 0.4, -1.2, 0.05, 0.05, 0}),
	}
	res, err := OptimalDiagonalInf(js, DiagonalSettings{Tol: 1e-9, MaxIter: 100000})
	if err != nil {
		t.Fatal(err)
	}
	grid := math.Inf(1)
	const lo, hi, h = -4.0, 4.0, 0.01
	for x := lo; x <= hi; x += h {
		for y := lo; y <= hi; y += h {
			grid = math.Min(grid, rateAt(js, []float64{1, math.Exp(x), math.Exp(y)}))
		}
	}
	if res.Rate > grid+1e-9 || res.Rate < grid-0.01 {
		t.Errorf("solver %v (lower %v, converged %v), grid minimum %v", res.Rate, res.Lower, res.Converged, grid)
	}
	if res.Lower > grid+1e-9 {
		t.Errorf("certified lower bound %v above the grid minimum %v", res.Lower, grid)
	}
	if res.Rate >= res.Identity-1e-3 {
		t.Errorf("example should gain from a metric: identity %v, optimised %v", res.Identity, res.Rate)
	}
	t.Logf("identity %.6f, optimised %.6f (lower %.6f, %d iterations), grid %.6f", res.Identity, res.Rate, res.Lower, res.Iterations, grid)
}

func TestOptimalDiagonalErrors(t *testing.T) {
	a := mat.NewDense(2, 2, nil)
	for name, tc := range map[string]struct {
		js []mat.Matrix
		s  DiagonalSettings
	}{
		"none":     {nil, DiagonalSettings{}},
		"sizes":    {[]mat.Matrix{a, mat.NewDense(3, 3, nil)}, DiagonalSettings{}},
		"NaN":      {[]mat.Matrix{mat.NewDense(1, 1, []float64{math.NaN()})}, DiagonalSettings{}},
		"max iter": {[]mat.Matrix{a}, DiagonalSettings{MaxIter: -1}},
		"tol":      {[]mat.Matrix{a}, DiagonalSettings{Tol: -1}},
	} {
		if _, err := OptimalDiagonalInf(tc.js, tc.s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
