package rules

import (
	"fmt"
	"math"
	"strings"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// Kind names a learning rule.
type Kind int

// The learning rules (METHOD.md §2). The String forms are the names accepted by
// ParseKind.
const (
	// BPTT is the exact gradient by backpropagation through time (§2.1).
	BPTT Kind = iota
	// TBPTT is BPTT truncated to a window of Settings.Window steps: the loss
	// at step τ sends credit only to parameter uses at steps τ−K+1..τ
	// (Appendix Fig. 9).
	TBPTT
	// RTRL is exact real-time recurrent learning with the full influence
	// tensor (Eq. 15–17); a reference for N <= MaxRTRLUnits.
	RTRL
	// EProp is "Three-factor", symmetric e-prop (Eq. 18, 20): eligibility
	// traces of §2.3 times the learning signal W_outᵀ ∂L/∂y.
	EProp
	// RFLO is "RF Three-factor" (Eq. 19): a fixed random feedback matrix
	// and RFLO's trace with the derivative inside the filter (the e-prop
	// ALIF trace for ALIF units, §2.5).
	RFLO
	// MDGL is e-prop plus the one-connection-step non-local term with the
	// true recurrent weights (Eq. 21–22), optionally cell-type averaged.
	MDGL
	// MatchedBPTT is "Three-factor theory" (Fig. 4): the BPTT gradient
	// scaled by the Three-factor rule's relative step length α_k on the same
	// batch and weights, or by the constant Settings.MatchedAlpha.
	MatchedBPTT
	numKinds
)

var kindNames = [numKinds]string{"bptt", "tbptt", "rtrl", "three-factor", "rf-three-factor", "mdgl", "three-factor-theory"}

// String returns the rule's name: bptt, tbptt, rtrl, three-factor,
// rf-three-factor, mdgl or three-factor-theory.
func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind returns the rule named s. It also accepts the aliases eprop,
// rflo and matched-bptt.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "eprop", "e-prop":
		return EProp, nil
	case "rflo":
		return RFLO, nil
	case "matched-bptt":
		return MatchedBPTT, nil
	}
	return parseName("rule", s, BPTT, TBPTT, RTRL, EProp, RFLO, MDGL, MatchedBPTT)
}

// parseName returns the value among vals whose String is s. Otherwise it
// returns vals[0] and an error naming what s should be and the allowed
// names.
func parseName[E fmt.Stringer](what, s string, vals ...E) (E, error) {
	names := make([]string, len(vals))
	for i, v := range vals {
		if names[i] = v.String(); names[i] == s {
			return v, nil
		}
	}
	return vals[0], fmt.Errorf("rules: unknown %s %q (allowed: %s)", what, s, strings.Join(names, ", "))
}

// Form chooses between the two implementations of an approximate rule.
type Form int

const (
	// Auto picks the fastest form: Batched, which BenchmarkStep and
	// BenchmarkForms measure faster than Online at every benchmarked shape
	// (plain, ALIF and mixed units, leak 0 and 0.5, B = 1 to 256): both
	// do O(T·B·N·(N+In)) work, but Batched does it in one cache-blocked
	// product per parameter block while Online streams B·N·(N+In) traces
	// through memory at every step.
	Auto Form = iota
	// Online is the real-time form: per-synapse eligibility traces advanced
	// every step with kernels.TraceBatch, memory O(B·N·(N+In)), nothing
	// stored over time beyond the network's own forward states.
	Online
	// Batched is the masked backward pass: the BPTT recursion with the
	// rule's cross-neuron terms removed, then one product per parameter
	// block over all T·B rows.
	Batched
)

// String returns auto, online or batched.
func (f Form) String() string {
	switch f {
	case Auto:
		return "auto"
	case Online:
		return "online"
	case Batched:
		return "batched"
	}
	return fmt.Sprintf("Form(%d)", int(f))
}

// ParseForm returns the form named s (auto, online or batched).
func ParseForm(s string) (Form, error) {
	return parseName("form", s, Auto, Online, Batched)
}

// MaxRTRLUnits is the largest network RTRL accepts: its influence tensor
// has N·N·(N+In) entries per batch item and costs O(N⁴) per step.
const MaxRTRLUnits = 32

