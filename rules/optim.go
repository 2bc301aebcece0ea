package rules

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/kernels"
)

// OptimizerKind names an optimiser.
type OptimizerKind int

const (
	// SGD is plain stochastic gradient descent, θ ← θ − η d (the paper's
	// optimiser for every rule).
	SGD OptimizerKind = iota
	// Momentum is SGD with heavy-ball momentum in PyTorch's convention:
	// v ← μ v + d, θ ← θ − η v.
	Momentum
	// Adam is Kingma & Ba's Adam with bias correction (paper Fig. 11):
	// m ← β₁m + (1−β₁)d, v ← β₂v + (1−β₂)d², θ ← θ − η m̂/(√v̂ + ε).
	Adam
)

// String returns the lower-case name of the kind.
func (k OptimizerKind) String() string {
	switch k {
	case SGD:
		return "sgd"
	case Momentum:
		return "momentum"
	case Adam:
		return "adam"
	}
	return fmt.Sprintf("OptimizerKind(%d)", int(k))
}

// ParseOptimizerKind returns the kind named s (sgd, momentum or adam).
func ParseOptimizerKind(s string) (OptimizerKind, error) {
	return parseName("optimizer", s, SGD, Momentum, Adam)
}

// OptimizerSettings configures an optimiser. The zero value is plain SGD.
type OptimizerSettings struct {
	Kind OptimizerKind
	// Momentum is μ for Momentum; 0 means the default 0.9. Allowed [0, 1).
	Momentum float64
	// Beta1 and Beta2 are Adam's decay rates; 0 means the defaults 0.9 and
	// 0.999. Allowed [0, 1).
	Beta1, Beta2 float64
	// Eps is Adam's ε; 0 means the default 1e-8. Allowed > 0.
	Eps float64
	// ClipNorm, when positive, rescales every update direction whose
	// Euclidean norm exceeds it to that norm before the optimiser uses it.
	// 0 (the default) turns clipping off.
	ClipNorm float64
}

// withDefaults returns s with zero fields replaced by their defaults.
func (s OptimizerSettings) withDefaults() OptimizerSettings {
	if s.Momentum == 0 {
		s.Momentum = 0.9
	}
	if s.Beta1 == 0 {
		s.Beta1 = 0.9
	}
	if s.Beta2 == 0 {
		s.Beta2 = 0.999
	}
	if s.Eps == 0 {
		s.Eps = 1e-8
	}
	return s
}

// Validate checks the settings, naming the field and its allowed range.
func (s OptimizerSettings) Validate() error {
	if s.Kind < SGD || s.Kind > Adam {
		return fmt.Errorf("rules: OptimizerSettings.Kind = %d, allowed sgd, momentum, adam", int(s.Kind))
	}
	d := s.withDefaults()
	check := func(name string, v float64) error {
		if !(v >= 0 && v < 1) {
			return fmt.Errorf("rules: OptimizerSettings.%s = %v, allowed range [0, 1)", name, v)
		}
		return nil
	}
	if err := check("Momentum", d.Momentum); err != nil {
		return err
	}
	if err := check("Beta1", d.Beta1); err != nil {
		return err
	}
	if err := check("Beta2", d.Beta2); err != nil {
		return err
	}
	if !(d.Eps > 0) || math.IsInf(d.Eps, 0) {
		return fmt.Errorf("rules: OptimizerSettings.Eps = %v, allowed range (0, inf)", s.Eps)
	}
	if !(s.ClipNorm >= 0) || math.IsInf(s.ClipNorm, 0) {
		return fmt.Errorf("rules: OptimizerSettings.ClipNorm = %v, allowed 0 (off) or a finite positive norm", s.ClipNorm)
	}
	return nil
}

// Optimizer applies update directions to a flat parameter vector.
type Optimizer[T kernels.Float] interface {
	// Step updates params in place from the update direction dir (a
	// gradient or a rule's estimate of it) at learning rate lr. dir may be
	// rescaled in place by clipping. It panics if the lengths differ from
	// the size given to NewOptimizer.
	Step(params, dir []T, lr float64)
	// Reset clears the optimiser's state (moments and step count).
	Reset()
	// Settings returns the settings with defaults filled in.
	Settings() OptimizerSettings
	// State returns a copy of the optimiser's state, so that training
	// can stop and later continue exactly where it stopped.
	State() OptimizerState
	// SetState restores a state returned by State of an optimiser of the
	// same kind and size; otherwise it returns an error and changes nothing.
	SetState(OptimizerState) error
}

// OptimizerState is an optimiser's state: its moment vectors (none for
// SGD; the velocity for momentum; the first and second moments for Adam),
// held in float64 (exact for float32 too), and its step count.
type OptimizerState struct {
	Kind    OptimizerKind
	Moments [][]float64
	Steps   int
}

// stateOf copies moment vectors into an OptimizerState.
func stateOf[T kernels.Float](k OptimizerKind, steps int, vs ...[]T) OptimizerState {
	st := OptimizerState{Kind: k, Steps: steps}
	for _, v := range vs {
		c := make([]float64, len(v))
		for i, x := range v {
			c[i] = float64(x)
		}
		st.Moments = append(st.Moments, c)
	}
	return st
}

