package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rules"
)

// Task names accepted in Run.Task.
const (
	PatternGen = "patterngen"
	SeqMNIST   = "seqmnist"
	DMS        = "dms"
)

// Tasks lists the task names in the paper's order.
var tasks = []string{SeqMNIST, PatternGen, DMS}

// Tasks returns the task names in the paper's order.
func Tasks() []string { return append([]string(nil), tasks...) }

// ruleKinds lists the rules the command runs: the four the paper compares,
// in its order, then the experiment-level variants TBPTT(K) (Fig. 9) and
// step-matched BPTT, "Three-factor theory" (Fig. 4). A run names its rule
// by rules.Kind.String (rtrl, a reference for tests, is not run).
var ruleKinds = []rules.Kind{rules.BPTT, rules.EProp, rules.RFLO, rules.MDGL, rules.TBPTT, rules.MatchedBPTT}

// Rules returns the name of every rule accepted in Run.Rule.
func Rules() []string { return names(ruleKinds) }

// PaperRules returns the four rules the paper compares, in its order.
func PaperRules() []rules.Kind { return append([]rules.Kind(nil), ruleKinds[:4]...) }

// ParseRule returns the rule named s, one of Rules(); otherwise a
// *FieldError for the field "rule" naming the allowed values.
func ParseRule(s string) (rules.Kind, error) { return parseEnum("rule", s, ruleKinds) }

// ParseInit returns the initialisation scheme named s (code or murray);
// otherwise a *FieldError for the field "model.init" naming the allowed
// values.
func ParseInit(s string) (rnn.Init, error) { return parseEnum("model.init", s, rnn.Inits()) }

// parseEnum returns the value among vals whose String is s, or -1 and a
// *FieldError for field.
func parseEnum[E interface {
	~int
	fmt.Stringer
}](field, s string, vals []E) (E, error) {
	for _, v := range vals {
		if v.String() == s {
			return v, nil
		}
	}
	return -1, &FieldError{field, s, "values: " + strings.Join(names(vals), ", ")}
}

// names returns the String of every value.
func names[E fmt.Stringer](vals []E) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.String()
	}
	return out
}

// RuleLabel returns the paper's label for a rule ("Three-factor", "TBPTT(4)", ...).
func RuleLabel(rule rules.Kind, truncK int) string {
	switch rule {
	case rules.BPTT:
		return "BPTT"
	case rules.EProp:
		return "Three-factor"
	case rules.RFLO:
		return "RF Three-factor"
	case rules.MDGL:
		return "MDGL"
	case rules.TBPTT:
		return fmt.Sprintf("TBPTT(%d)", truncK)
	case rules.MatchedBPTT:
		return "Three-factor theory"
	}
	return rule.String()
}

// Stopping rules accepted in Train.Stop.
const (
	StopFixed   = "fixed"   // train for Train.Iterations
	StopPlateau = "plateau" // stop when loss and λ_max plateau (spec §5.4)
)

// PlateauCap is the iteration cap of plateau stopping (spec §5.4: 20 000).
const PlateauCap = 20000

// Run is the complete configuration of one training run. Its result is a
// pure function of the resolved Run.
type Run struct {
	// Task is patterngen, seqmnist or dms.
	Task string `toml:"task" json:"task"`
	// Rule is the learning rule, a rules.Kind by name (see Rules): bptt,
	// three-factor, rf-three-factor, mdgl, tbptt or three-factor-theory.
	Rule string `toml:"rule" json:"rule"`
	// Seed seeds the weight initialisation, the feedback matrix, minibatch
	// order and the Hessian start vectors.
	Seed uint64 `toml:"seed" json:"seed"`

	Model      Model          `toml:"model" json:"model"`
	Train      Train          `toml:"train" json:"train"`
	Hessian    Hessian        `toml:"hessian" json:"hessian"`
	PatternGen PatternGenTask `toml:"patterngen" json:"patterngen"`
	SeqMNIST   SeqMNISTTask   `toml:"seqmnist" json:"seqmnist"`
	DMS        DMSTask        `toml:"dms" json:"dms"`
}

