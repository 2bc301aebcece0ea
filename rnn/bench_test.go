package rnn

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/kernels"
)

// benchShapes are the seqMNIST shape (B=256, T=28, In=28, N=128, 10
// outputs, cross-entropy at the last step), its online version B=1, wider
// networks and pixel-by-pixel MNIST (T=784, In=1).
var benchShapes = []struct{ B, T, In, N int }{
	{256, 28, 28, 128},
	{1, 28, 28, 128},
	{256, 28, 28, 256},
	{256, 28, 28, 512},
	{256, 784, 1, 128},
}

func benchSetup(b *testing.B, B, T, In, N int) (*Network[float32], *Batch[float32]) {
	cfg := Config{In: In, N: N, Out: 10, Seed: 1, Loss: Loss{Kind: CrossEntropy, Timing: LastStep}}
	net, err := New[float32](cfg)
	if err != nil {
		b.Fatal(err)
	}
	if T > 100 {
		// Keep the 784-step recurrence finite: the code init has a
		// spectral radius above 1.
		kernels.Scal(net.WRecM, 0.5)
	}
	return net, randBatch[float32](cfg, B, T, 2)
}

// BenchmarkBPTTStep times one float32 training step: forward, BPTT backward
// and an SGD update of every parameter, after one warm-up step.
func BenchmarkBPTTStep(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("B=%d/T=%d/N=%d", s.B, s.T, s.N), func(b *testing.B) {
			net, batch := benchSetup(b, s.B, s.T, s.In, s.N)
			var ws Workspace[float32]
			g := make([]float32, net.NumParams())
			// Warm-up: a training loop reuses the workspace, so its first
			// allocation (and first touch of its pages) is not part of a step.
			if _, err := net.Gradient(&ws, batch, g); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			c0 := paired.CPUTime()
			for b.Loop() {
				if _, err := net.Gradient(&ws, batch, g); err != nil {
					b.Fatal(err)
				}
				kernels.Axpy(net.Params, -1e-3, g)
			}
			reportCPU(b, c0, 1)
		})
	}
}

// BenchmarkHVP times one exact float32 Hessian-vector product with respect
// to W_rec with the forward pass and deltas reused, and blocks of 4 and 16
// (reported per vector too). MB is the memory of the stored trajectory and
// the tangent buffers.
func BenchmarkHVP(b *testing.B) {
	for _, s := range benchShapes {
		if s.B == 1 {
			continue
		}
		for _, k := range []int{1, 4, 16} {
			if k > 1 && (s.T > 28 || s.N > 128) {
				continue
			}
			b.Run(fmt.Sprintf("B=%d/T=%d/N=%d/k=%d", s.B, s.T, s.N, k), func(b *testing.B) {
				net, batch := benchSetup(b, s.B, s.T, s.In, s.N)
				benchHVP(b, net, batch, k)
			})
		}
	}
}

// BenchmarkHVP64 is BenchmarkHVP in float64, the precision of the curvature
// analysis, at the seqMNIST shape.
func BenchmarkHVP64(b *testing.B) {
	s := benchShapes[0]
	net, batch := benchSetup(b, s.B, s.T, s.In, s.N)
	net64, b64 := bench64(net, batch)
	b.Run(fmt.Sprintf("B=%d/T=%d/N=%d/k=1", s.B, s.T, s.N), func(b *testing.B) { benchHVP(b, net64, b64, 1) })
}

// BenchmarkHVPCheckpoint times float32 products with respect to W_rec at
// B=256, N=128 for T = 28 (In=28) and T = 784 (In=1, pixel-by-pixel
// MNIST), with the whole trajectory stored (S=full) and checkpointed every
// S steps (S=auto is ⌈√T⌉ = 28 at T = 784, and 6 at T = 28 for the
// comparison), in blocks of k = 1 and 4. MB is the memory the HVP holds,
// cpu-us/step the CPU time per product and step.
func BenchmarkHVPCheckpoint(b *testing.B) {
	for _, s := range []struct{ T, In int }{{28, 28}, {784, 1}} {
		for _, S := range []int{-1, 0} {
			for _, k := range []int{1, 4} {
				name := "full"
				if S == 0 {
					name = "auto"
				}
				b.Run(fmt.Sprintf("T=%d/S=%s/k=%d", s.T, name, k), func(b *testing.B) {
					net, batch := benchSetup(b, 256, s.T, s.In, 128)
					opt := HVPOptions{Checkpoint: S}
					if S == 0 && s.T == 28 {
						opt.Checkpoint = 6
					}
					h := benchHVPWith(b, net, batch, k, opt)
					b.ReportMetric(float64(h.Checkpoint()), "S")
				})
			}
		}
	}
}

