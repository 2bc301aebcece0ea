package task

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// storingPredictor scores with Forward and copies the stored readouts: the
// evaluation before rnn.Network.Infer existed.
type storingPredictor[T kernels.Float] struct {
	net *rnn.Network[T]
	ws  rnn.Workspace[T]
}

func (p *storingPredictor[T]) Outputs(b *rnn.Batch[T], y []T) error {
	if _, err := p.net.Forward(&p.ws, b); err != nil {
		return err
	}
	tr, err := p.ws.Trajectory()
	if err != nil {
		return err
	}
	m := b.Size * b.Out
	for t := 1; t <= b.Steps; t++ {
		copy(y[(t-1)*m:t*m], tr.Y(t))
	}
	return nil
}

// inferPredictor scores with Infer, as the experiment driver does.
type inferPredictor[T kernels.Float] struct {
	net *rnn.Network[T]
	inf rnn.Inference[T]
}

func (p *inferPredictor[T]) Outputs(b *rnn.Batch[T], y []T) error {
	_, err := p.net.Infer(&p.inf, b, y)
	return err
}

// TestEvaluateInferBitwise checks that Evaluate gives bitwise the same
// scores (metric and loss) with Infer as with Forward's stored readouts, on
// every evaluation set of the three tasks (seqMNIST on synthetic images
// with evaluation batches of several chunks and a partial last batch; DMS
// with its ALIF units and test trials of several lengths; pattern
// generation with MSE at every step), in both precisions.
func TestEvaluateInferBitwise(t *testing.T) {
	t.Run("float64", func(t *testing.T) { evaluateInferBitwise[float64](t) })
	t.Run("float32", func(t *testing.T) { evaluateInferBitwise[float32](t) })
}

func evaluateInferBitwise[T kernels.Float](t *testing.T) {
	data := randomMNIST(t, rand.New(rand.NewPCG(1, 2)), 1300, 310, 6, 5)
	sm, err := NewSeqMNIST[T](data, SeqMNISTConfig{N: 24, BatchSize: 64, EvalBatchSize: 300}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dms, err := NewDMS[T](DMSConfig{NALIF: 10, NPlain: 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	pat, err := NewPattern[T](PatternConfig{N: 20, In: 7, Steps: 12, NoiseDraws: 9}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tk   Task[T]
		sets []Set[T]
	}{
		{sm, append([]Set[T]{sm.TrainEval(), sm.Validation()}, sm.Tests()...)},
		{dms, append([]Set[T]{dms.TrainEval()}, dms.Tests()...)},
		{pat, append([]Set[T]{pat.TrainEval()}, pat.Tests()...)},
	} {
		sh := tc.tk.Shape()
		cfg := rnn.Config{In: sh.In, N: sh.N, Out: sh.Out, Beta: sh.Beta, Seed: 3, Loss: tc.tk.Loss(), L2: 1e-2}
		if sh.Beta != nil {
			cfg.TauA = 30
		}
		net, err := rnn.New[T](cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range net.Params {
			net.Params[i] *= 1.2 // a less trivial network than the initial one
		}
		rnn.MaskDiag(net.Block(rnn.WRec), sh.N)
		for _, s := range tc.sets {
			name := fmt.Sprintf("%s/%s", tc.tk.Name(), s.Name())
			want, err := Evaluate[T](&storingPredictor[T]{net: net}, s, tc.tk.Loss(), tc.tk.Metric())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := Evaluate[T](&inferPredictor[T]{net: net}, s, tc.tk.Loss(), tc.tk.Metric())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if math.Float64bits(got.Metric) != math.Float64bits(want.Metric) || math.Float64bits(got.Loss) != math.Float64bits(want.Loss) || got.Sequences != want.Sequences {
				t.Errorf("%s: Infer %+v, Forward %+v", name, got, want)
			}
			if math.IsNaN(want.Loss) || want.Sequences != s.Len() {
				t.Errorf("%s: score %+v of %d sequences", name, want, s.Len())
			}
		}
	}
}
