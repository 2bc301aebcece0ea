package dsa

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LogNorm2 returns the matrix measure of J induced by the Euclidean norm,
// μ₂(J) = λ_max((J + Jᵀ)/2); NaN when the symmetric eigensolver fails. It
// panics if J is not square (a programmer error).
func LogNorm2(j mat.Matrix) float64 {
	n, c := j.Dims()
	if n != c {
		panic("dsa: LogNorm2 needs a square matrix")
	}
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for k := i; k < n; k++ {
			s.SetSym(i, k, (j.At(i, k)+j.At(k, i))/2)
		}
	}
	var e mat.EigenSym
	if !e.Factorize(s, false) {
		return math.NaN()
	}
	v := e.Values(nil)
	return v[len(v)-1]
}

// LogNormInf returns the matrix measure of J induced by the max norm,
// μ∞(J) = max_i (J_ii + Σ_{j≠i} |J_ij|). It panics if J is not square (a
// programmer error).
func LogNormInf(j mat.Matrix) float64 {
	n, c := j.Dims()
	if n != c {
		panic("dsa: LogNormInf needs a square matrix")
	}
	best := math.Inf(-1)
	for i := 0; i < n; i++ {
		s := j.At(i, i)
		for k := 0; k < n; k++ {
			if k != i {
				s += math.Abs(j.At(i, k))
			}
		}
		best = math.Max(best, s)
	}
	return best
}

// DiagonalSettings configures OptimalDiagonalInf. The zero value means the
// defaults given on each field.
type DiagonalSettings struct {
	// MaxIter caps the power iterations. Default 2000.
	MaxIter int
	// Tol stops when the certified gap (upper − lower) is at most
	// Tol·max(1, |upper|). Default 1e-6.
	Tol float64
}

// DiagonalMetric is the result of OptimalDiagonalInf.
type DiagonalMetric struct {
	// D is the diagonal of the metric found (normalised to max D = 1).
	D []float64
	// Rate is max_t μ∞(D J_t D⁻¹) at D; Identity the same at D = I
	// (Rate ≤ Identity always).
	Rate, Identity float64
	// Lower is a certified lower bound on the optimum over every positive
	// diagonal D: Lower ≤ optimum ≤ Rate.
	Lower float64
	// Iterations is the number of power iterations; Converged reports
	// whether the gap met Tol.
	Iterations int
	Converged  bool
}

// OptimalDiagonalInf minimises max_t μ∞(D J_t D⁻¹) over positive diagonal
// matrices D for the square matrices js (all n×n) by the nonlinear power
// iteration described in the package documentation.
func OptimalDiagonalInf(js []mat.Matrix, s DiagonalSettings) (DiagonalMetric, error) {
	switch {
	case s.MaxIter < 0:
		return DiagonalMetric{}, fmt.Errorf("dsa: DiagonalSettings.MaxIter = %d, allowed range [1, ∞) (0 means 2000)", s.MaxIter)
	case !(s.Tol >= 0) || math.IsInf(s.Tol, 0):
		return DiagonalMetric{}, fmt.Errorf("dsa: DiagonalSettings.Tol = %v, allowed range [0, ∞) (0 means 1e-6)", s.Tol)
	}
	if s.MaxIter == 0 {
		s.MaxIter = 2000
	}
	if s.Tol == 0 {
		s.Tol = 1e-6
	}
	if len(js) == 0 {
		return DiagonalMetric{}, fmt.Errorf("dsa: OptimalDiagonalInf needs at least one matrix")
	}
	n, _ := js[0].Dims()
	// Metzler majorants, row-major, and the shift c > 0 that makes
	// M_t + cI non-negative with a positive diagonal.
	ms := make([][]float64, len(js))
	minDiag := math.Inf(1)
	maxAbs := 0.0
	for t, j := range js {
		r, c := j.Dims()
		if r != n || c != n {
			return DiagonalMetric{}, fmt.Errorf("dsa: matrix %d is %d×%d, matrix 0 is %d×%d", t, r, c, n, n)
		}
		m := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for k := 0; k < n; k++ {
				v := j.At(i, k)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return DiagonalMetric{}, fmt.Errorf("dsa: matrix %d entry (%d, %d) = %v is not finite", t, i, k, v)
				}
				if i != k {
					v = math.Abs(v)
				} else {
					minDiag = math.Min(minDiag, v)
				}
				maxAbs = math.Max(maxAbs, math.Abs(v))
				m[i*n+k] = v
			}
		}
		ms[t] = m
	}
	c := math.Max(0, -minDiag) + math.Max(maxAbs, 1e-300)
	v := make([]float64, n)
	tv := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	// The majorants in compressed rows: Jacobians of ReLU networks have the
	// columns of silent units zero.
	type csr struct {
		start []int
		col   []int
		val   []float64
	}
	sparse := make([]csr, len(ms))
	for t, m := range ms {
		c := csr{start: make([]int, n+1)}
		for i := 0; i < n; i++ {
			for k, x := range m[i*n : (i+1)*n] {
				if x != 0 {
					c.col = append(c.col, k)
					c.val = append(c.val, x)
				}
			}
			c.start[i+1] = len(c.col)
		}
		sparse[t] = c
	}
	ms = nil
	apply := func() {
		for i := range tv {
			tv[i] = math.Inf(-1)
		}
		for _, m := range sparse {
			for i := 0; i < n; i++ {
				s := 0.0
				for p := m.start[i]; p < m.start[i+1]; p++ {
					s += m.val[p] * v[m.col[p]]
				}
				if s > tv[i] {
					tv[i] = s
				}
			}
		}
		for i := range tv {
			tv[i] += c * v[i]
		}
	}
	res := DiagonalMetric{Rate: math.Inf(1), Lower: math.Inf(-1)}
	for it := 0; it < s.MaxIter; it++ {
		apply()
		hi, lo := math.Inf(-1), math.Inf(1)
		for i := range v {
			q := tv[i] / v[i]
			hi, lo = math.Max(hi, q), math.Min(lo, q)
		}
		hi, lo = hi-c, lo-c
		if it == 0 {
			res.Identity = hi
		}
		res.Iterations = it + 1
		res.Lower = math.Max(res.Lower, lo)
		if hi < res.Rate {
			res.Rate = hi
			res.D = make([]float64, n)
			mx := 0.0
			for i := range v {
				res.D[i] = 1 / v[i]
				mx = math.Max(mx, res.D[i])
			}
			for i := range res.D {
				res.D[i] /= mx
			}
		}
		if res.Rate-res.Lower <= s.Tol*math.Max(1, math.Abs(res.Rate)) {
			res.Converged = true
			break
		}
		mx := 0.0
		for _, x := range tv {
			mx = math.Max(mx, x)
		}
		for i := range v {
			// Keep v strictly positive: entries that underflow relative to
			// the largest cannot lower the objective further.
			v[i] = math.Max(tv[i]/mx, 1e-300)
		}
	}
	return res, nil
}
