package eig

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Criterion selects the stopping rule of Power.
type Criterion int

const (
	// AbsoluteChange stops when |‖Hv_i‖ − ‖Hv_{i−1}‖| ≤ Tol, with the
	// estimate starting from 0 (the paper's code; default Tol 1e-6).
	AbsoluteChange Criterion = iota
	// RelativeChange stops when |ρ_i − ρ_{i−1}| / (|ρ_i| + 1e-6) < Tol,
	// where ρ_i = v_iᵀHv_i is the signed Rayleigh quotient (PyHessian's
	// eigenvalues(); default Tol 1e-3).
	RelativeChange
)

// PowerSettings configures Power. The zero value is the paper's setting.
type PowerSettings struct {
	// Criterion is the stopping rule; default AbsoluteChange.
	Criterion Criterion
	// Tol is the tolerance of Criterion; 0 means 1e-6 for AbsoluteChange
	// and 1e-3 for RelativeChange. Must be >= 0.
	Tol float64
	// MaxIter caps the iterations (= operator applications); 0 means 500.
	MaxIter int
	// Seed seeds the standard normal start vector.
	Seed uint64
	// Start, if non-nil, is the start vector instead of a random one (it
	// is copied and normalised; it must be non-zero and of length Dim).
	Start []float64
	// Recorder, if non-nil, observes each iteration.
	Recorder Recorder
}

// PowerResult is the result of Power: the leading eigenpair as a Result
// (k = 1), with the power iteration's own estimate beside it. Values[0] is
// the signed Rayleigh quotient ρ = vᵀHv of the last iterate v whose product
// Hv was computed, Vectors its unit vector v (Dim×1), Residuals[0] =
// ‖Hv − ρv‖; Abs, ρ and the residual refer to the same vector and cost no
// extra application. Iterations equals Applies; Restarts is 0. Status is
// Converged or IterationLimit (a warning, as in the paper's code).
type PowerResult struct {
	Result
	// Abs = ‖Hv‖, the paper's estimate of |λ| for the dominant eigenvalue.
	Abs float64
}

func (s *PowerSettings) defaults(n int) (PowerSettings, error) {
	c := *s
	switch c.Criterion {
	case AbsoluteChange, RelativeChange:
	default:
		return c, &SettingsError{Field: "PowerSettings.Criterion", Value: int(c.Criterion), Allowed: "AbsoluteChange (0) or RelativeChange (1)"}
	}
	if !(c.Tol >= 0) || math.IsInf(c.Tol, 0) {
		return c, &SettingsError{Field: "PowerSettings.Tol", Value: c.Tol, Allowed: "finite and >= 0 (0 means default)"}
	}
	if c.Tol == 0 {
		if c.Criterion == AbsoluteChange {
			c.Tol = 1e-6
		} else {
			c.Tol = 1e-3
		}
	}
	if c.MaxIter < 0 {
		return c, &SettingsError{Field: "PowerSettings.MaxIter", Value: c.MaxIter, Allowed: ">= 0 (0 means 500)"}
	}
	if c.MaxIter == 0 {
		c.MaxIter = 500
	}
	if c.Start != nil && len(c.Start) != n {
		return c, &DimError{What: "PowerSettings.Start", Got: len(c.Start), Want: n}
	}
	return c, nil
}

// Power estimates the dominant (largest-magnitude) eigenvalue of op by power
// iteration, as in the paper's code (METHOD.md §4.3):
//
//	v ← randn(n); v ← v/‖v‖; λprev ← 0
//	for i < MaxIter:
//	    w ← Hv; λ ← ‖w‖; ρ ← vᵀw
//	    stop if the criterion holds
//	    v ← w/‖w‖
//
// With the default settings the iteration count and the sequence of ‖Hv‖
// are those of the paper's loop. Reaching MaxIter sets Status to
// IterationLimit and is not an error. If Hv = 0 exactly, v is an eigenvector
// with eigenvalue 0 and Power returns Converged.
func Power(op Operator, settings PowerSettings) (PowerResult, error) {
	n := op.Dim()
	s, err := settings.defaults(n)
	if err != nil {
		return PowerResult{}, err
	}
	if n == 0 {
		return PowerResult{}, &DimError{What: "Operator", Got: 0, Want: 1}
	}
	a := newApplier(op, MethodPower, s.Recorder)
	v, err := startVector(a, "PowerSettings.Start", s.Start, newRand(s.Seed))
	if err != nil {
		return PowerResult{}, err
	}
	w := make([]float64, n)
	res := PowerResult{Result: Result{Values: []float64{0}, Residuals: []float64{0}, Status: IterationLimit}}
	prevAbs, prevRay := 0.0, 0.0
	for it := 1; it <= s.MaxIter; it++ {
		if err := a.apply(w, v); err != nil {
			return PowerResult{}, err
		}
		abs := floats.Norm(w, 2)
		ray := floats.Dot(v, w)
		res.Iterations, res.Applies = it, a.applies
		res.Abs, res.Values[0] = abs, ray
		var delta float64
		var done bool
		if s.Criterion == AbsoluteChange {
			delta = abs - prevAbs
			done = math.Abs(delta) <= s.Tol
		} else {
			delta = ray - prevRay
			done = it > 1 && math.Abs(delta)/(math.Abs(ray)+1e-6) < s.Tol
		}
		prevAbs, prevRay = abs, ray
		if abs == 0 {
			done = true
		}
		if err := a.record(Progress{Iter: it, Value: abs, Residual: math.Abs(delta)}); err != nil {
			return PowerResult{}, err
		}
		if done || it == s.MaxIter {
			if done {
				res.Status = Converged
			}
			// Residual of the pair (ρ, v): ‖w − ρv‖.
			r := make([]float64, n)
			floats.AddScaledTo(r, w, -ray, v)
			res.Residuals[0] = floats.Norm(r, 2)
			res.Vectors = mat.NewDense(n, 1, v)
			return res, nil
		}
		v, w = w, v
		floats.Scale(1/abs, v)
	}
	panic("unreachable")
}
