package task

import (
	"math"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
)

// lastOutputs returns the readouts at the last step of b (Size×Out).
func lastOutputs(t *testing.T, net *rnn.Network[float64], b *rnn.Batch[float64]) []float64 {
	t.Helper()
	var ws rnn.Workspace[float64]
	if _, err := net.Forward(&ws, b); err != nil {
		t.Fatal(err)
	}
	tr, err := ws.Trajectory()
	if err != nil {
		t.Fatal(err)
	}
	return append([]float64(nil), tr.Y(b.Steps)...)
}

// TestDMSTrainDelayRange checks that the training batch over a delay range
// holds the 4 pairs at every delay, and that left padding leaves each
// trial's last-step readout exactly as without it (ALIF and plain units).
func TestDMSTrainDelayRange(t *testing.T) {
	for _, tc := range []struct{ lo, hi, size int }{{16, 16, 4}, {0, 16, 4}, {8, 16, 36}, {3, 5, 12}} {
		d, err := NewDMS[float64](DMSConfig{Delay: tc.hi, TrainDelayMin: tc.lo, NALIF: 5, NPlain: 5}, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := d.TrainBatch(0)
		if b.Size != tc.size || d.TrainEval().Len() != tc.size {
			t.Fatalf("delays [%d, %d]: batch size %d, train set %d, want %d", tc.lo, tc.hi, b.Size, d.TrainEval().Len(), tc.size)
		}
		sh := d.Shape()
		net, err := rnn.New[float64](rnn.Config{In: sh.In, N: sh.N, Out: sh.Out, Beta: sh.Beta, TauA: 30, Seed: 3, Init: rnn.InitCode,
			Loss: d.Loss()})
		if err != nil {
			t.Fatal(err)
		}
		got := lastOutputs(t, net, b)
		lo := tc.lo
		if lo == 0 {
			lo = tc.hi
		}
		for k := 0; k <= tc.hi-lo; k++ {
			want := lastOutputs(t, net, d.Trials(lo+k))
			for j := range 4 {
				for o := range sh.Out {
					g, w := got[(k*4+j)*sh.Out+o], want[j*sh.Out+o]
					if math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w)) {
						t.Fatalf("delay %d pair %d output %d: padded %g, alone %g", lo+k, j, o, g, w)
					}
				}
				if b.Labels[(b.Steps-1)*b.Size+k*4+j] != d.Trials(lo + k).Labels[j] {
					t.Fatalf("delay %d pair %d: label differs", lo+k, j)
				}
			}
		}
	}
	if _, err := NewDMS[float64](DMSConfig{Delay: 10, TrainDelayMin: 11}, 1); err == nil {
		t.Error("TrainDelayMin above Delay accepted")
	}
}