// Model configures the network (METHOD.md §1).
type Model struct {
	// N is the number of recurrent units; 0 means the task default
	// (seqmnist 128, patterngen 100, dms 100).
	N int `toml:"n" json:"n"`
	// Leak is α_m; the paper ran every experiment at 0.
	Leak float64 `toml:"leak" json:"leak"`
	// Init is the initialisation scheme, an rnn.Init by name: "code" (the
	// authors' code) or "murray".
	Init string `toml:"init" json:"init"`
	// RecScale multiplies the initial W_rec; 0 means 1, the authors' init
	// (spec §1.5). The paper's pattern-generation init is unknown (spec
	// §5.2); 0.7 is one of the reconstructions that "run sensitivity"
	// compares: with the authors' init (spectral radius about √2), no leak
	// and T = 50, some seeds start with an exploding loss.
	RecScale float64 `toml:"rec_scale" json:"rec_scale"`
	// L2 is the coefficient λ of the λ/2·‖W‖² term (code: 1e-2); 0 turns it off.
	L2 float64 `toml:"l2" json:"l2"`
	// Precision of training: float64 or float32. Curvature is always float64.
	Precision string `toml:"precision" json:"precision"`
}

// Train configures the optimisation.
type Train struct {
	// Optimizer is sgd, momentum or adam.
	Optimizer string `toml:"optimizer" json:"optimizer"`
	// LR is the initial learning rate η.
	LR float64 `toml:"lr" json:"lr"`
	// Momentum is the momentum coefficient (optimizer momentum).
	Momentum float64 `toml:"momentum" json:"momentum"`
	// Beta1, Beta2 and Eps are Adam's parameters.
	Beta1 float64 `toml:"beta1" json:"beta1"`
	Beta2 float64 `toml:"beta2" json:"beta2"`
	Eps   float64 `toml:"eps" json:"eps"`
	// Iterations is the number of updates, or the cap when Stop is
	// plateau; 0 means the task default (seqmnist: 10 000 for BPTT, 16 000
	// otherwise [CODE]; patterngen and dms: the plateau cap 20 000 [SPEC
	// §5.4], or 2 000 with Stop fixed).
	Iterations int `toml:"iterations" json:"iterations"`
	// Stop is fixed (train for Iterations) or plateau (stop at the first
	// checkpoint where the training loss and λ_max have each changed by
	// less than PlateauTol, relative, over the last PlateauWindow of the
	// iterations; Iterations is the cap). "" means the task default:
	// plateau for patterngen and dms (spec §5.4), fixed for seqmnist
	// (the authors' code trained a fixed budget).
	Stop string `toml:"stop" json:"stop"`
	// PlateauTol is the relative change that counts as a plateau (spec
	// §5.4: 1 %).
	PlateauTol float64 `toml:"plateau_tol" json:"plateau_tol"`
	// PlateauWindow is the trailing share of the iterations over which
	// the change is measured (spec §5.4: the last 10 %).
	PlateauWindow float64 `toml:"plateau_window" json:"plateau_window"`
	// BatchSize is the seqmnist minibatch size (0: 256). The other tasks are full batch.
	BatchSize int `toml:"batch_size" json:"batch_size"`
	// Schedule is constant or step (multiply by DecayFactor every DecayEvery iterations).
	Schedule string `toml:"schedule" json:"schedule"`
	// DecayFactor is the step schedule's factor (Fig. 5: 0.8).
	DecayFactor float64 `toml:"decay_factor" json:"decay_factor"`
	// DecayEvery is the step schedule's interval; 0 means Iterations/30.
	DecayEvery int `toml:"decay_every" json:"decay_every"`
	// ClipNorm clips the update's global norm; 0 turns clipping off.
	ClipNorm float64 `toml:"clip_norm" json:"clip_norm"`
	// TruncK is the TBPTT window (rule tbptt); 0 means T.
	TruncK int `toml:"trunc_k" json:"trunc_k"`
	// Feedback is the RF Three-factor feedback distribution: glorot (W_out's
	// init under the code scheme; the default), w-out (as W_out's init under
	// whichever scheme is chosen), murray (0.1·U(−1,1)/√N), normal-out
	// (N(0,1/N_out)) or normal-n (N(0,1/N)).
	Feedback string `toml:"feedback" json:"feedback"`
	// AlphaMode is how three-factor-theory gets α: per-iteration or constant.
	AlphaMode string `toml:"alpha_mode" json:"alpha_mode"`
	// Alpha is the constant α for AlphaMode constant.
	Alpha float64 `toml:"alpha" json:"alpha"`
	// StopAtTest stops training at the first checkpoint whose test metric
	// reaches this value (accuracy at least, or MSE at most); 0 never stops
	// early. Table 1 uses it to stop BPTT at Three-factor's test accuracy.
	StopAtTest float64 `toml:"stop_at_test" json:"stop_at_test"`
	// StopEvery is the grid, in iterations, on which StopAtTest is checked,
	// independent of the Hessian checkpoints (the test metric is evaluated
	// and recorded in Result.TestCurve there); 0 means DefaultStopEvery
	// when StopAtTest is set. Without StopAtTest it stays 0 and is left
	// out of the run's identity, so other runs keep their IDs.
	StopEvery int `toml:"stop_every" json:"stop_every,omitempty"`
	// DivergeLoss marks a run as diverged when the loss exceeds it (or is NaN/Inf).
	DivergeLoss float64 `toml:"diverge_loss" json:"diverge_loss"`
	// TestAt says at which Hessian checkpoints the test set that defines
	// the gap is scored: "every" checkpoint, or at the "end" only (the
	// last checkpoint; before it the trajectory's test_metric and gap are
	// not measured). The training set is scored at every checkpoint
	// either way (its loss is the loss along training and the plateau
	// criterion), and early stopping at a test metric (StopAtTest) scores
	// the test set on its own grid. "" means the task default: "end" for
	// seqmnist (spec §5.1: the gap is measured at the end of training; no
	// figure or table reads the test metric along training, and the
	// 10 000 noisy test images cost a sixth of a checkpoint's evaluation),
	// "every" for patterngen and dms, whose run IDs it leaves unchanged.
	TestAt string `toml:"test_at" json:"test_at,omitempty"`
	// EvalEvery scores the evaluation sets (training and test) at every
	// EvalEvery-th Hessian checkpoint only, and at the last; in between,
	// the trajectory's loss, metrics and gap are not measured (λ_max still
	// is). 1 scores them at every checkpoint. 0 means the task default:
	// SeqMNISTEvalEvery for seqmnist with a fixed budget, whose evaluation
	// of the 55 000 training images at every one of its 41 checkpoints
	// would cost about a sixth of the whole paper run; every checkpoint
	// elsewhere (patterngen and dms, whose run IDs it leaves unchanged).
	// The final values do not depend on it. It needs Stop fixed (the
	// plateau criterion reads the loss at every checkpoint).
	EvalEvery int `toml:"eval_every" json:"eval_every,omitempty"`
	// ScoreOnly marks a run that is scored only by its final training loss
	// (validation loss for seqmnist): a learning-rate selection run with a
	// fixed budget (spec §5.4). It computes no Hessian checkpoints, no
	// final λ_max and no evaluation before the last iteration; with a
	// fixed budget nothing in the training depends on them, so its final
	// losses are bitwise those of the full run. It needs Stop fixed and no
	// StopAtTest. The selection protocol sets it; false (the default)
	// leaves the run's ID unchanged.
	ScoreOnly bool `toml:"score_only" json:"score_only,omitempty"`
}

