package task

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// PatternConfig configures pattern generation (METHOD.md §5.2). The zero value
// means the defaults given on each field (METHOD.md §5.2).
type PatternConfig struct {
	// N is the suggested number of plain units. Default 100.
	N int
	// In is the input width N_in. Default 100.
	In int
	// Steps is the sequence length T. Default 50.
	Steps int
	// Periods are the periods, in steps, of the target's sinusoids.
	// Default {10, 40, 70, 100}.
	Periods []float64
	// Amplitudes and Phases (radians) of the sinusoids, one per period;
	// nil means unit amplitudes and zero phases (METHOD.md §5.2). The sum is
	// rescaled to max|y*| = 1 either way.
	Amplitudes, Phases []float64
	// InputStd is the standard deviation of the frozen Gaussian input.
	// Default 1.
	InputStd float64
	// InputSeed fixes the frozen input, the same for every run. Default
	// 20220602.
	InputSeed uint64
	// NoiseMin and NoiseMax bound the test noise level: each run (each
	// seed) draws σ ~ U[NoiseMin, NoiseMax]. Defaults 0.1 and 0.5.
	NoiseMin, NoiseMax float64
	// NoiseDraws is the number of noisy copies of the input that the test
	// MSE is averaged over. Default 100.
	NoiseDraws int
}

// Validate checks every field, naming the first one out of range.
func (c PatternConfig) Validate() error {
	const cfg = "PatternConfig"
	switch {
	case c.N < 0:
		return fieldError(cfg, "N", c.N, "[1, ∞) (0 means 100)")
	case c.In < 0:
		return fieldError(cfg, "In", c.In, "[1, ∞) (0 means 100)")
	case c.Steps < 0:
		return fieldError(cfg, "Steps", c.Steps, "[1, ∞) (0 means 50)")
	case !(c.InputStd >= 0 && c.InputStd < math.Inf(1)):
		return fieldError(cfg, "InputStd", c.InputStd, "(0, ∞) (0 means 1)")
	case !(c.NoiseMin >= 0 && c.NoiseMin < math.Inf(1)):
		return fieldError(cfg, "NoiseMin", c.NoiseMin, "(0, ∞) (0 means 0.1)")
	case !(c.NoiseMax >= 0 && c.NoiseMax < math.Inf(1)):
		return fieldError(cfg, "NoiseMax", c.NoiseMax, "(0, ∞) (0 means 0.5)")
	case c.NoiseDraws < 0:
		return fieldError(cfg, "NoiseDraws", c.NoiseDraws, "[1, ∞) (0 means 100)")
	}
	for i, p := range c.Periods {
		if !(p > 0 && p < math.Inf(1)) {
			return fieldError(cfg, fmt.Sprintf("Periods[%d]", i), p, "(0, ∞)")
		}
	}
	d := c.WithDefaults()
	for _, x := range []struct {
		name string
		v    []float64
	}{{"Amplitudes", c.Amplitudes}, {"Phases", c.Phases}} {
		if x.v != nil && len(x.v) != len(d.Periods) {
			return fmt.Errorf("task: PatternConfig.%s has %d entries, want one per period (%d)", x.name, len(x.v), len(d.Periods))
		}
		for i, v := range x.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fieldError(cfg, fmt.Sprintf("%s[%d]", x.name, i), v, "finite values")
			}
		}
	}
	if d.NoiseMin > d.NoiseMax {
		return fmt.Errorf("task: PatternConfig.NoiseMin = %v exceeds NoiseMax = %v", d.NoiseMin, d.NoiseMax)
	}
	if target(d) == nil {
		return fmt.Errorf("task: PatternConfig.Periods %v give an identically zero target over %d steps", d.Periods, d.Steps)
	}
	return nil
}

// WithDefaults returns c with every zero field set to its default.
func (c PatternConfig) WithDefaults() PatternConfig {
	orDefault(&c.N, 100)
	orDefault(&c.In, 100)
	orDefault(&c.Steps, 50)
	if len(c.Periods) == 0 {
		c.Periods = []float64{10, 40, 70, 100}
	} else {
		c.Periods = append([]float64(nil), c.Periods...)
	}
	if c.Amplitudes == nil {
		c.Amplitudes = make([]float64, len(c.Periods))
		for i := range c.Amplitudes {
			c.Amplitudes[i] = 1
		}
	} else {
		c.Amplitudes = append([]float64(nil), c.Amplitudes...)
	}
	if c.Phases == nil {
		c.Phases = make([]float64, len(c.Periods))
	} else {
		c.Phases = append([]float64(nil), c.Phases...)
	}
	orDefault(&c.InputStd, 1)
	orDefault(&c.InputSeed, 20220602)
	orDefault(&c.NoiseMin, 0.1)
	orDefault(&c.NoiseMax, 0.5)
	orDefault(&c.NoiseDraws, 100)
	return c
}

// target returns y*(t) = c·Σ_i A_i sin(2πt/P_i + φ_i) for t = 1..Steps of
// a config with defaults filled in, scaled so that max|y*| = 1, or nil
// when the sum is zero at every step.
func target(c PatternConfig) []float64 {
	y := make([]float64, c.Steps)
	mx := 0.0
	for i := range y {
		t := float64(i + 1)
		for k, p := range c.Periods {
			y[i] += c.Amplitudes[k] * math.Sin(2*math.Pi*t/p+c.Phases[k])
		}
		mx = max(mx, math.Abs(y[i]))
	}
	if mx < 1e-12 {
		return nil
	}
	for i := range y {
		y[i] /= mx
	}
	return y
}

