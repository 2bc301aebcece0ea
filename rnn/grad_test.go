package rnn

import (
	"fmt"
	"math"
	"testing"
)

// gradCases is the table of network/loss variants checked against finite
// differences and used by the HVP tests.
func gradCases() []struct {
	name string
	cfg  Config
} {
	type c = struct {
		name string
		cfg  Config
	}
	var out []c
	units := []struct {
		name string
		beta func(n int) []float64
	}{
		{"plain", func(int) []float64 { return nil }},
		{"alif", func(n int) []float64 { return MixedBeta(n, n, 1.8) }},
		{"mixed", func(n int) []float64 { return MixedBeta(n, n/2, 1.8) }},
	}
	for _, u := range units {
		for _, leak := range []float64{0, 0.5} {
			for _, kind := range []LossKind{MSE, CrossEntropy} {
				for _, timing := range []LossTiming{LastStep, EveryStep} {
					for _, l2 := range []float64{0, 1e-2} {
						cfg := Config{In: 3, N: 6, Out: 3, Leak: leak, Beta: u.beta(6), TauA: 5, Seed: 11,
							Loss: Loss{Kind: kind, Timing: timing}, L2: l2}
						out = append(out, c{fmt.Sprintf("%s/leak=%v/kind=%d/timing=%d/l2=%v", u.name, leak, kind, timing, l2), cfg})
					}
				}
			}
		}
	}
	out = append(out, c{"masked", Config{In: 2, N: 5, Out: 2, Seed: 3, Beta: MixedBeta(5, 2, 1), BThr: 0.1,
		Loss: Loss{Kind: MSE, Timing: MaskedSteps, StepMask: []bool{false, true, false, true, true, false, true}}}})
	out = append(out, c{"masked-ce", Config{In: 2, N: 5, Out: 3, Seed: 4, Leak: 0.5, Beta: MixedBeta(5, 3, 1.8), TauA: 3, L2: 1e-2,
		Loss: Loss{Kind: CrossEntropy, Timing: MaskedSteps, StepMask: []bool{true, false, false, true, false, false, true}}}})
	out = append(out, c{"murray", Config{In: 2, N: 5, Out: 2, Seed: 3, Init: InitMurray, Loss: Loss{Kind: CrossEntropy}}})
	return out
}

func TestGradientFiniteDifference(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			net := mustNew[float64](t, tc.cfg)
			steps := 7
			b := randBatch[float64](tc.cfg, 3, steps, 5)
			var ws Workspace[float64]
			grad := make([]float64, net.NumParams())
			if _, err := net.Gradient(&ws, b, grad); err != nil {
				t.Fatal(err)
			}
			if e := relErr(grad, fdGradient(t, net, b)); e > 1e-6 || math.IsNaN(e) {
				t.Errorf("relative error %g vs central differences", e)
			}
			for i := 0; i < tc.cfg.N; i++ {
				if g := grad[net.Layout.Blocks[WRec].Off+i*tc.cfg.N+i]; g != 0 {
					t.Errorf("diagonal gradient W[%d,%d] = %g, want 0", i, i, g)
				}
			}
		})
	}
}

func isDiag(net *Network[float64], i int) bool {
	r := net.Layout.Blocks[WRec]
	if i < r.Off || i >= r.Off+r.Len {
		return false
	}
	j := i - r.Off
	return j/net.Cfg.N == j%net.Cfg.N
}