// SeqMNISTEvalEvery is the seqmnist default of Train.EvalEvery: the
// evaluation sets at every 4th Hessian checkpoint and the last, 11 points
// of the loss curve over the 41 checkpoints of a paper-scale run (every
// 1000 iterations of BPTT, 1600 of the other rules).
const SeqMNISTEvalEvery = 4

// Values of Train.TestAt.
const (
	TestAtEvery = "every" // the test set at every Hessian checkpoint
	TestAtEnd   = "end"   // the test set at the last checkpoint only
)

// Hessian configures the curvature checkpoints (METHOD.md §4).
type Hessian struct {
	// Every is the checkpoint interval in iterations; 0 means the task
	// default (seqmnist: 250 for BPTT, 400 otherwise [CODE]; with plateau
	// stopping Iterations/100, so a plateau is found within 1 % of the
	// cap; else Iterations/20).
	Every int `toml:"every" json:"every"`
	// Method is lanczos (default, fewer HVPs) or power (the paper's power iteration).
	Method string `toml:"method" json:"method"`
	// Tol is the tolerance: absolute change of the estimate for power
	// iteration (paper 1e-6), relative residual for Lanczos.
	Tol float64 `toml:"tol" json:"tol"`
	// MaxIter caps the iterations (paper 500).
	MaxIter int `toml:"max_iter" json:"max_iter"`
	// TopK computes the top-k spectrum (the k eigenvalues of largest
	// magnitude, as spec §4.3's subspace iteration finds them) at the final
	// checkpoint and fits the power-law coefficient γ to their magnitudes
	// (Fig. 7: 200); 0 turns it off.
	TopK int `toml:"top_k" json:"top_k"`
	// AlignK measures the alignment of ε and g with the top-k eigenvectors at
	// every checkpoint (Fig. 10: 10); 0 turns it off.
	AlignK int `toml:"align_k" json:"align_k"`
	// Flatness computes the relative flatness κ of W_rec at the final checkpoint (Fig. 8).
	Flatness bool `toml:"flatness" json:"flatness"`
	// WarmStart starts each checkpoint's eigen-solver from the previous
	// checkpoint's eigenvector(s) plus a random component of this relative
	// norm (eig.WarmStart; issue 15 §2); 0 starts every checkpoint from a
	// random vector, as the paper's code does. The values agree with cold
	// starts within the solver tolerance.
	WarmStart float64 `toml:"warm_start" json:"warm_start"`
	// FinalBatches is the number of independent Hessian batches whose mean
	// λ_max is the run's final λ_max, with its standard error (issue 13:
	// at least 5). Full-batch tasks (patterngen, dms) have one Hessian
	// batch, so they compute it once whatever this says.
	FinalBatches int `toml:"final_batches" json:"final_batches"`
}