// Pattern is pattern generation: a frozen Gaussian input sequence must be
// mapped to a fixed sum of sinusoids, with MSE at every step and full-batch
// training. The test adds N(0, σ²) noise to the input, σ drawn once per run
// from [NoiseMin, NoiseMax]; the gap is test MSE − train MSE.
type Pattern[T kernels.Float] struct {
	cfg   PatternConfig
	seed  uint64
	x     []float64 // Steps×In frozen input
	y     []float64 // Steps target
	sigma float64

	// test is the noisy test batch, drawn on first use: its noise is fixed
	// by the run seed, so it is the same at every evaluation.
	testOnce sync.Once
	test     *rnn.Batch[T]
	// clean is the clean training sequence, built on first use; every
	// caller gets a copy (cleanBatch).
	cleanOnce sync.Once
	clean     *rnn.Batch[T]
}

// NewPattern builds pattern generation. The input is fixed by
// cfg.InputSeed; seed (the run seed) draws σ and the test noise.
func NewPattern[T kernels.Float](cfg PatternConfig, seed uint64) (*Pattern[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	p := &Pattern[T]{cfg: cfg, seed: seed, y: target(cfg)}
	r := rand.New(rand.NewPCG(cfg.InputSeed, 0))
	p.x = make([]float64, cfg.Steps*cfg.In)
	for i := range p.x {
		p.x[i] = cfg.InputStd * r.NormFloat64()
	}
	rs := rand.New(rand.NewPCG(seed, 0))
	p.sigma = cfg.NoiseMin + (cfg.NoiseMax-cfg.NoiseMin)*rs.Float64()
	return p, nil
}

// Config returns the configuration with defaults filled in.
func (p *Pattern[T]) Config() PatternConfig { return p.cfg }

// Sigma is this run's test noise standard deviation.
func (p *Pattern[T]) Sigma() float64 { return p.sigma }

// Target returns a copy of the target y*(t), t = 1..T.
func (p *Pattern[T]) Target() []float64 { return append([]float64(nil), p.y...) }

// Name returns "pattern".
func (p *Pattern[T]) Name() string { return "pattern" }

// Shape returns N_in = In, N_out = 1, T = Steps and N plain units.
func (p *Pattern[T]) Shape() Shape {
	return Shape{In: p.cfg.In, Out: 1, N: p.cfg.N, Steps: p.cfg.Steps}
}

// Loss is MSE at every step.
func (p *Pattern[T]) Loss() rnn.Loss { return rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep} }

// Metric is MeanSquaredError.
func (p *Pattern[T]) Metric() Metric { return MeanSquaredError }

// TrainBatchesPerEpoch is 1 (full batch).
func (p *Pattern[T]) TrainBatchesPerEpoch() int { return 1 }

// TrainBatch returns the full batch: the single frozen sequence.
func (p *Pattern[T]) TrainBatch(it int) (*rnn.Batch[T], error) {
	if it < 0 {
		return nil, fmt.Errorf("task: training iteration %d, allowed range [0, ∞)", it)
	}
	return p.cleanBatch(), nil
}

// HessianBatch returns the full training batch.
func (p *Pattern[T]) HessianBatch(k int) (*rnn.Batch[T], error) {
	if k < 0 {
		return nil, fmt.Errorf("task: Hessian checkpoint %d, allowed range [0, ∞)", k)
	}
	return p.cleanBatch(), nil
}

// TrainEval is the training sequence.
func (p *Pattern[T]) TrainEval() Set[T] {
	return newListSet("train", []int{1}, func(int) *rnn.Batch[T] { return p.cleanBatch() })
}

// Tests returns "test-noisy": one batch of NoiseDraws copies of the input,
// each with independent N(0, σ²) noise from the run seed, so the set's MSE
// is the average over noise draws. The noise is drawn once per task; each
// Batch call returns a copy.
func (p *Pattern[T]) Tests() []Set[T] {
	return []Set[T]{newListSet("test-noisy", []int{p.cfg.NoiseDraws}, func(int) *rnn.Batch[T] {
		p.testOnce.Do(func() { p.test = p.batch(p.cfg.NoiseDraws) })
		b := *p.test
		b.X, b.Y = slices.Clone(b.X), slices.Clone(b.Y) // a new batch the caller may modify
		return &b
	})}
}

// cleanBatch returns a copy of the clean sequence, batch(0), which is built
// once per task: a new batch the caller may modify, without converting the
// input again or clearing storage that is overwritten at once.
func (p *Pattern[T]) cleanBatch() *rnn.Batch[T] {
	p.cleanOnce.Do(func() { p.clean = p.batch(0) })
	b := *p.clean
	b.X, b.Y = slices.Clone(b.X), slices.Clone(b.Y)
	return &b
}

// batch builds the clean sequence (draws == 0) or draws noisy copies.
func (p *Pattern[T]) batch(draws int) *rnn.Batch[T] {
	bs := max(draws, 1)
	steps, in := p.cfg.Steps, p.cfg.In
	b := &rnn.Batch[T]{Size: bs, Steps: steps, In: in, Out: 1,
		X: make([]T, steps*bs*in), Y: make([]T, steps*bs)}
	for j := 0; j < bs; j++ {
		var r *rand.Rand
		if draws > 0 {
			r = rand.New(rand.NewPCG(p.seed, 1+uint64(j)))
		}
		for t := 0; t < steps; t++ {
			row := b.X[(t*bs+j)*in : (t*bs+j+1)*in]
			for k := range row {
				v := p.x[t*in+k]
				if r != nil {
					v += p.sigma * r.NormFloat64()
				}
				row[k] = T(v)
			}
			b.Y[t*bs+j] = T(p.y[t])
		}
	}
	return b
}
