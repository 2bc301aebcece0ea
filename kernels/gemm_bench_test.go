package kernels

import (
	"fmt"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/internal/bench/shapes"
)

// gemmSink keeps results alive.
var gemmSink float64

func BenchmarkSgemm(b *testing.B) { benchmarkGemm[float32](b) }

func BenchmarkDgemm(b *testing.B) { benchmarkGemm[float64](b) }

func benchmarkGemm[T Float](b *testing.B) {
	impls := []string{"generic", "avx2", "avx512", "gonum"}
	for _, bc := range shapes.RNNGemms() {
		for _, impl := range impls {
			b.Run("impl="+impl+"/"+bc.Name(), func(b *testing.B) {
				if impl != "gonum" {
					l, _ := ParseLevel(impl)
					restore, err := SetLevel(l)
					if err != nil {
						b.Skip(err)
					}
					defer restore()
				}
				if impl == "generic" && bc.M*bc.N*bc.K > 1<<22 {
					b.Skip("generic is too slow for this size")
				}
				benchGemmOne[T](b, impl == "gonum", bc)
			})
		}
	}
}

func benchGemmOne[T Float](b *testing.B, useGonum bool, bc shapes.Gemm) {
	rnd := newRand(9)
	lda, ldb, lenA, lenB := bc.Layout()
	a := make([]T, lenA)
	bm := make([]T, lenB)
	c := make([]T, bc.M*bc.N)
	fillRandom(rnd, a)
	fillRandom(rnd, bm)
	tr := func(t bool) blas.Transpose {
		if t {
			return blas.Trans
		}
		return blas.NoTrans
	}
	impl := gonum.Implementation{}
	b.SetBytes(int64(8 * (len(a) + len(bm) + len(c))))
	b.ReportAllocs()
	b.ResetTimer()
	c0 := paired.CPUTime()
	for i := 0; i < b.N; i++ {
		switch {
		case !useGonum:
			Gemm(bc.TA, bc.TB, bc.M, bc.N, bc.K, 1, a, lda, bm, ldb, 0, c, bc.N)
		case is32[T]():
			impl.Sgemm(tr(bc.TA), tr(bc.TB), bc.M, bc.N, bc.K, 1, f32(a), lda, f32(bm), ldb, 0, f32(c), bc.N)
		default:
			impl.Dgemm(tr(bc.TA), tr(bc.TB), bc.M, bc.N, bc.K, 1, f64(a), lda, f64(bm), ldb, 0, f64(c), bc.N)
		}
	}
	b.StopTimer()
	reportGemmFlops(b, c0, bc.Flops())
	gemmSink += float64(c[0])
}

// reportGemmFlops reports the rate of b.N products of flops each, per wall
// second (GFLOP/s) and per CPU second since c0 (cpu-GFLOP/s).
func reportGemmFlops(b *testing.B, c0 time.Duration, flops float64) {
	total := flops * float64(b.N) / 1e9
	b.ReportMetric(total/b.Elapsed().Seconds(), "GFLOP/s")
	if cpu := paired.CPUTime() - c0; cpu > 0 {
		b.ReportMetric(total/cpu.Seconds(), "cpu-GFLOP/s")
	}
}

// BenchmarkSgemmReLU times the recurrent step's product with accumulation
// into C (beta = 1, the input projection already there) as Gemm alone
// (fn=gemm), as Gemm followed by ReLU with its mask (fn=gemm+relu) and as
// the fused GemmReLU (fn=fused), at the forward shapes.
func BenchmarkSgemmReLU(b *testing.B) { benchmarkGemmReLU[float32](b) }

func BenchmarkDgemmReLU(b *testing.B) { benchmarkGemmReLU[float64](b) }

func benchmarkGemmReLU[T Float](b *testing.B) {
	for _, bc := range []shapes.Gemm{{TB: true, M: 256, N: 128, K: 128}, {TB: true, M: 256, N: 512, K: 512}} {
		for _, impl := range []string{"avx2", "avx512"} {
			for _, fn := range []string{"gemm", "gemm+relu", "fused"} {
				name := fmt.Sprintf("impl=%s/fn=%s/m=%d/n=%d/k=%d", impl, fn, bc.M, bc.N, bc.K)
				b.Run(name, func(b *testing.B) {
					l, _ := ParseLevel(impl)
					restore, err := SetLevel(l)
					if err != nil {
						b.Skip(err)
					}
					defer restore()
					rnd := newRand(9)
					a := make([]T, bc.M*bc.K)
					w := make([]T, bc.N*bc.K)
					c0 := make([]T, bc.M*bc.N)
					fillRandom(rnd, a)
					fillRandom(rnd, w)
					fillRandom(rnd, c0)
					c := make([]T, len(c0))
					mask := make([]T, len(c0))
					b.ReportAllocs()
					b.ResetTimer()
					t0 := paired.CPUTime()
					for i := 0; i < b.N; i++ {
						copy(c, c0)
						switch fn {
						case "gemm":
							Gemm(false, true, bc.M, bc.N, bc.K, 1, a, bc.K, w, bc.K, 1, c, bc.N)
						case "gemm+relu":
							Gemm(false, true, bc.M, bc.N, bc.K, 1, a, bc.K, w, bc.K, 1, c, bc.N)
							ReLU(c, mask, c)
						default:
							GemmReLU(false, true, bc.M, bc.N, bc.K, 1, a, bc.K, w, bc.K, 1, c, bc.N, mask)
						}
					}
					b.StopTimer()
					reportGemmFlops(b, t0, bc.Flops())
					gemmSink += float64(c[0] + mask[0])
				})
			}
		}
	}
}

