package rules

import (
	"errors"
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// Trainer runs training iterations: a rule's update direction, optional
// diagnostics against the exact gradient, and an optimiser step at the
// schedule's rate. It is not safe for concurrent use.
type Trainer[T kernels.Float] struct {
	// Rule computes the update direction.
	Rule Rule[T]
	// Opt applies it.
	Opt Optimizer[T]
	// Sched gives the learning rate of each iteration.
	Sched Schedule
	// Diagnose, when true, also computes the exact BPTT gradient on the same
	// batch and weights every iteration and fills StepResult.Align and
	// Blocks (about the cost of one BPTT step more). Off by default.
	Diagnose bool
	// Iter is the number of iterations done; the next one has index Iter.
	Iter int

	dir, grad []T
	exact     Rule[T]
}

// StepResult reports one training iteration.
type StepResult struct {
	// Iter is the iteration index (from 0), LR its learning rate and Loss
	// the loss before the update.
	Iter int
	LR   float64
	Loss float64
	// DirNorm is the Euclidean norm of the update direction (before
	// clipping).
	DirNorm float64
	// Alpha is the scale applied by MatchedBPTT (NaN for other rules).
	Alpha float64
	// Align and Blocks are the Eq. 6 diagnostics of the direction against
	// the exact gradient, when Trainer.Diagnose is set (Blocks nil
	// otherwise).
	Align  Alignment
	Blocks []BlockAlignment
}

// NewTrainer returns a trainer for networks with n parameters.
func NewTrainer[T kernels.Float](rule Rule[T], opt OptimizerSettings, sched Schedule, n int) (*Trainer[T], error) {
	if rule == nil {
		return nil, errors.New("rules: NewTrainer: nil rule")
	}
	if err := sched.Validate(); err != nil {
		return nil, err
	}
	o, err := NewOptimizer[T](opt, n)
	if err != nil {
		return nil, err
	}
	return &Trainer[T]{Rule: rule, Opt: o, Sched: sched, dir: make([]T, n)}, nil
}

// Step runs one iteration on net with batch b. A divergence (non-finite
// state, loss, direction or parameter) returns *rnn.ErrDiverged with Iter set,
// and the parameters are left as they were before the iteration when the
// direction was at fault.
func (tr *Trainer[T]) Step(net *rnn.Network[T], b *rnn.Batch[T]) (StepResult, error) {
	n := net.NumParams()
	if len(tr.dir) != n {
		return StepResult{}, fmt.Errorf("rules: trainer built for %d parameters, network has %d", len(tr.dir), n)
	}
	res := StepResult{Iter: tr.Iter, LR: tr.Sched.Rate(tr.Iter), Alpha: nan()}
	loss, err := tr.Rule.Direction(net, b, tr.dir)
	res.Loss = loss
	if err != nil {
		return res, tr.annotate(err)
	}
	if a, ok := tr.Rule.(AlphaReporter); ok {
		res.Alpha = a.LastAlpha()
	}
	if tr.Diagnose {
		if tr.exact == nil {
			tr.exact = &bptt[T]{}
			tr.grad = make([]T, n)
		}
		if _, err := tr.exact.Direction(net, b, tr.grad); err != nil {
			return res, tr.annotate(err)
		}
		res.Align, res.Blocks = AlignBlocks(tr.dir, tr.grad, net.Layout)
	}
	res.DirNorm = Norm(tr.dir)
	tr.Opt.Step(net.Params, tr.dir, res.LR)
	rnn.MaskDiag(net.WRecM, net.Cfg.N)
	tr.Iter++
	if err := checkFinite(net.Params, net.Layout); err != nil {
		err.(*rnn.ErrDiverged).Quantity = "params"
		return res, tr.annotate(err)
	}
	return res, nil
}

func (tr *Trainer[T]) annotate(err error) error {
	var d *rnn.ErrDiverged
	if errors.As(err, &d) {
		d.Iter = tr.Iter
	}
	return err
}

func nan() float64 { return math.NaN() }
