package dsa

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randMat(n int, rng *rand.Rand) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range m.RawMatrix().Data {
		m.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return m
}

func conj(Q, A *mat.Dense) *mat.Dense {
	var out mat.Dense
	out.Mul(Q, A)
	out.Mul(&out, Q.T())
	return &out
}

func TestCompareConjugate(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, n := range []int{1, 2, 3, 5, 8, 12} {
		for k := 2; k < 4; k++ { // both determinants
			A := randMat(n, rng)
			Q := startPoint(k, n, rng)
			B := conj(Q, A) // A_y = Q A_x Qᵀ
			p, err := Compare(A, B, ProcrustesSettings{Seed: uint64(n)})
			if err != nil {
				t.Fatal(err)
			}
			if p.Euclidean > 1e-6 || p.Angular > 1e-6 || p.Normalized > 1e-6 {
				t.Errorf("n=%d det=%+.0f: distance %.3g, angle %.3g (want ≤ 1e-6)", n, mat.Det(Q), p.Euclidean, p.Angular)
			}
			// C reproduces Q's action: Cᵀ A_x C = A_y, and CQ = ±I (only
			// ±I commute with a generic A).
			var back, CQ mat.Dense
			back.Sub(conj(mat.DenseCopyOf(p.C.T()), A), B)
			if e := mat.Norm(&back, 2); e > 1e-6 {
				t.Errorf("n=%d: ‖CᵀA_xC − A_y‖ = %.3g", n, e)
			}
			CQ.Mul(p.C, Q)
			s := math.Copysign(1, CQ.At(0, 0))
			for i := 0; i < n; i++ {
				CQ.Set(i, i, CQ.At(i, i)-s)
			}
			if e := mat.Norm(&CQ, 2); e > 1e-6 {
				t.Errorf("n=%d: ‖CQ ∓ I‖ = %.3g", n, e)
			}
			var CtC mat.Dense
			CtC.Mul(p.C.T(), p.C)
			for i := 0; i < n; i++ {
				CtC.Set(i, i, CtC.At(i, i)-1)
			}
			if e := mat.Norm(&CtC, 2); e > 1e-12 {
				t.Errorf("n=%d: C not orthogonal, ‖CᵀC − I‖ = %.3g", n, e)
			}
		}
	}
}

func TestCompareSymmetryAndTriangle(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	s := ProcrustesSettings{Starts: 12, Seed: 7}
	for _, n := range []int{2, 3, 4} {
		for trial := 0; trial < 6; trial++ {
			A, B, E := randMat(n, rng), randMat(n, rng), randMat(n, rng)
			dAB, _ := Compare(A, B, s)
			dBA, _ := Compare(B, A, s)
			dBE, _ := Compare(B, E, s)
			dAE, _ := Compare(A, E, s)
			if math.Abs(dAB.Euclidean-dBA.Euclidean) > 1e-8 || math.Abs(dAB.Angular-dBA.Angular) > 1e-8 {
				t.Errorf("n=%d: d(A,B) = %v (%v rad), d(B,A) = %v (%v rad)", n, dAB.Euclidean, dAB.Angular, dBA.Euclidean, dBA.Angular)
			}
			if dAE.Euclidean > dAB.Euclidean+dBE.Euclidean+1e-9 {
				t.Errorf("n=%d: triangle: d(A,E) = %v > %v + %v", n, dAE.Euclidean, dAB.Euclidean, dBE.Euclidean)
			}
			if dAE.Angular > dAB.Angular+dBE.Angular+1e-9 {
				t.Errorf("n=%d: angular triangle: %v > %v + %v", n, dAE.Angular, dAB.Angular, dBE.Angular)
			}
			if lb := LowerBound(A, B); dAB.Euclidean < lb-1e-12 {
				t.Errorf("n=%d: d = %v below the invariant bound %v", n, dAB.Euclidean, lb)
			}
		}
	}
}