// PatternGenTask configures pattern generation (METHOD.md §5.2).
type PatternGenTask struct {
	NIn       int     `toml:"n_in" json:"n_in"`             // input width (100)
	Steps     int     `toml:"steps" json:"steps"`           // T (50)
	InputStd  float64 `toml:"input_std" json:"input_std"`   // std of the frozen input (1)
	SigmaMin  float64 `toml:"sigma_min" json:"sigma_min"`   // test noise σ ~ U[SigmaMin, SigmaMax]
	SigmaMax  float64 `toml:"sigma_max" json:"sigma_max"`   //
	TestDraws int     `toml:"test_draws" json:"test_draws"` // noise draws averaged (100)
	TaskSeed  uint64  `toml:"task_seed" json:"task_seed"`   // seeds the frozen input, fixed across runs
}

// SeqMNISTTask configures sequential MNIST (METHOD.md §5.1).
type SeqMNISTTask struct {
	// Data is the directory with the IDX files; empty means $HESSRNN_DATA or
	// the system default. The path is not part of the run ID; the data's
	// identity (DataSHA256) is.
	Data string `toml:"data" json:"data"`
	// TestNoise is the std of the additive pixel noise of the test set (0.2).
	TestNoise float64 `toml:"test_noise" json:"test_noise"`
	// ValidationFraction is the share of the training file held out for
	// validation (1/12: 55 000/5 000 for MNIST).
	ValidationFraction float64 `toml:"validation_fraction" json:"validation_fraction"`
	// TestFraction is the share of the file used as the test set when the
	// data has only one file (e.g. t10k alone); 1/7.
	TestFraction float64 `toml:"test_fraction" json:"test_fraction"`
	// PixelByPixel feeds one pixel per step (T = 784) instead of one row.
	PixelByPixel bool `toml:"pixel_by_pixel" json:"pixel_by_pixel"`
	// HessianBatch is the validation minibatch used for the Hessian (256).
	HessianBatch int `toml:"hessian_batch" json:"hessian_batch"`
	// Dataset is the data set the files must be: "" or "mnist" (MNIST,
	// the paper's), "fashion" (Fashion-MNIST) or "other" (any
	// MNIST-format data). Data of another set is refused, so a fallback to
	// Fashion-MNIST is never silent.
	Dataset string `toml:"dataset" json:"dataset,omitempty"`

	// DataSHA256, ImageRows and ImageCols are not settings: the command
	// fills them in from the data found (task.IdentifyMNIST) before the
	// run IDs are computed, so that a run's ID covers its data (the digest
	// of the files' SHA-256) and its input size.
	DataSHA256 string `toml:"-" json:"data_sha256,omitempty"`
	ImageRows  int    `toml:"-" json:"image_rows,omitempty"`
	ImageCols  int    `toml:"-" json:"image_cols,omitempty"`
}

