package rnn

import (
	"errors"
	"fmt"
)

// ErrDiverged reports a NaN or Inf in the network state or the loss, in the
// style of gonum's optimize.ErrGrad. Step is the first step (1..T) at which
// it was seen (0 for the loss total); Quantity names what was not finite.
type ErrDiverged struct {
	// Step is the time step, Quantity "state" or "loss", Value the offending
	// value (a NaN, ±Inf, or the sum of squares that overflowed).
	Step     int
	Quantity string
	Value    float64
}

func (e ErrDiverged) Error() string {
	return fmt.Sprintf("rnn: diverged: %s not finite (%v) at step %d", e.Quantity, e.Value, e.Step)
}

// ErrFloat32FD is returned by the finite-difference Hessian-vector product
// in float32. There its relative error is about 1 at the textbook step
// ε_mach^{1/3} ≈ 5e-3 (the perturbation moves many units across their ReLU
// kink) and above 1e-4 at any step, too large for a reference
// (TestFloat32FDInaccurate).
var ErrFloat32FD = errors.New("rnn: finite-difference Hessian-vector product needs float64 (in float32 its relative error is about 1 at the ε^(1/3) step and above 1e-4 at any step)")

// ErrNoForward is returned when a backward pass or an accessor is used on a
// workspace that has no forward pass for the current network and batch.
var ErrNoForward = errors.New("rnn: workspace holds no forward pass (call Forward first)")
