package eig_test

// Integration of the eig methods with the exact Hessian-vector product of
// package rnn (METHOD.md §4.1–4.6) on small networks. Only this external test
// package imports rnn; package eig does not.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/rnn"
)

// The rnn operator has the block shape of eig.BlockOperator.
var _ eig.BlockOperator = (*rnn.HessianOperator[float64])(nil)

// rnnProblem is an exact W_rec Hessian operator of a small network with its
// dense matrix, assembled from HVPs on the basis vectors.
type rnnProblem struct {
	name  string
	net   *rnn.Network[float64]
	op    *rnn.HessianOperator[float64]
	dense *mat.SymDense
	// vals are the dense eigenvalues, ascending.
	vals []float64
}

// rnnBatch returns a batch of B sequences of the given length with inputs
// uniform in [−1, 1) and targets (normal for MSE, uniform labels for
// cross-entropy) from seed.
func rnnBatch(cfg rnn.Config, size, steps int, seed uint64) *rnn.Batch[float64] {
	r := rand.New(rand.NewPCG(seed, 11))
	b := &rnn.Batch[float64]{Size: size, Steps: steps, In: cfg.In, Out: cfg.Out, X: make([]float64, steps*size*cfg.In)}
	for i := range b.X {
		b.X[i] = 2*r.Float64() - 1
	}
	if cfg.Loss.Kind == rnn.MSE {
		b.Y = make([]float64, steps*size*cfg.Out)
		for i := range b.Y {
			b.Y[i] = r.NormFloat64()
		}
	} else {
		b.Labels = make([]int32, steps*size)
		for i := range b.Labels {
			b.Labels[i] = int32(r.IntN(cfg.Out))
		}
	}
	return b
}

func newRNNProblem(t testing.TB, name string, cfg rnn.Config, size, steps int) rnnProblem {
	t.Helper()
	net, err := rnn.New[float64](cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := rnn.NewHVP(net, rnnBatch(cfg, size, steps, cfg.Seed+100), rnn.SetWRec, nil)
	if err != nil {
		t.Fatal(err)
	}
	op := h.Operator()
	d := op.Dim()
	if d != cfg.N*cfg.N {
		t.Fatalf("W_rec Hessian has dimension %d, want N² = %d", d, cfg.N*cfg.N)
	}
	// Row i of hm is H e_i, by one block product.
	basis := make([]float64, d*d)
	for i := 0; i < d; i++ {
		basis[i*d+i] = 1
	}
	hm := make([]float64, d*d)
	op.ApplyBlock(mat.NewDense(d, d, hm), mat.NewDense(d, d, basis))
	dense := mat.NewSymDense(d, nil)
	maxAsym, maxAbs := 0.0, 0.0
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			a, b := hm[i*d+j], hm[j*d+i]
			maxAsym = math.Max(maxAsym, math.Abs(a-b))
			maxAbs = math.Max(maxAbs, math.Abs(a))
			dense.SetSym(i, j, 0.5*(a+b))
		}
	}
	if maxAsym > 1e-10*maxAbs {
		t.Fatalf("%s: exact Hessian is not symmetric: max |H_ij − H_ji| = %g (max |H_ij| %g)", name, maxAsym, maxAbs)
	}
	return rnnProblem{name: name, net: net, op: op, dense: dense, vals: denseSpectrum(t, dense)}
}

// rnnProblems are small networks of the paper's kinds: plain ReLU units with
// cross-entropy at the last step and the paper's L2 term (seqMNIST-like),
// and leaky ALIF units with MSE at every step.
func rnnProblems(t testing.TB) []rnnProblem {
	return []rnnProblem{
		newRNNProblem(t, "relu-ce-l2", rnn.Config{In: 4, N: 12, Out: 3, Seed: 3, L2: 1e-2,
			Loss: rnn.Loss{Kind: rnn.CrossEntropy}}, 16, 8),
		newRNNProblem(t, "alif-mse-leak", rnn.Config{In: 3, N: 10, Out: 2, Seed: 5, Leak: 0.3,
			Beta: rnn.MixedBeta(10, 5, 1.8), TauA: 4, Loss: rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}}, 8, 10),
	}
}

// countingOp counts single and block applications of an operator.
type countingOp struct {
	op                    *rnn.HessianOperator[float64]
	singles, blocks, maxK int
	vectors               int
}

func (c *countingOp) Dim() int { return c.op.Dim() }
func (c *countingOp) Apply(dst, src []float64) {
	c.singles++
	c.vectors++
	c.op.Apply(dst, src)
}
func (c *countingOp) ApplyBlock(dst, src *mat.Dense) {
	k, _ := src.Dims()
	c.blocks++
	c.maxK = max(c.maxK, k)
	c.vectors += k
	c.op.ApplyBlock(dst, src)
}

