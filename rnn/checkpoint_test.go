package rnn

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
)

// checkpointShapes are batch sizes and checkpoint intervals for T = 7:
// B = 130 (two chunks, reduction blocks of one step) with 4 and 3
// segments, the last one shorter, and B = 64 (blocks of 4 steps, the
// interval 1 rounded up to 4).
var checkpointShapes = []struct{ B, S, want int }{{130, 2, 2}, {130, 3, 3}, {64, 1, 4}}

// TestHVPCheckpointBitwise checks that a checkpointed HVP gives bitwise the
// products (a block of 5 directions: sub-blocks of 4 and 1) and loss of the
// one that stores the whole trajectory, and a gradient equal to rounding,
// for every network and loss of gradCases, in both precisions.
func TestHVPCheckpointBitwise(t *testing.T) {
	for _, tc := range gradCases() {
		for _, sh := range checkpointShapes {
			t.Run(fmt.Sprintf("%s/B=%d/S=%d", tc.name, sh.B, sh.S), func(t *testing.T) {
				checkpointBitwise[float64](t, tc.cfg, sh.B, sh.S, sh.want)
				checkpointBitwise[float32](t, tc.cfg, sh.B, sh.S, sh.want)
			})
		}
	}
}

func checkpointBitwise[T kernels.Float](t *testing.T, cfg Config, B, S, want int) {
	t.Helper()
	net := mustNew[T](t, cfg)
	b := randBatch[T](cfg, B, 7, 5)
	full, err := NewHVPWith(net, b, SetAll, nil, HVPOptions{Checkpoint: -1})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := NewHVPWith(net, b, SetAll, nil, HVPOptions{Checkpoint: S})
	if err != nil {
		t.Fatal(err)
	}
	if full.Checkpoint() != 0 || cp.Checkpoint() != want {
		t.Fatalf("Checkpoint() = %d and %d, want 0 and %d", full.Checkpoint(), cp.Checkpoint(), want)
	}
	if full.Loss() != cp.Loss() {
		t.Errorf("loss %v (full) vs %v (checkpointed)", full.Loss(), cp.Loss())
	}
	tol := 1e-12
	if _, ok := any(T(0)).(float32); ok {
		tol = 1e-5
	}
	g64 := func(g []T) []float64 {
		o := make([]float64, len(g))
		for i, x := range g {
			o[i] = float64(x)
		}
		return o
	}
	if e := relErr(g64(full.Grad()), g64(cp.Grad())); !(e < tol) {
		t.Errorf("gradient relative difference %g", e)
	}
	const k = 5
	v := make([]T, k*full.Dim())
	for i, x := range randVec(len(v), 3) {
		v[i] = T(x)
	}
	hf, hc := make([]T, len(v)), make([]T, len(v))
	full.ApplyBlock(hf, v, k)
	cp.ApplyBlock(hc, v, k)
	if !slices.Equal(hf, hc) {
		t.Errorf("H·v differs: relative difference %g", relErr(g64(hf), g64(hc)))
	}
	if slices.Equal(hc, make([]T, len(hc))) {
		t.Errorf("H·v is zero")
	}
	// Apply on one vector after the block: bitwise the block's first row.
	one := make([]T, cp.Dim())
	cp.Apply(one, v[:cp.Dim()])
	if !slices.Equal(one, hf[:cp.Dim()]) {
		t.Errorf("checkpointed Apply differs from the block's first product")
	}
}

// TestHVPCheckpointFD checks checkpointed products against the
// finite-difference reference, and the gradient against Network.Gradient.
func TestHVPCheckpointFD(t *testing.T) {
	for _, tc := range gradCases() {
		if tc.cfg.L2 != 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			net := mustNew[float64](t, tc.cfg)
			b := randBatch[float64](tc.cfg, 130, 7, 8)
			h, err := NewHVPWith(net, b, SetAll, nil, HVPOptions{Checkpoint: 3})
			if err != nil {
				t.Fatal(err)
			}
			g := make([]float64, net.NumParams())
			var ws Workspace[float64]
			if _, err := net.Gradient(&ws, b, g); err != nil {
				t.Fatal(err)
			}
			if e := relErr(g, h.Grad()); !(e < 1e-12) {
				t.Errorf("gradient vs Network.Gradient: relative difference %g", e)
			}
			v := randVec(h.Dim(), 4)
			got, want := make([]float64, h.Dim()), make([]float64, h.Dim())
			h.Apply(got, v)
			if _, err := FiniteDiffHVP(net, b, SetAll, want, v); err != nil {
				t.Fatal(err)
			}
			if e := relErr(got, want); !(e < 1e-5) {
				t.Errorf("checkpointed vs FD HVP relative error %g", e)
			}
		})
	}
}

