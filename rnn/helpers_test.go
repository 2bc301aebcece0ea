package rnn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
)

// randBatch returns a batch for cfg with B items and steps steps, inputs
// uniform in [−1, 1), targets normal and labels uniform, all from seed.
func randBatch[T kernels.Float](cfg Config, B, steps int, seed uint64) *Batch[T] {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := &Batch[T]{Size: B, Steps: steps, In: cfg.In, Out: cfg.Out, X: make([]T, steps*B*cfg.In)}
	for i := range b.X {
		b.X[i] = T(2*rng.Float64() - 1)
	}
	if cfg.Loss.Kind == MSE {
		b.Y = make([]T, steps*B*cfg.Out)
		for i := range b.Y {
			b.Y[i] = T(rng.NormFloat64())
		}
	} else {
		b.Labels = make([]int32, steps*B)
		for i := range b.Labels {
			b.Labels[i] = int32(rng.IntN(cfg.Out))
		}
	}
	return b
}

func mustNew[T kernels.Float](t testing.TB, cfg Config) *Network[T] {
	t.Helper()
	net, err := New[T](cfg)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func lossAt(t testing.TB, net *Network[float64], b *Batch[float64]) float64 {
	t.Helper()
	var ws Workspace[float64]
	l, err := net.Forward(&ws, b)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fdGradient returns the central finite difference of the loss with step
// 1e-6 for every parameter, 0 on the masked W_rec diagonal.
func fdGradient(t testing.TB, net *Network[float64], b *Batch[float64]) []float64 {
	t.Helper()
	fd := make([]float64, net.NumParams())
	const h = 1e-6
	for i := range net.Params {
		if isDiag(net, i) {
			continue
		}
		p := net.Params[i]
		net.Params[i] = p + h
		lp := lossAt(t, net, b)
		net.Params[i] = p - h
		lm := lossAt(t, net, b)
		net.Params[i] = p
		fd[i] = (lp - lm) / (2 * h)
	}
	return fd
}

// relErr returns ‖a−b‖/max(‖a‖,‖b‖,tiny).
func relErr(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	return math.Sqrt(d) / math.Max(math.Sqrt(max(na, nb)), 1e-300)
}