// hoffmanWielandt is min over matchings π of (Σ|λ_i − μ_π(i)|²)^{1/2},
// by brute force over permutations.
func hoffmanWielandt(l, m []complex128) float64 {
	idx := make([]int, len(m))
	for i := range idx {
		idx[i] = i
	}
	best := math.Inf(1)
	var rec func(k int)
	rec = func(k int) {
		if k == len(idx) {
			s := 0.0
			for i, j := range idx {
				d := l[i] - m[j]
				s += real(d)*real(d) + imag(d)*imag(d)
			}
			best = math.Min(best, math.Sqrt(s))
			return
		}
		for i := k; i < len(idx); i++ {
			idx[k], idx[i] = idx[i], idx[k]
			rec(k + 1)
			idx[k], idx[i] = idx[i], idx[k]
		}
	}
	rec(0)
	return best
}

func eigs(a *mat.Dense) []complex128 {
	var e mat.Eigen
	e.Factorize(a, mat.EigenNone)
	return e.Values(nil)
}

func TestCompareEigenvalueBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	s := ProcrustesSettings{Starts: 12, Seed: 3}
	// Symmetric matrices: the distance equals the Hoffman–Wielandt bound,
	// the sorted eigenvalues matched in order.
	for _, n := range []int{2, 3, 5} {
		for trial := 0; trial < 4; trial++ {
			A, B := randMat(n, rng), randMat(n, rng)
			var As, Bs mat.Dense
			As.Add(A, A.T())
			Bs.Add(B, B.T())
			p, _ := Compare(&As, &Bs, s)
			la, lb := eigs(&As), eigs(&Bs)
			ra, rb := make([]float64, n), make([]float64, n)
			for i := range la {
				ra[i], rb[i] = real(la[i]), real(lb[i])
			}
			sort.Float64s(ra)
			sort.Float64s(rb)
			want := 0.0
			for i := range ra {
				want += (ra[i] - rb[i]) * (ra[i] - rb[i])
			}
			want = math.Sqrt(want)
			if math.Abs(p.Euclidean-want) > 1e-8 {
				t.Errorf("symmetric n=%d: d = %.12g, sorted-eigenvalue distance %.12g", n, p.Euclidean, want)
			}
		}
	}
	// Normal matrices with different eigenvalues: the distance is at least
	// the eigenvalue mismatch (Hoffman–Wielandt), whatever the basis.
	for _, n := range []int{2, 4} {
		for trial := 0; trial < 4; trial++ {
			blocks := func() *mat.Dense {
				m := mat.NewDense(n, n, nil)
				for b := 0; b < n; b += 2 {
					r, th := 0.3+rng.Float64(), rng.Float64()*math.Pi
					m.Set(b, b, r*math.Cos(th))
					m.Set(b, b+1, -r*math.Sin(th))
					m.Set(b+1, b, r*math.Sin(th))
					m.Set(b+1, b+1, r*math.Cos(th))
				}
				return conj(startPoint(2+trial, n, rng), m)
			}
			A, B := blocks(), blocks()
			p, _ := Compare(A, B, s)
			hw := hoffmanWielandt(eigs(A), eigs(B))
			if hw < 1e-3 {
				t.Fatalf("test setup: eigenvalues too close (%v)", hw)
			}
			if p.Euclidean < hw-1e-9 {
				t.Errorf("normal n=%d: d = %v below the Hoffman–Wielandt bound %v", n, p.Euclidean, hw)
			}
		}
	}
}