// BenchmarkGemmPackedTrajectory times the RNN step product (float64,
// 256×128×128, B packed) with its operands fixed or moving through the 28
// slots of a trajectory, as in a training or HVP pass: rot=A moves the rows
// of A, rot=C those of C and of the mask or product operand, rot=AC both.
// Plain, fused product (GemmPackedMul) and fused ReLU with mask
// (GemmPackedReLU). The gap between rot=none and the others is what the
// caches cost the step products (BENCHMARKS.md, "Prefetching the epilogue's
// rows").
func BenchmarkGemmPackedTrajectory(b *testing.B) {
	const m, n, k, steps = 256, 128, 128, 28
	for _, kind := range []string{"plain", "mul", "relu"} {
		for _, rot := range []string{"none", "A", "C", "AC"} {
			b.Run(fmt.Sprintf("epilogue=%s/rot=%s", kind, rot), func(b *testing.B) {
				rnd := newRand(9)
				a := make([]float64, steps*m*k)
				c := make([]float64, steps*m*n)
				mk := make([]float64, steps*m*n)
				w := make([]float64, k*n)
				fillRandom(rnd, a)
				fillRandom(rnd, w)
				fillRandom(rnd, mk)
				var p PackedB[float64]
				p.Pack(false, k, n, w, n)
				c0 := paired.CPUTime()
				for i := 0; i < b.N; i++ {
					sa, sc := 0, 0
					if rot == "A" || rot == "AC" {
						sa = i % steps
					}
					if rot == "C" || rot == "AC" {
						sc = i % steps
					}
					as, cs, ms := a[sa*m*k:(sa+1)*m*k], c[sc*m*n:(sc+1)*m*n], mk[sc*m*n:(sc+1)*m*n]
					switch kind {
					case "plain":
						GemmPacked(false, m, 1, as, k, &p, 0, cs, n)
					case "mul":
						GemmPackedMul(false, m, 1, as, k, &p, 0, cs, n, ms, n, 1)
					case "relu":
						GemmPackedReLU(false, m, 1, as, k, &p, 0, cs, n, ms)
					}
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/float64(paired.CPUTime()-c0), "cpu-GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmLongSum times float64 transposed products with a long sum,
// the weight gradients of truncated BPTT at the seqMNIST shape (∂W_rec:
// 128×128, ∂W_in: 128×28, k = K·B rows of a 256-sequence batch), in one
// pass of the blocked driver (pass=one) and as Gemm runs them, in passes
// over blocks of kBlock rows that continue the same FMA chains
// (pass=blocked; the same bits, TestGemmKBlockedBitwise). The level is the
// active one.
func BenchmarkGemmLongSum(b *testing.B) {
	mk := activeMicro[float64]()
	if mk == nil {
		b.Skip("no micro-kernel at this level")
	}
	for _, k := range []int{1024, 2048, 7168} {
		for _, n := range []int{128, 28} {
			for _, pass := range []string{"one", "blocked"} {
				b.Run(fmt.Sprintf("m=128/n=%d/k=%d/pass=%s", n, k, pass), func(b *testing.B) {
					const m = 128
					rnd := newRand(9)
					a := make([]float64, k*m)
					bm := make([]float64, k*n)
					c := make([]float64, m*n)
					fillRandom(rnd, a)
					fillRandom(rnd, bm)
					c0 := paired.CPUTime()
					for i := 0; i < b.N; i++ {
						if pass == "one" {
							mk.pass(true, false, m, n, k, 1, a, m, bm, n, 0, c, n, false, nil, false)
						} else {
							Gemm(true, false, m, n, k, 1, a, m, bm, n, 0, c, n)
						}
					}
					b.ReportMetric(float64(2*m*n*k)*float64(b.N)/float64(paired.CPUTime()-c0), "cpu-GFLOP/s")
				})
			}
		}
	}
}