// Settings configures a rule. The zero value is exact BPTT; other zero
// fields mean their documented defaults.
type Settings struct {
	Kind Kind
	// Form selects the implementation of EProp, RFLO and MDGL (ignored by
	// the other rules); Auto picks the fastest.
	Form Form
	// Window is TBPTT's K >= 1; K >= T gives exact BPTT.
	Window int
	// Feedback is the distribution of RFLO's fixed random feedback matrix;
	// the default draws it like W_out's initialisation.
	Feedback FeedbackDist
	// FeedbackSeed seeds the feedback matrix (math/rand/v2 PCG).
	FeedbackSeed uint64
	// CellTypes, for MDGL, gives each unit's cell type in [0, K); nil uses
	// the true weights W_li (the paper's choice). With cell types the
	// non-local term uses the type-pair averages of W (off-diagonal entries
	// only), as in the MDGL paper. ContiguousCellTypes builds K equal groups.
	CellTypes []int
	// MatchedAlpha, for MatchedBPTT, is a constant scale α > 0; 0 (the
	// default) uses α_k of the Three-factor rule at every iteration.
	MatchedAlpha float64
}

// Validate checks s against the network configuration cfg, naming the
// field and its allowed range.
func (s *Settings) Validate(cfg *rnn.Config) error {
	if s.Kind < 0 || s.Kind >= numKinds {
		return fmt.Errorf("rules: Settings.Kind = %d, allowed %v", int(s.Kind), kindNames)
	}
	if s.Form < Auto || s.Form > Batched {
		return fmt.Errorf("rules: Settings.Form = %d, allowed auto, online, batched", int(s.Form))
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	switch s.Kind {
	case TBPTT:
		if s.Window < 1 {
			return fmt.Errorf("rules: Settings.Window = %d, allowed range [1, ∞) for tbptt", s.Window)
		}
	case RTRL:
		if cfg.N > MaxRTRLUnits {
			return fmt.Errorf("rules: rtrl needs N <= %d (influence tensor O(N³), step O(N⁴)); network N = %d", MaxRTRLUnits, cfg.N)
		}
	case RFLO:
		if s.Feedback < 0 || s.Feedback >= numFeedback {
			return fmt.Errorf("rules: Settings.Feedback = %d, allowed %v", int(s.Feedback), feedbackNames)
		}
	case MDGL:
		if s.CellTypes != nil {
			if len(s.CellTypes) != cfg.N {
				return fmt.Errorf("rules: Settings.CellTypes has length %d, want N = %d", len(s.CellTypes), cfg.N)
			}
			for i, c := range s.CellTypes {
				if c < 0 || c >= cfg.N {
					return fmt.Errorf("rules: Settings.CellTypes[%d] = %d, allowed range [0, N = %d)", i, c, cfg.N)
				}
			}
		}
	case MatchedBPTT:
		if !(s.MatchedAlpha >= 0) || math.IsInf(s.MatchedAlpha, 0) {
			return fmt.Errorf("rules: Settings.MatchedAlpha = %v, allowed 0 (per-iteration α_k) or a finite α > 0", s.MatchedAlpha)
		}
	}
	return nil
}

// Rule turns a network and a batch into an update direction for every
// parameter, laid out as net.Params (W_in, W_rec, W_out, b_out), and the
// loss. Output weights and bias always get the exact gradient, the L2 term
// its exact gradient, and the diagonal of W_rec a zero entry. A Rule keeps
// its scratch between calls and is not safe for concurrent use.
type Rule[T kernels.Float] interface {
	// Kind returns the rule's kind.
	Kind() Kind
	// Direction runs the network on b and writes the update direction to
	// dir (length net.NumParams(), overwritten). It returns the loss of the
	// forward pass. A NaN or Inf in the states, the loss or dir returns an
	// *rnn.ErrDiverged (Iter = -1) carrying the step or position.
	Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error)
}

// AlphaReporter is implemented by MatchedBPTT: LastAlpha returns the scale
// applied by the last Direction call.
type AlphaReporter interface {
	LastAlpha() float64
}