// TestCompareHandCases are computed by hand and follow the reference DSA's
// conventions (github.com/mitchellostrow/DSA, simdist.py): its angular
// score is arccos(⟨A, CBCᵀ⟩/(‖A‖‖B‖)) in radians, and its euclidean score,
// taken after it normalises both matrices to unit Frobenius norm, is our
// Normalized.
func TestCompareHandCases(t *testing.T) {
	rot := func(th float64) *mat.Dense {
		return mat.NewDense(2, 2, []float64{math.Cos(th), -math.Sin(th), math.Sin(th), math.Cos(th)})
	}
	cos := 14 / math.Sqrt(200)
	for _, tc := range []struct {
		name         string
		a, b         *mat.Dense
		euc, ang, nz float64
	}{
		// Symmetric: eigenvalues {1, 3} against {2, 4} matched in order:
		// √((1−2)² + (3−4)²) = √2; cos θ = (1·2 + 3·4)/(√10·√20).
		{"diag(1,3) vs diag(4,2)", mat.NewDense(2, 2, []float64{1, 0, 0, 3}), mat.NewDense(2, 2, []float64{4, 0, 0, 2}),
			math.Sqrt2, math.Acos(cos), math.Sqrt(2 - 2*cos)},
		// R(θ) and R(−θ) are conjugate by a reflection (det −1) but not by
		// any rotation (rotations commute): distance 0 over O(2), while
		// over SO(2) it would be ‖R(θ) − R(−θ)‖ = 2√2 sin θ.
		{"R(0.7) vs R(-0.7)", rot(0.7), rot(-0.7), 0, 0, 0},
		// Scaling: A vs 2A: distance ‖A‖, angle 0.
		{"A vs 2A", mat.NewDense(2, 2, []float64{1, 2, 0, 1}), mat.NewDense(2, 2, []float64{2, 4, 0, 2}), math.Sqrt(6), 0, 0},
		// A vs −A for A = [[0,1],[0,0]]: −A = P A Pᵀ with P = diag(1,−1).
		{"N vs -N", mat.NewDense(2, 2, []float64{0, 1, 0, 0}), mat.NewDense(2, 2, []float64{0, -1, 0, 0}), 0, 0, 0},
	} {
		p, err := Compare(tc.a, tc.b, ProcrustesSettings{})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.Euclidean-tc.euc) > 1e-7 || math.Abs(p.Angular-tc.ang) > 1e-7 || math.Abs(p.Normalized-tc.nz) > 1e-7 {
			t.Errorf("%s: got (%.9g, %.9g rad, %.9g), want (%.9g, %.9g rad, %.9g)", tc.name, p.Euclidean, p.Angular, p.Normalized, tc.euc, tc.ang, tc.nz)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	for name, tc := range map[string]struct {
		a, b mat.Matrix
		s    ProcrustesSettings
	}{
		"not square": {mat.NewDense(2, 3, nil), mat.NewDense(2, 3, nil), ProcrustesSettings{}},
		"sizes":      {a, mat.NewDense(3, 3, nil), ProcrustesSettings{}},
		"NaN":        {a, mat.NewDense(2, 2, []float64{1, math.NaN(), 0, 0}), ProcrustesSettings{}},
		"starts":     {a, a, ProcrustesSettings{Starts: -1}},
		"tol":        {a, a, ProcrustesSettings{Tol: math.Inf(1)}},
	} {
		if _, err := Compare(tc.a, tc.b, tc.s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A zero matrix: the distance is the other's norm, the angle undefined.
	p, err := Compare(a, mat.NewDense(2, 2, nil), ProcrustesSettings{})
	if err != nil || math.Abs(p.Euclidean-math.Sqrt(30)) > 1e-12 || !math.IsNaN(p.Angular) {
		t.Errorf("zero matrix: %+v, %v", p, err)
	}
}

func TestCompareDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	A, B := randMat(6, rng), randMat(6, rng)
	p1, _ := Compare(A, B, ProcrustesSettings{Seed: 5})
	p2, _ := Compare(A, B, ProcrustesSettings{Seed: 5})
	if p1.Euclidean != p2.Euclidean || !mat.Equal(p1.C, p2.C) {
		t.Errorf("same seed, different results: %v vs %v", p1.Euclidean, p2.Euclidean)
	}
}
