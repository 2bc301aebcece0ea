package task

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// DMSConfig configures delayed match-to-sample (METHOD.md §5.3, §1.2). The zero
// value means the defaults given on each field.
type DMSConfig struct {
	// NALIF and NPlain are the numbers of ALIF and plain units. Defaults
	// 50 and 50. ALIF units come first.
	NALIF, NPlain int
	// Beta is the ALIF threshold adaptation strength β (code convention,
	// METHOD.md §1.2). Default 1.8 (METHOD.md §1.2).
	Beta float64
	// TauA is the ALIF adaptation time constant in steps. Default 30.
	TauA float64
	// CueSteps is the duration of each cue. Default 2.
	CueSteps int
	// Delay is the training delay between the cues. Default 16.
	Delay int
	// TrainDelayMin, when above 0 and below Delay, trains on every delay in
	// [TrainDelayMin, Delay] at once: the full batch holds the 4 cue pairs
	// at each delay, each trial left-padded with silent steps to the
	// length of the longest. The network has no hidden bias and starts at
	// h = r = a = 0, so silent leading steps keep every state at exactly 0
	// and a padded trial computes what the unpadded one does. Default 0:
	// the single training delay Delay.
	TrainDelayMin int
	// ResponseSteps is an optional response period after cue 2, with no
	// input, before the answer at the last step. Default 0: the answer is
	// due at the end of cue 2 (METHOD.md §5.3).
	ResponseSteps int
	// TestDelayMin and TestDelayMax bound the test delays, all of which
	// are enumerated. Defaults Delay and 2·Delay.
	TestDelayMin, TestDelayMax int
}

// Validate checks every field, naming the first one out of range.
func (c DMSConfig) Validate() error {
	const cfg = "DMSConfig"
	switch {
	case c.NALIF < 0:
		return fieldError(cfg, "NALIF", c.NALIF, "[1, ∞) (0 means 50)")
	case c.NPlain < 0:
		return fieldError(cfg, "NPlain", c.NPlain, "[1, ∞) (0 means 50)")
	case !(c.Beta >= 0 && c.Beta < math.Inf(1)):
		return fieldError(cfg, "Beta", c.Beta, "(0, ∞) (0 means 1.8)")
	case !(c.TauA >= 0 && c.TauA < math.Inf(1)):
		return fieldError(cfg, "TauA", c.TauA, "(0, ∞) (0 means 30)")
	case c.CueSteps < 0:
		return fieldError(cfg, "CueSteps", c.CueSteps, "[1, ∞) (0 means 2)")
	case c.Delay < 0:
		return fieldError(cfg, "Delay", c.Delay, "[1, ∞) (0 means 16)")
	case c.TrainDelayMin < 0 || (c.TrainDelayMin > 0 && c.TrainDelayMin > c.WithDefaults().Delay):
		return fieldError(cfg, "TrainDelayMin", c.TrainDelayMin, "[0, Delay] (0 means the single delay Delay)")
	case c.ResponseSteps < 0:
		return fieldError(cfg, "ResponseSteps", c.ResponseSteps, "[0, ∞)")
	case c.TestDelayMin < 0:
		return fieldError(cfg, "TestDelayMin", c.TestDelayMin, "[1, TestDelayMax] (0 means Delay)")
	case c.TestDelayMax < 0:
		return fieldError(cfg, "TestDelayMax", c.TestDelayMax, "[TestDelayMin, ∞) (0 means 2·Delay)")
	}
	d := c.WithDefaults()
	if d.TestDelayMin > d.TestDelayMax {
		return fmt.Errorf("task: DMSConfig.TestDelayMin = %d exceeds TestDelayMax = %d", d.TestDelayMin, d.TestDelayMax)
	}
	return nil
}

// WithDefaults returns c with every zero field set to its default.
func (c DMSConfig) WithDefaults() DMSConfig {
	orDefault(&c.NALIF, 50)
	orDefault(&c.NPlain, 50)
	orDefault(&c.Beta, 1.8)
	orDefault(&c.TauA, 30)
	orDefault(&c.CueSteps, 2)
	orDefault(&c.Delay, 16)
	orDefault(&c.TestDelayMin, c.Delay)
	orDefault(&c.TestDelayMax, 2*c.Delay)
	return c
}

// DMS input channels and classes.
const (
	// DMSChannelOne is 1 while a cue of value 1 is shown.
	DMSChannelOne = 0
	// DMSChannelZero is 1 while a cue of value 0 is shown.
	DMSChannelZero = 1
	// DMSNonMatch is the class of trials whose cues differ.
	DMSNonMatch = 0
	// DMSMatch is the class of trials whose cues are equal.
	DMSMatch = 1
)

// dmsPairs are the four cue pairs (cue 1, cue 2) in batch order.
var dmsPairs = [4][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}}

// DMSPairs returns the four cue pairs (cue 1, cue 2) in the order of every
// DMS batch: (0,0), (0,1), (1,0), (1,1).
func DMSPairs() [4][2]int { return dmsPairs }

// DMS is delayed match-to-sample: two binary cues of CueSteps steps are
// separated by a delay, and the network must report at the last step
// whether they matched (2-way softmax, cross-entropy). Training is the full
// batch of the 4 cue pairs at the training delay; the test enumerates every
// delay in [TestDelayMin, TestDelayMax] with the 4 pairs, one batch per
// delay. The gap is train accuracy − test accuracy.
type DMS[T kernels.Float] struct {
	cfg DMSConfig
}

