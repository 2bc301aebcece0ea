package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// FieldError is an invalid setting: the field's dotted path, its value and
// the allowed values or range.
type FieldError struct {
	Field   string
	Value   any
	Allowed string
}

// Error implements error: the field, its value and the allowed values.
func (e *FieldError) Error() string {
	v := e.Value
	if s, ok := v.(string); ok {
		v = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%s = %v: allowed %s", e.Field, v, e.Allowed)
}

type validator struct{ errs []error }

func (v *validator) oneOf(field, val string, allowed ...string) {
	if !slices.Contains(allowed, val) {
		v.errs = append(v.errs, &FieldError{field, val, "values: " + strings.Join(allowed, ", ")})
	}
}

// parsed records the error of a parse, if any.
func (v *validator) parsed(_ any, err error) {
	if err != nil {
		v.errs = append(v.errs, err)
	}
}

// intIn checks lo <= val <= hi; zeroOK also allows 0 (meaning "default").
func (v *validator) intIn(field string, val, lo, hi int, zeroOK bool) {
	if zeroOK && val == 0 {
		return
	}
	if val < lo || val > hi {
		allowed := fmt.Sprintf("range [%d, %d]", lo, hi)
		if zeroOK {
			allowed += " or 0 (default)"
		}
		v.errs = append(v.errs, &FieldError{field, val, allowed})
	}
}

// floatIn checks the interval given by lo, hi and whether each end is open.
func (v *validator) floatIn(field string, val, lo, hi float64, loOpen, hiOpen bool) {
	bad := math.IsNaN(val) || val < lo || val > hi || (loOpen && val == lo) || (hiOpen && val == hi)
	if bad {
		l, h := "[", "]"
		if loOpen {
			l = "("
		}
		if hiOpen {
			h = ")"
		}
		v.errs = append(v.errs, &FieldError{field, val, fmt.Sprintf("range %s%g, %g%s", l, lo, hi, h)})
	}
}

// Validate checks every field of the resolved run and returns all problems
// joined, each a *FieldError.
func (r Run) Validate() error {
	r = r.Resolve()
	var v validator
	v.oneOf("task", r.Task, tasks...)
	v.parsed(ParseRule(r.Rule))

	v.intIn("model.n", r.Model.N, 2, 4096, false)
	v.floatIn("model.leak", r.Model.Leak, 0, 1, false, true)
	v.parsed(ParseInit(r.Model.Init))
	v.floatIn("model.rec_scale", r.Model.RecScale, 0, 10, true, false)
	v.floatIn("model.l2", r.Model.L2, 0, 10, false, false)
	v.oneOf("model.precision", r.Model.Precision, "float64", "float32")

	t := r.Train
	v.oneOf("train.optimizer", t.Optimizer, "sgd", "momentum", "adam")
	v.floatIn("train.lr", t.LR, 0, 100, true, false)
	v.floatIn("train.momentum", t.Momentum, 0, 1, false, true)
	v.floatIn("train.beta1", t.Beta1, 0, 1, false, true)
	v.floatIn("train.beta2", t.Beta2, 0, 1, false, true)
	v.floatIn("train.eps", t.Eps, 0, 1, true, false)
	v.intIn("train.iterations", t.Iterations, 1, 100_000_000, false)
	if r.Task == SeqMNIST {
		v.intIn("train.batch_size", t.BatchSize, 1, 60000, false)
	} else if t.BatchSize != 0 {
		v.errs = append(v.errs, &FieldError{"train.batch_size", t.BatchSize, "only 0 for " + r.Task + " (it trains on the full batch)"})
	}
	v.oneOf("train.schedule", t.Schedule, "constant", "step")
	v.floatIn("train.decay_factor", t.DecayFactor, 0, 1, true, false)
	v.intIn("train.decay_every", t.DecayEvery, 0, 100_000_000, false)
	v.floatIn("train.clip_norm", t.ClipNorm, 0, math.MaxFloat64, false, false)
	steps := r.Steps()
	v.intIn("train.trunc_k", t.TruncK, 1, max(1, steps), true)
	v.oneOf("train.feedback", t.Feedback, "glorot", "w-out", "murray", "normal-out", "normal-n")
	v.oneOf("train.alpha_mode", t.AlphaMode, "per-iteration", "constant")
	v.floatIn("train.alpha", t.Alpha, 0, 100, true, false)
	v.floatIn("train.stop_at_test", t.StopAtTest, 0, math.MaxFloat64, false, false)
	v.intIn("train.stop_every", t.StopEvery, 0, 100_000_000, false)
	v.floatIn("train.diverge_loss", t.DivergeLoss, 0, math.MaxFloat64, true, false)
	v.oneOf("train.stop", t.Stop, StopFixed, StopPlateau)
	v.floatIn("train.plateau_tol", t.PlateauTol, 0, 1, true, false)
	v.floatIn("train.plateau_window", t.PlateauWindow, 0, 1, true, false)
	if t.TestAt != "" {
		v.oneOf("train.test_at", t.TestAt, TestAtEvery, TestAtEnd)
	}
	v.intIn("train.eval_every", t.EvalEvery, 0, 100_000_000, false)
	if t.EvalEvery > 1 && t.Stop != StopFixed {
		v.errs = append(v.errs, &FieldError{"train.eval_every", t.EvalEvery, "0 or 1 with train.stop = plateau (the plateau criterion reads the loss at every checkpoint)"})
	}
	if t.ScoreOnly && (t.Stop != StopFixed || t.StopAtTest != 0) {
		v.errs = append(v.errs, &FieldError{"train.score_only", t.ScoreOnly, "true only with train.stop = fixed and no train.stop_at_test (plateau and early stopping read the checkpoints)"})
	}

	h := r.Hessian
	v.intIn("hessian.every", h.Every, 1, 100_000_000, false)
	v.oneOf("hessian.method", h.Method, "lanczos", "power")
	v.floatIn("hessian.tol", h.Tol, 0, 1, true, true)
	v.intIn("hessian.max_iter", h.MaxIter, 1, 100000, false)
	v.floatIn("hessian.warm_start", h.WarmStart, 0, 1000, false, false)
	v.intIn("hessian.final_batches", h.FinalBatches, 1, 1000, false)
	nrec := r.Model.N * (r.Model.N - 1)
	v.intIn("hessian.top_k", h.TopK, 0, max(0, nrec), false)
	v.intIn("hessian.align_k", h.AlignK, 0, max(0, nrec), false)

	switch r.Task {
	case PatternGen:
		p := r.PatternGen
		v.intIn("patterngen.n_in", p.NIn, 1, 10000, false)
		v.intIn("patterngen.steps", p.Steps, 1, 10000, false)
		v.floatIn("patterngen.input_std", p.InputStd, 0, 1e6, true, false)
		v.floatIn("patterngen.sigma_min", p.SigmaMin, 0, 1e6, false, false)
		v.floatIn("patterngen.sigma_max", p.SigmaMax, p.SigmaMin, 1e6, false, false)
		v.intIn("patterngen.test_draws", p.TestDraws, 1, 1_000_000, false)
	case SeqMNIST:
		s := r.SeqMNIST
		v.floatIn("seqmnist.test_noise", s.TestNoise, 0, 10, false, false)
		v.floatIn("seqmnist.validation_fraction", s.ValidationFraction, 0, 1, true, true)
		v.floatIn("seqmnist.test_fraction", s.TestFraction, 0, 1, true, true)
		v.intIn("seqmnist.hessian_batch", s.HessianBatch, 1, 60000, false)
		v.oneOf("seqmnist.dataset", s.Dataset, "", "mnist", "fashion", "other")
	case DMS:
		d := r.DMS
		v.intIn("dms.cue_steps", d.CueSteps, 1, 100, false)
		v.intIn("dms.delay", d.Delay, 0, 1000, false)
		v.intIn("dms.max_delay", d.MaxDelay, d.Delay, 1000, false)
		v.intIn("dms.min_delay", d.MinDelay, 1, d.Delay, true)
		v.intIn("dms.n_alif", d.NALIF, 1, r.Model.N-1, false)
		v.floatIn("dms.beta", d.Beta, 0, 100, false, false)
		v.floatIn("dms.tau_a", d.TauA, 0, 1e6, true, false)
	}
	return errors.Join(v.errs...)
}
