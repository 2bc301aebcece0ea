package rnn

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
)

// TestTrainingPassesBitwise checks that the training forward and backward
// passes (W_rec packed once per pass, the input projection step by step
// for batches of at least stepProjMinRows rows, δ not cleared before a
// leak-free backward) give bitwise the loss, trajectory, deltas and
// gradient of the reference formulation (Workspace.unpacked: one
// projection product over all steps, W_rec read in place, δ cleared): over
// every unit kind, leak, loss and timing of gradCases and at N = 37, for
// batch sizes on both sides of stepProjMinRows and of a chunk boundary,
// at GOMAXPROCS 1 and 2 and at every SIMD level, in both precisions.
func TestTrainingPassesBitwise(t *testing.T) {
	cases := gradCases()
	big := Config{In: 7, N: 37, Out: 4, Seed: 7, Loss: Loss{Kind: CrossEntropy, Timing: LastStep}, L2: 1e-2}
	bigMasked := big
	bigMasked.Loss = Loss{Kind: MSE, Timing: MaskedSteps, StepMask: []bool{false, true, false, false, true, false, false}}
	bigALIF := big
	bigALIF.Beta, bigALIF.TauA, bigALIF.Leak = MixedBeta(37, 11, 1.8), 5, 0.3
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"N=37", big}, {"N=37/masked", bigMasked}, {"N=37/alif", bigALIF}} {
		cases = append(cases, c)
	}
	sizes := []int{1, 5, stepProjMinRows - 1, stepProjMinRows, chunkRows + 1, 2*chunkRows + 44}
	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	for _, l := range kernels.Levels() {
		if l > kernels.Detected() {
			continue
		}
		restore, err := kernels.SetLevel(l)
		if err != nil {
			t.Fatal(err)
		}
		for ci, tc := range cases {
			for si, B := range sizes {
				if testing.Short() && (ci+si)%3 != 0 {
					continue
				}
				p := 1 + (ci+si)%2
				runtime.GOMAXPROCS(p)
				name := fmt.Sprintf("%s/%s/B=%d/procs=%d", l, tc.name, B, p)
				passesBitwise[float64](t, name, tc.cfg, B)
				passesBitwise[float32](t, name, tc.cfg, B)
			}
		}
		restore()
	}
}

// passesBitwise runs Gradient on one batch with the default and the
// reference formulation and compares every stored value bit for bit.
func passesBitwise[T kernels.Float](t *testing.T, name string, cfg Config, B int) {
	t.Helper()
	steps := 7 // the step count of gradCases' masks
	b := randBatch[T](cfg, B, steps, 5)
	// A network of the same shape with a loss at every step fills every δ
	// slot of the workspace first, so that a slot the default path leaves
	// unwritten (it does not clear δ) would show.
	every := cfg
	every.Loss = Loss{Kind: MSE, Timing: EveryStep}
	bEvery := randBatch[T](every, B, steps, 9)
	run := func(unpacked bool) (float64, *Workspace[T], []T) {
		net := mustNew[T](t, cfg)
		ws := &Workspace[T]{unpacked: unpacked}
		g := make([]T, net.NumParams())
		if _, err := mustNew[T](t, every).Gradient(ws, bEvery, g); err != nil {
			t.Fatal(err)
		}
		loss, err := net.Gradient(ws, b, g)
		if err != nil {
			t.Fatal(err)
		}
		return loss, ws, g
	}
	l0, w0, g0 := run(false)
	l1, w1, g1 := run(true)
	if math.Float64bits(l0) != math.Float64bits(l1) {
		t.Fatalf("%s: loss %v, reference %v", name, l0, l1)
	}
	same := func(what string, a, b []T) {
		t.Helper()
		for i := range b {
			if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
				t.Fatalf("%s: %s[%d] = %v, reference %v", name, what, i, a[i], b[i])
			}
		}
	}
	n := (w1.steps + 1) * w1.bsz * w1.n
	same("r", w0.r[:n], w1.r[:n])
	same("psi", w0.psi[:n], w1.psi[:n])
	same("delta", w0.delta[:n], w1.delta[:n])
	same("gradient", g0, g1)
}
