package eig_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/eig/testproblems"
)

// checkTrials asserts that every estimate is within 4 standard errors of
// exact, that at most 5% (at most one of 20 trials) are beyond 3 (0.27%
// expected for normal errors; the standard errors are themselves estimated
// from skewed samples) and that at least 80% are within 2 (95% expected).
func checkTrials(t *testing.T, name string, exact float64, ests []eig.Estimate) {
	t.Helper()
	within2, beyond3 := 0, 0
	for i, e := range ests {
		z := (e.Estimate - exact) / e.StdErr
		if math.Abs(z) > 4 || math.IsNaN(z) {
			t.Errorf("%s trial %d: estimate %v ± %v, exact %v (z = %.2f)", name, i, e.Estimate, e.StdErr, exact, z)
		}
		t.Logf("%s trial %d: z = %.2f", name, i, z)
		if math.Abs(z) <= 2 {
			within2++
		}
		if math.Abs(z) > 3 {
			beyond3++
		}
	}
	n := float64(len(ests))
	if frac := float64(within2) / n; frac < 0.8 {
		t.Errorf("%s: only %.0f%% of trials within 2 standard errors", name, 100*frac)
	}
	if frac := float64(beyond3) / n; frac > 0.05 {
		t.Errorf("%s: %.0f%% of trials beyond 3 standard errors", name, 100*frac)
	}
}

func TestHutchinson(t *testing.T) {
	for _, p := range testproblems.Standard(100, 61) {
		t.Run(p.Name, func(t *testing.T) {
			exact := floats.Sum(p.Values)
			op := eig.NewDense(p.A)
			var ests []eig.Estimate
			const probes = 200
			for seed := uint64(0); seed < 20; seed++ {
				e, err := eig.Hutchinson(op, eig.HutchinsonSettings{Probes: probes, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				if e.Applies != probes || len(e.Samples) != probes {
					t.Fatalf("applies %d, samples %d", e.Applies, len(e.Samples))
				}
				ests = append(ests, e)
			}
			checkTrials(t, "trace", exact, ests)
			// The standard error matches the known variance 2Σ_{i≠j}H_ij².
			var off float64
			for i := 0; i < 100; i++ {
				for j := 0; j < 100; j++ {
					if i != j {
						off += p.A.At(i, j) * p.A.At(i, j)
					}
				}
			}
			want := math.Sqrt(2 * off / probes)
			var mean float64
			for _, e := range ests {
				mean += e.StdErr / float64(len(ests))
			}
			if mean < 0.7*want || mean > 1.3*want {
				t.Errorf("mean standard error %v, theory %v", mean, want)
			}
		})
	}
}

func TestHutchinsonEnumeratedUnbiased(t *testing.T) {
	// Over all 2^n sign vectors the sample mean is exactly Tr(H).
	const n = 8
	a := testproblems.WithSpectrum(testproblems.Indefinite(n, 3, -2), 3)
	z := make([]float64, n)
	hz := make([]float64, n)
	var sum float64
	for mask := 0; mask < 1<<n; mask++ {
		for i := range z {
			z[i] = float64(1 - 2*((mask>>i)&1))
		}
		eig.NewDense(a).Apply(hz, z)
		sum += floats.Dot(z, hz)
	}
	if got, want := sum/(1<<n), mat.Trace(a); math.Abs(got-want) > 1e-12 {
		t.Errorf("enumerated mean %v, trace %v", got, want)
	}
}

func TestSLQ(t *testing.T) {
	const n = 200
	p := testproblems.NewProblem("indefinite", testproblems.Indefinite(n, 5, -3), 71)
	norm := 5.0
	res, err := eig.SLQ(eig.NewDense(p.A), eig.SLQSettings{Probes: 30, Steps: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applies != 30*40 || len(res.Nodes) != 30 {
		t.Fatalf("applies %d, probes %d", res.Applies, len(res.Nodes))
	}
	for pi, w := range res.Weights {
		if s := floats.Sum(w); math.Abs(s-1) > 1e-10 {
			t.Errorf("probe %d: weights sum to %v", pi, s)
		}
	}
	const sigma = 0.3
	gauss := func(x0 float64) func(float64) float64 {
		return func(x float64) float64 {
			d := (x - x0) / sigma
			return math.Exp(-0.5*d*d) / (sigma * math.Sqrt(2*math.Pi))
		}
	}
	fs := []struct {
		name string
		f    func(float64) float64
	}{
		{"x", func(x float64) float64 { return x }},
		{"x^2", func(x float64) float64 { return x * x }},
		{"exp", func(x float64) float64 { return math.Exp(x / norm) }},
		{"gauss(-2)", gauss(-2)},
		{"gauss(0)", gauss(0)},
		{"gauss(3.5)", gauss(3.5)},
	}
	var runs []eig.SLQResult
	for seed := uint64(0); seed < 20; seed++ {
		r, err := eig.SLQ(eig.NewDense(p.A), eig.SLQSettings{Probes: 20, Steps: 30, Seed: 100 + seed})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	for _, c := range fs {
		t.Run(c.name, func(t *testing.T) {
			var exact float64
			for _, l := range p.Values {
				exact += c.f(l)
			}
			var ests []eig.Estimate
			for _, r := range runs {
				ests = append(ests, r.Quadrature(c.f))
			}
			checkTrials(t, c.name, exact, ests)
		})
	}
	// The smoothed density is Quadrature(gauss)/n and integrates to 1.
	grid := make([]float64, 2001)
	for i := range grid {
		grid[i] = -6 + 14*float64(i)/2000
	}
	d := res.Density(grid, sigma)
	integral := floats.Sum(d) * 14 / 2000
	if math.Abs(integral-1) > 1e-3 {
		t.Errorf("density integrates to %v", integral)
	}
	if q := res.Quadrature(gauss(grid[700])).Estimate / n; math.Abs(q-d[700]) > 1e-12 {
		t.Errorf("density %v, quadrature/n %v", d[700], q)
	}
}

func TestSLQExhaustedKrylovIsExact(t *testing.T) {
	// Three distinct eigenvalues: the Krylov space is invariant after 3
	// steps and the quadrature is exact for every probe.
	vals := []float64{4, 4, 1, 1, 1, -2, -2, -2}
	a := testproblems.WithSpectrum(vals, 8)
	res, err := eig.SLQ(eig.NewDense(a), eig.SLQSettings{Probes: 3, Steps: 8})
	if err != nil {
		t.Fatal(err)
	}
	for pi, nodes := range res.Nodes {
		if len(nodes) != 3 {
			t.Fatalf("probe %d: %d nodes %v, want 3", pi, len(nodes), nodes)
		}
		// The nodes are the distinct eigenvalues, so the rule is exact.
		for i, w := range []float64{-2, 1, 4} {
			if math.Abs(nodes[i]-w) > 1e-10 {
				t.Errorf("probe %d: node %d = %v, want %v", pi, i, nodes[i], w)
			}
		}
	}
	if res.Applies != 3*3 {
		t.Errorf("applies %d, want 9", res.Applies)
	}
}