// BenchmarkHVPCheckpoint64 is BenchmarkHVPCheckpoint in float64 at
// T = 784, k = 1.
func BenchmarkHVPCheckpoint64(b *testing.B) {
	for _, S := range []int{-1, 0} {
		name := "full"
		if S == 0 {
			name = "auto"
		}
		b.Run(fmt.Sprintf("T=784/S=%s/k=1", name), func(b *testing.B) {
			net64, b64 := bench64(benchSetup(b, 256, 784, 1, 128))
			h := benchHVPWith(b, net64, b64, 1, HVPOptions{Checkpoint: S})
			b.ReportMetric(float64(h.Checkpoint()), "S")
		})
	}
}

// bench64 converts a benchmark network and batch to float64.
func bench64(net *Network[float32], batch *Batch[float32]) (*Network[float64], *Batch[float64]) {
	b64 := &Batch[float64]{Size: batch.Size, Steps: batch.Steps, In: batch.In, Out: batch.Out, Labels: batch.Labels,
		X: make([]float64, len(batch.X))}
	for i, x := range batch.X {
		b64.X[i] = float64(x)
	}
	return Convert[float64](net), b64
}

func benchHVP[T kernels.Float](b *testing.B, net *Network[T], batch *Batch[T], k int) {
	benchHVPWith(b, net, batch, k, HVPOptions{})
}

func benchHVPWith[T kernels.Float](b *testing.B, net *Network[T], batch *Batch[T], k int, opt HVPOptions) *HVP[T] {
	h, err := NewHVPWith(net, batch, SetWRec, nil, opt)
	if err != nil {
		b.Fatal(err)
	}
	v := make([]T, k*h.Dim())
	for i := range v {
		v[i] = T(i%7) - 3
	}
	dst := make([]T, len(v))
	h.ApplyBlock(dst, v, k)
	b.ReportAllocs()
	c0 := paired.CPUTime()
	for b.Loop() {
		h.ApplyBlock(dst, v, k)
	}
	reportCPU(b, c0, k)
	b.ReportMetric(float64(paired.CPUTime()-c0)/float64(b.N)/1e3/float64(batch.Steps*k), "cpu-us/step")
	b.ReportMetric(float64(hvpBytes(h))/(1<<20), "MB")
	return h
}

// hvpBytes returns the memory held by an HVP: its workspace (trajectory,
// deltas, readouts) and tangent and direction buffers.
func hvpBytes[T kernels.Float](h *HVP[T]) int {
	ws := h.ws
	n := 0
	for _, s := range [][]T{ws.r, ws.psi, ws.a, ws.delta, ws.y, ws.dy, ws.wT, h.grad, h.vFull, h.acc, h.rr, h.rd, h.re,
		h.vRecT, h.vRec, h.vInT, h.vOut, h.vOutT, h.pRecV, h.pRecH, h.pIn, h.pOutV, h.pOutH,
		h.cpR, h.cpH, h.cpA, h.cpRr, h.cpRh, h.cpRa} {
		n += cap(s)
	}
	for _, c := range ws.chunks {
		n += cap(c.h) + cap(c.gam) + cap(c.gamNxt)
	}
	for _, it := range h.items {
		n += cap(it.rh) + cap(it.ra) + cap(it.rgam) + cap(it.rgamN) + cap(it.p)
	}
	var z T
	return n * int(unsafe.Sizeof(z))
}

// reportCPU reports CPU milliseconds per operation and per vector of a
// block of k.
func reportCPU(b *testing.B, c0 time.Duration, k int) {
	ms := float64(paired.CPUTime()-c0) / float64(b.N) / 1e6
	b.ReportMetric(ms, "cpu-ms/op")
	if k > 1 {
		b.ReportMetric(ms/float64(k), "cpu-ms/vector")
	}
}
