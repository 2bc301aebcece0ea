package task

import (
	"math"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// predictFunc adapts a function to Predictor.
type predictFunc[T kernels.Float] func(b *rnn.Batch[T], y []T) error

func (f predictFunc[T]) Outputs(b *rnn.Batch[T], y []T) error { return f(b, y) }

func TestMetricGap(t *testing.T) {
	for _, tc := range []struct {
		m           Metric
		train, test float64
		want        float64
		name        string
	}{
		{Accuracy, 0.9, 0.7, 0.2, "accuracy"},
		{Accuracy, 0.5, 0.6, -0.1, "accuracy"},
		{MeanSquaredError, 0.01, 0.05, 0.04, "mse"},
		{MeanSquaredError, 0.05, 0.01, -0.04, "mse"},
	} {
		if got := tc.m.Gap(tc.train, tc.test); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%v.Gap(%v, %v) = %v, want %v", tc.m, tc.train, tc.test, got, tc.want)
		}
		if tc.m.String() != tc.name {
			t.Errorf("String() = %q", tc.m.String())
		}
	}
}

// TestScoreOutputs checks metric and loss against hand-computed values.
func TestScoreOutputs(t *testing.T) {
	// Classification: 2 steps, 2 sequences, 3 classes; loss at last step.
	b := &rnn.Batch[float64]{Size: 2, Steps: 2, In: 1, Out: 3, X: make([]float64, 4),
		Labels: []int32{0, 0, 2, 1}}
	y := []float64{
		9, 9, 9, 9, 9, 9, // step 0: ignored
		0, 0, 1, // seq 0 at last step: argmax 2 = label 2
		1, 0, 0, // seq 1: argmax 0 ≠ label 1
	}
	s, err := ScoreOutputs(b, y, rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.LastStep}, Accuracy)
	if err != nil {
		t.Fatal(err)
	}
	lse := math.Log(2 + math.E)
	wantLoss := ((lse - 1) + (lse - 0)) / 2
	if s.Metric != 0.5 || math.Abs(s.Loss-wantLoss) > 1e-12 || s.Sequences != 2 {
		t.Errorf("got %+v, want accuracy 0.5 loss %v", s, wantLoss)
	}
	// Every-step timing: both steps count, and a sequence is correct only if
	// correct at every step. Step 0 gives argmax 0 for both (ties → first),
	// which matches both step-0 labels, so sequence 0 stays correct.
	s, err = ScoreOutputs(b, y, rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.EveryStep}, Accuracy)
	if err != nil {
		t.Fatal(err)
	}
	wantLoss = (math.Log(3) + (lse - 1) + math.Log(3) + lse) / 2
	if s.Metric != 0.5 || math.Abs(s.Loss-wantLoss) > 1e-12 {
		t.Errorf("every step: got %+v, want accuracy 0.5 loss %v", s, wantLoss)
	}

	// Regression: 2 steps, 1 sequence, 2 outputs.
	r := &rnn.Batch[float32]{Size: 1, Steps: 2, In: 1, Out: 2, X: make([]float32, 2),
		Y: []float32{1, 2, 3, 4}}
	yr := []float32{1, 3, 3, 6} // errors 0, 1, 0, 2
	s, err = ScoreOutputs(r, yr, rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}, MeanSquaredError)
	if err != nil {
		t.Fatal(err)
	}
	if s.Metric != 5.0/4 || s.Loss != 0.5*5/2 {
		t.Errorf("regression: got %+v, want mse 1.25 loss 1.25", s)
	}
	s, err = ScoreOutputs(r, yr, rnn.Loss{Kind: rnn.MSE, Timing: rnn.MaskedSteps, StepMask: []bool{false, true}}, MeanSquaredError)
	if err != nil {
		t.Fatal(err)
	}
	if s.Metric != 4.0/2 || s.Loss != 0.5*4 {
		t.Errorf("masked: got %+v, want mse 2 loss 2", s)
	}
}

func TestScoreOutputsErrors(t *testing.T) {
	cls := &rnn.Batch[float64]{Size: 1, Steps: 1, In: 1, Out: 2, X: []float64{0}, Labels: []int32{1}}
	reg := &rnn.Batch[float64]{Size: 1, Steps: 1, In: 1, Out: 1, X: []float64{0}, Y: []float64{0}}
	ce := rnn.Loss{Kind: rnn.CrossEntropy}
	mse := rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}
	for _, tc := range []struct {
		name string
		b    *rnn.Batch[float64]
		y    []float64
		l    rnn.Loss
		m    Metric
		want string
	}{
		{"short-y", cls, []float64{0}, ce, Accuracy, "outputs have length 1"},
		{"ce-no-labels", reg, []float64{0}, ce, Accuracy, "needs Labels"},
		{"mse-no-y", cls, []float64{0, 0}, mse, MeanSquaredError, "needs Y"},
		{"mask-length", reg, []float64{0}, rnn.Loss{Kind: rnn.MSE, Timing: rnn.MaskedSteps}, MeanSquaredError, "Loss.StepMask has length 0, want Steps = 1"},
		{"bad-batch", &rnn.Batch[float64]{Size: 1, Steps: 1, In: 2, Out: 1, X: []float64{0}, Y: []float64{0}}, []float64{0}, mse, MeanSquaredError, "batch X"},
	} {
		if _, err := ScoreOutputs(tc.b, tc.y, tc.l, tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// fieldErr checks that err names the config field.
func fieldErr(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error for bad %s", field)
	}
	if !strings.Contains(err.Error(), "."+field+" ") || !strings.Contains(err.Error(), "allowed range") && !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("error %q does not name field %s and its range", err, field)
	}
}
