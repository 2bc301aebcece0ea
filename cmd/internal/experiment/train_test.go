package experiment

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// tiny returns a small, fast pattern-generation run.
func tiny(rule string, seed uint64) config.Run {
	r := config.Default()
	r.Rule, r.Seed = rule, seed
	r.Model.N = 16
	r.PatternGen.NIn, r.PatternGen.Steps, r.PatternGen.TestDraws = 8, 20, 10
	r.Train.Iterations = 40
	r.Train.LR = 0.01
	r.Hessian.Every = 10
	return r
}

func TestTrainEveryRule(t *testing.T) {
	var e Env
	for _, rule := range config.Rules() {
		run := tiny(rule, 1)
		if rule == "tbptt" {
			run.Train.TruncK = 3
		}
		res := e.Train(context.Background(), run, nil)
		if res == nil || res.Status.State != results.Finished {
			t.Fatalf("%s: %+v", rule, res.Status)
		}
		if len(res.Trajectory) != 5 || res.Trajectory[4].Iteration != 40 {
			t.Errorf("%s: %d checkpoints", rule, len(res.Trajectory))
		}
		for _, c := range res.Trajectory {
			if math.IsNaN(float64(c.Lambda.Value)) || c.Lambda.Iterations == 0 || math.IsNaN(float64(c.TestMetric)) {
				t.Errorf("%s: checkpoint %+v", rule, c)
			}
		}
		a := float64(res.Trajectory[0].Alpha)
		if rule == "bptt" && !math.IsNaN(a) {
			t.Errorf("BPTT has alpha %v", a)
		}
		if rule != "bptt" && math.IsNaN(a) {
			t.Errorf("%s: no alpha", rule)
		}
		if res.Metric != "mse" || math.IsNaN(float64(res.Final.Gap)) {
			t.Errorf("%s: final %+v", rule, res.Final)
		}
		first, last := res.Trajectory[0].Loss, res.Trajectory[4].Loss
		if !(last < first) {
			t.Errorf("%s: loss did not decrease: %v -> %v", rule, first, last)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	var e Env
	run := tiny("three-factor", 3)
	a := e.Train(context.Background(), run, nil)
	prev := runtime.GOMAXPROCS(1)
	b := e.Train(context.Background(), run, nil)
	runtime.GOMAXPROCS(prev)
	if !results.SameOutcome(a, b) {
		t.Error("two runs of the same config differ (GOMAXPROCS 1 vs default)")
	}
	run.Seed = 4
	c := e.Train(context.Background(), run, nil)
	if results.SameOutcome(a, c) {
		t.Error("different seeds gave the same result")
	}
}

func TestTrainDivergesAndFails(t *testing.T) {
	var e Env
	run := tiny("bptt", 1)
	run.Train.LR = 50
	res := e.Train(context.Background(), run, nil)
	if res.Status.State != results.Diverged || res.Status.Reason == "" {
		t.Errorf("lr 50: %+v", res.Status)
	}
	bad := tiny("bptt", 1)
	bad.Train.LR = -1
	if res := e.Train(context.Background(), bad, nil); res.Status.State != results.Failed || !strings.Contains(res.Status.Reason, "train.lr") {
		t.Errorf("invalid config: %+v", res.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := e.Train(ctx, tiny("bptt", 1), nil); res != nil {
		t.Error("cancelled run returned a result")
	}
}

func TestTrainExtras(t *testing.T) {
	var e Env
	run := tiny("three-factor", 2)
	run.Model.N = 12
	run.Hessian.TopK = 20
	run.Hessian.Flatness = true
	run.Hessian.AlignK = 4
	run.Hessian.Method = "power"
	res := e.Train(context.Background(), run, nil)
	if res.Status.State != results.Finished {
		t.Fatal(res.Status)
	}
	if len(res.Final.TopK) != 20 || math.IsNaN(float64(res.Final.Gamma)) || math.IsNaN(float64(res.Final.Flatness)) {
		t.Errorf("final %+v", res.Final)
	}
	if math.IsNaN(float64(res.Trajectory[1].AlignEps)) || math.IsNaN(float64(res.Trajectory[1].AlignG)) {
		t.Errorf("alignment missing: %+v", res.Trajectory[1])
	}
	f32 := tiny("mdgl", 1)
	f32.Model.Precision = "float32"
	if res := e.Train(context.Background(), f32, nil); res.Status.State != results.Finished {
		t.Errorf("float32: %+v", res.Status)
	}
	dms := tiny("bptt", 1)
	dms.Task = config.DMS
	dms.DMS.NALIF = 8
	dms.DMS.Delay, dms.DMS.MaxDelay = 4, 6
	if res := e.Train(context.Background(), dms, nil); res.Status.State != results.Finished || res.Metric != "accuracy" {
		t.Errorf("dms: %+v %s", res.Status, res.Metric)
	}
}

// TestTrainStopsEarly checks stopping at a test metric on its own grid
// (train.stop_every, default 50), independent of the Hessian interval: the
// grid point that reaches the target becomes the last checkpoint, and the
// test metric of every grid point is recorded.
func TestTrainStopsEarly(t *testing.T) {
	var e Env
	for _, c := range []struct {
		name                      string
		iters, every, stopEvery   int
		target                    float64
		wantStop                  int
		wantCurve, wantCheckpoint []int
	}{
		{"grid before the first Hessian checkpoint", 120, 100, 0, 1e9, 50, []int{50}, []int{0, 50}},
		{"checkpoints off the grid do not stop", 120, 25, 0, 1e9, 50, []int{50}, []int{0, 25, 50}},
		{"explicit grid", 40, 100, 10, 1e9, 10, []int{10}, []int{0, 10}},
		{"unreachable target", 120, 100, 0, 1e-12, 120, []int{50, 100}, []int{0, 100, 120}},
	} {
		run := tiny("bptt", 1)
		run.Train.Iterations, run.Hessian.Every, run.Train.StopEvery, run.Train.StopAtTest = c.iters, c.every, c.stopEvery, c.target
		res := e.Train(context.Background(), run, nil)
		if res.Status.State != results.Finished || res.Final.Iterations != c.wantStop {
			t.Errorf("%s: stopped at %d (%+v), want %d", c.name, res.Final.Iterations, res.Status, c.wantStop)
			continue
		}
		var curve, cps []int
		for _, p := range res.TestCurve {
			curve = append(curve, p.Iteration)
		}
		for _, cp := range res.Trajectory {
			cps = append(cps, cp.Iteration)
		}
		if fmt.Sprint(curve) != fmt.Sprint(c.wantCurve) || fmt.Sprint(cps) != fmt.Sprint(c.wantCheckpoint) {
			t.Errorf("%s: test curve at %v, checkpoints at %v; want %v and %v", c.name, curve, cps, c.wantCurve, c.wantCheckpoint)
		}
		// A grid point's test metric is the one a checkpoint there records.
		for _, p := range res.TestCurve {
			for _, cp := range res.Trajectory {
				if cp.Iteration == p.Iteration && cp.TestMetric != p.TestMetric {
					t.Errorf("%s: iteration %d: grid test metric %v, checkpoint %v", c.name, p.Iteration, p.TestMetric, cp.TestMetric)
				}
			}
		}
	}
	// Runs that do not stop early record no test curve.
	if res := e.Train(context.Background(), tiny("bptt", 1), nil); len(res.TestCurve) != 0 {
		t.Errorf("test curve without early stopping: %v", res.TestCurve)
	}
}

// TestFinalGradNorm checks the final ‖∇L‖: finite and positive for every
// rule, and, for full-batch BPTT (gradient descent), smaller after training
// than after the first step.
func TestFinalGradNorm(t *testing.T) {
	var e Env
	norms := map[int]float64{}
	for _, iters := range []int{1, 40} {
		run := tiny("bptt", 2)
		run.Train.Iterations, run.Hessian.Every = iters, 1
		res := e.Train(context.Background(), run, nil)
		g := float64(res.Final.GradNorm)
		if res.Status.State != results.Finished || !(g > 0) || math.IsInf(g, 0) {
			t.Fatalf("%d iterations: status %+v, ‖∇L‖ = %v", iters, res.Status, g)
		}
		norms[iters] = g
	}
	if !(norms[40] < norms[1]) {
		t.Errorf("‖∇L‖ after 40 iterations %g, not below that after 1 (%g)", norms[40], norms[1])
	}
}

// mnistDir returns the MNIST directory of the real-data tests:
// $HESSRNN_DATA, else the shared folder beside the repository. It skips the
// test when no MNIST files are there or under -short.
func mnistDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HESSRNN_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data", "mnist")
	}
	if _, err := task.FindMNISTFiles(dir); err != nil {
		t.Skipf("no MNIST data: %v", err)
	}
	if testing.Short() {
		t.Skip("short")
	}
	return dir
}
