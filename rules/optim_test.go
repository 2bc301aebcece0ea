package rules

import (
	"math"
	"testing"
)

// refOptimizer is a plain float64 transcription of the three update rules.
func refOptimizer(kind OptimizerKind, p0 []float64, dirs [][]float64, lr float64) []float64 {
	p := append([]float64(nil), p0...)
	v := make([]float64, len(p))
	m := make([]float64, len(p))
	for t, d := range dirs {
		for i := range p {
			switch kind {
			case SGD:
				p[i] -= lr * d[i]
			case Momentum:
				v[i] = 0.9*v[i] + d[i]
				p[i] -= lr * v[i]
			case Adam:
				m[i] = 0.9*m[i] + 0.1*d[i]
				v[i] = 0.999*v[i] + 0.001*d[i]*d[i]
				mh := m[i] / (1 - math.Pow(0.9, float64(t+1)))
				vh := v[i] / (1 - math.Pow(0.999, float64(t+1)))
				p[i] -= lr * mh / (math.Sqrt(vh) + 1e-8)
			}
		}
	}
	return p
}

func TestOptimizers(t *testing.T) {
	p0 := []float64{1, -2, 0.5, 3}
	dirs := [][]float64{{0.1, -0.2, 0.3, 0}, {1, 2, -3, 4}, {-0.5, 0.5, 0.25, 1e-3}}
	for _, kind := range []OptimizerKind{SGD, Momentum, Adam} {
		t.Run(kind.String(), func(t *testing.T) {
			o, err := NewOptimizer[float64](OptimizerSettings{Kind: kind}, len(p0))
			if err != nil {
				t.Fatal(err)
			}
			p := append([]float64(nil), p0...)
			for _, d := range dirs {
				o.Step(p, append([]float64(nil), d...), 0.01)
			}
			want := refOptimizer(kind, p0, dirs, 0.01)
			for i := range p {
				if math.Abs(p[i]-want[i]) > 1e-14 {
					t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
				}
			}
			o.Reset()
			p = append([]float64(nil), p0...)
			o.Step(p, append([]float64(nil), dirs[0]...), 0.01)
			want = refOptimizer(kind, p0, dirs[:1], 0.01)
			for i := range p {
				if math.Abs(p[i]-want[i]) > 1e-14 {
					t.Errorf("after Reset p[%d] = %v, want %v", i, p[i], want[i])
				}
			}
		})
	}
}

func TestOptimizerSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		s  OptimizerSettings
		ok bool
	}{
		{OptimizerSettings{}, true},
		{OptimizerSettings{Kind: Adam, Beta1: 0.5, Beta2: 0.99, Eps: 1e-6}, true},
		{OptimizerSettings{Kind: 7}, false},
		{OptimizerSettings{Kind: Momentum, Momentum: 1}, false},
		{OptimizerSettings{Kind: Adam, Beta2: -0.1}, false},
		{OptimizerSettings{Kind: Adam, Eps: -1}, false},
		{OptimizerSettings{ClipNorm: -1}, false},
		{OptimizerSettings{ClipNorm: math.NaN()}, false},
	} {
		if err := tc.s.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok=%v", tc.s, err, tc.ok)
		}
	}
	if _, err := ParseOptimizerKind("rmsprop"); err == nil {
		t.Error("ParseOptimizerKind accepted rmsprop")
	}
	if k, err := ParseOptimizerKind("adam"); err != nil || k != Adam {
		t.Errorf("ParseOptimizerKind(adam) = %v, %v", k, err)
	}
}

func TestClipNorm(t *testing.T) {
	v := []float32{3, 4}
	if n, c := ClipNorm(v, 0); n != 0 || c || v[0] != 3 {
		t.Errorf("clip off changed v or reported %v %v", n, c)
	}
	if n, c := ClipNorm(v, 10); n != 5 || c || v[1] != 4 {
		t.Errorf("below threshold: %v %v %v", n, c, v)
	}
	if n, c := ClipNorm(v, 1); n != 5 || !c || math.Abs(Norm(v)-1) > 1e-6 {
		t.Errorf("clip to 1: %v %v %v", n, c, v)
	}
	o, _ := NewOptimizer[float64](OptimizerSettings{ClipNorm: 1}, 2)
	p := []float64{0, 0}
	o.Step(p, []float64{30, 40}, 1)
	if math.Abs(p[0]+0.6) > 1e-15 || math.Abs(p[1]+0.8) > 1e-15 {
		t.Errorf("clipped SGD step = %v, want [-0.6 -0.8]", p)
	}
}