// New returns the rule s describes for networks with configuration cfg.
func New[T kernels.Float](s Settings, cfg rnn.Config) (Rule[T], error) {
	if err := s.Validate(&cfg); err != nil {
		return nil, err
	}
	switch s.Kind {
	case BPTT:
		return &bptt[T]{}, nil
	case TBPTT:
		return &tbptt[T]{k: s.Window}, nil
	case RTRL:
		return &rtrl[T]{}, nil
	case EProp, RFLO, MDGL:
		return newTrunc[T](s, cfg), nil
	case MatchedBPTT:
		e := newTrunc[T](Settings{Kind: EProp}, cfg)
		return &matched[T]{alpha: s.MatchedAlpha, eprop: e}, nil
	}
	panic("unreachable")
}

// forward runs net on b in ws; a divergence is the *rnn.ErrDiverged of the
// forward pass.
func forward[T kernels.Float](net *rnn.Network[T], ws *rnn.Workspace[T], b *rnn.Batch[T], dir []T) (float64, rnn.Trajectory[T], error) {
	if len(dir) != net.NumParams() {
		return 0, rnn.Trajectory[T]{}, fmt.Errorf("rules: dir has length %d, want NumParams = %d", len(dir), net.NumParams())
	}
	loss, err := net.Forward(ws, b)
	if err != nil {
		return loss, rnn.Trajectory[T]{}, err
	}
	tr, err := ws.Trajectory()
	return loss, tr, err
}

// finish masks the diagonal of W_rec, adds the L2 gradient to the weight
// blocks whose rule-specific part was computed here (the exact readout part
// already includes nothing of it) and checks dir for non-finite values.
func finish[T kernels.Float](net *rnn.Network[T], dir []T) error {
	l := net.Layout
	n := net.Cfg.N
	blk := func(b rnn.Block) []T { r := l.Blocks[b]; return dir[r.Off : r.Off+r.Len] }
	if lam := T(net.Cfg.L2); lam != 0 {
		kernels.Axpy(blk(rnn.WIn), lam, net.WInM)
		kernels.Axpy(blk(rnn.WRec), lam, net.WRecM)
		kernels.Axpy(blk(rnn.WOut), lam, net.WOutM)
	}
	rnn.MaskDiag(blk(rnn.WRec), n)
	return checkFinite(dir, l)
}

// checkFinite returns an *rnn.ErrDiverged for the first non-finite entry of
// v, a parameter vector laid out by l, or nil. Quantity is "direction"; Step
// and Iter are -1, for the caller to fill in.
func checkFinite[T float32 | float64](v []T, l rnn.Layout) error {
	if allFinite(v) {
		return nil
	}
	return checkFiniteRef(v, l)
}

// allFinite reports whether every entry of v is finite, without a branch
// per entry: x − x is +0 for a finite x and NaN for ±Inf or NaN, so each
// of the four partial sums stays +0 exactly until a non-finite entry makes
// it NaN for good.
func allFinite[T float32 | float64](v []T) bool {
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(v); i += 4 {
		q := v[i : i+4 : i+4]
		s0 += q[0] - q[0]
		s1 += q[1] - q[1]
		s2 += q[2] - q[2]
		s3 += q[3] - q[3]
	}
	for ; i < len(v); i++ {
		s0 += v[i] - v[i]
	}
	return s0+s1+s2+s3 == 0
}

// checkFiniteRef is checkFinite entry by entry: the reference of the
// tests, and the search for the first non-finite entry once allFinite has
// found one.
func checkFiniteRef[T float32 | float64](v []T, l rnn.Layout) error {
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e := &rnn.ErrDiverged{Iter: -1, Step: -1, Quantity: "direction", Index: i, Value: f}
			for b, r := range l.Blocks {
				if i >= r.Off && i < r.Off+r.Len {
					e.Block, e.Index = rnn.Block(b), i-r.Off
					break
				}
			}
			return e
		}
	}
	return nil
}

// bptt is the exact gradient, delegated to rnn.
type bptt[T kernels.Float] struct{ ws rnn.Workspace[T] }

func (r *bptt[T]) Kind() Kind { return BPTT }

func (r *bptt[T]) Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error) {
	loss, _, err := forward(net, &r.ws, b, dir)
	if err != nil {
		return loss, err
	}
	if err := net.Backward(&r.ws, dir); err != nil {
		return loss, err
	}
	return loss, checkFinite(dir, net.Layout)
}
