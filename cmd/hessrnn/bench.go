package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rules"
)

const benchHelp = `Usage: hessrnn bench [flags]

Times the kernels (dot, gemm) and one training step of every learning rule at
the pattern-generation shape (N=100, N_in=100, T=50, B=1) and the sequential
MNIST shape (N=128, N_in=28, T=28, B=256), plus one exact Hessian-vector
product and the leading eigenvalue (Lanczos) at the seqMNIST shape, at the
active SIMD level. For careful comparisons use "go test -bench" in the
packages (see BENCHMARKS.md).

Flags:
%s
Examples:
  hessrnn bench
  HESSRNN_KERNELS=generic hessrnn bench --time 500ms
`

func cmdBench(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	budget := fs.Duration("time", 300*time.Millisecond, "minimum time per benchmark")
	only := fs.String("only", "", "run only benchmarks whose name contains this text")
	pos, help, err := parseCommand(a, fs, args, benchHelp)
	if help || err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench: unexpected argument %q", pos[0])
	}
	if *budget <= 0 || *budget > time.Hour {
		return usagef("--time %v: allowed range (0, 1h]", *budget)
	}
	fmt.Fprintf(a.stdout, "CPU: %s; SIMD detected %s, active %s; GOMAXPROCS %d\n", cpuid.CPU.BrandName, kernels.Detected(), kernels.Active(), runtime.GOMAXPROCS(0))
	// Rows are printed as they complete, so the columns have fixed widths.
	const row = "%-36s %12s %10s\n"
	fmt.Fprintf(a.stdout, row, "benchmark", "time/op", "iterations")
	matched := 0
	for _, b := range benchmarks() {
		if ctx.Err() != nil {
			return &interruptedError{"interrupted"}
		}
		if *only != "" && !contains(b.name, *only) {
			continue
		}
		matched++
		f, err := b.setup()
		if err != nil {
			return fmt.Errorf("bench %s: %w", b.name, err)
		}
		n, d := timeIt(f, *budget)
		fmt.Fprintf(a.stdout, row, b.name, fmtPerOp(d, n), fmt.Sprint(n))
	}
	if matched == 0 {
		var names []string
		for _, b := range benchmarks() {
			names = append(names, b.name)
		}
		return usagef("bench: --only %q matches no benchmark (names: %s)", *only, strings.Join(names, ", "))
	}
	return nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type bench struct {
	name  string
	setup func() (func(), error)
}

// timeIt runs f until budget has elapsed (at least once) and returns the
// count and total time.
func timeIt(f func(), budget time.Duration) (int, time.Duration) {
	f() // warm up: allocations, caches
	n := 0
	start := time.Now()
	for {
		f()
		n++
		if d := time.Since(start); d >= budget {
			return n, d
		}
	}
}

func fmtPerOp(d time.Duration, n int) string {
	per := d / time.Duration(n)
	switch {
	case per < time.Microsecond:
		return fmt.Sprintf("%d ns", per.Nanoseconds())
	case per < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(per.Nanoseconds())/1e3)
	}
	return fmt.Sprintf("%.2f ms", float64(per.Nanoseconds())/1e6)
}

func randSlice[T kernels.Float](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.NormFloat64())
	}
	return s
}

// shape is a benchmark network and batch shape.
type shape struct {
	name              string
	in, n, out, steps int
	batch             int
	classify          bool
}

var shapes = []shape{
	{"patterngen", 100, 100, 1, 50, 1, false},
	{"seqmnist", 28, 128, 10, 28, 256, true},
}

func makeNet(s shape) (*rnn.Network[float32], *rnn.Batch[float32], error) {
	loss := rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}
	if s.classify {
		loss = rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.LastStep}
	}
	net, err := rnn.New[float32](rnn.Config{In: s.in, N: s.n, Out: s.out, Seed: 1, Loss: loss, L2: 1e-2})
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b := &rnn.Batch[float32]{Size: s.batch, Steps: s.steps, In: s.in, Out: s.out, X: randSlice[float32](rng, s.steps*s.batch*s.in)}
	if s.classify {
		b.Labels = make([]int32, s.steps*s.batch)
		for i := range b.Labels {
			b.Labels[i] = int32(rng.IntN(s.out))
		}
	} else {
		b.Y = randSlice[float32](rng, s.steps*s.batch*s.out)
	}
	return net, b, nil
}

// makeNet64 is makeNet converted to float64, for the curvature benchmarks.
func makeNet64(s shape) (*rnn.Network[float64], *rnn.Batch[float64], error) {
	net32, b32, err := makeNet(s)
	if err != nil {
		return nil, nil, err
	}
	b := &rnn.Batch[float64]{Size: b32.Size, Steps: b32.Steps, In: b32.In, Out: b32.Out, Labels: b32.Labels,
		X: widen(b32.X), Y: widen(b32.Y)}
	return rnn.Convert[float64](net32), b, nil
}

// makeHVP is the W_rec Hessian-vector product of makeNet64's network and batch.
func makeHVP(s shape) (*rnn.HVP[float64], error) {
	net, b, err := makeNet64(s)
	if err != nil {
		return nil, err
	}
	return rnn.NewHVP[float64](net, b, rnn.SetWRec, nil)
}

// widen converts a float32 slice to float64; nil stays nil.
func widen(x []float32) []float64 {
	if x == nil {
		return nil
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func benchmarks() []bench {
	var bs []bench
	for _, n := range []int{4096} {
		bs = append(bs, bench{fmt.Sprintf("kernels/dot/float32/n=%d", n), func() (func(), error) {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := randSlice[float32](rng, n), randSlice[float32](rng, n)
			return func() { kernels.Dot(x, y) }, nil
		}})
	}
	for _, n := range []int{128, 256} {
		bs = append(bs, bench{fmt.Sprintf("kernels/gemm/float32/%dx%dx%d", n, n, n), func() (func(), error) {
			rng := rand.New(rand.NewPCG(1, 1))
			a, b, c := randSlice[float32](rng, n*n), randSlice[float32](rng, n*n), make([]float32, n*n)
			return func() { kernels.Gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n) }, nil
		}})
	}
	for _, s := range shapes {
		for _, kind := range []rules.Kind{rules.BPTT, rules.EProp, rules.RFLO, rules.MDGL} {
			bs = append(bs, bench{fmt.Sprintf("step/%s/%s", s.name, kind), func() (func(), error) {
				net, b, err := makeNet(s)
				if err != nil {
					return nil, err
				}
				rule, err := rules.New[float32](rules.Settings{Kind: kind, Window: s.steps}, net.Cfg)
				if err != nil {
					return nil, err
				}
				opt, err := rules.NewOptimizer[float32](rules.OptimizerSettings{}, net.NumParams())
				if err != nil {
					return nil, err
				}
				dir := make([]float32, net.NumParams())
				return func() {
					if _, err := rule.Direction(net, b, dir); err == nil {
						opt.Step(net.Params, dir, 1e-6)
					}
				}, nil
			}})
		}
	}
	s := shapes[1]
	bs = append(bs, bench{"hvp/seqmnist/W_rec/float64", func() (func(), error) {
		h, err := makeHVP(s)
		if err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewPCG(3, 3))
		v, dst := randSlice[float64](rng, h.Dim()), make([]float64, h.Dim())
		return func() { h.Apply(dst, v) }, nil
	}})
	bs = append(bs, bench{"lambda_max/seqmnist/lanczos", func() (func(), error) {
		h, err := makeHVP(s)
		if err != nil {
			return nil, err
		}
		return func() { eig.Leading(h.Operator(), eig.LanczosSettings{Seed: 1}) }, nil
	}})
	return bs
}