func TestRNNLeadingEigenvalueAgrees(t *testing.T) {
	for _, p := range rnnProblems(t) {
		t.Run(p.name, func(t *testing.T) {
			ref := want(p.vals, 1, eig.LargestMagnitude)[0]
			norm := math.Abs(ref)
			if norm == 0 {
				t.Fatal("zero Hessian")
			}
			// Power iteration at the paper's settings (absolute 1e-6 on
			// ‖Hv‖, at most 500 iterations).
			pw, err := eig.Power(p.op, eig.PowerSettings{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !pw.Converged() {
				t.Fatalf("power: status %v after %d iterations", pw.Status, pw.Iterations)
			}
			if d := math.Abs(pw.Abs - norm); d > pw.Residuals[0]+1e-12*norm {
				t.Errorf("power |Hv| = %.12g, dense |λ| = %.12g (residual %g)", pw.Abs, norm, pw.Residuals[0])
			}
			if math.Signbit(pw.Values[0]) != math.Signbit(ref) {
				t.Errorf("power Rayleigh %v has the wrong sign (dense %v)", pw.Values[0], ref)
			}
			// Lanczos, the default method.
			lz, err := eig.Leading(p.op, eig.LanczosSettings{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if lz.Status != eig.Converged {
				t.Fatalf("lanczos: status %v", lz.Status)
			}
			if d := math.Abs(lz.Values[0] - ref); d > 1e-9*norm {
				t.Errorf("Lanczos %.15g, dense %.15g (diff %g)", lz.Values[0], ref, d)
			}
			if r := trueResidual(p.dense, lz.Vector(0), lz.Values[0]); r > 2e-6*norm {
				t.Errorf("Lanczos vector: true residual %g", r)
			}
			t.Logf("dense λ = %.10g; power |Hv| = %.10g, Rayleigh %.10g (%d applies); Lanczos %.10g (%d applies)",
				ref, pw.Abs, pw.Values[0], pw.Applies, lz.Values[0], lz.Applies)
		})
	}
}

func TestRNNTopKAndSubspace(t *testing.T) {
	const k = 6
	for _, p := range rnnProblems(t) {
		t.Run(p.name, func(t *testing.T) {
			norm := math.Max(math.Abs(p.vals[0]), math.Abs(p.vals[len(p.vals)-1]))
			for _, which := range []eig.Which{eig.LargestAlgebraic, eig.SmallestAlgebraic, eig.LargestMagnitude} {
				lz, err := eig.Lanczos(p.op, k, eig.LanczosSettings{Which: which, Tol: 1e-10, Seed: 2})
				if err != nil {
					t.Fatal(err)
				}
				w := want(p.vals, k, which)
				for i := range w {
					if d := math.Abs(lz.Values[i] - w[i]); d > 1e-9*norm {
						t.Errorf("%v value %d: Lanczos %v, dense %v", which, i, lz.Values[i], w[i])
					}
				}
			}
			// Subspace iteration through the rnn block product, the paper's
			// plain method and with Rayleigh-Ritz.
			for _, rr := range []bool{false, true} {
				c := &countingOp{op: p.op}
				ss, err := eig.Subspace(c, k, eig.SubspaceSettings{Tol: 1e-12, MaxIter: 20000, RayleighRitz: rr, Seed: 3})
				if err != nil {
					t.Fatal(err)
				}
				if ss.Status != eig.Converged {
					t.Fatalf("subspace (Rayleigh-Ritz %v): status %v after %d iterations", rr, ss.Status, ss.Iterations)
				}
				if c.singles != 0 || c.blocks != ss.Iterations || c.vectors != ss.Applies || c.maxK != k {
					t.Errorf("subspace: %d single and %d block products for %d iterations", c.singles, c.blocks, ss.Iterations)
				}
				// Subspace returns the k largest in magnitude, sorted by
				// value.
				w := want(p.vals, k, eig.LargestMagnitude)
				sortDesc(w)
				for i := range w {
					if d := math.Abs(ss.Values[i] - w[i]); d > 1e-8*norm {
						t.Errorf("subspace (Rayleigh-Ritz %v) value %d: %v, dense %v", rr, i, ss.Values[i], w[i])
					}
				}
				t.Logf("top-%d |λ|: %v; subspace (Rayleigh-Ritz %v) %d iterations (%d applies)", k, w, rr, ss.Iterations, ss.Applies)
			}
		})
	}
}

func sortDesc(v []float64) {
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			if v[j] > v[i] {
				v[i], v[j] = v[j], v[i]
			}
		}
	}
}

func TestRNNLanczosFewerAppliesThanPower(t *testing.T) {
	// Operator applications to the leading eigenvalue of an RNN's W_rec
	// Hessian: power iteration at the paper's tolerance against Lanczos at
	// its default (stricter) tolerance, counted by a wrapper.
	cfg := rnn.Config{In: 4, N: 16, Out: 3, Seed: 7, L2: 1e-2, Loss: rnn.Loss{Kind: rnn.CrossEntropy}}
	p := newRNNProblem(t, "relu-ce-l2-N16", cfg, 32, 10)
	ref := want(p.vals, 2, eig.LargestMagnitude)
	var pwApplies, lzApplies, lpApplies []int
	for seed := uint64(1); seed <= 5; seed++ {
		cp := &countingOp{op: p.op}
		pw, err := eig.Power(cp, eig.PowerSettings{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		cl := &countingOp{op: p.op}
		lz, err := eig.Leading(cl, eig.LanczosSettings{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if !pw.Converged() || lz.Status != eig.Converged {
			t.Fatalf("seed %d: power %v, Lanczos %v", seed, pw.Status, lz.Status)
		}
		if cp.vectors != pw.Applies || cl.vectors != lz.Applies {
			t.Errorf("seed %d: counted %d and %d products, methods report %d and %d", seed, cp.vectors, cl.vectors, pw.Applies, lz.Applies)
		}
		if d := math.Abs(lz.Values[0] - ref[0]); d > 1e-9*math.Abs(ref[0]) {
			t.Errorf("seed %d: Lanczos %v, dense %v", seed, lz.Values[0], ref[0])
		}
		if d := math.Abs(pw.Abs - math.Abs(ref[0])); d > pw.Residuals[0] {
			t.Errorf("seed %d: power %v, dense %v", seed, pw.Abs, ref[0])
		}
		// Lanczos with the paper's rule: at least as accurate as power.
		lp, err := eig.Leading(p.op, eig.LanczosSettings{Seed: seed, ValueChange: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		if ep, el := math.Abs(pw.Abs-math.Abs(ref[0])), math.Abs(lp.Values[0]-ref[0]); lp.Status != eig.Converged || el > ep {
			t.Errorf("seed %d: Lanczos with ValueChange %v (error %g), power error %g", seed, lp.Status, el, ep)
		}
		pwApplies = append(pwApplies, cp.vectors)
		lzApplies = append(lzApplies, cl.vectors)
		lpApplies = append(lpApplies, lp.Applies)
	}
	t.Logf("dim %d, |λ2/λ1| = %.4f; applies per seed: power %v, Lanczos %v, Lanczos with the paper's rule %v",
		p.op.Dim(), math.Abs(ref[1]/ref[0]), pwApplies, lzApplies, lpApplies)
	for i := range pwApplies {
		if lzApplies[i] >= pwApplies[i] || lpApplies[i] >= pwApplies[i] {
			t.Errorf("seed %d: Lanczos %d and %d applies, power %d", i+1, lzApplies[i], lpApplies[i], pwApplies[i])
		}
	}
}

func TestRNNTraceAndFlatness(t *testing.T) {
	for _, p := range rnnProblems(t) {
		t.Run(p.name, func(t *testing.T) {
			exact := mat.Trace(p.dense)
			var ests []eig.Estimate
			for seed := uint64(0); seed < 10; seed++ {
				e, err := eig.Hutchinson(p.op, eig.HutchinsonSettings{Probes: 50, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				ests = append(ests, e)
			}
			checkTrials(t, "trace", exact, ests)

			n := p.net.Cfg.N
			w := mat.NewDense(n, n, append([]float64(nil), p.net.WRecM...))
			kappa := flatnessDirect(p.dense, w)
			got, err := eig.RelativeFlatness(p.op, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Estimate-kappa) > 1e-9*(math.Abs(kappa)+1) || got.Applies != n*n {
				t.Errorf("flatness %v (%d applies), direct from dense H %v", got.Estimate, got.Applies, kappa)
			}
			ests = ests[:0]
			for seed := uint64(0); seed < 10; seed++ {
				e, err := eig.RelativeFlatnessHutchinson(p.op, w, eig.HutchinsonSettings{Probes: 100, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				ests = append(ests, e)
			}
			checkTrials(t, "kappa", kappa, ests)
			t.Logf("Tr H = %.6g, κ = %.6g", exact, kappa)
		})
	}
}

func TestRNNDeterministic(t *testing.T) {
	// Same seed, same bits, for any GOMAXPROCS (the rnn HVP and the eig
	// methods are both documented to be independent of it).
	p := rnnProblems(t)[0]
	run := func() string {
		pw, err := eig.Power(p.op, eig.PowerSettings{Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		lz, err := eig.Lanczos(p.op, 3, eig.LanczosSettings{Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		ss, err := eig.Subspace(p.op, 3, eig.SubspaceSettings{Seed: 9, MaxIter: 50})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x %x %x %v %d", math.Float64bits(pw.Abs), math.Float64bits(lz.Values[0]),
			math.Float64bits(ss.Values[0]), lz.Values, lz.Applies)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	a := run()
	runtime.GOMAXPROCS(max(2, prev))
	if b := run(); a != b {
		t.Errorf("same seed, different results for GOMAXPROCS 1 and %d: %s vs %s", max(2, prev), a, b)
	}
}
