package dsa

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestEmbed(t *testing.T) {
	x := mat.NewDense(4, 1, []float64{1, 2, 3, 4})
	for _, tc := range []struct {
		d, tau int
		want   []float64
		rows   int
	}{
		{1, 1, []float64{1, 2, 3, 4}, 4},
		{2, 1, []float64{2, 1, 3, 2, 4, 3}, 3},
		{2, 2, []float64{3, 1, 4, 2}, 2},
		{4, 1, []float64{4, 3, 2, 1}, 1},
	} {
		h, err := Embed(x, tc.d, tc.tau)
		if err != nil {
			t.Fatalf("d=%d τ=%d: %v", tc.d, tc.tau, err)
		}
		if r, c := h.Dims(); r != tc.rows || c != tc.d {
			t.Fatalf("d=%d τ=%d: shape %d×%d, want %d×%d", tc.d, tc.tau, r, c, tc.rows, tc.d)
		}
		if !mat.Equal(h, mat.NewDense(tc.rows, tc.d, tc.want)) {
			t.Errorf("d=%d τ=%d: got %v, want %v", tc.d, tc.tau, mat.Formatted(h), tc.want)
		}
	}
	for _, bad := range [][2]int{{0, 1}, {1, 0}, {5, 1}, {3, 2}} {
		if _, err := Embed(x, bad[0], bad[1]); err == nil {
			t.Errorf("Embed(d=%d, τ=%d) of 4 steps: no error", bad[0], bad[1])
		}
	}
}

// sortComplex orders eigenvalues by real part, then imaginary part.
func sortComplex(v []complex128) []complex128 {
	v = append([]complex128(nil), v...)
	sort.Slice(v, func(i, j int) bool {
		if math.Abs(real(v[i])-real(v[j])) > 1e-6 {
			return real(v[i]) < real(v[j])
		}
		return imag(v[i]) < imag(v[j])
	})
	return v
}

// linearTrials simulates x_{t+1} = A x_t from k random starts of T steps.
func linearTrials(A *mat.Dense, k, T int, rng *rand.Rand) []mat.Matrix {
	n, _ := A.Dims()
	var out []mat.Matrix
	for ; k > 0; k-- {
		x := mat.NewDense(T, n, nil)
		for j := 0; j < n; j++ {
			x.Set(0, j, rng.NormFloat64())
		}
		for t := 1; t < T; t++ {
			var v mat.VecDense
			v.MulVec(A, x.RowView(t-1))
			x.SetRow(t, v.RawVector().Data)
		}
		out = append(out, x)
	}
	return out
}

func TestFitLinearSystem(t *testing.T) {
	// A = P Λ P⁻¹ with eigenvalues 0.9, −0.5, 0.7 ± 0.2i (real block form).
	rng := rand.New(rand.NewPCG(1, 2))
	L := mat.NewDense(4, 4, []float64{0.9, 0, 0, 0, 0, -0.5, 0, 0, 0, 0, 0.7, 0.2, 0, 0, -0.2, 0.7})
	P := mat.NewDense(4, 4, nil)
	for i := range P.RawMatrix().Data {
		P.RawMatrix().Data[i] = rng.NormFloat64()
	}
	var Pi, A mat.Dense
	if err := Pi.Inverse(P); err != nil {
		t.Fatal(err)
	}
	A.Mul(P, L)
	A.Mul(&A, &Pi)
	want := sortComplex([]complex128{0.9, -0.5, complex(0.7, 0.2), complex(0.7, -0.2)})
	trials := linearTrials(&A, 5, 25, rng)
	for _, s := range []FitSettings{{}, {NDelays: 2}, {NDelays: 3, Interval: 2}, {NDelays: 2, Rank: 4}, {Ridge: 0}} {
		m, err := Fit(trials, s)
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		if m.Rank != 4 {
			t.Errorf("%+v: rank %d, want 4 (numerical rank %d, singular values %v)", s, m.Rank, m.NumericalRank, m.Singular)
			continue
		}
		got := sortComplex(m.Eigenvalues())
		for i := range want {
			if cmplx.Abs(got[i]-want[i]) > 1e-8 {
				t.Errorf("%+v: eigenvalue %d = %v, want %v (|Δ| = %.2g)", s, i, got[i], want[i], cmplx.Abs(got[i]-want[i]))
			}
		}
		if m.Residual > 1e-10 {
			t.Errorf("%+v: residual %g", s, m.Residual)
		}
	}
}

