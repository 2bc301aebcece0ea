package rules

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

var benchSink float64

// benchShape is a network and batch shape of the benchmarks.
type benchShape struct {
	name             string
	B, T, In, N, Out int
	ce               bool
	leak             float64
	nALIF            int // the first nALIF units are ALIF (β = 1.8, τ_a = 30)
}

var (
	shapeSeqMNIST = benchShape{name: "seqmnist", B: 256, T: 28, In: 28, N: 128, Out: 10, ce: true}
	shapePatGen   = benchShape{name: "patgen", B: 1, T: 50, In: 100, N: 100, Out: 1}
	shapeDMS      = benchShape{name: "dms", B: 4, T: 20, In: 2, N: 100, Out: 2, ce: true, nALIF: 50}
)

func benchProblem(s benchShape) (*rnn.Network[float32], *rnn.Batch[float32]) {
	return benchProblemT[float32](s)
}

// benchProblemT is benchProblem in precision T: the same network and batch
// (drawn in float64 and rounded to T).
func benchProblemT[T kernels.Float](s benchShape) (*rnn.Network[T], *rnn.Batch[T]) {
	cfg := rnn.Config{In: s.In, N: s.N, Out: s.Out, Seed: 1, Leak: s.leak,
		Loss: rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}}
	if s.nALIF > 0 {
		cfg.Beta = rnn.MixedBeta(s.N, s.nALIF, 1.8)
	}
	if s.ce {
		cfg.Loss = rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.LastStep}
	}
	net, err := rnn.New[T](cfg)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	b := &rnn.Batch[T]{Size: s.B, Steps: s.T, In: s.In, Out: s.Out, X: make([]T, s.T*s.B*s.In)}
	for i := range b.X {
		if s.ce {
			b.X[i] = T(rng.Float64())
		} else {
			b.X[i] = T(rng.NormFloat64())
		}
	}
	if s.ce {
		b.Labels = make([]int32, s.T*s.B)
		for i := 0; i < s.B; i++ {
			l := int32(rng.IntN(s.Out))
			for t := 0; t < s.T; t++ {
				b.Labels[t*s.B+i] = l
			}
		}
	} else {
		b.Y = make([]T, s.T*s.B*s.Out)
		for i := range b.Y {
			b.Y[i] = T(rng.NormFloat64())
		}
	}
	return net, b
}

// benchStep times one training step (direction and SGD update at a tiny
// rate, so the weights barely move) of rule s on shape sh.
func benchStep(b *testing.B, sh benchShape, s Settings) { benchStepT[float32](b, sh, s) }

