package eig_test

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/eig/testproblems"
)

// denseSpectrum returns the eigenvalues of a by mat.EigenSym, ascending.
func denseSpectrum(t testing.TB, a mat.Symmetric) []float64 {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(a, false) {
		t.Fatal("EigenSym failed")
	}
	return es.Values(nil)
}

// want returns the k reference eigenvalues of ascending vals in the order of
// which.
func want(vals []float64, k int, which eig.Which) []float64 {
	n := len(vals)
	out := make([]float64, k)
	switch which {
	case eig.LargestAlgebraic:
		for i := range out {
			out[i] = vals[n-1-i]
		}
	case eig.SmallestAlgebraic:
		copy(out, vals[:k])
	case eig.LargestMagnitude:
		v := append([]float64(nil), vals...)
		sort.SliceStable(v, func(a, b int) bool { return math.Abs(v[a]) > math.Abs(v[b]) })
		copy(out, v[:k])
	}
	return out
}

// trueResidual returns ‖A x − θ x‖.
func trueResidual(a mat.Symmetric, x []float64, theta float64) float64 {
	n := len(x)
	r := make([]float64, n)
	eig.NewDense(a).Apply(r, x)
	floats.AddScaled(r, -theta, x)
	return floats.Norm(r, 2)
}

func TestLanczosMatchesEigenSym(t *testing.T) {
	const tol = 1e-9
	for _, n := range []int{60, 500} {
		for _, p := range testproblems.Standard(n, uint64(n)) {
			ref := denseSpectrum(t, p.A)
			norm := math.Max(math.Abs(ref[0]), math.Abs(ref[n-1]))
			op := eig.NewDense(p.A)
			for _, which := range []eig.Which{eig.LargestAlgebraic, eig.SmallestAlgebraic, eig.LargestMagnitude} {
				for _, k := range []int{1, 10} {
					name := fmt.Sprintf("n=%d/%s/%v/k=%d", n, p.Name, which, k)
					t.Run(name, func(t *testing.T) {
						res, err := eig.Lanczos(op, k, eig.LanczosSettings{Which: which, Tol: tol, Seed: 1, MaxApplies: 20000})
						if err != nil {
							t.Fatal(err)
						}
						if res.Status != eig.Converged {
							t.Fatalf("status %v after %d applies", res.Status, res.Applies)
						}
						w := want(ref, k, which)
						for i := range w {
							// |θ − λ| ≤ residual ≤ tol·‖H‖, plus rounding.
							if d := math.Abs(res.Values[i] - w[i]); d > 2*tol*norm+1e-12*norm {
								t.Errorf("value %d: got %v, want %v (diff %g)", i, res.Values[i], w[i], d)
							}
							r := trueResidual(p.A, res.Vector(i), res.Values[i])
							if r > 2*tol*norm+1e-10*norm {
								t.Errorf("vector %d: true residual %g > bound", i, r)
							}
							if math.Abs(r-res.Residuals[i]) > 1e-10*norm {
								t.Errorf("vector %d: residual estimate %g, true %g", i, res.Residuals[i], r)
							}
						}
					})
				}
			}
		}
	}
}

