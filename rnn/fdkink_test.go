package rnn

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// strokeBatch returns a sequential-MNIST-like batch: B images of 28×28
// pixels in [0, 1] read row by row (T = 28 steps of In = 28 inputs), each an
// ellipse and a line stroke about two pixels wide on a zero background (most
// pixels exactly 0, as in MNIST), with a label in [0, out) at the last step.
func strokeBatch(B, out int, seed uint64) *Batch[float64] {
	const side = 28
	rng := rand.New(rand.NewPCG(seed, 11))
	b := &Batch[float64]{Size: B, Steps: side, In: side, Out: out,
		X: make([]float64, side*B*side), Labels: make([]int32, side*B)}
	for i := 0; i < B; i++ {
		cx, cy := 10+8*rng.Float64(), 10+8*rng.Float64()
		rx, ry := 3+5*rng.Float64(), 5+5*rng.Float64()
		x0, y0 := 4+20*rng.Float64(), 4+20*rng.Float64()
		x1, y1 := 4+20*rng.Float64(), 4+20*rng.Float64()
		for row := 0; row < side; row++ {
			for col := 0; col < side; col++ {
				x, y := float64(col), float64(row)
				ring := math.Abs(math.Hypot((x-cx)/rx, (y-cy)/ry)-1) * min(rx, ry)
				p := max(0, 1-ring/1.5)
				p = max(p, 1-segmentDist(x, y, x0, y0, x1, y1)/1.5)
				b.X[(row*B+i)*side+col] = p
			}
		}
		for t := 0; t < side; t++ {
			b.Labels[t*B+i] = int32(rng.IntN(out))
		}
	}
	return b
}

// segmentDist is the distance from (x, y) to the segment (x0, y0)–(x1, y1).
func segmentDist(x, y, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	s := ((x-x0)*dx + (y-y0)*dy) / max(dx*dx+dy*dy, 1e-12)
	s = min(1, max(0, s))
	return math.Hypot(x-x0-s*dx, y-y0-s*dy)
}

// TestFiniteDiffHVPPaperSize runs the finite-difference HVP at the paper's
// sequential-MNIST size (N = 128, B = 256, T = 28, In = 28, 10 classes,
// cross-entropy at the last step, the code initialisation) on stroke
// images. There about 900k unit-steps are ReLUs and the FDStep step moves
// some of them across their kink, which used to give a difference off by a
// factor of 10 without an error. The result must now be within 1e-6 of the
// exact R-operator HVP, or an ErrFDKink.
func TestFiniteDiffHVPPaperSize(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-size network (N=128, B=256, T=28): several seconds")
	}
	cfg := Config{In: 28, N: 128, Out: 10, Seed: 1, Loss: Loss{Kind: CrossEntropy}}
	net := mustNew[float64](t, cfg)
	b := strokeBatch(256, cfg.Out, 1)
	h, err := NewHVP(net, b, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := h.Dim()
	for _, seed := range []uint64{3, 4} {
		v := randVec(d, seed)
		exact := make([]float64, d)
		h.Apply(exact, v)
		fd := make([]float64, d)
		res, err := FiniteDiffHVP(net, b, 0, fd, v)
		var kink ErrFDKink
		switch {
		case errors.As(err, &kink):
			t.Logf("v seed %d: %v", seed, err)
			if kink.Flips < 1 || kink.UnitSteps != b.Steps*b.Size*cfg.N {
				t.Errorf("v seed %d: ErrFDKink %+v, want Flips ≥ 1 and UnitSteps %d", seed, kink, b.Steps*b.Size*cfg.N)
			}
		case err != nil:
			t.Fatal(err)
		default:
			e := relErr(fd, exact)
			t.Logf("v seed %d: step %.3g after %d shrinks (first step flipped %d unit-steps): relative error %.3g",
				seed, res.Step, res.Shrinks, res.FirstFlips, e)
			if !(e < 1e-6) {
				t.Errorf("v seed %d: FD HVP relative error %.3g against the exact HVP (step %.3g, %d shrinks), want < 1e-6",
					seed, e, res.Step, res.Shrinks)
			}
		}
	}
}

// TestFiniteDiffHVPKinks checks the step control on networks small enough
// to know every pre-activation: one whose unit 0 sits exactly on its kink at
// w, with a direction that moves it (every step flips it, so the answer is
// an ErrFDKink counting one unit-step), one with a pre-activation
// 1e-6·(1+‖w‖) from its kink (the first step, which moves it by
// FDStep/2·(1+‖w‖) ≈ 3e-6·(1+‖w‖), flips it; one shrink cures it),
// and one far from any kink (no shrink). Plain and ALIF units alike.
func TestFiniteDiffHVPKinks(t *testing.T) {
	for _, tc := range []struct {
		name        string
		beta        []float64
		bthr        float64 // threshold b_thr
		pre         float64 // pre-activation of unit 0, in units of 1+‖w_in‖
		wantKink    bool
		wantShrinks int
	}{
		{"relu/on-kink", nil, 0, 0, true, 0},
		{"relu/near-kink", nil, 0, 1e-6, false, 1},
		{"relu/far", nil, 0, 0.5, false, 0},
		{"alif/on-kink", []float64{1.5, 0}, 0.2, 0, true, 0},
		{"alif/near-kink", []float64{1.5, 0}, 0.2, 1e-6, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{In: 2, N: 2, Out: 2, Seed: 3, Beta: tc.beta, BThr: tc.bthr, Loss: Loss{Kind: CrossEntropy}}
			net := mustNew[float64](t, cfg)
			// One step, x = (0.5, 0.5): unit 0's pre-activation is
			// (W_in[0,0] + W_in[0,1])/2 − b_thr − β·a⁰ with a⁰ = 0.
			copy(net.WInM, []float64{1 + 2*tc.bthr, -1, 0.8, 0.3})
			wn := math.Sqrt(dot(net.WInM, net.WInM))
			net.WInM[0] += 2 * tc.pre * (1 + wn)
			b := &Batch[float64]{Size: 1, Steps: 1, In: 2, Out: 2, X: []float64{0.5, 0.5}, Labels: []int32{1}}
			// v = e_{W_in[0,0]}: the pre-activation moves by ε/2.
			v := make([]float64, net.Layout.Dim(SetWIn))
			v[0] = 1
			dst := make([]float64, len(v))
			res, err := FiniteDiffHVP(net, b, SetWIn, dst, v)
			var kink ErrFDKink
			if tc.wantKink {
				if !errors.As(err, &kink) {
					t.Fatalf("err = %v (result %+v), want ErrFDKink", err, res)
				}
				minStep := FDMinStep * (1 + math.Sqrt(dot(net.WInM, net.WInM)))
				if kink.Flips != 1 || kink.UnitSteps != 2 || math.Abs(kink.Step-minStep) > 1e-12*minStep {
					t.Errorf("%+v, want 1 flip of 2 unit-steps at step %g", kink, minStep)
				}
				if msg := err.Error(); !strings.Contains(msg, "1 of 2 unit-steps") {
					t.Errorf("message %q does not count the flips", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Shrinks != tc.wantShrinks || (res.FirstFlips > 0) != (tc.wantShrinks > 0) {
				t.Errorf("result %+v, want %d shrinks", res, tc.wantShrinks)
			}
			h, err := NewHVP(net, b, SetWIn, nil)
			if err != nil {
				t.Fatal(err)
			}
			exact := make([]float64, len(v))
			h.Apply(exact, v)
			if e := relErr(dst, exact); !(e < 1e-6) {
				t.Errorf("relative error %g against the exact HVP (result %+v)", e, res)
			}
		})
	}
}