func TestFitDampedOscillator(t *testing.T) {
	// x_t = e^{−γt} cos(ωt + φ), observed as one coordinate: the delay
	// embedding recovers λ = e^{−γ ± iω}.
	const gamma, omega, phi = 0.05, 0.3, 0.4
	T := 80
	x := mat.NewDense(T, 1, nil)
	for i := 0; i < T; i++ {
		x.Set(i, 0, math.Exp(-gamma*float64(i))*math.Cos(omega*float64(i)+phi))
	}
	for _, s := range []FitSettings{{NDelays: 2}, {NDelays: 10, Rank: 2}, {NDelays: 5, Interval: 3, Rank: 2}} {
		m, err := Fit([]mat.Matrix{x}, s)
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		ev := m.Eigenvalues()
		if len(ev) != 2 {
			t.Fatalf("%+v: %d eigenvalues, want 2", s, len(ev))
		}
		for _, l := range ev {
			if w := math.Abs(cmplx.Phase(l)); math.Abs(w-omega) > 1e-8 {
				t.Errorf("%+v: frequency %v, want %v", s, w, omega)
			}
			if g := -math.Log(cmplx.Abs(l)); math.Abs(g-gamma) > 1e-8 {
				t.Errorf("%+v: decay %v, want %v", s, g, gamma)
			}
		}
	}
	// One delay cannot see the oscillation: the fit is a real scalar.
	m, err := Fit([]mat.Matrix{x}, FitSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := m.Eigenvalues(); len(ev) != 1 || imag(ev[0]) != 0 {
		t.Errorf("one delay: eigenvalues %v, want one real value", ev)
	}
}

func TestFitRidgeAndEnergy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	A := mat.NewDense(3, 3, []float64{0.5, 0.2, 0, 0, 0.5, 0.2, 0.1, 0, 0.6})
	trials := linearTrials(A, 3, 30, rng)
	m0, _ := Fit(trials, FitSettings{})
	m1, err := Fit(trials, FitSettings{Ridge: 1e-1})
	if err != nil {
		t.Fatal(err)
	}
	// The ridge shrinks the operator.
	if !(mat.Norm(m1.A, 2) < mat.Norm(m0.A, 2)) {
		t.Errorf("ridge 0.1: ‖A‖ = %v, not below the unregularised %v", mat.Norm(m1.A, 2), mat.Norm(m0.A, 2))
	}
	m2, err := Fit(trials, FitSettings{Energy: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	tot, acc := 0.0, 0.0
	for _, s := range m2.Singular {
		tot += s * s
	}
	for _, s := range m2.Singular[:m2.Rank] {
		acc += s * s
	}
	prev := acc - m2.Singular[m2.Rank-1]*m2.Singular[m2.Rank-1]
	if acc < 0.5*tot || prev >= 0.5*tot {
		t.Errorf("energy 0.5: rank %d holds %.3f of the energy, rank %d held %.3f", m2.Rank, acc/tot, m2.Rank-1, prev/tot)
	}
}

func TestFitErrors(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	y := mat.NewDense(3, 3, nil)
	nan := mat.NewDense(3, 2, []float64{1, math.NaN(), 3, 4, 5, 6})
	for name, tc := range map[string]struct {
		trials []mat.Matrix
		s      FitSettings
	}{
		"no trials":      {nil, FitSettings{}},
		"negative delay": {[]mat.Matrix{x}, FitSettings{NDelays: -1}},
		"energy 1":       {[]mat.Matrix{x}, FitSettings{Energy: 1}},
		"negative ridge": {[]mat.Matrix{x}, FitSettings{Ridge: -1}},
		"too short":      {[]mat.Matrix{x}, FitSettings{NDelays: 4}},
		"no pairs":       {[]mat.Matrix{x}, FitSettings{NDelays: 3}},
		"widths differ":  {[]mat.Matrix{x, y}, FitSettings{}},
		"not finite":     {[]mat.Matrix{nan}, FitSettings{}},
		"zero":           {[]mat.Matrix{mat.NewDense(3, 2, nil)}, FitSettings{}},
	} {
		if _, err := Fit(tc.trials, tc.s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
