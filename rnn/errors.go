package rnn

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDiverged reports a NaN or Inf met while training, in the style of
// gonum's optimize.ErrGrad. It is the one divergence error of the module: the
// forward pass and the Hessian-vector product return it, and so do the
// rules (package rules) for a non-finite update or parameter. It is always
// returned as a *ErrDiverged; match it with
//
//	var d *rnn.ErrDiverged
//	if errors.As(err, &d) { ... }
type ErrDiverged struct {
	// Iter is the training iteration, -1 when unknown (rnn never knows it;
	// rules.Trainer sets it).
	Iter int
	// Step is the time step 1..T at which a "state" or "loss" was first
	// seen not finite, 0 for the loss total, -1 for a value that does not
	// come from the forward pass.
	Step int
	// Quantity names what was not finite: "state" or "loss" (the forward
	// pass), "direction" (a rule's update), "params" (after the optimiser
	// step) or "alpha" (the scale of matched BPTT).
	Quantity string
	// Block and Index locate a "direction" or "params" value in the
	// parameter vector (Index within Block); Index is -1 otherwise.
	Block Block
	Index int
	// Value is the offending value (a NaN, ±Inf, or the sum of squares that
	// overflowed).
	Value float64
}

// Error implements error.
func (e *ErrDiverged) Error() string {
	var b strings.Builder
	b.WriteString("rnn: diverged")
	sep := " at "
	if e.Iter >= 0 {
		fmt.Fprintf(&b, "%siteration %d", sep, e.Iter)
		sep = ", "
	}
	if e.Step >= 0 {
		fmt.Fprintf(&b, "%sstep %d", sep, e.Step)
	}
	b.WriteString(": " + e.Quantity)
	if e.Index >= 0 {
		fmt.Fprintf(&b, " %v[%d]", e.Block, e.Index)
	}
	fmt.Fprintf(&b, " = %v", e.Value)
	return b.String()
}

// divergedAt returns the *ErrDiverged of a non-finite forward-pass quantity
// ("state" or "loss") at step (0 for the loss total).
func divergedAt(step int, quantity string, v float64) *ErrDiverged {
	return &ErrDiverged{Iter: -1, Step: step, Quantity: quantity, Index: -1, Value: v}
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

// Error implements error.
func (e ErrFDKink) Error() string {
	return fmt.Sprintf("rnn: finite-difference HVP straddles a ReLU kink: %d of %d unit-steps change state between w−εv and w+εv even at the smallest step ε = %.3g", e.Flips, e.UnitSteps, e.Step)
}

// ErrNoForward is returned when a backward pass or an accessor is used on a
// workspace that has no forward pass for the current network and batch.
var ErrNoForward = errors.New("rnn: workspace holds no forward pass (call Forward first)")
