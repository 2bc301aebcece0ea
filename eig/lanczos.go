package eig

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Which selects the eigenpairs that Lanczos computes.
type Which int

const (
	// LargestAlgebraic selects the k largest eigenvalues, returned in
	// descending order (the default: the "top-k" of a Hessian).
	LargestAlgebraic Which = iota
	// SmallestAlgebraic selects the k smallest eigenvalues, returned in
	// ascending order (the "bottom-k").
	SmallestAlgebraic
	// LargestMagnitude selects the k eigenvalues of largest |λ|, returned
	// in descending order of |λ| (what power and subspace iteration find).
	LargestMagnitude
)

// String returns the name of w.
func (w Which) String() string {
	switch w {
	case LargestAlgebraic:
		return "LargestAlgebraic"
	case SmallestAlgebraic:
		return "SmallestAlgebraic"
	case LargestMagnitude:
		return "LargestMagnitude"
	}
	return "Which(?)"
}

// LanczosSettings configures Lanczos. The zero value means the documented
// defaults.
type LanczosSettings struct {
	// Which selects the wanted end of the spectrum; default
	// LargestAlgebraic.
	Which Which
	// Tol: a wanted Ritz pair (θ, x) is converged when its residual
	// estimate β|s_m| (= ‖Hx − θx‖ in exact arithmetic) is at most
	// Tol·‖H‖, with ‖H‖ estimated by max ‖Hq_j‖ over the basis. The
	// eigenvalue error is then at most Tol·‖H‖, and typically of order
	// (Tol·‖H‖)²/gap. 0 means 1e-6. Must be in [0, 1).
	Tol float64
	// ValueChange, if > 0, is a second, alternative stopping rule in the
	// style of the paper's power iteration (METHOD.md §4.3): stop when no
	// wanted Ritz value moved by more than ValueChange (absolute) since
	// the previous Ritz analysis, which happens after every step while the
	// basis has fewer than 20 vectors and every m/10 steps after. Like the
	// paper's rule it measures progress, not error; Residuals still
	// report the Ritz residuals. Leading with ValueChange 1e-6 is the
	// Lanczos counterpart of Power at the paper's setting. Must be finite
	// and >= 0; 0 disables it.
	ValueChange float64
	// MaxBasis is the largest Krylov basis kept before a thick restart. 0
	// means min(Dim, max(3k+32, 64)). Must be Dim or at least k+2. The
	// basis takes (MaxBasis+1)·Dim float64s. Restarts discard information:
	// the top 200 of the seqMNIST-size W_rec Hessian (Dim 16384) took 1012
	// applications with a basis of 2k+32 = 432 (5 restarts) and 565 with
	// 632 (none).
	MaxBasis int
	// MaxApplies caps the operator applications; 0 means
	// max(1000, 20·MaxBasis).
	MaxApplies int
	// Seed seeds the standard normal start vector (and the random vectors
	// used after a breakdown).
	Seed uint64
	// Start, if non-nil, replaces the random start vector (copied; must be
	// non-zero and of length Dim).
	Start []float64
	// Recorder, if non-nil, observes each Lanczos step.
	Recorder Recorder
}

// Result holds the leading eigenpairs computed by any of the solvers:
// Lanczos, Leading and Subspace return it, Power returns it with its own
// estimate beside it (PowerResult).
type Result struct {
	// Values holds the k eigenvalue estimates in the order of Which
	// (Power: the signed Rayleigh quotient of the dominant eigenvalue).
	Values []float64
	// Vectors is Dim×k; column i is the unit eigenvector of Values[i].
	Vectors *mat.Dense
	// Residuals[i] estimates ‖H x_i − Values[i] x_i‖ (Lanczos: the Ritz
	// residual β|s_m,i|; Subspace and Power: computed exactly from the
	// last product).
	Residuals []float64
	// Status is Converged, ApplyLimit (Lanczos) or IterationLimit
	// (Subspace, Power).
	Status Status
	// Iterations counts Lanczos steps, subspace or power iterations;
	// Applies counts operator applications; Restarts counts Lanczos thick
	// restarts (0 for the other solvers).
	Iterations, Applies, Restarts int
}

