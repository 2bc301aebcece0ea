package dsa

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/mat"
)

// ErrNoPairs is returned by Fit when no trial is long enough to give a pair
// of consecutive delay-embedded rows.
var ErrNoPairs = errors.New("dsa: no trial has two delay-embedded rows (trials too short for NDelays and Interval)")

// Embed returns the delay embedding (Hankel matrix) of the trajectory x
// (T×n, one row per time step) with nDelays ≥ 1 copies spaced by interval ≥
// 1 steps: T−(nDelays−1)·interval rows of width nDelays·n, row t being
// [x_{t+(d−1)τ}, …, x_t] (most recent first). It errors when the trajectory
// is shorter than one embedded row.
func Embed(x mat.Matrix, nDelays, interval int) (*mat.Dense, error) {
	if nDelays < 1 {
		return nil, fmt.Errorf("dsa: nDelays = %d, allowed range [1, ∞)", nDelays)
	}
	if interval < 1 {
		return nil, fmt.Errorf("dsa: interval = %d, allowed range [1, ∞)", interval)
	}
	T, n := x.Dims()
	rows := T - (nDelays-1)*interval
	if rows < 1 || n < 1 {
		return nil, fmt.Errorf("dsa: a trajectory of %d steps × %d dimensions is too short for %d delays at interval %d (needs at least %d steps)",
			T, n, nDelays, interval, (nDelays-1)*interval+1)
	}
	h := mat.NewDense(rows, nDelays*n, nil)
	for t := 0; t < rows; t++ {
		for d := 0; d < nDelays; d++ {
			src := t + (nDelays-1-d)*interval
			for j := 0; j < n; j++ {
				h.Set(t, d*n+j, x.At(src, j))
			}
		}
	}
	return h, nil
}

// FitSettings configures Fit. The zero value means one delay (no
// embedding), interval 1, the full numerical rank and no ridge.
type FitSettings struct {
	// NDelays is the number of delayed copies d (0 means 1).
	NDelays int
	// Interval is the spacing τ of the delays in steps (0 means 1).
	Interval int
	// Rank is the number r of eigen-time-delay coordinates kept; 0 means
	// all (up to the numerical rank), or the rank set by Energy.
	Rank int
	// Energy, in [0, 1), when > 0 and Rank is 0, sets r to the smallest
	// rank whose singular values hold this fraction of Σ s_i².
	Energy float64
	// Ridge is λ ≥ 0 of the penalty λ‖A‖²_F (the reference's "lamb").
	Ridge float64
}

func (s FitSettings) withDefaults() (FitSettings, error) {
	switch {
	case s.NDelays < 0:
		return s, fmt.Errorf("dsa: FitSettings.NDelays = %d, allowed range [1, ∞) (0 means 1)", s.NDelays)
	case s.Interval < 0:
		return s, fmt.Errorf("dsa: FitSettings.Interval = %d, allowed range [1, ∞) (0 means 1)", s.Interval)
	case s.Rank < 0:
		return s, fmt.Errorf("dsa: FitSettings.Rank = %d, allowed range [1, ∞) (0 means the numerical rank)", s.Rank)
	case !(s.Energy >= 0 && s.Energy < 1):
		return s, fmt.Errorf("dsa: FitSettings.Energy = %v, allowed range [0, 1)", s.Energy)
	case !(s.Ridge >= 0) || math.IsInf(s.Ridge, 0):
		return s, fmt.Errorf("dsa: FitSettings.Ridge = %v, allowed range [0, ∞)", s.Ridge)
	}
	if s.NDelays == 0 {
		s.NDelays = 1
	}
	if s.Interval == 0 {
		s.Interval = 1
	}
	return s, nil
}

// Model is a linear model of delay-embedded dynamics.
type Model struct {
	// A is the r×r operator of z_{t+1} ≈ A z_t in the whitened
	// eigen-time-delay coordinates z (the reference's A_v).
	A *mat.Dense
	// Rank is r; NumericalRank the number of singular values of H above
	// max(M, D)·ε·s_max.
	Rank, NumericalRank int
	// Singular holds the singular values of the Hankel matrix H, largest
	// first.
	Singular []float64
	// Rows is the number of rows M of H and Pairs the number of consecutive
	// pairs the operator was fitted on.
	Rows, Pairs int
	// Residual is the relative fit residual ‖Z₊ − Z₋Aᵀ‖_F/‖Z₊‖_F.
	Residual float64
}