// NewDMS builds the DMS task. It has no randomness; seed is accepted for a
// uniform constructor signature and ignored.
func NewDMS[T kernels.Float](cfg DMSConfig, seed uint64) (*DMS[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &DMS[T]{cfg: cfg.WithDefaults()}, nil
}

// Config returns the configuration with defaults filled in.
func (d *DMS[T]) Config() DMSConfig { return d.cfg }

// Name returns "dms".
func (d *DMS[T]) Name() string { return "dms" }

// Shape returns N_in = 2, N_out = 2, T = Delay + 2·CueSteps + ResponseSteps and
// NALIF ALIF units (Beta, TauA) followed by NPlain plain units (0, 0).
func (d *DMS[T]) Shape() Shape {
	n := d.cfg.NALIF + d.cfg.NPlain
	beta, tau := make([]float64, n), make([]float64, n)
	for i := 0; i < d.cfg.NALIF; i++ {
		beta[i], tau[i] = d.cfg.Beta, d.cfg.TauA
	}
	return Shape{In: 2, Out: 2, N: n, Steps: d.cfg.Delay + 2*d.cfg.CueSteps + d.cfg.ResponseSteps, Beta: beta, TauA: tau}
}

// Loss is cross-entropy at the last step.
func (d *DMS[T]) Loss() rnn.Loss { return rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.LastStep} }

// Metric is Accuracy.
func (d *DMS[T]) Metric() Metric { return Accuracy }

// TrainBatchesPerEpoch is 1 (full batch).
func (d *DMS[T]) TrainBatchesPerEpoch() int { return 1 }

// TrainBatch returns the 4 cue pairs at the training delay.
func (d *DMS[T]) TrainBatch(it int) (*rnn.Batch[T], error) {
	if it < 0 {
		return nil, fmt.Errorf("task: training iteration %d, allowed range [0, ∞)", it)
	}
	return d.trainTrials(), nil
}

// HessianBatch returns the full training batch.
func (d *DMS[T]) HessianBatch(k int) (*rnn.Batch[T], error) {
	if k < 0 {
		return nil, fmt.Errorf("task: Hessian checkpoint %d, allowed range [0, ∞)", k)
	}
	return d.trainTrials(), nil
}

// TrainEval is the training batch.
func (d *DMS[T]) TrainEval() Set[T] {
	b := d.trainTrials()
	return newListSet("train", []int{b.Size}, func(int) *rnn.Batch[T] { return d.trainTrials() })
}

// trainTrials is the full training batch: the 4 pairs at the training
// delay, or at every delay of [TrainDelayMin, Delay] left-padded to the
// longest (see DMSConfig.TrainDelayMin).
func (d *DMS[T]) trainTrials() *rnn.Batch[T] {
	lo := d.cfg.TrainDelayMin
	if lo == 0 || lo >= d.cfg.Delay {
		return d.Trials(d.cfg.Delay)
	}
	long := d.Trials(d.cfg.Delay)
	n := d.cfg.Delay - lo + 1
	size := 4 * n
	b := &rnn.Batch[T]{Size: size, Steps: long.Steps, In: long.In, Out: long.Out,
		X: make([]T, long.Steps*size*long.In), Labels: make([]int32, long.Steps*size)}
	for k := range n {
		tr := d.Trials(lo + k)
		pad := long.Steps - tr.Steps
		for t := 0; t < long.Steps; t++ {
			for j := 0; j < 4; j++ {
				col := k*4 + j
				b.Labels[t*size+col] = tr.Labels[j] // the label is constant over steps
				if t >= pad {
					copy(b.X[(t*size+col)*b.In:(t*size+col+1)*b.In], tr.X[((t-pad)*4+j)*tr.In:((t-pad)*4+j+1)*tr.In])
				}
			}
		}
	}
	return b
}

// Tests returns "test-delays": batch i holds the 4 pairs at delay
// TestDelayMin+i (17 batches, 68 trials by default).
func (d *DMS[T]) Tests() []Set[T] {
	n := d.cfg.TestDelayMax - d.cfg.TestDelayMin + 1
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 4
	}
	return []Set[T]{newListSet("test-delays", sizes, func(i int) *rnn.Batch[T] { return d.Trials(d.cfg.TestDelayMin + i) })}
}

// Trials returns the 4 trials (in DMSPairs() order) with the given delay ≥ 0:
// cue 1 at steps [0, CueSteps), delay, cue 2 at steps
// [CueSteps+delay, 2·CueSteps+delay), then ResponseSteps without input;
// T = delay + 2·CueSteps + ResponseSteps (0-based steps). The label, DMSMatch when the cues are equal and DMSNonMatch
// otherwise, is repeated at every step.
func (d *DMS[T]) Trials(delay int) *rnn.Batch[T] {
	if delay < 0 {
		panic(fmt.Sprintf("task: DMS delay %d < 0", delay))
	}
	cs := d.cfg.CueSteps
	steps := delay + 2*cs + d.cfg.ResponseSteps
	const bs, in = 4, 2
	b := &rnn.Batch[T]{Size: bs, Steps: steps, In: in, Out: 2,
		X: make([]T, steps*bs*in), Labels: make([]int32, steps*bs)}
	for j, pr := range dmsPairs {
		lab := int32(DMSNonMatch)
		if pr[0] == pr[1] {
			lab = DMSMatch
		}
		for t := 0; t < steps; t++ {
			b.Labels[t*bs+j] = lab
			cue := -1
			switch {
			case t < cs:
				cue = pr[0]
			case t >= cs+delay && t < 2*cs+delay:
				cue = pr[1]
			}
			switch cue {
			case 1:
				b.X[(t*bs+j)*in+DMSChannelOne] = 1
			case 0:
				b.X[(t*bs+j)*in+DMSChannelZero] = 1
			}
		}
	}
	return b
}