// TestHVPCheckpointDeterminism checks a checkpointed HVP for bitwise equal
// results at GOMAXPROCS 1 and 2 (several chunks), and for no allocations
// after warm-up at either.
func TestHVPCheckpointDeterminism(t *testing.T) {
	cfg := Config{In: 4, N: 16, Out: 3, Beta: MixedBeta(16, 8, 1), Leak: 0.2, Loss: Loss{Kind: CrossEntropy, Timing: EveryStep}}
	b := randBatch[float32](cfg, 2*chunkRows+1, 9, 1)
	var res [2][]float32
	for i, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		net := mustNew[float32](t, cfg)
		h, err := NewHVPWith(net, b, SetAll, nil, HVPOptions{Checkpoint: 2})
		if err != nil {
			runtime.GOMAXPROCS(old)
			t.Fatal(err)
		}
		v := make([]float32, 3*h.Dim())
		for j := range v {
			v[j] = float32(math.Sin(float64(j)))
		}
		dst := make([]float32, len(v))
		h.ApplyBlock(dst, v, 3)
		res[i] = slices.Clone(dst)
		h.Apply(dst[:h.Dim()], v[:h.Dim()])
		n := testing.AllocsPerRun(3, func() {
			h.ApplyBlock(dst, v, 3)
			h.Apply(dst[:h.Dim()], v[:h.Dim()])
		})
		runtime.GOMAXPROCS(old)
		if n != 0 && !raceEnabled {
			t.Errorf("GOMAXPROCS=%d: %v allocations per ApplyBlock(k=3)+Apply", procs, n)
		}
	}
	if !slices.Equal(res[0], res[1]) {
		t.Errorf("checkpointed H·v differs between GOMAXPROCS 1 and 2")
	}
}

// TestCheckpointInterval checks the automatic choice: full storage at the
// seqMNIST shape (T = 28), S = 28 for pixel-by-pixel MNIST (T = 784) in
// both precisions, rounding to reduction blocks, and explicit settings.
func TestCheckpointInterval(t *testing.T) {
	for _, tc := range []struct {
		opt, B, T, N, Out int
		alif              bool
		sz, want          int
	}{
		{0, 256, 28, 128, 10, false, 4, 0},
		{0, 256, 28, 128, 10, true, 8, 0},
		{0, 256, 784, 128, 10, false, 4, 28},
		{0, 256, 784, 128, 10, true, 8, 28},
		{0, 1, 784, 128, 10, false, 8, 0},
		{-1, 256, 784, 128, 10, false, 8, 0},
		{5, 256, 784, 128, 10, false, 4, 5},
		{5, 100, 784, 128, 10, false, 4, 6},
		{5, 1, 784, 128, 10, false, 4, 256},
		{5, 1, 200, 128, 10, false, 4, 0},
		{784, 256, 784, 128, 10, false, 4, 0},
	} {
		if got := checkpointInterval(tc.opt, tc.B, tc.T, tc.N, tc.Out, tc.alif, tc.sz); got != tc.want {
			t.Errorf("checkpointInterval(%d, B=%d, T=%d, N=%d, Out=%d, alif=%v, %d bytes) = %d, want %d",
				tc.opt, tc.B, tc.T, tc.N, tc.Out, tc.alif, tc.sz, got, tc.want)
		}
	}
}

// TestForwardAfterCheckpoint checks that a workspace used by a
// checkpointed HVP serves a Forward of the segment length correctly (the
// HVP writes checkpointed states into slot 0).
func TestForwardAfterCheckpoint(t *testing.T) {
	cfg := Config{In: 3, N: 6, Out: 2, Leak: 0.5, Beta: MixedBeta(6, 3, 1.8), Loss: Loss{Kind: MSE, Timing: EveryStep}}
	net := mustNew[float64](t, cfg)
	var ws Workspace[float64]
	if _, err := NewHVPWith(net, randBatch[float64](cfg, 130, 7, 1), 0, &ws, HVPOptions{Checkpoint: 3}); err != nil {
		t.Fatal(err)
	}
	b := randBatch[float64](cfg, 130, 3, 2)
	got, err := net.Forward(&ws, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := lossAt(t, net, b); got != want {
		t.Errorf("loss %v after the checkpointed HVP, %v on a fresh workspace", got, want)
	}
}

// TestHVPCheckpointDivergence checks that a checkpointed NewHVPWith reports
// a divergence with the global step, as Forward does.
func TestHVPCheckpointDivergence(t *testing.T) {
	cfg := Config{In: 2, N: 4, Out: 2, Loss: Loss{Kind: MSE, Timing: EveryStep}}
	net := mustNew[float64](t, cfg)
	b := randBatch[float64](cfg, 256, 6, 1)
	b.X[4*256*2] = math.NaN() // step 5 (time index 4), in the third segment
	for i := range net.WInM {
		net.WInM[i] = 1
	}
	_, err := NewHVPWith(net, b, 0, nil, HVPOptions{Checkpoint: 2})
	if d, ok := err.(*ErrDiverged); !ok || d.Step != 5 || d.Quantity != "state" {
		t.Fatalf("got %v, want ErrDiverged at step 5", err)
	}
}