func TestSchedule(t *testing.T) {
	s := Fig5Schedule(0.01, 3000)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		k    int
		want float64
	}{{0, 0.03}, {99, 0.03}, {100, 0.024}, {250, 0.03 * 0.64}, {2999, 0.03 * math.Pow(0.8, 29)}} {
		if got := s.Rate(tc.k); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("Rate(%d) = %v, want %v", tc.k, got, tc.want)
		}
	}
	c := Schedule{LR: 0.1}
	if c.Rate(12345) != 0.1 || c.Validate() != nil {
		t.Error("constant schedule")
	}
	for _, bad := range []Schedule{{}, {LR: -1}, {Kind: StepDecay, LR: 1, Factor: 2, Every: 1}, {Kind: StepDecay, LR: 1}, {Kind: StepDecay, LR: 1, Every: -2}, {Kind: 5, LR: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	if k, err := ParseScheduleKind("step"); err != nil || k != StepDecay {
		t.Error("ParseScheduleKind(step)")
	}
	if _, err := ParseScheduleKind("cosine"); err == nil {
		t.Error("ParseScheduleKind accepted cosine")
	}
}

// TestOptimizerState stops an optimiser after two steps, restores its
// state into a fresh one and checks that the third step is bitwise the
// one of the uninterrupted optimiser (float32 included: the state is held
// in float64, which is exact), and that a state of another kind or size
// is refused without changing the optimiser.
func TestOptimizerState(t *testing.T) {
	p0 := []float32{1, -2, 0.5, 3}
	dirs := [][]float32{{0.1, -0.2, 0.3, 0}, {1, 2, -3, 4}, {-0.5, 0.5, 0.25, 1e-3}}
	for _, kind := range []OptimizerKind{SGD, Momentum, Adam} {
		t.Run(kind.String(), func(t *testing.T) {
			s := OptimizerSettings{Kind: kind}
			a, _ := NewOptimizer[float32](s, len(p0))
			pa := append([]float32(nil), p0...)
			for _, d := range dirs {
				a.Step(pa, append([]float32(nil), d...), 0.01)
			}
			b, _ := NewOptimizer[float32](s, len(p0))
			pb := append([]float32(nil), p0...)
			for _, d := range dirs[:2] {
				b.Step(pb, append([]float32(nil), d...), 0.01)
			}
			c, _ := NewOptimizer[float32](s, len(p0))
			if err := c.SetState(b.State()); err != nil {
				t.Fatal(err)
			}
			c.Step(pb, append([]float32(nil), dirs[2]...), 0.01)
			for i := range pa {
				if pa[i] != pb[i] {
					t.Errorf("p[%d]: continued %v, uninterrupted %v", i, pb[i], pa[i])
				}
			}
			other := Adam
			if kind == Adam {
				other = Momentum
			}
			o, _ := NewOptimizer[float32](OptimizerSettings{Kind: other}, len(p0))
			small, _ := NewOptimizer[float32](s, len(p0)-1)
			for name, st := range map[string]OptimizerState{"other kind": o.State(), "other size": small.State()} {
				if kind == SGD && name == "other size" {
					continue // SGD has no state to size
				}
				before := c.State()
				if err := c.SetState(st); err == nil {
					t.Errorf("%s: SetState accepted %+v", name, st)
				}
				after := c.State()
				for i := range before.Moments {
					for j := range before.Moments[i] {
						if before.Moments[i][j] != after.Moments[i][j] {
							t.Fatalf("%s: a refused state changed the optimizer", name)
						}
					}
				}
			}
		})
	}
}
