package task

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
	"gonum.org/v1/gonum/stat"
)

func TestPatternDefaults(t *testing.T) {
	p, err := NewPattern[float64](PatternConfig{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	sh := p.Shape()
	if sh.In != 100 || sh.Out != 1 || sh.N != 100 || sh.Steps != 50 || sh.Beta != nil {
		t.Fatalf("shape %+v", sh)
	}
	if l := p.Loss(); l.Kind != rnn.MSE || l.Timing != rnn.EveryStep || p.Metric() != MeanSquaredError {
		t.Fatalf("loss %+v metric %v", l, p.Metric())
	}
	// Target: proportional to the sum of sines, scaled to max |y*| = 1.
	y := p.Target()
	mx := 0.0
	for i, v := range y {
		tt := float64(i + 1)
		raw := math.Sin(2*math.Pi*tt/10) + math.Sin(2*math.Pi*tt/40) + math.Sin(2*math.Pi*tt/70) + math.Sin(2*math.Pi*tt/100)
		if i > 0 && math.Abs(raw) > 1e-9 && math.Abs(v/raw-y[0]/(math.Sin(2*math.Pi/10)+math.Sin(2*math.Pi/40)+math.Sin(2*math.Pi/70)+math.Sin(2*math.Pi/100))) > 1e-12 {
			t.Fatalf("step %d: target %v not proportional to %v", i+1, v, raw)
		}
		mx = max(mx, math.Abs(v))
	}
	if math.Abs(mx-1) > 1e-15 {
		t.Errorf("max |y*| = %v, want 1", mx)
	}
	b, err := p.TrainBatch(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Size != 1 || b.Steps != 50 || b.In != 100 || b.Out != 1 {
		t.Fatalf("batch %d×%d×%d→%d", b.Steps, b.Size, b.In, b.Out)
	}
	for i := range y {
		if b.Y[i] != y[i] {
			t.Fatalf("Y[%d] = %v, want %v", i, b.Y[i], y[i])
		}
	}
	// Frozen input: mean ≈ 0, std ≈ 1 over 5000 samples (SE 0.014).
	m, s := stat.MeanStdDev(b.X, nil)
	if math.Abs(m) > 0.06 || math.Abs(s-1) > 0.05 {
		t.Errorf("input mean %v std %v, want 0 and 1", m, s)
	}
	if sg := p.Sigma(); sg < 0.1 || sg > 0.5 {
		t.Errorf("sigma %v outside [0.1, 0.5]", sg)
	}
}

func TestPatternDeterminism(t *testing.T) {
	a, _ := NewPattern[float32](PatternConfig{}, 1)
	a2, _ := NewPattern[float32](PatternConfig{}, 1)
	b, _ := NewPattern[float32](PatternConfig{}, 2)
	c, _ := NewPattern[float32](PatternConfig{InputSeed: 5}, 1)
	xa, _ := a.TrainBatch(0)
	xb, _ := b.TrainBatch(3)
	xc, _ := c.TrainBatch(0)
	same, diff := true, false
	for i := range xa.X {
		same = same && xa.X[i] == xb.X[i]
		diff = diff || xa.X[i] != xc.X[i]
	}
	if !same {
		t.Error("the frozen input depends on the run seed")
	}
	if !diff {
		t.Error("InputSeed does not change the input")
	}
	if a.Sigma() != a2.Sigma() || a.Sigma() == b.Sigma() {
		t.Errorf("sigma: seed 1 %v, %v; seed 2 %v", a.Sigma(), a2.Sigma(), b.Sigma())
	}
	ta, ta2 := a.Tests()[0].Batch(0), a2.Tests()[0].Batch(0)
	for i := range ta.X {
		if ta.X[i] != ta2.X[i] {
			t.Fatal("test noise not deterministic")
		}
	}
}

// TestPatternNoise checks the test set: NoiseDraws copies whose deviation
// from the clean input is N(0, σ²), independent across draws.
func TestPatternNoise(t *testing.T) {
	p, err := NewPattern[float64](PatternConfig{NoiseMin: 0.3, NoiseMax: 0.3, NoiseDraws: 20}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if p.Sigma() != 0.3 {
		t.Fatalf("sigma %v", p.Sigma())
	}
	clean, _ := p.TrainBatch(0)
	s := p.Tests()[0]
	if s.NumBatches() != 1 || s.Len() != 20 {
		t.Fatalf("test set %d batches, %d sequences", s.NumBatches(), s.Len())
	}
	b := s.Batch(0)
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	var d []float64
	for tt := 0; tt < b.Steps; tt++ {
		for j := 0; j < b.Size; j++ {
			for k := 0; k < b.In; k++ {
				d = append(d, b.X[(tt*b.Size+j)*b.In+k]-clean.X[tt*b.In+k])
			}
			if b.Y[tt*b.Size+j] != clean.Y[tt] {
				t.Fatal("noisy copies have a different target")
			}
		}
	}
	m, sd := stat.MeanStdDev(d, nil) // 100 000 samples
	if math.Abs(m) > 0.005 || math.Abs(sd-0.3) > 0.005 {
		t.Errorf("noise mean %v std %v, want 0 and 0.3", m, sd)
	}
	// Draws 0 and 1 are uncorrelated.
	var d0, d1 []float64
	for i := 0; i < len(d); i += 20 * 100 {
		for k := 0; k < 100; k++ {
			d0 = append(d0, d[i+k])
			d1 = append(d1, d[i+100+k])
		}
	}
	if r := stat.Correlation(d0, d1, nil); math.Abs(r) > 0.1 {
		t.Errorf("draws 0 and 1 correlate: r = %v", r)
	}

	// A readout that ignores the input reproduces the target exactly on
	// both sets (gap 0); one that reads the input is hurt by the noise.
	ignore := predictFunc[float64](func(b *rnn.Batch[float64], y []float64) error {
		copy(y, b.Y)
		return nil
	})
	rep, err := Generalization[float64](ignore, p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Train.Metric != 0 || rep.Test.Metric != 0 || rep.Gap != 0 {
		t.Errorf("input-free readout: %+v", rep)
	}
	reads := predictFunc[float64](func(b *rnn.Batch[float64], y []float64) error {
		for i := range y {
			y[i] = b.Y[i] + b.X[i*b.In] - clean.X[(i/b.Size)*b.In]
		}
		return nil
	})
	rep, err = Generalization[float64](reads, p)
	if err != nil {
		t.Fatal(err)
	}
	// Test error is the noise on input 0: MSE ≈ σ² = 0.09 over 1000 terms.
	if rep.Train.Metric > 1e-25 || math.Abs(rep.Test.Metric-0.09) > 0.015 || rep.Gap != rep.Test.Metric-rep.Train.Metric {
		t.Errorf("input-reading readout: %+v", rep)
	}
	if math.Abs(rep.Test.Loss-rep.Test.Metric/2) > 1e-15 {
		t.Errorf("loss %v, want mse/2 = %v for one output", rep.Test.Loss, rep.Test.Metric/2)
	}
}

func TestPatternConfig(t *testing.T) {
	p, err := NewPattern[float64](PatternConfig{In: 3, Steps: 7, Periods: []float64{4}, N: 9, NoiseDraws: 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sh := p.Shape(); sh.In != 3 || sh.Steps != 7 || sh.N != 9 {
		t.Errorf("shape %+v", sh)
	}
	// sin(2πt/4) for t = 1..7 is 1, 0, −1, 0, 1, 0, −1.
	want := []float64{1, 0, -1, 0, 1, 0, -1}
	for i, v := range p.Target() {
		if math.Abs(v-want[i]) > 1e-12 {
			t.Errorf("target[%d] = %v, want %v", i, v, want[i])
		}
	}
	for _, tc := range []struct {
		cfg   PatternConfig
		field string
	}{
		{PatternConfig{N: -1}, "N"},
		{PatternConfig{In: -1}, "In"},
		{PatternConfig{Steps: -1}, "Steps"},
		{PatternConfig{InputStd: math.NaN()}, "InputStd"},
		{PatternConfig{NoiseMin: -0.1}, "NoiseMin"},
		{PatternConfig{NoiseMax: math.Inf(1)}, "NoiseMax"},
		{PatternConfig{NoiseMin: 0.6}, "NoiseMin"},
		{PatternConfig{NoiseDraws: -5}, "NoiseDraws"},
		{PatternConfig{Periods: []float64{10, 0}}, "Periods[1]"},
	} {
		_, err := NewPattern[float64](tc.cfg, 0)
		fieldErr(t, err, tc.field)
	}
	if _, err := NewPattern[float64](PatternConfig{Periods: []float64{1}}, 0); err == nil {
		t.Error("no error for an all-zero target (period 1)")
	}
}

func TestPatternAmplitudesPhases(t *testing.T) {
	// Amplitude 2 on period 4 with phase π/2, amplitude 0 on period 10:
	// y ∝ 2cos(2πt/4) = 0, −2, 0, 2, ... scaled to max 1.
	p, err := NewPattern[float64](PatternConfig{Steps: 4, Periods: []float64{4, 10}, Amplitudes: []float64{2, 0}, Phases: []float64{math.Pi / 2, 1}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, -1, 0, 1}
	for i, v := range p.Target() {
		if math.Abs(v-want[i]) > 1e-12 {
			t.Errorf("target[%d] = %v, want %v", i, v, want[i])
		}
	}
	for _, tc := range []struct {
		cfg   PatternConfig
		field string
	}{
		{PatternConfig{Amplitudes: []float64{1}}, "Amplitudes"},
		{PatternConfig{Periods: []float64{3}, Phases: []float64{1, 2}}, "Phases"},
		{PatternConfig{Periods: []float64{3}, Phases: []float64{math.NaN()}}, "Phases[0]"},
	} {
		_, err := NewPattern[float64](tc.cfg, 0)
		if err == nil || !strings.Contains(err.Error(), "PatternConfig."+tc.field) {
			t.Errorf("err = %v, want mention of %s", err, tc.field)
		}
	}
}

// TestPatternTestBatchCached checks that the noisy test batch, drawn once
// per task, is bitwise the batch drawn afresh, at every call, and that a
// caller modifying one copy does not change the next.
func TestPatternTestBatchCached(t *testing.T) {
	p, err := NewPattern[float32](PatternConfig{N: 10, In: 6, Steps: 9, NoiseDraws: 7}, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := p.batch(7)
	set := p.Tests()[0]
	for call := 0; call < 3; call++ {
		got := set.Batch(0)
		if !slices.Equal(got.X, want.X) || !slices.Equal(got.Y, want.Y) || got.Size != want.Size || got.Steps != want.Steps {
			t.Fatalf("call %d: the test batch differs from a fresh draw", call)
		}
		got.X[0], got.Y[0] = 99, 99 // the caller may modify its batch
	}
}

// TestPatternCleanBatchCached checks that the clean training sequence,
// built once per task, is bitwise the sequence built afresh at every call
// of TrainBatch, HessianBatch and the train-evaluation set, and that a
// caller modifying its batch does not change the next one.
func TestPatternCleanBatchCached(t *testing.T) {
	p, err := NewPattern[float64](PatternConfig{N: 10, In: 6, Steps: 9, NoiseDraws: 7}, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := p.batch(0)
	for _, get := range []struct {
		name string
		f    func() (*rnn.Batch[float64], error)
	}{
		{"TrainBatch", func() (*rnn.Batch[float64], error) { return p.TrainBatch(3) }},
		{"HessianBatch", func() (*rnn.Batch[float64], error) { return p.HessianBatch(1) }},
		{"TrainEval", func() (*rnn.Batch[float64], error) { return p.TrainEval().Batch(0), nil }},
	} {
		for call := 0; call < 2; call++ {
			got, err := get.f()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.X, want.X) || !slices.Equal(got.Y, want.Y) || got.Size != want.Size || got.Steps != want.Steps || got.In != want.In || got.Out != want.Out {
				t.Fatalf("%s call %d: the batch differs from a fresh build", get.name, call)
			}
			got.X[0], got.Y[0] = 99, 99 // the caller may modify its batch
		}
	}
}
