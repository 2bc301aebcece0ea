package rnn

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/hessrnn/hessrnn/internal/leveltest"
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
	cases = append(cases, []struct {
		name string
		cfg  Config
	}{{"N=37", big}, {"N=37/masked", bigMasked}, {"N=37/alif", bigALIF}}...)
	sizes := []int{1, 5, stepProjMinRows - 1, stepProjMinRows, chunkRows + 1, 2*chunkRows + 44}
	leveltest.ForEachLevel(t, func(l kernels.Level) {
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
	})
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

// TestKeepLastBitwise checks a forward pass with Workspace.KeepLast against one
// that stores every step: the same loss and, bit for bit, the same
// readouts, readout errors and kept states; the steps not kept panic and
// Backward refuses. Networks the option does not apply to (leak, ALIF,
// threshold) store every step. Batch sizes on both sides of the
// step-projection and chunk thresholds, GOMAXPROCS 1 and 2, every level,
// both precisions.
func TestKeepLastBitwise(t *testing.T) {
	plain := Config{In: 7, N: 37, Out: 4, Seed: 7, Loss: Loss{Kind: CrossEntropy, Timing: LastStep}}
	plainMSE := Config{In: 3, N: 6, Out: 3, Seed: 11, L2: 1e-2, Loss: Loss{Kind: MSE, Timing: LastStep}}
	leaky := plain
	leaky.Leak = 0.3
	alif := plain
	alif.Beta, alif.TauA = MixedBeta(37, 11, 1.8), 5
	leveltest.ForEachLevel(t, func(l kernels.Level) {
		for ci, tc := range []struct {
			name    string
			cfg     Config
			applies bool
		}{{"plain", plain, true}, {"plain-mse", plainMSE, true}, {"leaky", leaky, false}, {"alif", alif, false}} {
			for si, B := range []int{1, 5, stepProjMinRows, chunkRows + 1, 2*chunkRows + 44} {
				for _, keep := range []int{1, 2, 6, 7} {
					if testing.Short() && (ci+si+keep)%4 != 0 {
						continue
					}
					p := 1 + (ci+si+keep)%2
					runtime.GOMAXPROCS(p)
					name := fmt.Sprintf("%s/%s/B=%d/keep=%d/procs=%d", l, tc.name, B, keep, p)
					keepLast[float64](t, name, tc.cfg, B, keep, tc.applies)
					keepLast[float32](t, name, tc.cfg, B, keep, tc.applies)
				}
			}
		}
	})
}

func keepLast[T kernels.Float](t *testing.T, name string, cfg Config, B, keep int, applies bool) {
	t.Helper()
	const steps = 7
	b := randBatch[T](cfg, B, steps, 13)
	net := mustNew[T](t, cfg)
	var full, part Workspace[T]
	part.KeepLast(keep)
	l0, err := net.Forward(&full, b)
	if err != nil {
		t.Fatal(err)
	}
	l1, err := net.Forward(&part, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(l0) != math.Float64bits(l1) {
		t.Fatalf("%s: loss %v, full storage %v", name, l1, l0)
	}
	tf, _ := full.Trajectory()
	tp, _ := part.Trajectory()
	from := 0
	if applies && steps-keep > 1 {
		from = steps - keep
	}
	same := func(what string, step int, a, b []T) {
		t.Helper()
		for i := range b {
			if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
				t.Fatalf("%s: %s(%d)[%d] = %v, full storage %v", name, what, step, i, a[i], b[i])
			}
		}
	}
	for s := 0; s <= steps; s++ {
		if s >= 1 {
			same("Y", s, tp.Y(s), tf.Y(s))
			same("DY", s, tp.DY(s), tf.DY(s))
		}
		if s == 0 || s >= from {
			same("R", s, tp.R(s), tf.R(s))
			same("Psi", s, tp.Psi(s), tf.Psi(s))
			continue
		}
		for _, acc := range []func(int) []T{tp.R, tp.Psi} {
			func() {
				defer func() {
					if recover() == nil {
						t.Fatalf("%s: step %d was not kept but its accessor did not panic", name, s)
					}
				}()
				acc(s)
			}()
		}
	}
	g := make([]T, net.NumParams())
	err = net.Backward(&part, g)
	if (err != nil) != (from > 0) {
		t.Fatalf("%s: Backward after KeepLast (first kept step %d): error %v", name, from, err)
	}
}
