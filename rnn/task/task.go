package task

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// Shape is the network a task needs.
type Shape struct {
	// In and Out are the input and readout widths N_in and N_out.
	In, Out int
	// N is the suggested number of recurrent units.
	N int
	// Steps is the length T of the training sequences.
	Steps int
	// Beta and TauA give each unit's ALIF threshold adaptation strength β_i
	// and time constant τ_a (in steps, ρ_i = exp(−1/τ_a), METHOD.md §1.2). Both
	// are nil when every unit is plain; otherwise they have length N, and
	// plain units have Beta 0 and TauA 0.
	Beta, TauA []float64
}

// Metric is how a task scores a model.
type Metric int

const (
	// Accuracy is the fraction of sequences whose argmax readout at each
	// loss step equals the label (seqMNIST, DMS).
	Accuracy Metric = iota
	// MeanSquaredError is the mean over sequences, loss steps and readouts
	// of (y − y*)² (pattern generation). It has no ½ factor, unlike the
	// loss.
	MeanSquaredError
)

// String returns "accuracy" or "mse".
func (m Metric) String() string {
	switch m {
	case Accuracy:
		return "accuracy"
	case MeanSquaredError:
		return "mse"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// HigherIsBetter reports whether larger values of the metric are better.
func (m Metric) HigherIsBetter() bool { return m == Accuracy }

// Gap returns the generalisation gap as the paper defines it, so that a
// larger gap is always worse: train − test for accuracy, test − train for
// mean squared error.
func (m Metric) Gap(train, test float64) float64 {
	if m.HigherIsBetter() {
		return train - test
	}
	return test - train
}

// Set is an evaluation set: a fixed, ordered list of batches. Batches may
// differ in Size and Steps (DMS test trials have several lengths).
type Set[T kernels.Float] interface {
	// Name identifies the set, e.g. "train", "test-noisy".
	Name() string
	// Len is the total number of sequences over all batches.
	Len() int
	// NumBatches is the number of batches.
	NumBatches() int
	// Batch builds batch i in [0, NumBatches()); it panics if i is out of
	// range. Each call returns a new batch the caller may modify.
	Batch(i int) *rnn.Batch[T]
}

// Task is one of the paper's tasks.
type Task[T kernels.Float] interface {
	// Name is "seqmnist", "pattern" or "dms".
	Name() string
	// Shape is the network the task needs.
	Shape() Shape
	// Loss is the training objective and its timing.
	Loss() rnn.Loss
	// Metric is how the task is scored.
	Metric() Metric
	// TrainBatchesPerEpoch is the number of distinct training batches in
	// one pass over the training data (1 for full-batch tasks).
	TrainBatchesPerEpoch() int
	// TrainBatch returns the batch for training iteration it ≥ 0: batch
	// it mod TrainBatchesPerEpoch() of epoch it / TrainBatchesPerEpoch().
	// The result is a new batch the caller may modify.
	TrainBatch(it int) (*rnn.Batch[T], error)
	// HessianBatch returns the data on which the Hessian is evaluated at
	// checkpoint k ≥ 0 (METHOD.md §4.7).
	HessianBatch(k int) (*rnn.Batch[T], error)
	// TrainEval is the evaluation set of the training condition.
	TrainEval() Set[T]
	// Tests are the evaluation sets of the generalisation condition.
	// Tests()[0] defines the paper's gap; any others are extra
	// diagnostics.
	Tests() []Set[T]
}

// Predictor is anything that computes readouts for a batch. Outputs fills
// y, of length Steps*Size*Out, time-major like Batch.Y:
// y[(t*Size+b)*Out+o] is readout o of sequence b at step t.
type Predictor[T kernels.Float] interface {
	Outputs(b *rnn.Batch[T], y []T) error
}

// Score is the result of evaluating a model on a Set.
type Score struct {
	// Metric is the task metric over the whole set.
	Metric float64
	// Loss is the task loss of METHOD.md §1.4 without the L2 term, averaged over
	// the whole set: ½·mean over sequences and loss steps of Σ_o (y−y*)²
	// for MSE; mean over sequences of Σ_{t∈𝒯} −log softmax(y^t)[label]
	// for cross-entropy.
	Loss float64
	// Sequences is the number of sequences scored.
	Sequences int
}

// Evaluate scores p on every batch of s under the given loss and metric.
// Sets of this package build each batch into the storage of the previous
// one, and the readouts share one buffer (cleared before each batch), so
// scoring a large set allocates two batches' worth, not one per batch.
func Evaluate[T kernels.Float](p Predictor[T], s Set[T], loss rnn.Loss, m Metric) (Score, error) {
	var acc accumulator
	r, reuse := s.(refillable[T])
	var b *rnn.Batch[T]
	var y []T
	for i := 0; i < s.NumBatches(); i++ {
		if reuse {
			b = r.batchInto(i, b)
		} else {
			b = s.Batch(i)
		}
		n := b.Steps * b.Size * b.Out
		if cap(y) < n {
			y = make([]T, n)
		}
		y = y[:n]
		clear(y)
		if err := p.Outputs(b, y); err != nil {
			return Score{}, fmt.Errorf("task: evaluating %s batch %d: %w", s.Name(), i, err)
		}
		if err := addScores(&acc, b, y, loss, m); err != nil {
			return Score{}, fmt.Errorf("task: evaluating %s batch %d: %w", s.Name(), i, err)
		}
	}
	return acc.score(m), nil
}

// ScoreOutputs scores readouts y (laid out as for Predictor) against the
// targets of b.
func ScoreOutputs[T kernels.Float](b *rnn.Batch[T], y []T, loss rnn.Loss, m Metric) (Score, error) {
	var acc accumulator
	if err := addScores(&acc, b, y, loss, m); err != nil {
		return Score{}, err
	}
	return acc.score(m), nil
}

// accumulator sums metric and loss terms over batches.
type accumulator struct {
	metricSum, metricCount float64
	lossSum, lossCount     float64
	seqs                   int
}

func (a *accumulator) score(m Metric) Score {
	s := Score{Sequences: a.seqs, Metric: math.NaN(), Loss: math.NaN()}
	if a.metricCount > 0 {
		s.Metric = a.metricSum / a.metricCount
	}
	if a.lossCount > 0 {
		s.Loss = a.lossSum / a.lossCount
	}
	return s
}

// addScores adds the metric and loss terms of readouts y for batch b.
func addScores[T kernels.Float](a *accumulator, b *rnn.Batch[T], y []T, l rnn.Loss, m Metric) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if len(y) != b.Steps*b.Size*b.Out {
		return fmt.Errorf("outputs have length %d, want Steps*Size*Out = %d", len(y), b.Steps*b.Size*b.Out)
	}
	ts, err := l.Steps(b.Steps)
	if err != nil {
		return err
	}
	switch {
	case l.Kind == rnn.CrossEntropy && b.Labels == nil:
		return fmt.Errorf("cross-entropy loss needs Labels")
	case l.Kind == rnn.MSE && b.Y == nil:
		return fmt.Errorf("MSE loss needs Y")
	case m == Accuracy && b.Labels == nil:
		return fmt.Errorf("accuracy needs Labels")
	case m == MeanSquaredError && b.Y == nil:
		return fmt.Errorf("mean squared error needs Y")
	}
	a.seqs += b.Size
	for s := 0; s < b.Size; s++ {
		var ce, se float64
		correct := true
		for _, t := range ts {
			row := y[(t*b.Size+s)*b.Out : (t*b.Size+s+1)*b.Out]
			if b.Labels != nil {
				lab := int(b.Labels[t*b.Size+s])
				best, mx := 0, float64(row[0])
				for o, v := range row {
					if float64(v) > mx {
						mx, best = float64(v), o
					}
				}
				if best != lab {
					correct = false
				}
				// −log softmax(row)[lab], computed stably.
				var z float64
				for _, v := range row {
					z += math.Exp(float64(v) - mx)
				}
				ce += mx + math.Log(z) - float64(row[lab])
			}
			if b.Y != nil {
				tgt := b.Y[(t*b.Size+s)*b.Out : (t*b.Size+s+1)*b.Out]
				for o, v := range row {
					d := float64(v) - float64(tgt[o])
					se += d * d
				}
			}
		}
		switch m {
		case Accuracy:
			if len(ts) > 0 {
				a.metricCount++
				if correct {
					a.metricSum++
				}
			}
		case MeanSquaredError:
			a.metricSum += se
			a.metricCount += float64(len(ts) * b.Out)
		}
		switch l.Kind {
		case rnn.CrossEntropy:
			a.lossSum += ce
			a.lossCount++
		case rnn.MSE:
			a.lossSum += se / 2
			a.lossCount += float64(len(ts))
		}
	}
	return nil
}

// GapReport is the generalisation measurement of one model on one task.
type GapReport struct {
	// Metric says what Train and Test measure.
	Metric Metric
	// Train scores the training condition (Task.TrainEval), Test the
	// generalisation condition (Task.Tests()[0]).
	Train, Test Score
	// Gap is Metric.Gap(Train.Metric, Test.Metric).
	Gap float64
}

// Generalization evaluates p on the task's training and first test set and
// returns the generalisation gap as the paper defines it for the task.
func Generalization[T kernels.Float](p Predictor[T], tk Task[T]) (GapReport, error) {
	r := GapReport{Metric: tk.Metric()}
	var err error
	if r.Train, err = Evaluate(p, tk.TrainEval(), tk.Loss(), r.Metric); err != nil {
		return r, err
	}
	tests := tk.Tests()
	if len(tests) == 0 {
		return r, fmt.Errorf("task: %s has no test set", tk.Name())
	}
	if r.Test, err = Evaluate(p, tests[0], tk.Loss(), r.Metric); err != nil {
		return r, err
	}
	r.Gap = r.Metric.Gap(r.Train.Metric, r.Test.Metric)
	return r, nil
}

// orDefault sets *p to def when it is the zero value (the WithDefaults
// rule of the task configs).
func orDefault[V comparable](p *V, def V) {
	var zero V
	if *p == zero {
		*p = def
	}
}

// fieldError is a Config validation error naming the field and its range.
func fieldError(cfg, field string, value any, allowed string) error {
	return fmt.Errorf("task: %s.%s = %v, allowed range %s", cfg, field, value, allowed)
}

// listSet is a Set backed by a function building batch i and, optionally,
// one building it into the storage of a batch that is no longer needed.
type listSet[T kernels.Float] struct {
	name  string
	n     int
	sizes []int
	build func(i int) *rnn.Batch[T]
	// fill builds batch i reusing dst's slices where they are large
	// enough (dst may be nil); nil means build.
	fill func(i int, dst *rnn.Batch[T]) *rnn.Batch[T]
}

// refillable is a Set whose batches can be built into the storage of an
// earlier batch, which Evaluate uses to score a large set without a new
// allocation per batch.
type refillable[T kernels.Float] interface {
	batchInto(i int, dst *rnn.Batch[T]) *rnn.Batch[T]
}

// batchInto builds batch i into dst's storage (see fill), or a new batch.
func (s *listSet[T]) batchInto(i int, dst *rnn.Batch[T]) *rnn.Batch[T] {
	if s.fill == nil || i < 0 || i >= len(s.sizes) {
		return s.Batch(i)
	}
	return s.fill(i, dst)
}

func (s *listSet[T]) Name() string    { return s.name }
func (s *listSet[T]) Len() int        { return s.n }
func (s *listSet[T]) NumBatches() int { return len(s.sizes) }
func (s *listSet[T]) Batch(i int) *rnn.Batch[T] {
	if i < 0 || i >= len(s.sizes) {
		panic(fmt.Sprintf("task: batch %d of set %s out of range [0, %d)", i, s.name, len(s.sizes)))
	}
	return s.build(i)
}

func newListSet[T kernels.Float](name string, sizes []int, build func(i int) *rnn.Batch[T]) *listSet[T] {
	n := 0
	for _, s := range sizes {
		n += s
	}
	return &listSet[T]{name: name, n: n, sizes: sizes, build: build}
}

// chunks splits n items into consecutive batch sizes of at most size.
func chunks(n, size int) []int {
	var out []int
	for n > 0 {
		k := min(n, size)
		out = append(out, k)
		n -= k
	}
	return out
}

// The three tasks implement Task for both element types.
var (
	_ Task[float32] = (*SeqMNIST[float32])(nil)
	_ Task[float64] = (*SeqMNIST[float64])(nil)
	_ Task[float32] = (*Pattern[float32])(nil)
	_ Task[float64] = (*Pattern[float64])(nil)
	_ Task[float32] = (*DMS[float32])(nil)
	_ Task[float64] = (*DMS[float64])(nil)
)