// benchStepT is benchStep in precision T.
func benchStepT[T kernels.Float](b *testing.B, sh benchShape, s Settings) {
	net, batch := benchProblemT[T](sh)
	r, err := New[T](s, net.Cfg)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 1e-9}, net.NumParams())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.Step(net, batch); err != nil { // warm-up allocations
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := paired.CPUTime()
	for i := 0; i < b.N; i++ {
		res, err := tr.Step(net, batch)
		if err != nil {
			b.Fatal(err)
		}
		benchSink += res.Loss
	}
	b.ReportMetric(float64(paired.CPUTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}

var benchRules = []struct {
	name string
	s    Settings
}{
	{"bptt", Settings{Kind: BPTT}},
	{"tbptt4", Settings{Kind: TBPTT, Window: 4}},
	{"three-factor", Settings{Kind: EProp, Form: Batched}},
	{"three-factor-online", Settings{Kind: EProp, Form: Online}},
	{"rf-three-factor", Settings{Kind: RFLO, Form: Batched}},
	{"rf-three-factor-online", Settings{Kind: RFLO, Form: Online}},
	{"mdgl", Settings{Kind: MDGL, Form: Batched}},
	{"mdgl-online", Settings{Kind: MDGL, Form: Online}},
	{"three-factor-theory", Settings{Kind: MatchedBPTT}},
}

// BenchmarkStep: one training step of each rule at the seqMNIST shape
// (B=256, T=28, N=128, float32, CE at the last step) and the
// pattern-generation shape (B=1, T=50, N=100, MSE every step).
func BenchmarkStep(b *testing.B) {
	for _, sh := range []benchShape{shapeSeqMNIST, shapePatGen} {
		for _, r := range benchRules {
			b.Run(fmt.Sprintf("shape=%s/rule=%s", sh.name, r.name), func(b *testing.B) { benchStep(b, sh, r.s) })
		}
	}
}

// BenchmarkStep64 is BenchmarkStep in float64, the experiments' default
// training precision (model.precision), at the seqMNIST shape for the rules
// the experiments train with, truncated BPTT at the windows of Fig. 9
// included (K = 28 = T is exact BPTT).
func BenchmarkStep64(b *testing.B) {
	for _, r := range benchRules {
		switch r.s.Kind {
		case BPTT, EProp, RFLO, MDGL:
			if r.s.Form != Online {
				b.Run(fmt.Sprintf("shape=%s/rule=%s", shapeSeqMNIST.name, r.name), func(b *testing.B) { benchStepT[float64](b, shapeSeqMNIST, r.s) })
			}
		}
	}
	for _, k := range []int{1, 2, 4, 8} {
		s := Settings{Kind: TBPTT, Window: k}
		b.Run(fmt.Sprintf("shape=%s/rule=tbptt%d", shapeSeqMNIST.name, k), func(b *testing.B) { benchStepT[float64](b, shapeSeqMNIST, s) })
	}
}

// BenchmarkForms compares the online and batched forms of each approximate
// rule beyond the paper's plain leak-0 networks: the DMS shape (B=4, T=20,
// N=100, 50 ALIF units, CE at the last step) and the pattern-generation
// shape with leak 0.5, plain and mixed. Form Auto picks the batched form; this
// benchmark is the evidence that it is the faster one.
func BenchmarkForms(b *testing.B) {
	leaky := shapePatGen
	leaky.name, leaky.leak = "patgen-leak0.5", 0.5
	mixed := leaky
	mixed.name, mixed.nALIF = "patgen-leak0.5-mixed", 50
	for _, sh := range []benchShape{shapeDMS, leaky, mixed} {
		for _, k := range []Kind{EProp, RFLO, MDGL} {
			for _, f := range []Form{Batched, Online} {
				b.Run(fmt.Sprintf("shape=%s/rule=%v/form=%v", sh.name, k, f), func(b *testing.B) { benchStep(b, sh, Settings{Kind: k, Form: f}) })
			}
		}
	}
}

// BenchmarkOnline: the online trace form of each approximate rule at
// B=1, T=50, In=100 and N = 100, 256, 512 (pattern generation).
func BenchmarkOnline(b *testing.B) {
	for _, n := range []int{100, 256, 512} {
		sh := shapePatGen
		sh.N = n
		for _, k := range []Kind{EProp, RFLO, MDGL} {
			b.Run(fmt.Sprintf("n=%d/rule=%v", n, k), func(b *testing.B) { benchStep(b, sh, Settings{Kind: k, Form: Online}) })
		}
	}
}

// BenchmarkRTRL: the reference RTRL step at its size limit.
func BenchmarkRTRL(b *testing.B) {
	sh := benchShape{name: "rtrl", B: 1, T: 50, In: 32, N: MaxRTRLUnits, Out: 1}
	benchStep(b, sh, Settings{Kind: RTRL})
}

// BenchmarkMulSmallRows: the products with few rows that mulNN routes to
// GemvT (per row) against kernels.Gemm, at the rules' shapes.
func BenchmarkMulSmallRows(b *testing.B) {
	for _, n := range []int{100, 512} {
		for _, m := range []int{1, 2, 3, 4, 8} {
			w := make([]float32, n*n)
			x := make([]float32, m*n)
			y := make([]float32, m*n)
			for i := range w {
				w[i] = float32(i%7) * 0.1
			}
			b.Run(fmt.Sprintf("n=%d/m=%d/impl=gemm", n, m), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					kernels.Gemm(false, false, m, n, n, 1, x, n, w, n, 0, y, n)
				}
			})
			b.Run(fmt.Sprintf("n=%d/m=%d/impl=gemvT-rows", n, m), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					for r := 0; r < m; r++ {
						kernels.GemvT(y[r*n:(r+1)*n], 1, w, n, x[r*n:(r+1)*n], 0)
					}
				}
			})
		}
	}
}
