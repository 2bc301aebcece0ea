package eig_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/rnn"
)

// seqMNISTConfig is the seqMNIST-size network of the rnn and PyTorch
// benchmarks (rnn/bench_test.go, bench/pytorch/bptt_bench.py): In = 28,
// N = 128, 10 outputs, cross-entropy at the last of T = 28 steps, the code
// initialisation, no L2 term.
var seqMNISTConfig = rnn.Config{In: 28, N: 128, Out: 10, Seed: 1, Loss: rnn.Loss{Kind: rnn.CrossEntropy}}

// seqMNISTHVP returns the exact float64 W_rec Hessian operator of the
// seqMNISTConfig network at its initialisation with W_rec scaled by scale,
// on a batch of B = 256 sequences with inputs uniform in [−1, 1) and random
// labels (as the PyTorch benchmark). The forward pass and the deltas are
// computed once by rnn.NewHVP and reused by every product. At scale 1 the
// 28-step ReLU recurrence amplifies (the code initialisation has spectral
// radius about √2) and one eigenvalue, about 3.6e4, dominates; scale 0.5
// gives stable dynamics and a spectrum with a smaller leading gap, closer
// to the slow power iterations the paper's code ran on trained networks.
func seqMNISTHVP(b *testing.B, scale float64) *rnn.HVP[float64] {
	b.Helper()
	net, batch := seqMNISTNet(b, scale)
	h, err := rnn.NewHVP(net, batch, rnn.SetWRec, nil)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// seqMNISTScales are the W_rec scales of BenchmarkSeqMNISTLeading (and of
// the operators TestDumpSeqMNISTOperator writes for PyTorch).
var seqMNISTScales = []float64{1, 0.5}

// seqMNISTNet returns the seqMNISTConfig network at its initialisation with
// W_rec scaled by scale, and the batch of seqMNISTBatch.
func seqMNISTNet(b testing.TB, scale float64) (*rnn.Network[float64], *rnn.Batch[float64]) {
	cfg := seqMNISTConfig
	net, err := rnn.New[float64](cfg)
	if err != nil {
		b.Fatal(err)
	}
	for i := range net.WRecM {
		net.WRecM[i] *= scale
	}
	return net, seqMNISTBatch(cfg)
}

func seqMNISTBatch(cfg rnn.Config) *rnn.Batch[float64] {
	const size, steps = 256, 28
	r := rand.New(rand.NewPCG(2, 2))
	batch := &rnn.Batch[float64]{Size: size, Steps: steps, In: cfg.In, Out: cfg.Out,
		X: make([]float64, steps*size*cfg.In), Labels: make([]int32, steps*size)}
	for i := range batch.X {
		batch.X[i] = 2*r.Float64() - 1
	}
	for i := 0; i < size; i++ {
		l := int32(r.IntN(cfg.Out))
		for t := 0; t < steps; t++ {
			batch.Labels[t*size+i] = l
		}
	}
	return batch
}

// BenchmarkSeqMNISTHVP times float64 W_rec Hessian-vector products at the
// seqMNIST size, singly and in blocks of k (ns/op is per block).
func BenchmarkSeqMNISTHVP(b *testing.B) {
	h := seqMNISTHVP(b, 1)
	op := h.Operator()
	n := op.Dim()
	for _, k := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			src := mat.NewDense(k, n, nil)
			r := rand.New(rand.NewPCG(3, 3))
			for i := range src.RawMatrix().Data {
				src.RawMatrix().Data[i] = r.NormFloat64()
			}
			dst := mat.NewDense(k, n, nil)
			op.ApplyBlock(dst, src) // the first product of a block size allocates its buffers
			c0 := paired.CPUTime()
			for b.Loop() {
				op.ApplyBlock(dst, src)
			}
			b.ReportMetric(float64(paired.CPUTime()-c0)/float64(b.N)/float64(k)/1e6, "cpu-ms/vector")
		})
	}
}

