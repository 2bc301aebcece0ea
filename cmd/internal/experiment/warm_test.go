package experiment

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
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
