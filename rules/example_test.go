package rules_test

import (
	"fmt"

	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
	"github.com/hessrnn/hessrnn/rules"
)

// Example trains a network of 32 units on pattern generation with
// symmetric e-prop (the paper's "Three-factor" rule) and plain SGD: one
// full-batch step per iteration.
func Example() {
	tk, err := task.NewPattern[float64](task.PatternConfig{N: 32, In: 2}, 1)
	if err != nil {
		panic(err)
	}
	sh := tk.Shape()
	cfg := rnn.Config{In: sh.In, N: sh.N, Out: sh.Out, Loss: tk.Loss(), Seed: 1}
	net, err := rnn.New[float64](cfg)
	if err != nil {
		panic(err)
	}
	rule, err := rules.New[float64](rules.Settings{Kind: rules.EProp}, cfg)
	if err != nil {
		panic(err)
	}
	tr, err := rules.NewTrainer(rule, rules.OptimizerSettings{Kind: rules.SGD},
		rules.Schedule{Kind: rules.Constant, LR: 0.015}, net.NumParams())
	if err != nil {
		panic(err)
	}
	b, err := tk.TrainBatch(0) // the full batch: the same every iteration
	if err != nil {
		panic(err)
	}
	for it := 0; it < 1000; it++ {
		res, err := tr.Step(net, b)
		if err != nil {
			panic(err) // a diverged run is a typed error with the iteration
		}
		if it%250 == 0 {
			fmt.Printf("iteration %4d  loss %.2g\n", it, res.Loss)
		}
	}
	// Output:
	// iteration    0  loss 4.2
	// iteration  250  loss 0.051
	// iteration  500  loss 0.031
	// iteration  750  loss 0.019
}