func TestLanczosTop200(t *testing.T) {
	const n, k, tol = 500, 200, 1e-8
	vals := testproblems.Spread(n, 10, 1e-3)
	for _, which := range []eig.Which{eig.LargestAlgebraic, eig.SmallestAlgebraic} {
		t.Run(which.String(), func(t *testing.T) {
			if which == eig.SmallestAlgebraic {
				// The mirror image, so both ends are equally hard.
				floats.Scale(-1, vals)
			}
			p := testproblems.NewProblem("spread", vals, 7)
			ref := denseSpectrum(t, p.A)
			res, err := eig.Lanczos(eig.NewDense(p.A), k, eig.LanczosSettings{Which: which, Tol: tol, MaxBasis: 2*k + 40, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != eig.Converged {
				t.Fatalf("status %v", res.Status)
			}
			w := want(ref, k, which)
			for i := range w {
				if d := math.Abs(res.Values[i] - w[i]); d > 2*tol*10 {
					t.Errorf("value %d: got %v, want %v", i, res.Values[i], w[i])
				}
			}
			t.Logf("top-%d %v: %d applies, %d restarts", k, which, res.Applies, res.Restarts)
		})
	}
}

func TestLanczosRestarts(t *testing.T) {
	// A small MaxBasis forces thick restarts; the result must not change.
	const n, k, tol = 300, 5, 1e-9
	p := testproblems.NewProblem("indefinite", testproblems.Indefinite(n, 5, -3), 11)
	ref := denseSpectrum(t, p.A)
	res, err := eig.Lanczos(eig.NewDense(p.A), k, eig.LanczosSettings{Tol: tol, MaxBasis: k + 10, Seed: 2, MaxApplies: 50000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != eig.Converged || res.Restarts == 0 {
		t.Fatalf("status %v, restarts %d", res.Status, res.Restarts)
	}
	w := want(ref, k, eig.LargestAlgebraic)
	for i := range w {
		if d := math.Abs(res.Values[i] - w[i]); d > 2*tol*5+1e-11 {
			t.Errorf("value %d: got %v, want %v", i, res.Values[i], w[i])
		}
		if r := trueResidual(p.A, res.Vector(i), res.Values[i]); r > 3*tol*5 {
			t.Errorf("vector %d: true residual %g", i, r)
		}
	}
	t.Logf("%d applies, %d restarts", res.Applies, res.Restarts)
}

func TestLanczosExactMultiplicityAndExhaustion(t *testing.T) {
	// A small matrix whose Krylov space from any start has dimension 2
	// (two distinct eigenvalues): Lanczos restarts from random vectors
	// and, with MaxBasis = n, ends with the exact spectrum.
	vals := []float64{3, 3, 3, -1, -1, -1}
	a := testproblems.WithSpectrum(vals, 5)
	res, err := eig.Lanczos(eig.NewDense(a), 6, eig.LanczosSettings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != eig.Converged {
		t.Fatalf("status %v", res.Status)
	}
	for i, w := range vals {
		if math.Abs(res.Values[i]-w) > 1e-12 {
			t.Errorf("value %d: got %v want %v", i, res.Values[i], w)
		}
	}
}

func TestPowerMatchesEigenSym(t *testing.T) {
	cases := []struct {
		name string
		vals []float64
		gap  float64
	}{
		{"positive-dominant", append([]float64{10}, testproblems.Spread(199, 8, 0.01)...), 2},
		{"negative-dominant", append([]float64{-6}, testproblems.Indefinite(199, 2, -4)...), 2},
		{"indefinite-gap", append([]float64{7, -5}, testproblems.Indefinite(198, 3, -3)...), 2},
	}
	for _, c := range cases {
		a := testproblems.WithSpectrum(c.vals, 9)
		ref := want(denseSpectrum(t, a), 1, eig.LargestMagnitude)[0]
		for _, s := range []eig.PowerSettings{
			{Seed: 1},
			{Seed: 2, Tol: 1e-12, MaxIter: 5000},
			{Seed: 3, Criterion: eig.RelativeChange, Tol: 1e-10, MaxIter: 5000},
		} {
			t.Run(fmt.Sprintf("%s/crit=%d/tol=%g", c.name, s.Criterion, s.Tol), func(t *testing.T) {
				res, err := eig.Power(eig.NewDense(a), s)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Converged() {
					t.Fatalf("status %v", res.Status)
				}
				// Eigenvalue accuracy: the Rayleigh quotient error is at
				// most residual²/gap; ‖Hv‖ is within the residual.
				gap := c.gap
				if d := math.Abs(res.Values[0] - ref); d > res.Residuals[0]*res.Residuals[0]/gap+1e-12 {
					t.Errorf("Rayleigh %v, want %v (residual %g)", res.Values[0], ref, res.Residuals[0])
				}
				if d := math.Abs(res.Abs - math.Abs(ref)); d > res.Residuals[0]+1e-12 {
					t.Errorf("Abs %v, want %v", res.Abs, math.Abs(ref))
				}
				if math.Signbit(res.Values[0]) != math.Signbit(ref) {
					t.Errorf("sign: Rayleigh %v, eigenvalue %v", res.Values[0], ref)
				}
				if r := trueResidual(a, res.Vector(0), res.Values[0]); math.Abs(r-res.Residuals[0]) > 1e-12 {
					t.Errorf("residual %g, true %g", res.Residuals[0], r)
				}
				if res.Iterations != res.Applies {
					t.Errorf("iterations %d != applies %d", res.Iterations, res.Applies)
				}
			})
		}
	}
}

func TestPowerPaperLoop(t *testing.T) {
	// Reproduce the METHOD.md §4.3 loop literally and compare the iteration
	// count and final estimate bit for bit.
	a := testproblems.WithSpectrum(append([]float64{4}, testproblems.Spread(49, 3.5, 0.1)...), 3)
	op := eig.NewDense(a)
	start := make([]float64, 50)
	for i := range start {
		start[i] = math.Sin(float64(i) + 1)
	}
	res, err := eig.Power(op, eig.PowerSettings{Start: start})
	if err != nil {
		t.Fatal(err)
	}
	v := append([]float64(nil), start...)
	floats.Scale(1/floats.Norm(v, 2), v)
	w := make([]float64, 50)
	lprev, delta, i := 0.0, 1.0, 0
	var lambda float64
	for i < 500 && math.Abs(delta) > 1e-6 {
		op.Apply(w, v)
		lambda = floats.Norm(w, 2)
		copy(v, w)
		floats.Scale(1/lambda, v)
		delta = lambda - lprev
		lprev = lambda
		i++
	}
	if res.Iterations != i || res.Abs != lambda {
		t.Errorf("got %d iterations, |Hv| = %v; paper loop %d, %v", res.Iterations, res.Abs, i, lambda)
	}
}

func TestPowerIterationLimitIsNotAnError(t *testing.T) {
	a := testproblems.WithSpectrum(testproblems.Spread(100, 1, 0.999), 1)
	res, err := eig.Power(eig.NewDense(a), eig.PowerSettings{MaxIter: 5, Tol: 1e-300})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != eig.IterationLimit || res.Iterations != 5 || res.Converged() {
		t.Errorf("status %v after %d iterations", res.Status, res.Iterations)
	}
}

func TestPowerZeroOperator(t *testing.T) {
	res, err := eig.Power(testproblems.Diagonal(make([]float64, 10)), eig.PowerSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != eig.Converged || res.Abs != 0 || res.Values[0] != 0 || res.Iterations != 1 {
		t.Errorf("%+v", res)
	}
}

func TestLanczosFewerAppliesThanPower(t *testing.T) {
	// Geometric spectrum 10 → 1e-3 on n = 500: λ2/λ1 ≈ 0.98, slow for
	// power iteration at the paper's tolerance.
	p := testproblems.NewProblem("spread", testproblems.Spread(500, 10, 1e-3), 21)
	op := eig.NewDense(p.A)
	pw, err := eig.Power(op, eig.PowerSettings{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	lz, err := eig.Leading(op, eig.LanczosSettings{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if pw.Status != eig.Converged || lz.Status != eig.Converged {
		t.Fatalf("status power %v, lanczos %v", pw.Status, lz.Status)
	}
	ref := p.Values[0]
	t.Logf("leading eigenvalue %v: power %d applies (|Hv| = %.9f, Rayleigh %.9f), Lanczos %d applies (%.9f)",
		ref, pw.Applies, pw.Abs, pw.Values[0], lz.Applies, lz.Values[0])
	if math.Abs(lz.Values[0]-ref) > 1e-6*ref {
		t.Errorf("Lanczos %v, want %v", lz.Values[0], ref)
	}
	if math.Abs(pw.Abs-ref) > 1e-3*ref {
		t.Errorf("power %v, want %v", pw.Abs, ref)
	}
	if 3*lz.Applies > pw.Applies {
		t.Errorf("Lanczos used %d applies, power %d: want at least 3x fewer", lz.Applies, pw.Applies)
	}
	// Lanczos with the paper's rule (no change above 1e-6) is at least as
	// accurate as power iteration with it, in fewer applications.
	lp, err := eig.Leading(op, eig.LanczosSettings{Seed: 4, ValueChange: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	errPower, errLanczos := math.Abs(pw.Abs-ref), math.Abs(lp.Values[0]-ref)
	t.Logf("paper's rule: power %d applies (error %.2g), Lanczos %d applies (error %.2g)", pw.Applies, errPower, lp.Applies, errLanczos)
	if lp.Status != eig.Converged || lp.Applies >= lz.Applies || 3*lp.Applies > pw.Applies || errLanczos > errPower {
		t.Errorf("Lanczos with ValueChange: status %v, %d applies (default rule %d), error %g (power %g)", lp.Status, lp.Applies, lz.Applies, errLanczos, errPower)
	}
}

// countingBlock wraps a BlockOperator and counts block calls and the
// largest block.
type countingBlock struct {
	eig.BlockOperator
	blocks, singles, maxK int
}

func (c *countingBlock) Apply(dst, src []float64) { c.singles++; c.BlockOperator.Apply(dst, src) }
func (c *countingBlock) ApplyBlock(dst, src *mat.Dense) {
	c.blocks++
	k, _ := src.Dims()
	c.maxK = max(c.maxK, k)
	c.BlockOperator.ApplyBlock(dst, src)
}

func TestSubspaceCrossValidatesLanczos(t *testing.T) {
	const n, k = 120, 6
	for _, p := range []testproblems.Problem{
		testproblems.NewProblem("definite-spread", testproblems.Spread(n, 10, 1e-3), 31),
		testproblems.NewProblem("power-law", testproblems.PowerLaw(n, 1, 4), 32),
		testproblems.NewProblem("clustered", testproblems.Clustered(n, 3, 0.05), 33),
	} {
		for _, rr := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/rayleighritz=%v", p.Name, rr), func(t *testing.T) {
				if p.Name == "clustered" && !rr {
					// The plain method converges at |λ_{i+1}/λ_i| ≈ 0.998
					// inside a cluster; that is what RayleighRitz is for.
					t.Skip("plain subspace iteration cannot resolve tight clusters")
				}
				op := &countingBlock{BlockOperator: eig.NewDense(p.A)}
				ss, err := eig.Subspace(op, k, eig.SubspaceSettings{Tol: 1e-12, MaxIter: 5000, RayleighRitz: rr, Seed: 5})
				if err != nil {
					t.Fatal(err)
				}
				if ss.Status != eig.Converged {
					t.Fatalf("status %v after %d iterations", ss.Status, ss.Iterations)
				}
				if op.singles != 0 || op.blocks != ss.Iterations || ss.Applies != k*ss.Iterations || op.maxK != k {
					t.Errorf("block calls %d (largest %d), single %d, iterations %d, applies %d", op.blocks, op.maxK, op.singles, ss.Iterations, ss.Applies)
				}
				lz, err := eig.Lanczos(eig.NewDense(p.A), k, eig.LanczosSettings{Which: eig.LargestMagnitude, Tol: 1e-10, Seed: 5})
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < k; i++ {
					if d := math.Abs(ss.Values[i] - lz.Values[i]); d > 1e-6*math.Abs(lz.Values[0]) {
						t.Errorf("value %d: subspace %v, Lanczos %v", i, ss.Values[i], lz.Values[i])
					}
					if d := math.Abs(ss.Values[i] - p.Values[i]); d > 1e-6*p.Values[0] {
						t.Errorf("value %d: subspace %v, exact %v", i, ss.Values[i], p.Values[i])
					}
					if r := trueResidual(p.A, ss.Vector(i), ss.Values[i]); math.Abs(r-ss.Residuals[i]) > 1e-10 {
						t.Errorf("residual %d: %g, true %g", i, ss.Residuals[i], r)
					}
				}
				t.Logf("subspace %d iterations (%d applies), Lanczos %d applies", ss.Iterations, ss.Applies, lz.Applies)
			})
		}
	}
}

func TestSubspaceDefaultsPaper(t *testing.T) {
	p := testproblems.NewProblem("spread", testproblems.Spread(100, 10, 1e-3), 41)
	ss, err := eig.Subspace(testproblemsNoBlock{testproblems.Diagonal(p.Values)}, 5, eig.SubspaceSettings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ss.Status != eig.Converged {
		t.Fatalf("status %v", ss.Status)
	}
	for i := 0; i < 5; i++ {
		if d := math.Abs(ss.Values[i] - p.Values[i]); d > 1e-3 {
			t.Errorf("value %d: %v, want %v", i, ss.Values[i], p.Values[i])
		}
	}
}

// testproblemsNoBlock hides ApplyBlock, so Subspace uses single applies.
type testproblemsNoBlock struct{ d testproblems.Diagonal }

func (o testproblemsNoBlock) Dim() int                 { return o.d.Dim() }
func (o testproblemsNoBlock) Apply(dst, src []float64) { o.d.Apply(dst, src) }

func TestDeterministicFromSeed(t *testing.T) {
	p := testproblems.NewProblem("indefinite", testproblems.Indefinite(80, 5, -3), 51)
	op := eig.NewDense(p.A)
	run := func(seed uint64) []float64 {
		pw, err := eig.Power(op, eig.PowerSettings{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		lz, err := eig.Lanczos(op, 3, eig.LanczosSettings{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		ss, err := eig.Subspace(op, 3, eig.SubspaceSettings{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := eig.Hutchinson(op, eig.HutchinsonSettings{Seed: seed, Probes: 10})
		if err != nil {
			t.Fatal(err)
		}
		slq, err := eig.SLQ(op, eig.SLQSettings{Seed: seed, Probes: 3, Steps: 10})
		if err != nil {
			t.Fatal(err)
		}
		// The 80-dimensional operator as the Hessian of an 8×10 matrix.
		fl, err := eig.RelativeFlatnessHutchinson(op, mat.NewDense(8, 10, p.A.RawSymmetric().Data[:80]), eig.HutchinsonSettings{Seed: seed, Probes: 5})
		if err != nil {
			t.Fatal(err)
		}
		out := append([]float64{pw.Abs, pw.Values[0], tr.Estimate, fl.Estimate, fl.StdErr}, pw.Vector(0)...)
		for i := range slq.Nodes {
			out = append(out, slq.Nodes[i]...)
			out = append(out, slq.Weights[i]...)
		}
		out = append(out, lz.Values...)
		out = append(out, lz.Vector(0)...)
		out = append(out, ss.Values...)
		return out
	}
	a, b, c := run(7), run(7), run(8)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("entry %d differs between runs with the same seed: %v vs %v", i, a[i], b[i])
		}
	}
	if floats.Equal(a, c) {
		t.Error("different seeds gave identical results")
	}
}

// nanAfter returns NaN in the product after a number of applications.
type nanAfter struct {
	eig.Operator
	after, n int
}

func (o *nanAfter) Apply(dst, src []float64) {
	o.Operator.Apply(dst, src)
	o.n++
	if o.n > o.after {
		dst[3] = math.NaN()
	}
}

var errBoom = errors.New("boom")

type failing struct{ eig.Operator }

func (failing) ApplyErr(dst, src []float64) error { return errBoom }

func TestErrors(t *testing.T) {
	a := eig.NewDense(testproblems.WithSpectrum(testproblems.Spread(20, 3, 1), 1))
	_, err := eig.Power(&nanAfter{Operator: a, after: 2}, eig.PowerSettings{})
	var nf *eig.NotFiniteError
	if !errors.As(err, &nf) || !errors.Is(err, eig.ErrNotFinite) || nf.Apply != 3 || nf.Index != 3 || nf.Method != eig.MethodPower {
		t.Errorf("power NaN: %v", err)
	}
	_, err = eig.Lanczos(&nanAfter{Operator: a, after: 4}, 2, eig.LanczosSettings{})
	if !errors.As(err, &nf) || nf.Apply != 5 || nf.Method != eig.MethodLanczos {
		t.Errorf("lanczos NaN: %v", err)
	}
	_, err = eig.Subspace(&nanAfter{Operator: a, after: 4}, 2, eig.SubspaceSettings{})
	if !errors.As(err, &nf) || nf.Apply != 5 {
		t.Errorf("subspace NaN: %v", err)
	}
	_, err = eig.Lanczos(failing{a}, 1, eig.LanczosSettings{})
	if !errors.Is(err, errBoom) || !errors.Is(err, eig.ErrOperator) {
		t.Errorf("fallible: %v", err)
	}
	stop := errors.New("stop")
	_, err = eig.Power(a, eig.PowerSettings{Recorder: eig.RecorderFunc(func(p eig.Progress) error {
		if p.Iter == 3 {
			return stop
		}
		return nil
	})})
	if !errors.Is(err, stop) {
		t.Errorf("recorder: %v", err)
	}
	for _, c := range []struct {
		name string
		f    func() error
	}{
		{"power tol", func() error { _, err := eig.Power(a, eig.PowerSettings{Tol: -1}); return err }},
		{"power maxiter", func() error { _, err := eig.Power(a, eig.PowerSettings{MaxIter: -1}); return err }},
		{"power criterion", func() error { _, err := eig.Power(a, eig.PowerSettings{Criterion: 9}); return err }},
		{"lanczos k", func() error { _, err := eig.Lanczos(a, 0, eig.LanczosSettings{}); return err }},
		{"lanczos k>n", func() error { _, err := eig.Lanczos(a, 21, eig.LanczosSettings{}); return err }},
		{"lanczos basis", func() error { _, err := eig.Lanczos(a, 5, eig.LanczosSettings{MaxBasis: 6}); return err }},
		{"lanczos which", func() error { _, err := eig.Lanczos(a, 5, eig.LanczosSettings{Which: 7}); return err }},
		{"lanczos tol", func() error { _, err := eig.Lanczos(a, 5, eig.LanczosSettings{Tol: 2}); return err }},
		{"lanczos valuechange", func() error { _, err := eig.Lanczos(a, 5, eig.LanczosSettings{ValueChange: -1}); return err }},
		{"subspace k", func() error { _, err := eig.Subspace(a, 0, eig.SubspaceSettings{}); return err }},
		{"hutchinson probes", func() error { _, err := eig.Hutchinson(a, eig.HutchinsonSettings{Probes: -1}); return err }},
		{"slq steps", func() error { _, err := eig.SLQ(a, eig.SLQSettings{Steps: -2}); return err }},
	} {
		if err := c.f(); !errors.Is(err, eig.ErrSettings) {
			t.Errorf("%s: got %v, want ErrSettings", c.name, err)
		}
	}
	if _, err := eig.Power(a, eig.PowerSettings{Start: make([]float64, 3)}); !errors.Is(err, eig.ErrDim) {
		t.Errorf("start length: %v", err)
	}
	if _, err := eig.Power(a, eig.PowerSettings{Start: make([]float64, 20)}); !errors.Is(err, eig.ErrValue) {
		t.Errorf("zero start: %v", err)
	}
}

// TestLeadingResult: every solver answers "the leading eigenvalue" in the
// same Result fields (Values[0], Vectors column 0, Residuals[0], Status,
// Applies); Power's own estimate ‖Hv‖ sits beside it.
func TestLeadingResult(t *testing.T) {
	const n = 80
	a := testproblems.WithSpectrum(testproblems.Indefinite(n, 10, -3), 5)
	lead := denseSpectrum(t, a)[n-1] // 10, dominant in magnitude
	var pw eig.PowerResult
	for _, tc := range []struct {
		name  string
		solve func(op eig.Operator) (eig.Result, error)
		tol   float64
	}{
		{"Power", func(op eig.Operator) (eig.Result, error) {
			var err error
			pw, err = eig.Power(op, eig.PowerSettings{Seed: 1, Tol: 1e-12, MaxIter: 5000})
			return pw.Result, err
		}, 1e-6},
		{"Leading", func(op eig.Operator) (eig.Result, error) { return eig.Leading(op, eig.LanczosSettings{Seed: 1}) }, 1e-9},
		{"Lanczos", func(op eig.Operator) (eig.Result, error) { return eig.Lanczos(op, 1, eig.LanczosSettings{Seed: 1}) }, 1e-9},
		{"Subspace", func(op eig.Operator) (eig.Result, error) {
			return eig.Subspace(op, 1, eig.SubspaceSettings{Seed: 1, Tol: 1e-12, MaxIter: 5000})
		}, 1e-6},
	} {
		r, err := tc.solve(eig.NewDense(a))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !r.Converged() || len(r.Values) != 1 || len(r.Residuals) != 1 || r.Applies < 1 {
			t.Fatalf("%s: %+v", tc.name, r)
		}
		if rows, cols := r.Vectors.Dims(); rows != n || cols != 1 {
			t.Fatalf("%s: Vectors %d×%d, want %d×1", tc.name, rows, cols, n)
		}
		if d := math.Abs(r.Values[0] - lead); d > tc.tol*lead {
			t.Errorf("%s: Values[0] = %v, want %v", tc.name, r.Values[0], lead)
		}
		if tr := trueResidual(a, r.Vector(0), r.Values[0]); math.Abs(tr-r.Residuals[0]) > 1e-8*lead {
			t.Errorf("%s: Residuals[0] = %g, true residual %g", tc.name, r.Residuals[0], tr)
		}
	}
	if d := math.Abs(pw.Abs - lead); d > pw.Residuals[0]+1e-12*lead {
		t.Errorf("Power: Abs = %v, want |λ| = %v", pw.Abs, lead)
	}
}
