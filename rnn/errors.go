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

// ErrFDKink is returned by FiniteDiffHVP when the ReLU state (a ReLU unit
// or an ALIF threshold) of some unit-steps differs between w+εv and w−εv
// even at the smallest step FDMinStep·(1+‖w_S‖)/‖v‖: the central
// difference straddles a kink of the loss and measures the jump of the
// gradient, not the curvature. Use the exact HVP instead.
type ErrFDKink struct {
	// Flips is the number of unit-steps whose state differs, of UnitSteps
	// = T·B·N compared, at the step Step (absolute, in units of v).
	Flips, UnitSteps int
	Step             float64
}

func (e ErrFDKink) Error() string {
	return fmt.Sprintf("rnn: finite-difference HVP straddles a ReLU kink: %d of %d unit-steps change state between w−εv and w+εv even at the smallest step ε = %.3g", e.Flips, e.UnitSteps, e.Step)
}

// ErrNoForward is returned when a backward pass or an accessor is used on a
// workspace that has no forward pass for the current network and batch.
var ErrNoForward = errors.New("rnn: workspace holds no forward pass (call Forward first)")
