package rnn

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/hessrnn/hessrnn/internal/leveltest"
	"github.com/hessrnn/hessrnn/kernels"
)

// inferCases are the unit types (plain, leaky, ALIF with leak and a
// threshold), losses and timings Infer must reproduce.
func inferCases() []struct {
	name string
	cfg  Config
} {
	mask := []bool{false, true, false, true, true, false, false}
	return []struct {
		name string
		cfg  Config
	}{
		{"plain/ce-last", Config{In: 5, N: 24, Out: 4, Seed: 1, Loss: Loss{Kind: CrossEntropy}, L2: 1e-2}},
		{"plain/mse-every", Config{In: 5, N: 24, Out: 3, Seed: 2, Loss: Loss{Kind: MSE, Timing: EveryStep}}},
		{"leak/mse-masked", Config{In: 3, N: 19, Out: 2, Seed: 3, Leak: 0.3, Loss: Loss{Kind: MSE, Timing: MaskedSteps, StepMask: mask}, L2: 1e-3}},
		{"alif/ce-last", Config{In: 2, N: 20, Out: 2, Seed: 4, Beta: MixedBeta(20, 10, 1.8), TauA: 5, Loss: Loss{Kind: CrossEntropy}}},
		{"alif-leak-thr/ce-every", Config{In: 4, N: 17, Out: 3, Seed: 5, Leak: 0.2, BThr: 0.05, Beta: MixedBeta(17, 9, 1.8), Loss: Loss{Kind: CrossEntropy, Timing: EveryStep}}},
		{"plain-thr/mse-last", Config{In: 4, N: 33, Out: 2, Seed: 6, BThr: 0.1, Loss: Loss{Kind: MSE}}},
	}
}

// TestInferMatchesForward checks that Infer's readouts and loss are
// bitwise those Forward stores and returns, for every unit type and loss
// timing, both precisions, batch sizes of one row, a partial chunk (one
// row past a chunk) and several chunks, several sequence lengths, every
// available kernel level and GOMAXPROCS 1 and 2, with one Inference reused
// across shapes.
func TestInferMatchesForward(t *testing.T) {
	leveltest.ForEachLevel(t, func(l kernels.Level) {
		for _, p := range []int{1, 2} {
			runtime.GOMAXPROCS(p)
			for _, tc := range inferCases() {
				steps := []int{1, 7}
				if tc.cfg.Loss.Timing == MaskedSteps {
					steps = []int{7}
				}
				var inf32 Inference[float32]
				var inf64 Inference[float64]
				for _, T := range steps {
					for _, B := range []int{1, 3, chunkRows + 1, 2*chunkRows + 37} {
						name := fmt.Sprintf("%s/procs=%d/%s/T=%d/B=%d", l, p, tc.name, T, B)
						inferBitwise(t, name, tc.cfg, B, T, &inf32)
						inferBitwise(t, name, tc.cfg, B, T, &inf64)
					}
				}
			}
		}
	})
}

// inferBitwise compares Infer with Forward on one random batch after a
// few random updates of the weights (so that many units are active).
func inferBitwise[T kernels.Float](t *testing.T, name string, cfg Config, B, steps int, inf *Inference[T]) {
	t.Helper()
	net := mustNew[T](t, cfg)
	for i, w := range net.Params {
		net.Params[i] = w * T(1.3)
	}
	MaskDiag(net.WRecM, cfg.N)
	b := randBatch[T](cfg, B, steps, uint64(B*steps))
	var ws Workspace[T]
	want, err := net.Forward(&ws, b)
	if err != nil {
		t.Fatalf("%s: Forward: %v", name, err)
	}
	tr, err := ws.Trajectory()
	if err != nil {
		t.Fatal(err)
	}
	m := B * cfg.Out
	y := make([]T, steps*m)
	for i := range y {
		y[i] = T(math.NaN()) // Infer writes every element
	}
	got, err := net.Infer(inf, b, y)
	if err != nil {
		t.Fatalf("%s: Infer: %v", name, err)
	}
	if math.Float64bits(got) != math.Float64bits(want) {
		t.Errorf("%s: loss %v, Forward %v", name, got, want)
	}
	for s := 1; s <= steps; s++ {
		if !slices.Equal(y[(s-1)*m:s*m], tr.Y(s)) {
			t.Errorf("%s: readouts of step %d differ from Forward's", name, s)
			return
		}
	}
}

