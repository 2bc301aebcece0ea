package rnn

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Init is an initialisation scheme (METHOD.md §1.5). Its zero value is
// InitCode, the default.
type Init int

// The initialisation schemes. The String forms are the names accepted by
// ParseInit.
const (
	// InitCode is the authors' released code (METHOD.md §1.5): W_in ~ N(0, 2/In),
	// W_rec ~ N(0, 2/N) with a zero diagonal, W_out Glorot-uniform
	// U(−√(6/(N+Out)), +√(6/(N+Out))), b_out = 0. It is the default.
	InitCode Init = iota
	// InitMurray is Murray's RFLO code (METHOD.md §1.5): W_rec ~ N(0, 1.5²/N),
	// W_in = 0.1·(U[0,1) − 1), W_out = 0.1·U(−1,1)/√N, b_out = 0.
	InitMurray
	numInits
)

var initNames = [numInits]string{"code", "murray"}

// String returns the scheme's name: code or murray.
func (i Init) String() string {
	if i >= 0 && i < numInits {
		return initNames[i]
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// Inits returns every initialisation scheme, in the order of their values.
func Inits() []Init { return []Init{InitCode, InitMurray} }

// ParseInit returns the scheme named s (code or murray). Otherwise it
// returns InitCode and an error naming the allowed names.
func ParseInit(s string) (Init, error) {
	for _, i := range Inits() {
		if i.String() == s {
			return i, nil
		}
	}
	return InitCode, fmt.Errorf("rnn: unknown init %q (allowed: %s)", s, strings.Join(initNames[:], ", "))
}

// DefaultTauA is the adaptation time constant, in steps, used when
// Config.TauA is 0 (METHOD.md §1.2, DMS default).
const DefaultTauA = 30

// Config describes a network. Its zero value, apart from the sizes In, N and
// Out, which must be set, means the documented defaults: plain ReLU units, no
// leak, τ_a = 30, threshold 0, the "code" initialisation, seed 0, MSE at
// the last step, no L2 term.
type Config struct {
	// In, N and Out are the input width, the number of recurrent units and
	// the number of readouts; each must be at least 1.
	In, N, Out int
	// Leak is α_m in h^t = α_m h^{t-1} + (1−α_m)(W r^{t-1} + W_in x^t),
	// in [0, 1). The paper ran 0.
	Leak float64
	// TauA is the adaptation time constant τ_a in steps (ρ = exp(−1/τ_a)),
	// > 0; 0 means DefaultTauA. It matters only for units with Beta > 0.
	TauA float64
	// Beta holds β_i per unit: nil means all 0 (plain units); otherwise its
	// length is N and each entry is finite and ≥ 0. β_i > 0 makes unit i an
	// ALIF unit with threshold A = BThr + β_i a.
	Beta []float64
	// BThr is the baseline threshold b_thr (finite; default 0).
	BThr float64
	// Init is the initialisation scheme, InitCode (the zero value) or
	// InitMurray.
	Init Init
	// Seed seeds the initialisation (math/rand/v2 PCG; one stream per
	// parameter block).
	Seed uint64
	// Loss is the objective: kind and timing.
	Loss Loss
	// L2 is λ of the term λ/2·(‖W_in‖² + ‖W_rec‖² + ‖W_out‖²) added to the
	// loss; ≥ 0, default 0 (off). The paper's code used 1e-2.
	L2 float64
}

// Validate checks every field and returns an error naming the first field
// out of range and its allowed range.
func (c *Config) Validate() error {
	switch {
	case c.In < 1:
		return fmt.Errorf("rnn: Config.In = %d, allowed range [1, ∞)", c.In)
	case c.N < 1:
		return fmt.Errorf("rnn: Config.N = %d, allowed range [1, ∞)", c.N)
	case c.Out < 1:
		return fmt.Errorf("rnn: Config.Out = %d, allowed range [1, ∞)", c.Out)
	case !(c.Leak >= 0 && c.Leak < 1):
		return fmt.Errorf("rnn: Config.Leak = %v, allowed range [0, 1)", c.Leak)
	case !(c.TauA >= 0) || math.IsInf(c.TauA, 0):
		return fmt.Errorf("rnn: Config.TauA = %v, allowed range (0, ∞) or 0 for the default %d", c.TauA, DefaultTauA)
	case math.IsNaN(c.BThr) || math.IsInf(c.BThr, 0):
		return fmt.Errorf("rnn: Config.BThr = %v, must be finite", c.BThr)
	case !(c.L2 >= 0) || math.IsInf(c.L2, 0):
		return fmt.Errorf("rnn: Config.L2 = %v, allowed range [0, ∞)", c.L2)
	}
	if c.Beta != nil {
		if len(c.Beta) != c.N {
			return fmt.Errorf("rnn: Config.Beta has length %d, want 0 or N = %d", len(c.Beta), c.N)
		}
		for i, b := range c.Beta {
			if !(b >= 0) || math.IsInf(b, 0) {
				return fmt.Errorf("rnn: Config.Beta[%d] = %v, allowed range [0, ∞)", i, b)
			}
		}
	}
	if c.Init < 0 || c.Init >= numInits {
		return fmt.Errorf("rnn: Config.Init = %d, allowed values %v (%d), %v (%d)", int(c.Init), InitCode, int(InitCode), InitMurray, int(InitMurray))
	}
	switch c.Loss.Kind {
	case MSE, CrossEntropy:
	default:
		return fmt.Errorf("rnn: Config.Loss.Kind = %d, allowed values MSE (0), CrossEntropy (1)", c.Loss.Kind)
	}
	switch c.Loss.Timing {
	case LastStep, EveryStep:
	case MaskedSteps:
		if !slices.Contains(c.Loss.StepMask, true) {
			return fmt.Errorf("rnn: Config.Loss.StepMask must have at least one true entry when Loss.Timing is MaskedSteps")
		}
	default:
		return fmt.Errorf("rnn: Config.Loss.Timing = %d, allowed values LastStep (0), EveryStep (1), MaskedSteps (2)", c.Loss.Timing)
	}
	return nil
}

// Rho returns ρ = exp(−1/τ_a) with the default applied.
func (c *Config) Rho() float64 {
	tau := c.TauA
	if tau == 0 {
		tau = DefaultTauA
	}
	return math.Exp(-1 / tau)
}

// HasALIF reports whether any unit has β > 0.
func (c *Config) HasALIF() bool {
	for _, b := range c.Beta {
		if b != 0 {
			return true
		}
	}
	return false
}

// MixedBeta returns a Beta slice for n units whose first nALIF units have
// β = beta and the rest β = 0 (the DMS layout, METHOD.md §1.2).
func MixedBeta(n, nALIF int, beta float64) []float64 {
	b := make([]float64, n)
	for i := 0; i < nALIF && i < n; i++ {
		b[i] = beta
	}
	return b
}

// Steps returns the 0-based indices, in increasing order, of the steps at
// which the loss applies in a sequence of the given number of steps. It
// errors when the timing is unknown or StepMask does not have one entry per
// step.
func (l *Loss) Steps(steps int) ([]int, error) {
	at, n, err := l.lossSteps(nil, steps)
	if err != nil {
		return nil, err
	}
	ts := make([]int, 0, n)
	for t := 1; t <= steps; t++ {
		if at[t] {
			ts = append(ts, t-1)
		}
	}
	return ts, nil
}

// lossSteps returns, for steps t = 1..T (index t, index 0 unused), whether
// the loss reads step t, and their count. It errors when the mask does not
// fit.
func (l *Loss) lossSteps(dst []bool, steps int) ([]bool, int, error) {
	if cap(dst) < steps+1 {
		dst = make([]bool, steps+1)
	}
	dst = dst[:steps+1]
	clear(dst)
	n := 0
	switch l.Timing {
	case LastStep:
		if steps > 0 {
			dst[steps] = true
			n = 1
		}
	case EveryStep:
		for t := 1; t <= steps; t++ {
			dst[t] = true
		}
		n = steps
	case MaskedSteps:
		if len(l.StepMask) != steps {
			return dst, 0, fmt.Errorf("rnn: Loss.StepMask has length %d, want Steps = %d", len(l.StepMask), steps)
		}
		for t, m := range l.StepMask {
			if m {
				dst[t+1] = true
				n++
			}
		}
	default:
		return dst, 0, fmt.Errorf("rnn: Loss.Timing = %d, allowed values LastStep (0), EveryStep (1), MaskedSteps (2)", l.Timing)
	}
	return dst, n, nil
}
