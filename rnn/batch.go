package rnn

import (
	"fmt"

	"github.com/hessrnn/hessrnn/kernels"
)

// Batch is a minibatch of input sequences with their targets, stored
// time-major so that the inputs of one step are one contiguous Size×In
// matrix.
type Batch[T kernels.Float] struct {
	// Size is the number of sequences B; Steps the number of time steps T.
	Size, Steps int
	// In is the input width; Out the number of readouts.
	In, Out int
	// X holds the inputs: X[(t*Size+b)*In+k] is input k of sequence b at
	// step t (t counts from 0).
	X []T
	// Y holds regression targets for an MSE loss, Y[(t*Size+b)*Out+o];
	// nil for classification.
	Y []T
	// Labels holds class indices for a cross-entropy loss,
	// Labels[t*Size+b] in [0, Out); nil for regression. Only the steps the
	// loss reads are used; tasks with one label per sequence repeat it.
	Labels []int32
}

// Validate checks the batch's slice lengths against its sizes.
func (b *Batch[T]) Validate() error {
	if b.Size < 0 || b.Steps < 0 || b.In < 0 || b.Out < 0 {
		return fmt.Errorf("rnn: batch sizes must be non-negative (Size=%d Steps=%d In=%d Out=%d)", b.Size, b.Steps, b.In, b.Out)
	}
	if len(b.X) != b.Steps*b.Size*b.In {
		return fmt.Errorf("rnn: batch X has length %d, want Steps*Size*In = %d", len(b.X), b.Steps*b.Size*b.In)
	}
	if b.Y != nil && len(b.Y) != b.Steps*b.Size*b.Out {
		return fmt.Errorf("rnn: batch Y has length %d, want Steps*Size*Out = %d", len(b.Y), b.Steps*b.Size*b.Out)
	}
	if b.Labels != nil {
		if len(b.Labels) != b.Steps*b.Size {
			return fmt.Errorf("rnn: batch Labels has length %d, want Steps*Size = %d", len(b.Labels), b.Steps*b.Size)
		}
		for i, l := range b.Labels {
			if l < 0 || int(l) >= b.Out {
				return fmt.Errorf("rnn: batch Labels[%d] = %d, allowed range [0, %d)", i, l, b.Out)
			}
		}
	}
	if (b.Y == nil) == (b.Labels == nil) {
		return fmt.Errorf("rnn: batch needs exactly one of Y (regression) or Labels (classification)")
	}
	return nil
}

// LossKind names a loss function.
type LossKind int

const (
	// MSE is the mean squared error ½·mean over batch and loss steps of
	// Σ_o (y_o − y*_o)² (METHOD.md §1.4).
	MSE LossKind = iota
	// CrossEntropy is the softmax cross-entropy, mean over the batch and
	// summed over loss steps (METHOD.md §1.4).
	CrossEntropy
)

// LossTiming says at which steps the loss is applied.
type LossTiming int

const (
	// LastStep applies the loss at the final step only (seqMNIST, DMS).
	LastStep LossTiming = iota
	// EveryStep applies it at every step (pattern generation).
	EveryStep
	// MaskedSteps applies it where Loss.StepMask is true.
	MaskedSteps
)

// Loss describes the training objective of a task.
type Loss struct {
	Kind   LossKind
	Timing LossTiming
	// StepMask has one entry per step when Timing is MaskedSteps.
	StepMask []bool
}
