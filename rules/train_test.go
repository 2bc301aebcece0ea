package rules

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
)

// patternTask is a small pattern-generation problem (METHOD.md §5.2 in
// miniature): a frozen random input, a sum-of-sines target, MSE every step.
func patternTask(beta []float64) (rnn.Config, *rnn.Batch[float64]) {
	const N, In, T = 16, 8, 30
	cfg := rnn.Config{In: In, N: N, Out: 1, Beta: beta, TauA: 5, Seed: 1,
		Loss: rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}}
	rng := rand.New(rand.NewPCG(4, 5))
	b := &rnn.Batch[float64]{Size: 1, Steps: T, In: In, Out: 1, X: make([]float64, T*In), Y: make([]float64, T)}
	for i := range b.X {
		b.X[i] = rng.NormFloat64()
	}
	for t := range b.Y {
		for _, p := range []float64{10, 20, 30} {
			b.Y[t] += math.Sin(2*math.Pi*float64(t+1)/p) / 3
		}
	}
	return cfg, b
}

// TestTrainingSmoke: every rule lowers the loss of the small problem.
func TestTrainingSmoke(t *testing.T) {
	for _, unit := range []struct {
		name string
		beta []float64
	}{{"plain", nil}, {"mixed", rnn.MixedBeta(16, 8, 0.5)}} {
		for _, s := range []Settings{
			{Kind: BPTT}, {Kind: TBPTT, Window: 3}, {Kind: RTRL},
			{Kind: EProp}, {Kind: EProp, Form: Online}, {Kind: RFLO}, {Kind: MDGL},
			{Kind: MDGL, Form: Online}, {Kind: MatchedBPTT},
		} {
			cfg, b := patternTask(unit.beta)
			net, err := rnn.New[float64](cfg)
			if err != nil {
				t.Fatal(err)
			}
			r, err := New[float64](s, cfg)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 0.02}, net.NumParams())
			if err != nil {
				t.Fatal(err)
			}
			tr.Diagnose = s.Kind != BPTT
			var first, last StepResult
			for it := 0; it < 200; it++ {
				res, err := tr.Step(net, b)
				if err != nil {
					t.Fatalf("%s/%v/%v: %v", unit.name, s.Kind, s.Form, err)
				}
				if it == 0 {
					first = res
				}
				last = res
			}
			t.Logf("%s/%v/%v: loss %.4g -> %.4g", unit.name, s.Kind, s.Form, first.Loss, last.Loss)
			if !(last.Loss < 0.02*first.Loss) {
				t.Errorf("%s/%v/%v: loss %.4g -> %.4g, want below 2%% of the start", unit.name, s.Kind, s.Form, first.Loss, last.Loss)
			}
			if tr.Diagnose && !(first.Align.Cos > 0) {
				t.Errorf("%s/%v: first update not a descent direction (cos %v)", unit.name, s.Kind, first.Align.Cos)
			}
			if s.Kind == MatchedBPTT && math.IsNaN(last.Alpha) {
				t.Errorf("matched BPTT reported no alpha")
			}
		}
	}
}

func TestTrainerDiverges(t *testing.T) {
	cfg, b := patternTask(nil)
	net, _ := rnn.New[float64](cfg)
	r, _ := New[float64](Settings{Kind: EProp}, cfg)
	tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 1e6}, net.NumParams())
	if err != nil {
		t.Fatal(err)
	}
	for it := 0; it < 50; it++ {
		_, err = tr.Step(net, b)
		if err != nil {
			break
		}
	}
	var d *rnn.ErrDiverged
	if !errors.As(err, &d) || d.Iter < 0 {
		t.Fatalf("err = %v, want *rnn.ErrDiverged with an iteration", err)
	}
	t.Logf("diverged as expected: %v", d)
}

// TestFloat32Forms: in float32 the online and batched forms and the float64
// result agree within float32 rounding.
func TestFloat32Forms(t *testing.T) {
	for _, c := range []testCase{testCases()[0], testCases()[10], testCases()[16]} {
		net, b := testNet(c)
		net32 := rnn.Convert[float32](net)
		b32 := &rnn.Batch[float32]{Size: b.Size, Steps: b.Steps, In: b.In, Out: b.Out, Labels: b.Labels}
		for _, x := range b.X {
			b32.X = append(b32.X, float32(x))
		}
		for _, y := range b.Y {
			b32.Y = append(b32.Y, float32(y))
		}
		for _, k := range []Kind{EProp, RFLO, MDGL} {
			want, _ := direction(t, Settings{Kind: k}, net, b)
			for _, f := range []Form{Online, Batched} {
				r, err := New[float32](Settings{Kind: k, Form: f}, net32.Cfg)
				if err != nil {
					t.Fatal(err)
				}
				dir := make([]float32, net32.NumParams())
				if _, err := r.Direction(net32, b32, dir); err != nil {
					t.Fatal(err)
				}
				got := make([]float64, len(dir))
				for i, v := range dir {
					got[i] = float64(v)
				}
				if e := relErr(got, want); e > 1e-5 {
					t.Errorf("%s %v %v float32: relative error %.3g", c.name, k, f, e)
				}
			}
		}
	}
}