// Eigenvalues returns the eigenvalues of A.
func (m *Model) Eigenvalues() []complex128 {
	var e mat.Eigen
	if !e.Factorize(m.A, mat.EigenNone) {
		n, _ := m.A.Dims()
		out := make([]complex128, n)
		for i := range out {
			out[i] = cmplx.NaN()
		}
		return out
	}
	return e.Values(nil)
}

// Fit fits the linear operator of the delay-embedded trials (each T_k×n,
// one row per step, all of the same width n). Trials too short for the
// embedding are an error; rows of different trials are never paired. The
// method is described in the package documentation.
func Fit(trials []mat.Matrix, s FitSettings) (*Model, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(trials) == 0 {
		return nil, fmt.Errorf("dsa: Fit needs at least one trial")
	}
	var hs []*mat.Dense
	M, D := 0, 0
	for k, x := range trials {
		h, err := Embed(x, s.NDelays, s.Interval)
		if err != nil {
			return nil, fmt.Errorf("trial %d: %w", k, err)
		}
		r, c := h.Dims()
		if k > 0 && c != D {
			return nil, fmt.Errorf("dsa: trial %d has width %d, trial 0 has %d", k, c/s.NDelays, D/s.NDelays)
		}
		D = c
		M += r
		hs = append(hs, h)
	}
	H := mat.NewDense(M, D, nil)
	off := 0
	for _, h := range hs {
		r, _ := h.Dims()
		H.Slice(off, off+r, 0, D).(*mat.Dense).Copy(h)
		off += r
	}
	for i := 0; i < M; i++ {
		for j := 0; j < D; j++ {
			if v := H.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("dsa: trajectory value %v is not finite", v)
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(H, mat.SVDThin) {
		return nil, fmt.Errorf("dsa: SVD of the %d×%d Hankel matrix did not converge", M, D)
	}
	sv := svd.Values(nil)
	m := &Model{Singular: sv, Rows: M}
	if len(sv) == 0 || sv[0] == 0 {
		return nil, fmt.Errorf("dsa: the trajectories are identically zero")
	}
	tol := float64(max(M, D)) * 0x1p-52 * sv[0]
	for _, v := range sv {
		if v > tol {
			m.NumericalRank++
		}
	}
	r := m.NumericalRank
	switch {
	case s.Rank > 0:
		r = min(s.Rank, r)
	case s.Energy > 0:
		total := 0.0
		for _, v := range sv {
			total += v * v
		}
		acc := 0.0
		for i, v := range sv[:r] {
			acc += v * v
			if acc >= s.Energy*total {
				r = i + 1
				break
			}
		}
	}
	m.Rank = r
	var U mat.Dense
	svd.UTo(&U)
	// Consecutive rows of each trial.
	pairs := 0
	for _, h := range hs {
		rows, _ := h.Dims()
		pairs += rows - 1
	}
	if pairs == 0 {
		return nil, ErrNoPairs
	}
	extra := 0
	if s.Ridge > 0 {
		extra = r
	}
	zm := mat.NewDense(pairs+extra, r, nil)
	zp := mat.NewDense(pairs+extra, r, nil)
	off, p := 0, 0
	for _, h := range hs {
		rows, _ := h.Dims()
		for t := 0; t+1 < rows; t++ {
			for j := 0; j < r; j++ {
				zm.Set(p, j, U.At(off+t, j))
				zp.Set(p, j, U.At(off+t+1, j))
			}
			p++
		}
		off += rows
	}
	if s.Ridge > 0 {
		sq := math.Sqrt(s.Ridge)
		for j := 0; j < r; j++ {
			zm.Set(pairs+j, j, sq)
		}
	}
	m.Pairs = pairs
	// Least squares Z₋ X = Z₊ (QR for tall, minimum norm for wide); A = Xᵀ.
	var X mat.Dense
	if err := X.Solve(zm, zp); err != nil {
		return nil, fmt.Errorf("dsa: least-squares fit of the operator: %w", err)
	}
	m.A = mat.DenseCopyOf(X.T())
	var res mat.Dense
	res.Mul(zm.Slice(0, pairs, 0, r), &X)
	res.Sub(&res, zp.Slice(0, pairs, 0, r))
	if nz := mat.Norm(zp.Slice(0, pairs, 0, r), 2); nz > 0 {
		m.Residual = mat.Norm(&res, 2) / nz
	}
	return m, nil
}
