package eig

import (
	"math"
	"strconv"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Estimate is a Monte Carlo estimate: the mean of independent samples and
// its standard error s/√p (s the sample standard deviation, p the number of
// samples; NaN when p < 2).
type Estimate struct {
	Estimate, StdErr float64
	// Samples holds the per-probe values whose mean is Estimate.
	Samples []float64
	// Applies counts operator applications.
	Applies int
}

func newEstimate(samples []float64, applies int) Estimate {
	e := Estimate{Samples: samples, Applies: applies, StdErr: math.NaN()}
	if len(samples) == 0 {
		e.Estimate = math.NaN()
		return e
	}
	if len(samples) == 1 {
		e.Estimate = samples[0]
		return e
	}
	mean, sd := stat.MeanStdDev(samples, nil)
	e.Estimate = mean
	e.StdErr = sd / math.Sqrt(float64(len(samples)))
	return e
}

// HutchinsonSettings configures Hutchinson.
type HutchinsonSettings struct {
	// Probes is the number of Rademacher probes; 0 means 100.
	Probes int
	// Seed seeds the probes.
	Seed uint64
	// Recorder, if non-nil, observes each probe.
	Recorder Recorder
}

func checkProbes(field string, p, def int) (int, error) {
	if p < 0 {
		return 0, &SettingsError{Field: field, Value: p, Allowed: ">= 0 (0 means " + strconv.Itoa(def) + ")"}
	}
	if p == 0 {
		return def, nil
	}
	return p, nil
}

// Hutchinson estimates Tr(H) = E[zᵀHz] with z a vector of independent
// Rademacher (±1) entries (Hutchinson 1990), averaging Probes samples. The
// estimator is unbiased; its variance is 2·Σ_{i≠j} H_ij².
func Hutchinson(op Operator, settings HutchinsonSettings) (Estimate, error) {
	p, err := checkProbes("HutchinsonSettings.Probes", settings.Probes, 100)
	if err != nil {
		return Estimate{}, err
	}
	n := op.Dim()
	a := newApplier(op, MethodHutchinson, settings.Recorder)
	rnd := newRand(settings.Seed)
	z := make([]float64, n)
	hz := make([]float64, n)
	return sampleMean(a, p, func() (float64, error) {
		fillRademacher(rnd, z)
		if err := a.apply(hz, z); err != nil {
			return 0, err
		}
		return floats.Dot(z, hz), nil
	})
}

// sampleMean averages p samples drawn by sample, reporting the running
// estimate and its standard error to a's recorder after each one.
func sampleMean(a *applier, p int, sample func() (float64, error)) (Estimate, error) {
	samples := make([]float64, 0, p)
	for i := 0; i < p; i++ {
		x, err := sample()
		if err != nil {
			return Estimate{}, err
		}
		samples = append(samples, x)
		if a.rec != nil {
			e := newEstimate(samples, a.applies)
			if err := a.record(Progress{Iter: i + 1, Value: e.Estimate, Residual: e.StdErr}); err != nil {
				return Estimate{}, err
			}
		}
	}
	return newEstimate(samples, a.applies), nil
}

// SLQSettings configures SLQ.
type SLQSettings struct {
	// Probes is the number of Rademacher start vectors; 0 means 10.
	Probes int
	// Steps is the number of Lanczos steps per probe; 0 means
	// min(Dim, 100) (PyHessian's iter). Must be <= Dim.
	Steps int
	// Seed seeds the probes.
	Seed uint64
	// Recorder, if non-nil, observes each probe.
	Recorder Recorder
}

// SLQResult holds the Gauss quadrature rules of stochastic Lanczos
// quadrature: for probe p, Nodes[p] are the Ritz values of the Lanczos
// matrix started from a normalised Rademacher vector q and Weights[p] the
// squared first components of its eigenvectors (summing to 1), so that
// qᵀf(H)q ≈ Σ_i Weights[p][i]·f(Nodes[p][i]).
type SLQResult struct {
	Nodes, Weights [][]float64
	// Dim is the operator dimension.
	Dim int
	// Applies counts operator applications.
	Applies int
}

// SLQ runs stochastic Lanczos quadrature (Ubaru, Chen and Saad 2017; the
// spectral density of PyHessian, Yao et al. 2020): for each probe, Steps
// Lanczos steps with full reorthogonalisation from a Rademacher vector,
// stopping early if the Krylov space becomes invariant (the quadrature is
// then exact).
func SLQ(op Operator, settings SLQSettings) (SLQResult, error) {
	p, err := checkProbes("SLQSettings.Probes", settings.Probes, 10)
	if err != nil {
		return SLQResult{}, err
	}
	n := op.Dim()
	steps := settings.Steps
	if steps < 0 || steps > n {
		return SLQResult{}, &SettingsError{Field: "SLQSettings.Steps", Value: steps, Allowed: "0..Dim (0 means min(Dim, 100))"}
	}
	if steps == 0 {
		steps = min(n, 100)
	}
	a := newApplier(op, MethodSLQ, settings.Recorder)
	rnd := newRand(settings.Seed)
	res := SLQResult{Dim: n}
	start := make([]float64, n)
	for i := 0; i < p; i++ {
		fillRademacher(rnd, start)
		kr := newKrylov(a, steps, start, rnd, true)
		for kr.m < steps && !kr.exhausted {
			if err := kr.step(); err != nil {
				return SLQResult{}, err
			}
		}
		theta, s, err := kr.ritz()
		if err != nil {
			return SLQResult{}, err
		}
		w := make([]float64, len(theta))
		for j := range w {
			w[j] = s.At(0, j) * s.At(0, j)
		}
		res.Nodes = append(res.Nodes, theta)
		res.Weights = append(res.Weights, w)
		if err := a.record(Progress{Iter: i + 1, Value: theta[len(theta)-1], Residual: math.NaN()}); err != nil {
			return SLQResult{}, err
		}
	}
	res.Applies = a.applies
	return res, nil
}

// Quadrature estimates Tr f(H) = E[zᵀf(H)z] by Dim·Σ_i w_i f(θ_i) per probe,
// with its standard error over probes.
func (r SLQResult) Quadrature(f func(float64) float64) Estimate {
	samples := make([]float64, len(r.Nodes))
	for p := range r.Nodes {
		var s float64
		for i, x := range r.Nodes[p] {
			s += r.Weights[p][i] * f(x)
		}
		samples[p] = float64(r.Dim) * s
	}
	return newEstimate(samples, r.Applies)
}

// Density returns the Gaussian-smoothed spectral density
//
//	ρ(x) = (1/P) Σ_p Σ_i Weights[p][i]·N(x; Nodes[p][i], sigma²)
//
// at each point of x. It integrates to 1 and estimates (1/Dim)·Σ_j
// N(x; λ_j, sigma²) without bias. sigma must be > 0.
func (r SLQResult) Density(x []float64, sigma float64) []float64 {
	if !(sigma > 0) {
		panic("eig: SLQResult.Density: sigma must be > 0")
	}
	out := make([]float64, len(x))
	c := 1 / (sigma * math.Sqrt(2*math.Pi) * float64(len(r.Nodes)))
	for p := range r.Nodes {
		for i, t := range r.Nodes[p] {
			w := r.Weights[p][i] * c
			for j, xj := range x {
				d := (xj - t) / sigma
				out[j] += w * math.Exp(-0.5*d*d)
			}
		}
	}
	return out
}