// TestInferErrors checks that Infer reports what Forward reports: a
// divergence at the same step and quantity, a non-zero W_rec diagonal, a
// batch that does not fit the network, and readouts of the wrong length.
func TestInferErrors(t *testing.T) {
	cfg := Config{In: 3, N: 12, Out: 2, Seed: 1, Loss: Loss{Kind: MSE, Timing: EveryStep}}
	for _, tc := range []struct {
		name  string
		edit  func(net *Network[float64], b *Batch[float64])
		yLen  int // added to the right length
		diver bool
	}{
		{name: "state-overflow", edit: func(net *Network[float64], b *Batch[float64]) {
			for i := range net.WRecM {
				net.WRecM[i] *= 1e90
			}
			MaskDiag(net.WRecM, net.Cfg.N)
		}, diver: true},
		{name: "nan-input-row-1", edit: func(_ *Network[float64], b *Batch[float64]) { b.X[3*b.Size*b.In+1*b.In] = math.NaN() }, diver: true},
		{name: "readout-overflow", edit: func(net *Network[float64], _ *Batch[float64]) {
			for i := range net.WOutM {
				net.WOutM[i] = math.MaxFloat64
			}
		}, diver: true},
		{name: "diagonal", edit: func(net *Network[float64], _ *Batch[float64]) { net.WRecM[0] = 1 }},
		{name: "batch-width", edit: func(_ *Network[float64], b *Batch[float64]) { b.In, b.X = 2, b.X[:len(b.X)/3*2] }},
		{name: "readout-length", yLen: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net := mustNew[float64](t, cfg)
			b := randBatch[float64](cfg, 5, 6, 2)
			if tc.edit != nil {
				tc.edit(net, b)
			}
			var ws Workspace[float64]
			_, ferr := net.Forward(&ws, b)
			var inf Inference[float64]
			_, ierr := net.Infer(&inf, b, make([]float64, b.Steps*b.Size*b.Out+tc.yLen))
			if ierr == nil {
				t.Fatal("Infer returned no error")
			}
			if tc.yLen != 0 {
				return // Forward has no readout argument
			}
			if ferr == nil {
				t.Fatalf("Forward returned no error, Infer %v", ierr)
			}
			var fd, id *ErrDiverged
			if errors.As(ferr, &fd) != tc.diver || errors.As(ierr, &id) != tc.diver {
				t.Fatalf("errors %v (Forward) and %v (Infer), want divergence %v", ferr, ierr, tc.diver)
			}
			if ferr.Error() != ierr.Error() {
				t.Errorf("Infer error %q, Forward %q", ierr, ferr)
			}
		})
	}
}

// TestInferAllocs checks that Infer allocates nothing after warm-up.
func TestInferAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, B := range []int{1, 3 * chunkRows} {
		cfg := Config{In: 4, N: 16, Out: 3, Beta: MixedBeta(16, 8, 1), Leak: 0.2, Loss: Loss{Kind: CrossEntropy}}
		net := mustNew[float32](t, cfg)
		b := randBatch[float32](cfg, B, 5, 1)
		y := make([]float32, b.Steps*b.Size*b.Out)
		var inf Inference[float32]
		old := runtime.GOMAXPROCS(1)
		if _, err := net.Infer(&inf, b, y); err != nil {
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(5, func() {
			if _, err := net.Infer(&inf, b, y); err != nil {
				t.Fatal(err)
			}
		})
		runtime.GOMAXPROCS(old)
		if n != 0 {
			t.Errorf("B=%d: %v allocations per Infer", B, n)
		}
	}
}

// BenchmarkEvalForward compares Infer with Forward on a seqMNIST
// evaluation batch (B = 1000, T = 28, N = 128, cross-entropy at the last
// step), the batch task.Evaluate scores.
func BenchmarkEvalForward(b *testing.B) {
	cfg := Config{In: 28, N: 128, Out: 10, Seed: 1, Loss: Loss{Kind: CrossEntropy}, L2: 1e-2}
	for _, name := range []string{"forward", "infer"} {
		b.Run(name, func(b *testing.B) {
			net := mustNew[float64](b, cfg)
			batch := randBatch[float64](cfg, 1000, 28, 1)
			var ws Workspace[float64]
			var inf Inference[float64]
			y := make([]float64, 28*1000*10)
			for b.Loop() {
				var err error
				if name == "forward" {
					_, err = net.Forward(&ws, batch)
				} else {
					_, err = net.Infer(&inf, batch, y)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
