package task

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
)

// TestDMSTable checks every input, label and length of the default DMS
// train and test trials against a table written out by hand.
func TestDMSTable(t *testing.T) {
	d, err := NewDMS[float64](DMSConfig{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sh := d.Shape()
	if sh.In != 2 || sh.Out != 2 || sh.N != 100 || sh.Steps != 20 || len(sh.Beta) != 100 || len(sh.TauA) != 100 {
		t.Fatalf("shape %+v", sh)
	}
	for i := 0; i < 100; i++ {
		wb, wt := 0.0, 0.0
		if i < 50 {
			wb, wt = 1.8, 30
		}
		if sh.Beta[i] != wb || sh.TauA[i] != wt {
			t.Fatalf("unit %d: beta %v tau_a %v, want %v %v", i, sh.Beta[i], sh.TauA[i], wb, wt)
		}
	}
	if l := d.Loss(); l.Kind != rnn.CrossEntropy || l.Timing != rnn.LastStep || d.Metric() != Accuracy {
		t.Fatalf("loss %+v metric %v", l, d.Metric())
	}
	// The training table, one line per trial: channel "one" and channel
	// "zero" over the 20 steps, and the label (1 = match).
	table := []struct {
		one, zero string
		label     int32
	}{
		{"00000000000000000000", "11000000000000000011", 1}, // cues 0,0
		{"00000000000000000011", "11000000000000000000", 0}, // cues 0,1
		{"11000000000000000000", "00000000000000000011", 0}, // cues 1,0
		{"11000000000000000011", "00000000000000000000", 1}, // cues 1,1
	}
	b, err := d.TrainBatch(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Size != 4 || b.Steps != 20 || b.In != 2 || b.Out != 2 {
		t.Fatalf("train batch %d×%d×%d→%d", b.Steps, b.Size, b.In, b.Out)
	}
	for j, row := range table {
		var one, zero strings.Builder
		for s := 0; s < 20; s++ {
			fmt.Fprintf(&one, "%v", b.X[(s*4+j)*2+DMSChannelOne])
			fmt.Fprintf(&zero, "%v", b.X[(s*4+j)*2+DMSChannelZero])
			if b.Labels[s*4+j] != row.label {
				t.Errorf("trial %d step %d label %d, want %d", j, s, b.Labels[s*4+j], row.label)
			}
		}
		if one.String() != row.one || zero.String() != row.zero {
			t.Errorf("trial %d:\n one  %s want %s\n zero %s want %s", j, one.String(), row.one, zero.String(), row.zero)
		}
	}

	// Test set: delays 16..32, 4 pairs each, length delay+4, same cue
	// pattern with cue 2 in the last two steps.
	tests := d.Tests()
	if len(tests) != 1 || tests[0].NumBatches() != 17 || tests[0].Len() != 68 {
		t.Fatalf("test sets: %d, batches %d, trials %d", len(tests), tests[0].NumBatches(), tests[0].Len())
	}
	for i := 0; i < 17; i++ {
		delay := 16 + i
		tb := tests[0].Batch(i)
		if err := tb.Validate(); err != nil {
			t.Fatal(err)
		}
		if tb.Steps != delay+4 || tb.Size != 4 {
			t.Fatalf("delay %d: batch %d steps × %d", delay, tb.Steps, tb.Size)
		}
		for j, pr := range DMSPairs() {
			for s := 0; s < tb.Steps; s++ {
				var wantOne, wantZero float64
				cue := -1
				if s < 2 {
					cue = pr[0]
				} else if s >= tb.Steps-2 {
					cue = pr[1]
				}
				if cue == 1 {
					wantOne = 1
				} else if cue == 0 {
					wantZero = 1
				}
				if tb.X[(s*4+j)*2] != wantOne || tb.X[(s*4+j)*2+1] != wantZero {
					t.Fatalf("delay %d trial %d step %d: x = %v %v", delay, j, s, tb.X[(s*4+j)*2], tb.X[(s*4+j)*2+1])
				}
			}
			if got := tb.Labels[(tb.Steps-1)*4+j]; got != table[j].label {
				t.Fatalf("delay %d trial %d label %d", delay, j, got)
			}
		}
	}
}

// oracleDMS answers from the cues it sees; delayLimited answers "match"
// for trials longer than a limit, so its accuracy drops on long delays.
func oracleDMS(limit int) predictFunc[float32] {
	return func(b *rnn.Batch[float32], y []float32) error {
		for j := 0; j < b.Size; j++ {
			c1 := b.X[(0*b.Size+j)*2] // channel one at step 0
			c2 := b.X[((b.Steps-1)*b.Size+j)*2]
			match := c1 == c2
			if b.Steps > limit {
				match = true
			}
			o := (b.Steps-1)*b.Size + j
			if match {
				y[o*2+1] = 5
			} else {
				y[o*2] = 5
			}
		}
		return nil
	}
}

func TestDMSGeneralization(t *testing.T) {
	d, err := NewDMS[float32](DMSConfig{}, 7)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Generalization[float32](oracleDMS(1000), d)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Train.Metric != 1 || rep.Test.Metric != 1 || rep.Gap != 0 || rep.Test.Sequences != 68 {
		t.Errorf("oracle: %+v", rep)
	}
	// Correct up to delay 24 (9 delays), then always "match": half right.
	rep, err = Generalization[float32](oracleDMS(24+4), d)
	if err != nil {
		t.Fatal(err)
	}
	want := (9*4 + 8*2) / 68.0
	if rep.Train.Metric != 1 || rep.Test.Metric != want || rep.Gap != 1-want {
		t.Errorf("limited: %+v, want test %v", rep, want)
	}
}

func TestDMSConfig(t *testing.T) {
	d, err := NewDMS[float64](DMSConfig{Delay: 4, CueSteps: 1, NALIF: 3, NPlain: 2, TestDelayMax: 6}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sh := d.Shape()
	if sh.N != 5 || sh.Steps != 6 || sh.Beta[2] != 1.8 || sh.Beta[3] != 0 {
		t.Errorf("shape %+v", sh)
	}
	if s := d.Tests()[0]; s.NumBatches() != 3 || s.Batch(2).Steps != 8 {
		t.Errorf("tests: %d batches", s.NumBatches())
	}
	for _, tc := range []struct {
		cfg   DMSConfig
		field string
	}{
		{DMSConfig{NALIF: -1}, "NALIF"},
		{DMSConfig{NPlain: -1}, "NPlain"},
		{DMSConfig{Beta: -0.5}, "Beta"},
		{DMSConfig{TauA: -1}, "TauA"},
		{DMSConfig{CueSteps: -2}, "CueSteps"},
		{DMSConfig{Delay: -16}, "Delay"},
		{DMSConfig{TestDelayMin: -1}, "TestDelayMin"},
		{DMSConfig{TestDelayMax: -1}, "TestDelayMax"},
		{DMSConfig{TestDelayMin: 40}, "TestDelayMin"},
	} {
		_, err := NewDMS[float64](tc.cfg, 0)
		fieldErr(t, err, tc.field)
	}
}

func TestDMSDeterministic(t *testing.T) {
	a, _ := NewDMS[float64](DMSConfig{}, 1)
	b, _ := NewDMS[float64](DMSConfig{}, 2)
	x, _ := a.TrainBatch(0)
	y, _ := b.TrainBatch(99)
	for i := range x.X {
		if x.X[i] != y.X[i] {
			t.Fatal("train batches differ")
		}
	}
	h, _ := a.HessianBatch(3)
	if h.Size != 4 || h.Steps != 20 {
		t.Fatalf("Hessian batch %d×%d", h.Steps, h.Size)
	}
	if _, err := a.TrainBatch(-1); err == nil {
		t.Error("no error for iteration -1")
	}
}

func TestDMSResponsePeriod(t *testing.T) {
	d, err := NewDMS[float64](DMSConfig{ResponseSteps: 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Shape().Steps != 23 {
		t.Fatalf("steps %d, want 23", d.Shape().Steps)
	}
	b, _ := d.TrainBatch(0)
	// Trial (1,1): channel one on at steps 0,1 and 18,19, off during the
	// response steps 20..22.
	var one strings.Builder
	for s := 0; s < b.Steps; s++ {
		fmt.Fprintf(&one, "%v", b.X[(s*4+3)*2+DMSChannelOne]+b.X[(s*4+3)*2+DMSChannelZero])
	}
	if want := "11000000000000000011000"; one.String() != want {
		t.Errorf("inputs %s, want %s", one.String(), want)
	}
	if tb := d.Tests()[0].Batch(16); tb.Steps != 32+4+3 {
		t.Errorf("longest test trial %d steps, want 39", tb.Steps)
	}
	_, err = NewDMS[float64](DMSConfig{ResponseSteps: -1}, 0)
	fieldErr(t, err, "ResponseSteps")
}
