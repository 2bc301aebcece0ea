package rnn

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/internal/leveltest"
	"github.com/hessrnn/hessrnn/kernels"
)

// TestHVPPackedBitwise checks the HVP's fast path (right operands packed
// once, ψ⊙ fused into the gemms, the stored states packed at Reset)
// against its reference (HVP.unpacked: kernels.Gemm on the operands in
// place and separate products), bit for bit: every unit kind, leak, loss
// and L2 case, parameter sets W_rec and all, one and three directions,
// full storage and checkpointing, GOMAXPROCS 1 and 2, at every SIMD level
// this machine has. The sizes (N = 6 and 37, B = 1, 5 and 70) put edge
// tiles of both micro-kernels into every product.
func TestHVPPackedBitwise(t *testing.T) {
	cases := gradCases()
	if testing.Short() {
		var every4 []struct {
			name string
			cfg  Config
		}
		for i := 0; i < len(cases); i += 4 {
			every4 = append(every4, cases[i])
		}
		cases = every4
	}
	big := Config{In: 5, N: 37, Out: 4, Leak: 0, Seed: 7, Loss: Loss{Kind: CrossEntropy, Timing: LastStep}, L2: 1e-2}
	bigALIF := big
	bigALIF.Beta, bigALIF.TauA, bigALIF.Leak = MixedBeta(37, 11, 1.8), 5, 0.3
	cases = append(cases, struct {
		name string
		cfg  Config
	}{"N=37", big}, struct {
		name string
		cfg  Config
	}{"N=37/alif", bigALIF})
	leveltest.ForEachLevel(t, func(l kernels.Level) {
		for ci, tc := range cases {
			B := []int{1, 5, 70}[ci%3]
			for _, p := range []int{1, 2} {
				runtime.GOMAXPROCS(p)
				for _, set := range []ParamSet{SetWRec, SetAll} {
					for _, S := range []int{-1, 3} {
						name := fmt.Sprintf("%s/%s/B=%d/procs=%d/set=%d/S=%d", l, tc.name, B, p, set, S)
						packedBitwise[float64](t, name, tc.cfg, B, set, S)
						packedBitwise[float32](t, name, tc.cfg, B, set, S)
					}
				}
			}
		}
	})
}

func packedBitwise[T kernels.Float](t *testing.T, name string, cfg Config, B int, set ParamSet, S int) {
	t.Helper()
	net := mustNew[T](t, cfg)
	b := randBatch[T](cfg, B, 7, 5)
	fast, err := NewHVPWith(net, b, set, nil, HVPOptions{Checkpoint: S})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewHVPWith(net, b, set, nil, HVPOptions{Checkpoint: S})
	if err != nil {
		t.Fatal(err)
	}
	ref.unpacked = true
	d := fast.Dim()
	for _, k := range []int{1, 3} {
		v := make([]T, k*d)
		for i := range v {
			v[i] = T(math.Sin(float64(i)*0.71 + 0.3))
		}
		got, want := make([]T, k*d), make([]T, k*d)
		fast.ApplyBlock(got, v, k)
		ref.ApplyBlock(want, v, k)
		for i := range got {
			if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
				t.Fatalf("%s/k=%d: H·v[%d] = %v packed, %v reference", name, k, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkHVPPacked64 times one float64 W_rec product at the seqMNIST shape
// (B = 256, T = 28, N = 128), the fast path against the unpacked
// reference, in alternating windows (internal/bench/paired): the
// "packed/unpacked" metric is the paired speed-up, GFLOP/s counts the six
// N×N×(T−1)·B products (1.36 GFLOP).
func BenchmarkHVPPacked64(b *testing.B) {
	s := benchShapes[0]
	net, batch := benchSetup(b, s.B, s.T, s.In, s.N)
	net64, b64 := bench64(net, batch)
	hs := make([]*HVP[float64], 2)
	for i := range hs {
		h, err := NewHVP(net64, b64, SetWRec, nil)
		if err != nil {
			b.Fatal(err)
		}
		h.unpacked = i == 0
		hs[i] = h
	}
	d := hs[0].Dim()
	v := make([]float64, d)
	for i := range v {
		v[i] = float64(i%7) - 3
	}
	dst := make([]float64, d)
	fns := make([]func(int), 2)
	for i, h := range hs {
		fns[i] = func(reps int) {
			for range reps {
				h.Apply(dst, v)
			}
		}
	}
	flops := 6 * 2 * float64(s.B) * float64(s.N*s.N) * float64(s.T-1)
	paired.Run(b, []string{"unpacked", "packed"}, fns, flops, "GFLOP/s")
}