// DMSTask configures delayed match-to-sample (METHOD.md §5.3).
type DMSTask struct {
	CueSteps int `toml:"cue_steps" json:"cue_steps"` // steps per cue (2)
	Delay    int `toml:"delay" json:"delay"`         // training delay, the longest one when MinDelay > 0 (16)
	// MinDelay, when above 0, trains on every delay in [MinDelay, Delay]
	// at once (the 4 cue pairs at each delay, left-padded with silent
	// steps to a common length, which leaves each trial's states exact);
	// 0 trains at the single delay Delay (spec §5.3).
	MinDelay int     `toml:"min_delay" json:"min_delay"`
	MaxDelay int     `toml:"max_delay" json:"max_delay"` // test delays Delay..MaxDelay (32)
	NALIF    int     `toml:"n_alif" json:"n_alif"`       // ALIF units among N (50)
	Beta     float64 `toml:"beta" json:"beta"`           // ALIF β (1.8)
	TauA     float64 `toml:"tau_a" json:"tau_a"`         // adaptation time constant (30)
}

// Default returns the paper's defaults for task and rule (METHOD.md §5, §6),
// not yet resolved: the task-dependent zero fields stay zero.
func Default() Run {
	return Run{
		Task: PatternGen,
		Rule: rules.BPTT.String(),
		Seed: 1,
		Model: Model{
			Init:      rnn.InitCode.String(),
			L2:        1e-2,
			Precision: "float64",
		},
		Train: Train{
			Optimizer:     "sgd",
			LR:            1e-2,
			Momentum:      0.9,
			Beta1:         0.9,
			Beta2:         0.999,
			Eps:           1e-8,
			Schedule:      "constant",
			DecayFactor:   0.8,
			Feedback:      "glorot",
			AlphaMode:     "per-iteration",
			Alpha:         1,
			DivergeLoss:   1e6,
			PlateauTol:    0.01,
			PlateauWindow: 0.1,
		},
		Hessian: Hessian{
			Method:       "lanczos",
			Tol:          1e-6,
			MaxIter:      500,
			WarmStart:    1,
			FinalBatches: 5,
		},
		PatternGen: PatternGenTask{NIn: 100, Steps: 50, InputStd: 1, SigmaMin: 0.1, SigmaMax: 0.5, TestDraws: 100, TaskSeed: 20220602},
		SeqMNIST:   SeqMNISTTask{TestNoise: 0.2, ValidationFraction: 1.0 / 12, TestFraction: 1.0 / 7, HessianBatch: 256},
		DMS:        DMSTask{CueSteps: 2, Delay: 16, MaxDelay: 32, NALIF: 50, Beta: 1.8, TauA: 30},
	}
}