// Vector returns a copy of eigenvector i.
func (r Result) Vector(i int) []float64 {
	return mat.Col(nil, i, r.Vectors)
}

// Converged reports whether the solver's stopping rule was met.
func (r Result) Converged() bool { return r.Status == Converged }

func (s *LanczosSettings) defaults(n, k int) (LanczosSettings, error) {
	c := *s
	if k < 1 || k > n {
		return c, &SettingsError{Field: "k", Value: k, Allowed: "1..Dim"}
	}
	switch c.Which {
	case LargestAlgebraic, SmallestAlgebraic, LargestMagnitude:
	default:
		return c, &SettingsError{Field: "LanczosSettings.Which", Value: int(c.Which), Allowed: "LargestAlgebraic, SmallestAlgebraic or LargestMagnitude"}
	}
	if !(c.Tol >= 0 && c.Tol < 1) {
		return c, &SettingsError{Field: "LanczosSettings.Tol", Value: c.Tol, Allowed: "[0, 1) (0 means 1e-6)"}
	}
	if c.Tol == 0 {
		c.Tol = 1e-6
	}
	if !(c.ValueChange >= 0) || math.IsInf(c.ValueChange, 0) {
		return c, &SettingsError{Field: "LanczosSettings.ValueChange", Value: c.ValueChange, Allowed: "finite and >= 0 (0 disables)"}
	}
	if c.MaxBasis == 0 {
		c.MaxBasis = min(n, max(3*k+32, 64))
	}
	if c.MaxBasis > n || (c.MaxBasis != n && c.MaxBasis < k+2) {
		return c, &SettingsError{Field: "LanczosSettings.MaxBasis", Value: c.MaxBasis, Allowed: "Dim, or k+2..Dim (0 means default)"}
	}
	if c.MaxApplies < 0 {
		return c, &SettingsError{Field: "LanczosSettings.MaxApplies", Value: c.MaxApplies, Allowed: ">= 0 (0 means default)"}
	}
	if c.MaxApplies == 0 {
		c.MaxApplies = max(1000, 20*c.MaxBasis)
	}
	if c.Start != nil && len(c.Start) != n {
		return c, &DimError{What: "LanczosSettings.Start", Got: len(c.Start), Want: n}
	}
	return c, nil
}

// order returns the indices of theta (ascending eigenvalues) from most to
// least wanted.
func order(theta []float64, which Which) []int {
	m := len(theta)
	idx := make([]int, m)
	switch which {
	case LargestAlgebraic:
		for i := range idx {
			idx[i] = m - 1 - i
		}
	case SmallestAlgebraic:
		for i := range idx {
			idx[i] = i
		}
	case LargestMagnitude:
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			return math.Abs(theta[idx[a]]) > math.Abs(theta[idx[b]])
		})
	}
	return idx
}

