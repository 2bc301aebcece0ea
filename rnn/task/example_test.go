package task_test

import (
	"fmt"

	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// matchAnswer is a stand-in model: it answers "match" for every trial.
type matchAnswer struct{}

func (matchAnswer) Outputs(b *rnn.Batch[float64], y []float64) error {
	for j := 0; j < b.Size; j++ {
		y[((b.Steps-1)*b.Size+j)*b.Out+task.DMSMatch] = 1
	}
	return nil
}

// A trainer asks a task for batches by iteration and scores a model through
// the Predictor interface.
func Example() {
	tk, err := task.NewDMS[float64](task.DMSConfig{}, 1)
	if err != nil {
		panic(err)
	}
	sh := tk.Shape()
	fmt.Println("network:", sh.In, "inputs,", sh.N, "units,", sh.Out, "readouts,", sh.Steps, "steps")
	for it := 0; it < 3; it++ {
		b, _ := tk.TrainBatch(it)
		_ = b // one training step on b
	}
	rep, err := task.Generalization[float64](matchAnswer{}, tk)
	if err != nil {
		panic(err)
	}
	fmt.Printf("train %s %.2f, test %.2f, gap %.2f\n", rep.Metric, rep.Train.Metric, rep.Test.Metric, rep.Gap)
	// Output:
	// network: 2 inputs, 100 units, 2 readouts, 20 steps
	// train accuracy 0.50, test 0.50, gap 0.00
}