// Resolve returns r with every task-dependent zero field filled in.
func (r Run) Resolve() Run {
	if r.Model.N == 0 {
		switch r.Task {
		case SeqMNIST:
			r.Model.N = 128
		default:
			r.Model.N = 100
		}
	}
	if r.Model.RecScale == 0 {
		r.Model.RecScale = 1
	}
	if r.Train.Stop == "" {
		r.Train.Stop = StopPlateau
		if r.Task == SeqMNIST {
			r.Train.Stop = StopFixed
		}
	}
	if r.Train.Iterations == 0 {
		switch {
		case r.Task == SeqMNIST && r.Kind() == rules.BPTT:
			r.Train.Iterations = 10000
		case r.Task == SeqMNIST:
			r.Train.Iterations = 16000
		case r.Train.Stop == StopPlateau:
			r.Train.Iterations = PlateauCap
		default:
			r.Train.Iterations = 2000
		}
	}
	if r.Train.BatchSize == 0 && r.Task == SeqMNIST {
		r.Train.BatchSize = 256
	}
	if r.Hessian.Every == 0 {
		switch {
		case r.Task == SeqMNIST && r.Kind() == rules.BPTT:
			r.Hessian.Every = 250
		case r.Task == SeqMNIST:
			r.Hessian.Every = 400
		case r.Train.Stop == StopPlateau:
			r.Hessian.Every = max(1, r.Train.Iterations/100)
		default:
			r.Hessian.Every = max(1, r.Train.Iterations/20)
		}
	}
	if r.Train.Schedule == "step" && r.Train.DecayEvery == 0 {
		r.Train.DecayEvery = max(1, r.Train.Iterations/30)
	}
	if r.Train.TestAt == "" && r.Task == SeqMNIST {
		r.Train.TestAt = TestAtEnd
	}
	if r.Train.EvalEvery == 0 && r.Task == SeqMNIST && r.Train.Stop == StopFixed {
		r.Train.EvalEvery = SeqMNISTEvalEvery
	}
	if r.Train.StopAtTest != 0 && r.Train.StopEvery == 0 {
		r.Train.StopEvery = DefaultStopEvery
	}
	if r.Train.TruncK == 0 && r.Kind() == rules.TBPTT {
		r.Train.TruncK = r.Steps()
	}
	return r
}

// Kind returns the run's rule, or -1 when Rule names none of Rules()
// (Validate reports it).
func (r Run) Kind() rules.Kind {
	k, err := ParseRule(r.Rule)
	if err != nil {
		return -1
	}
	return k
}

// Scheme returns the initialisation scheme of m, or -1 when Init names
// none (Validate reports it; rnn.Config.Validate rejects -1).
func (m Model) Scheme() rnn.Init {
	i, err := ParseInit(m.Init)
	if err != nil {
		return -1
	}
	return i
}

// Steps returns the number of time steps T of the run's task at training.
func (r Run) Steps() int {
	switch r.Task {
	case SeqMNIST:
		rows, cols := 28, 28
		if r.SeqMNIST.ImageRows > 0 {
			rows, cols = r.SeqMNIST.ImageRows, r.SeqMNIST.ImageCols
		}
		if r.SeqMNIST.PixelByPixel {
			return rows * cols
		}
		return rows
	case DMS:
		return 2*r.DMS.CueSteps + r.DMS.Delay
	}
	return r.PatternGen.Steps
}

