package eig_test

import (
	"fmt"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
	"github.com/hessrnn/hessrnn/rules"
)

// Example_sharpness trains a small network on pattern generation with
// symmetric e-prop (the paper's "Three-factor" rule) and with BPTT, then
// measures the leading eigenvalue of the loss Hessian with respect to
// W_rec at the weights each rule reached: the whole library in a few
// lines. Training runs in float32; the curvature in float64. (After 1500
// iterations e-prop has not yet fitted the target; the paper compares rules
// at convergence, which is what "hessrnn run fig3" does.)
func Example_sharpness() {
	tk, err := task.NewPattern[float32](task.PatternConfig{N: 32, In: 2}, 1)
	if err != nil {
		panic(err)
	}
	sh := tk.Shape()
	cfg := rnn.Config{In: sh.In, N: sh.N, Out: sh.Out, Loss: tk.Loss(), Seed: 1}
	for _, kind := range []rules.Kind{rules.BPTT, rules.EProp} {
		net, err := rnn.New[float32](cfg)
		if err != nil {
			panic(err)
		}
		rule, err := rules.New[float32](rules.Settings{Kind: kind}, cfg)
		if err != nil {
			panic(err)
		}
		tr, err := rules.NewTrainer(rule, rules.OptimizerSettings{Kind: rules.SGD},
			rules.Schedule{Kind: rules.Constant, LR: 0.015}, net.NumParams())
		if err != nil {
			panic(err)
		}
		b, err := tk.TrainBatch(0) // full batch: the same every iteration
		if err != nil {
			panic(err)
		}
		var loss float64
		for it := 0; it < 1500; it++ {
			res, err := tr.Step(net, b)
			if err != nil {
				panic(err) // a diverged run is an *rnn.ErrDiverged
			}
			loss = res.Loss
		}

		// Curvature in float64 at the trained weights.
		net64 := rnn.Convert[float64](net)
		tk64, err := task.NewPattern[float64](task.PatternConfig{N: 32, In: 2}, 1)
		if err != nil {
			panic(err)
		}
		b64, err := tk64.HessianBatch(0)
		if err != nil {
			panic(err)
		}
		hvp, err := rnn.NewHVP(net64, b64, rnn.SetWRec, nil)
		if err != nil {
			panic(err)
		}
		top, err := eig.Leading(&rnn.HessianOperator[float64]{H: hvp}, eig.LanczosSettings{Seed: 1})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-12s loss %.1e  λ_max %.3g\n", kind, loss, top.Values[0])
	}
	// Output:
	// bptt         loss 4.5e-06  λ_max 16.1
	// three-factor loss 7.7e-03  λ_max 7.89
}
