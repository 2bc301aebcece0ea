package eig_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/rnn"
)

// seqMNISTConfig is the seqMNIST-size network of the rnn and PyTorch
// benchmarks (rnn/bench_test.go, bench/pytorch/bptt_bench.py): In = 28,
// N = 128, 10 outputs, cross-entropy at the last of T = 28 steps, the code
// initialisation, no L2 term.
var seqMNISTConfig = rnn.Config{In: 28, N: 128, Out: 10, Seed: 1, Loss: rnn.Loss{Kind: rnn.CrossEntropy}}

// seqMNISTHVP returns the exact float64 W_rec Hessian operator of the
// seqMNISTConfig network at its initialisation, on a batch of B = 256
// sequences with inputs uniform in [−1, 1) and random labels (as the
// PyTorch benchmark). The forward pass and the deltas are computed once by
// rnn.NewHVP and reused by every product.
func seqMNISTHVP(b *testing.B) *rnn.HVP[float64] {
	b.Helper()
	cfg := seqMNISTConfig
	net, err := rnn.New[float64](cfg)
	if err != nil {
		b.Fatal(err)
	}
	h, err := rnn.NewHVP(net, seqMNISTBatch(cfg), rnn.SetWRec, nil)
	if err != nil {
		b.Fatal(err)
	}
	return h
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
	h := seqMNISTHVP(b)
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
			c0 := cpuTime()
			for b.Loop() {
				op.ApplyBlock(dst, src)
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/float64(k)/1e6, "cpu-ms/vector")
		})
	}
}

// BenchmarkSeqMNISTLeading times the leading eigenvalue of the seqMNIST-size
// W_rec Hessian by power iteration at the paper's setting (absolute 1e-6 on
// ‖Hv‖) and by Lanczos at its default (residual ≤ 1e-6·‖H‖) and at a
// residual tolerance of 1e-3·‖H‖. It reports the operator applications
// and the error of the eigenvalue against a Lanczos reference at 1e-10.
// The "setup" variants include rnn.NewHVP (one forward and BPTT pass).
func BenchmarkSeqMNISTLeading(b *testing.B) {
	h := seqMNISTHVP(b)
	ref, err := eig.Leading(h.Operator(), eig.LanczosSettings{Tol: 1e-10, Seed: 99})
	if err != nil {
		b.Fatal(err)
	}
	lambda := ref.Values[0]
	methods := []struct {
		name string
		run  func(op eig.Operator) (float64, int)
	}{
		{"power", func(op eig.Operator) (float64, int) {
			r, err := eig.Power(op, eig.PowerSettings{Seed: 1})
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
		{"lanczos-tol1e-3", func(op eig.Operator) (float64, int) {
			r, err := eig.Leading(op, eig.LanczosSettings{Seed: 1, Tol: 1e-3})
			if err != nil || r.Status != eig.Converged {
				b.Fatal(err, r.Status)
			}
			return math.Abs(r.Values[0]), r.Applies
		}},
	}
	for _, m := range methods {
		b.Run(m.name, func(b *testing.B) {
			var v float64
			var applies int
			c0 := cpuTime()
			for b.Loop() {
				v, applies = m.run(h.Operator())
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(applies), "applies")
			b.ReportMetric(math.Abs(v-math.Abs(lambda)), "abs-err")
			b.ReportMetric(math.Abs(lambda), "lambda")
		})
		b.Run(m.name+"/setup", func(b *testing.B) {
			cfg := seqMNISTConfig
			net, err := rnn.New[float64](cfg)
			if err != nil {
				b.Fatal(err)
			}
			batch := seqMNISTBatch(cfg)
			var applies int
			c0 := cpuTime()
			for b.Loop() {
				h, err := rnn.NewHVP(net, batch, rnn.SetWRec, nil)
				if err != nil {
					b.Fatal(err)
				}
				_, applies = m.run(h.Operator())
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(applies), "applies")
		})
	}
}

// BenchmarkSeqMNISTTopK times the top-k eigenvalues (largest algebraic) of
// the seqMNIST-size W_rec Hessian by Lanczos with thick restarts at a
// residual tolerance of 1e-8·‖H‖, the accuracy the power-law fit needs.
func BenchmarkSeqMNISTTopK(b *testing.B) {
	h := seqMNISTHVP(b)
	for _, k := range []int{20, 200} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			var res eig.Result
			c0 := cpuTime()
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

// cpuTime returns the process's user+system CPU time. On the shared,
// loaded development machine CPU time per operation with -cpu 1 is steadier
// than wall time; both are reported.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU milliseconds per operation since c0.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
}