// Label returns the run's label: its rule, the TBPTT window and how the
// training differs from plain SGD at a constant rate run to the end.
func (r Run) Label() Label {
	r = r.Resolve()
	l := Label{Rule: r.Kind()}
	if l.Rule == rules.TBPTT {
		l.K = r.Train.TruncK
	}
	if r.Train.Optimizer != "sgd" {
		l.Variant.Optimizer = r.Train.Optimizer
	}
	l.Variant.Decay = r.Train.Schedule == "step"
	l.Variant.EarlyStopped = r.Train.StopAtTest != 0
	l.Variant.Float32 = r.Model.Precision == "float32"
	return l
}

// DefaultStopEvery is the grid of early stopping at a test metric
// (Train.StopEvery): Table 1 matches the test metric every 50 iterations,
// so that where BPTT stops does not depend on the Hessian interval.
const DefaultStopEvery = 50

// Label identifies the runs that reports group together: a rule, its
// TBPTT window and a variant of the training. It is comparable; its
// String is the paper's label ("Three-factor", "TBPTT(4)",
// "BPTT [adam] [early-stopped]").
type Label struct {
	// Rule is the learning rule.
	Rule rules.Kind
	// K is the TBPTT window for Rule rules.TBPTT, 0 otherwise.
	K int
	// Variant is how the training differs from the plain one.
	Variant Variant
}

// Variant is how a run's training differs from SGD at a constant rate run
// to the end; its zero value is the plain training.
type Variant struct {
	// Optimizer is the optimiser when it is not SGD ("momentum", "adam"),
	// "" for SGD.
	Optimizer string
	// Decay marks the step learning-rate schedule (Fig. 5).
	Decay bool
	// EarlyStopped marks a run stopped at a test metric (Table 1).
	EarlyStopped bool
	// Float32 marks training in float32 (model.precision; the precision
	// experiment compares it with float64).
	Float32 bool
}

// String returns the paper's label of the rule followed by the variant:
// " [optimizer]", " [lr decay]", " [early-stopped]", " [float32]" in that order (e.g.
// "Three-factor [lr decay]", "BPTT [adam]").
func (l Label) String() string {
	s := RuleLabel(l.Rule, l.K)
	if l.Variant.Optimizer != "" {
		s += " [" + l.Variant.Optimizer + "]"
	}
	if l.Variant.Decay {
		s += " [lr decay]"
	}
	if l.Variant.EarlyStopped {
		s += " [early-stopped]"
	}
	if l.Variant.Float32 {
		s += " [float32]"
	}
	return s
}

// Canonical returns the canonical encoding of the resolved run: JSON with
// fields in declaration order, the settings of other tasks reset to their
// defaults and machine-specific paths removed, so that it depends only on
// what determines the result.
func (r Run) Canonical() []byte {
	r = r.Resolve()
	d := Default()
	if r.Task != PatternGen {
		r.PatternGen = d.PatternGen
	}
	if r.Task != SeqMNIST {
		r.SeqMNIST = d.SeqMNIST
	}
	if r.Task != DMS {
		r.DMS = d.DMS
	}
	r.SeqMNIST.Data = ""
	if r.SeqMNIST.Dataset == "mnist" {
		r.SeqMNIST.Dataset = "" // the default, spelled out
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic("config: cannot encode run: " + err.Error()) // only plain fields: a programmer error
	}
	return b
}

// Hash returns the hex SHA-256 of the canonical encoding.
func (r Run) Hash() string {
	s := sha256.Sum256(r.Canonical())
	return hex.EncodeToString(s[:])
}

// ID returns the run's stable identifier: readable task, rule and seed
// followed by the first 12 hex digits of Hash, e.g.
// "patterngen-bptt-s1-3f2a9c0d1b7e". It is safe as a file name.
func (r Run) ID() string {
	return fmt.Sprintf("%s-%s-s%d-%s", r.Task, strings.ReplaceAll(r.Rule, "_", "-"), r.Seed, r.Hash()[:12])
}