// BenchmarkSeqMNISTNewHVP times rnn.NewHVP at the seqMNIST size: the
// forward and BPTT pass that every eigenvalue computation needs once, with
// a new workspace each time (ws=new, which allocates and clears the
// trajectory storage) and with one reused workspace (ws=reused, as a
// training run that measures curvature repeatedly can do).
func BenchmarkSeqMNISTNewHVP(b *testing.B) {
	net, batch := seqMNISTNet(b, 1)
	for _, reuse := range []bool{false, true} {
		name := "ws=new"
		var ws *rnn.Workspace[float64]
		if reuse {
			name, ws = "ws=reused", new(rnn.Workspace[float64])
			if _, err := rnn.NewHVP(net, batch, rnn.SetWRec, ws); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			c0 := paired.CPUTime()
			for b.Loop() {
				if _, err := rnn.NewHVP(net, batch, rnn.SetWRec, ws); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkSeqMNISTLeading times the leading eigenvalue of the seqMNIST-size
// W_rec Hessian (W_rec scaled by 1 and by 0.5, see seqMNISTHVP) by power
// iteration at the paper's setting (absolute 1e-6 on ‖Hv‖) and by Lanczos
// at its default (residual ≤ 1e-6·‖H‖), with the paper's rule (ValueChange
// 1e-6) and at a residual tolerance of 1e-3·‖H‖. It reports the operator applications and log10 of the relative
// error of |λ| against a Lanczos reference at 1e-10 (−17 means exact to
// rounding). The forward pass is computed once, outside the loop; add
// BenchmarkSeqMNISTNewHVP for the total.
func BenchmarkSeqMNISTLeading(b *testing.B) {
	methods := []struct {
		name string
		run  func(op eig.Operator) (float64, int)
	}{
		{"power", func(op eig.Operator) (float64, int) {
			r, err := eig.Power(op, eig.PowerSettings{Seed: benchPowerSeed})
			if err != nil || !r.Converged() {
				b.Fatal(err, r.Status)
			}
			return r.Abs, r.Applies
		}},
		{"lanczos", func(op eig.Operator) (float64, int) {
			r, err := eig.Leading(op, eig.LanczosSettings{Seed: 1})
			if err != nil || r.Status != eig.Converged {
				b.Fatal(err, r.Status)
			}
			return math.Abs(r.Values[0]), r.Applies
		}},
		{"lanczos-paper", func(op eig.Operator) (float64, int) {
			r, err := eig.Leading(op, eig.LanczosSettings{Seed: 1, ValueChange: 1e-6})
			if err != nil || r.Status != eig.Converged {
				b.Fatal(err, r.Status)
			}
			return math.Abs(r.Values[0]), r.Applies
		}},
		{"lanczos-tol1e-3", func(op eig.Operator) (float64, int) {
			r, err := eig.Leading(op, eig.LanczosSettings{Seed: 1, Tol: 1e-3})
			if err != nil || r.Status != eig.Converged {
				b.Fatal(err, r.Status)
			}
			return math.Abs(r.Values[0]), r.Applies
		}},
	}
	for _, scale := range seqMNISTScales {
		h := seqMNISTHVP(b, scale)
		ref, err := eig.Lanczos(h.Operator(), 2, eig.LanczosSettings{Which: eig.LargestMagnitude, Tol: 1e-10, Seed: 99})
		if err != nil {
			b.Fatal(err)
		}
		lambda := math.Abs(ref.Values[0])
		for _, m := range methods {
			b.Run(fmt.Sprintf("wrec×%v/%s", scale, m.name), func(b *testing.B) {
				var v float64
				var applies int
				c0 := paired.CPUTime()
				for b.Loop() {
					v, applies = m.run(h.Operator())
				}
				reportCPU(b, c0)
				b.ReportMetric(float64(applies), "applies")
				b.ReportMetric(math.Log10(math.Max(math.Abs(v-lambda)/lambda, 1e-17)), "log10-relerr")
				b.ReportMetric(lambda, "lambda")
				b.ReportMetric(math.Abs(ref.Values[1]/ref.Values[0]), "ratio21")
			})
		}
	}
}

// BenchmarkSeqMNISTTopK times the top-k eigenvalues (largest algebraic) of
// the seqMNIST-size W_rec Hessian by Lanczos (default basis 3k+32, thick
// restarts) at a residual tolerance of 1e-8·‖H‖, as the command's top-k
// analysis runs it.
func BenchmarkSeqMNISTTopK(b *testing.B) {
	h := seqMNISTHVP(b, 1)
	for _, k := range []int{20, 200} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			var res eig.Result
			c0 := paired.CPUTime()
			for b.Loop() {
				var err error
				res, err = eig.Lanczos(h.Operator(), k, eig.LanczosSettings{Tol: 1e-8, Seed: 1})
				if err != nil || res.Status != eig.Converged {
					b.Fatal(err, res.Status)
				}
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(res.Applies), "applies")
			b.ReportMetric(float64(res.Restarts), "restarts")
			b.ReportMetric(res.Values[0], "lambda1")
			b.ReportMetric(res.Values[k-1], "lambdak")
		})
	}
}

// reportCPU reports CPU milliseconds per operation since c0.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(paired.CPUTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}
