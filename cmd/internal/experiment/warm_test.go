package experiment

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rules"
)

// TestWarmStartAlongTraining trains real small runs twice, with warm-started
// and with cold-started eigen-solvers, and checks that λ_max agrees to 1e-6
// relative at every checkpoint (training does not depend on λ_max, so the
// weights are the same), that everything else is identical, and that the
// warm start does not need more Hessian-vector products in total. The
// align_k case is the block warm start of the top-k along training.
func TestWarmStartAlongTraining(t *testing.T) {
	var e Env
	for _, tc := range []struct {
		name string
		mod  func(*config.Run)
	}{
		{"bptt lanczos", func(r *config.Run) {}},
		{"three-factor lanczos", func(r *config.Run) { r.Rule = rules.EProp.String() }},
		{"rf-three-factor top-k", func(r *config.Run) { r.Rule = rules.RFLO.String(); r.Hessian.AlignK = 5 }},
	} {
		run := tiny(rules.BPTT.String(), 2)
		run.Model.N = 24
		run.Train.Iterations, run.Hessian.Every = 60, 5
		tc.mod(&run)
		cold := run
		cold.Hessian.WarmStart = 0
		rw := e.Train(context.Background(), run, nil)
		rc := e.Train(context.Background(), cold, nil)
		if rw.Status.State != results.Finished || rc.Status.State != results.Finished {
			t.Fatalf("%s: %+v %+v", tc.name, rw.Status, rc.Status)
		}
		var hw, hc []int
		for i, cw := range rw.Trajectory {
			cc := rc.Trajectory[i]
			lw, lc := float64(cw.Lambda.Value), float64(cc.Lambda.Value)
			if e := math.Abs(lw-lc) / math.Abs(lc); !(e <= 1e-6) {
				t.Errorf("%s iteration %d: warm λ %.10g, cold %.10g (rel %.2g)", tc.name, cw.Iteration, lw, lc, e)
			}
			if cw.Loss != cc.Loss || cw.TestMetric != cc.TestMetric || !cw.Lambda.Converged {
				t.Errorf("%s iteration %d: warm %+v, cold %+v", tc.name, cw.Iteration, cw, cc)
			}
			if i > 0 {
				hw, hc = append(hw, cw.Lambda.Iterations), append(hc, cc.Lambda.Iterations)
			}
		}
		sw, sc := sum(hw), sum(hc)
		t.Logf("%s: HVPs per checkpoint after the first, median warm %d cold %d, total %d vs %d", tc.name, median(hw), median(hc), sw, sc)
		if sw > sc {
			t.Errorf("%s: warm starts used %d HVPs, cold %d", tc.name, sw, sc)
		}
	}
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func median(v []int) int {
	s := append([]int(nil), v...)
	sort.Ints(s)
	return s[len(s)/2]
}

// TestWarmStartSeqMNIST compares warm- and cold-started λ_max along a real
// seqMNIST training trajectory, at the same weights and Hessian batch of
// every checkpoint: they must agree to 1e-6 relative. It needs the MNIST
// files (HESSRNN_DATA or the shared folder) and skips without them. By
// default it trains 100 iterations with a checkpoint every 10;
// HESSRNN_WARM_BENCH="rule iterations every [noise]" (e.g. "bptt 2000 100")
// sets a longer trajectory (and the warm start's noise) for BENCHMARKS.md;
// the test logs the HVPs per checkpoint.
func TestWarmStartSeqMNIST(t *testing.T) {
	dir := mnistDir(t)
	rule, iters, every, noise := rules.BPTT.String(), 100, 10, config.Default().Hessian.WarmStart
	if s := os.Getenv("HESSRNN_WARM_BENCH"); s != "" {
		if n, err := fmt.Sscan(s, &rule, &iters, &every, &noise); n < 3 {
			t.Fatalf("HESSRNN_WARM_BENCH = %q: want \"rule iterations every [noise]\": %v", s, err)
		}
	}
	var e Env
	run := config.Default()
	run.Task, run.Rule, run.SeqMNIST.Data = config.SeqMNIST, rule, dir
	run.Hessian.WarmStart = noise
	run = run.Resolve()
	tk, err := makeTask[float64](&e, run)
	if err != nil {
		t.Fatal(err)
	}
	cfg := netConfig(run, tk.Shape(), tk.Loss())
	net, err := rnn.New[float64](cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ruleSettings(run)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rules.New[float64](rs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := rules.NewOptimizer[float64](rules.OptimizerSettings{Kind: rules.SGD}, net.NumParams())
	if err != nil {
		t.Fatal(err)
	}
	dirv := make([]float64, net.NumParams())
	h := run.Hessian
	var warm *mat.Dense
	var hw, hc []int
	var worst float64
	var overlap []float64 // |⟨v_prev, v⟩| of consecutive leading eigenvectors
	for it := 0; it <= iters; it++ {
		if it%every == 0 {
			ck := it / every
			_, hvp, err := wrecHVP(tk, net, ck)
			if err != nil {
				t.Fatal(err)
			}
			op := hvp.Operator()
			seed := derive(run.Seed, streamHessian) + uint64(ck)
			set := eig.LanczosSettings{Tol: h.Tol, Seed: seed, MaxApplies: max(h.MaxIter, 64)}
			cold, err := eig.Leading(op, set)
			if err != nil {
				t.Fatal(err)
			}
			w := cold
			if warm != nil {
				if set.Start, err = eig.WarmStart(warm, h.WarmStart, seed); err != nil {
					t.Fatal(err)
				}
				if w, err = eig.Leading(op, set); err != nil {
					t.Fatal(err)
				}
				hw, hc = append(hw, w.Applies), append(hc, cold.Applies)
				overlap = append(overlap, math.Abs(mat.Dot(warm.ColView(0), w.Vectors.ColView(0))))
			}
			rel := math.Abs(w.Values[0]-cold.Values[0]) / math.Abs(cold.Values[0])
			worst = math.Max(worst, rel)
			if !(rel <= 1e-6) || w.Status != eig.Converged {
				t.Errorf("iteration %d: warm λ %.10g (%v), cold %.10g, rel %.2g", it, w.Values[0], w.Status, cold.Values[0], rel)
			}
			warm = w.Vectors
		}
		if it == iters {
			break
		}
		b, err := tk.TrainBatch(it)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Direction(net, b, dirv); err != nil {
			t.Fatal(err)
		}
		opt.Step(net.Params, dirv, run.Train.LR)
	}
	t.Logf("%s, %d iterations, checkpoint every %d, noise %g: HVPs per checkpoint after the first: median warm %d, cold %d; total %d vs %d; largest relative difference %.2g",
		rule, iters, every, noise, median(hw), median(hc), sum(hw), sum(hc), worst)
	t.Logf("|⟨v_prev, v⟩| of consecutive leading eigenvectors: %.3f", overlap)
	t.Logf("warm %v", hw)
	t.Logf("cold %v", hc)
}