// restore copies st's moment vectors into vs after checking that st
// belongs to an optimiser of kind k with vectors of the same lengths.
func restore[T kernels.Float](st OptimizerState, k OptimizerKind, vs ...[]T) error {
	if st.Kind != k || len(st.Moments) != len(vs) || st.Steps < 0 {
		return fmt.Errorf("rules: optimizer state of %v with %d moment vectors and %d steps, want %v with %d", st.Kind, len(st.Moments), st.Steps, k, len(vs))
	}
	for i, v := range vs {
		if len(st.Moments[i]) != len(v) {
			return fmt.Errorf("rules: optimizer state moment %d has length %d, want %d", i, len(st.Moments[i]), len(v))
		}
	}
	for i, v := range vs {
		for j, x := range st.Moments[i] {
			v[j] = T(x)
		}
	}
	return nil
}

// NewOptimizer returns the optimiser s describes for vectors of length n.
func NewOptimizer[T kernels.Float](s OptimizerSettings, n int) (Optimizer[T], error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("rules: optimizer size %d, must be >= 0", n)
	}
	s = s.withDefaults()
	switch s.Kind {
	case Momentum:
		return &momentum[T]{s: s, v: make([]T, n)}, nil
	case Adam:
		return &adam[T]{s: s, m: make([]T, n), v: make([]T, n)}, nil
	}
	return &sgd[T]{s: s, n: n}, nil
}

func checkStep[T kernels.Float](n int, params, dir []T) {
	if len(params) != n || len(dir) != n {
		panic(fmt.Sprintf("rules: optimizer of size %d got params %d, dir %d", n, len(params), len(dir)))
	}
}

type sgd[T kernels.Float] struct {
	s OptimizerSettings
	n int
}

func (o *sgd[T]) Step(params, dir []T, lr float64) {
	checkStep(o.n, params, dir)
	ClipNorm(dir, o.s.ClipNorm)
	kernels.Axpy(params, T(-lr), dir)
}
func (o *sgd[T]) Reset()                      {}
func (o *sgd[T]) Settings() OptimizerSettings { return o.s }
func (o *sgd[T]) State() OptimizerState       { return stateOf[T](SGD, 0) }
func (o *sgd[T]) SetState(st OptimizerState) error {
	return restore[T](st, SGD)
}

type momentum[T kernels.Float] struct {
	s OptimizerSettings
	v []T
}

func (o *momentum[T]) Step(params, dir []T, lr float64) {
	checkStep(len(o.v), params, dir)
	ClipNorm(dir, o.s.ClipNorm)
	kernels.Scal(o.v, T(o.s.Momentum))
	kernels.Axpy(o.v, 1, dir)
	kernels.Axpy(params, T(-lr), o.v)
}
func (o *momentum[T]) Reset()                      { clear(o.v) }
func (o *momentum[T]) Settings() OptimizerSettings { return o.s }
func (o *momentum[T]) State() OptimizerState       { return stateOf(Momentum, 0, o.v) }
func (o *momentum[T]) SetState(st OptimizerState) error {
	return restore(st, Momentum, o.v)
}

type adam[T kernels.Float] struct {
	s    OptimizerSettings
	m, v []T
	t    int
}

func (o *adam[T]) Step(params, dir []T, lr float64) {
	checkStep(len(o.m), params, dir)
	ClipNorm(dir, o.s.ClipNorm)
	o.t++
	b1, b2 := o.s.Beta1, o.s.Beta2
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	step := lr / c1
	sc2 := math.Sqrt(c2)
	for i, d := range dir {
		g := float64(d)
		m := b1*float64(o.m[i]) + (1-b1)*g
		v := b2*float64(o.v[i]) + (1-b2)*g*g
		o.m[i], o.v[i] = T(m), T(v)
		params[i] -= T(step * m / (math.Sqrt(v)/sc2 + o.s.Eps))
	}
}
func (o *adam[T]) Reset()                      { clear(o.m); clear(o.v); o.t = 0 }
func (o *adam[T]) Settings() OptimizerSettings { return o.s }
func (o *adam[T]) State() OptimizerState       { return stateOf(Adam, o.t, o.m, o.v) }
func (o *adam[T]) SetState(st OptimizerState) error {
	if err := restore(st, Adam, o.m, o.v); err != nil {
		return err
	}
	o.t = st.Steps
	return nil
}

// Norm returns the Euclidean norm of v, accumulated in float64.
func Norm[T kernels.Float](v []T) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// ClipNorm rescales v in place to norm maxNorm when its Euclidean norm
// exceeds maxNorm > 0, and returns the norm before clipping and whether it
// clipped. maxNorm <= 0 turns clipping off: v is unchanged and it returns
// (0, false) without computing the norm.
func ClipNorm[T kernels.Float](v []T, maxNorm float64) (norm float64, clipped bool) {
	if maxNorm <= 0 {
		return 0, false
	}
	norm = Norm(v)
	if norm > maxNorm {
		kernels.Scal(v, T(maxNorm/norm))
		return norm, true
	}
	return norm, false
}