// Lanczos computes k eigenpairs of op at the end of the spectrum selected by
// settings.Which, by the Lanczos method with full reorthogonalisation and
// thick restarts (Wu and Simon 2000) when the basis reaches MaxBasis. It
// stops when every wanted Ritz pair meets the residual test of
// LanczosSettings.Tol (or the optional ValueChange test), when the Krylov
// space becomes R^Dim (the result is then exact), or at MaxApplies (Status
// ApplyLimit, not an error).
//
// When the Krylov space becomes invariant before the wanted pairs converge,
// Lanczos continues from a random vector orthogonal to the basis. A single
// Krylov space contains one eigenvector per distinct eigenvalue, so an
// eigenvalue of exact multiplicity > 1 may appear fewer times than its
// multiplicity; use Subspace when exact multiplicities matter.
func Lanczos(op Operator, k int, settings LanczosSettings) (Result, error) {
	n := op.Dim()
	s, err := settings.defaults(n, k)
	if err != nil {
		return Result{}, err
	}
	a := newApplier(op, MethodLanczos, s.Recorder)
	rnd := newRand(s.Seed)
	start, err := startVector(a, "LanczosSettings.Start", s.Start, rnd)
	if err != nil {
		return Result{}, err
	}
	kr := newKrylov(a, s.MaxBasis, start, rnd, false)

	var (
		theta   []float64
		svec    *mat.Dense
		want    []int
		resid   []float64
		checked = -1      // basis size at the last Ritz analysis
		prev    []float64 // wanted Ritz values at the last analysis (ValueChange)
		status  = NotTerminated
		steps   int
		restart int
	)
	analyse := func() (bool, error) {
		var err error
		theta, svec, err = kr.ritz()
		if err != nil {
			return false, err
		}
		checked = kr.m
		want = order(theta, s.Which)[:min(k, kr.m)]
		resid = make([]float64, len(want))
		done := kr.m >= k
		tol := s.Tol * kr.anorm
		for i, idx := range want {
			resid[i] = kr.beta * math.Abs(svec.At(kr.m-1, idx))
			if resid[i] > tol {
				done = false
			}
		}
		if s.ValueChange > 0 && len(want) == k {
			moved := math.Inf(1)
			if prev != nil {
				moved = 0
				for i, idx := range want {
					moved = math.Max(moved, math.Abs(theta[idx]-prev[i]))
				}
			}
			if moved <= s.ValueChange {
				done = true
			}
			prev = make([]float64, k)
			for i, idx := range want {
				prev[i] = theta[idx]
			}
		}
		return done, nil
	}
	for status == NotTerminated {
		if a.applies >= s.MaxApplies {
			status = ApplyLimit
			break
		}
		if err := kr.step(); err != nil {
			return Result{}, err
		}
		steps++
		m := kr.m
		interval := max(1, m/10)
		maxRes := math.NaN()
		if m >= k && (kr.exhausted || m == kr.cap || m-checked >= interval) {
			done, err := analyse()
			if err != nil {
				return Result{}, err
			}
			maxRes = 0
			for _, r := range resid {
				maxRes = math.Max(maxRes, r)
			}
			if done || kr.exhausted {
				status = Converged
			}
		}
		lead := math.NaN()
		if checked == m {
			lead = theta[want[0]]
		}
		if err := a.record(Progress{Iter: steps, Value: lead, Residual: maxRes}); err != nil {
			return Result{}, err
		}
		if status == NotTerminated && m == kr.cap {
			if a.applies >= s.MaxApplies {
				status = ApplyLimit
				break
			}
			// Thick restart, keeping the wanted pairs and as many of the
			// next-most-wanted as fit in half the free space.
			l := min(k+max(1, (kr.cap-k)/2), kr.cap-1)
			kr.restart(theta, svec, order(theta, s.Which)[:l])
			restart++
			checked = -1
		}
	}
	if checked != kr.m {
		if _, err := analyse(); err != nil {
			return Result{}, err
		}
	}
	vals := make([]float64, len(want))
	for i, idx := range want {
		vals[i] = theta[idx]
	}
	return Result{
		Values:     vals,
		Vectors:    kr.vectors(svec, want),
		Residuals:  resid,
		Status:     status,
		Iterations: steps,
		Applies:    a.applies,
		Restarts:   restart,
	}, nil
}

// Leading returns the dominant (largest-magnitude) eigenpair of op by
// Lanczos: Values[0] is the signed eigenvalue, |Values[0]| the quantity the
// paper's power iteration estimates. It is Lanczos(op, 1, settings) with
// settings.Which forced to LargestMagnitude.
func Leading(op Operator, settings LanczosSettings) (Result, error) {
	settings.Which = LargestMagnitude
	return Lanczos(op, 1, settings)
}
