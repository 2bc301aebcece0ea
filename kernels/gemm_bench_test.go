package kernels

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmBenchCase is one benchmarked product: op(A) is m×k, op(B) is k×n.
type gemmBenchCase struct {
	tA, tB  bool
	m, n, k int
}

// gemmBenchCases are the RNN's shapes with batch 256 and 128 or 512 units:
// forward h·Wᵀ (NT), input projection with 2 and 28 inputs (NT), backward
// deltas δ·W (NN) and weight gradients δᵀ·h over the batch (TN, k = 256);
// and the forward step of the 100-unit networks (edge tiles in n).
var gemmBenchCases = []gemmBenchCase{
	{false, true, 256, 128, 128},
	{false, true, 256, 512, 512},
	{false, true, 256, 128, 2},
	{false, true, 256, 128, 28},
	{false, true, 256, 512, 28},
	{false, true, 256, 100, 100},
	{false, false, 256, 128, 128},
	{false, false, 256, 512, 512},
	{true, false, 128, 128, 256},
	{true, false, 512, 512, 256},
}

func opName(tA, tB bool) string {
	s := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return s(tA) + s(tB)
}

// gemmSink keeps results alive.
var gemmSink float64

func BenchmarkSgemm(b *testing.B) { benchmarkGemm[float32](b) }

func BenchmarkDgemm(b *testing.B) { benchmarkGemm[float64](b) }

func benchmarkGemm[T Float](b *testing.B) {
	impls := []string{"generic", "avx2", "avx512", "gonum"}
	for _, bc := range gemmBenchCases {
		for _, impl := range impls {
			name := fmt.Sprintf("impl=%s/op=%s/m=%d/n=%d/k=%d", impl, opName(bc.tA, bc.tB), bc.m, bc.n, bc.k)
			b.Run(name, func(b *testing.B) {
				if impl != "gonum" {
					l, _ := ParseLevel(impl)
					restore, err := SetLevel(l)
					if err != nil {
						b.Skip(err)
					}
					defer restore()
				}
				if impl == "generic" && bc.m*bc.n*bc.k > 1<<22 {
					b.Skip("generic is too slow for this size")
				}
				benchGemmOne[T](b, impl == "gonum", bc)
			})
		}
	}
}

func benchGemmOne[T Float](b *testing.B, useGonum bool, bc gemmBenchCase) {
	rnd := newRand(9)
	lda, ldb := bc.k, bc.n
	aRows, bRows := bc.m, bc.k
	if bc.tA {
		lda, aRows = bc.m, bc.k
	}
	if bc.tB {
		ldb, bRows = bc.k, bc.n
	}
	a := make([]T, aRows*lda)
	bm := make([]T, bRows*ldb)
	c := make([]T, bc.m*bc.n)
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
	c0 := gemmCPUTime()
	for i := 0; i < b.N; i++ {
		switch {
		case !useGonum:
			Gemm(bc.tA, bc.tB, bc.m, bc.n, bc.k, 1, a, lda, bm, ldb, 0, c, bc.n)
		case is32[T]():
			impl.Sgemm(tr(bc.tA), tr(bc.tB), bc.m, bc.n, bc.k, 1, f32(a), lda, f32(bm), ldb, 0, f32(c), bc.n)
		default:
			impl.Dgemm(tr(bc.tA), tr(bc.tB), bc.m, bc.n, bc.k, 1, f64(a), lda, f64(bm), ldb, 0, f64(c), bc.n)
		}
	}
	b.StopTimer()
	reportGemmFlops(b, c0, 2*float64(bc.m)*float64(bc.n)*float64(bc.k))
	gemmSink += float64(c[0])
}

// gemmCPUTime returns the process's user+system CPU time. On a shared, noisy
// machine, CPU time per operation (one core: GOMAXPROCS=1 and taskset) is
// steadier than wall time.
func gemmCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportGemmFlops reports the rate of b.N products of flops each, per wall
// second (GFLOP/s) and per CPU second since c0 (cpu-GFLOP/s).
func reportGemmFlops(b *testing.B, c0 time.Duration, flops float64) {
	total := flops * float64(b.N) / 1e9
	b.ReportMetric(total/b.Elapsed().Seconds(), "GFLOP/s")
	if cpu := gemmCPUTime() - c0; cpu > 0 {
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
	for _, bc := range []gemmBenchCase{{false, true, 256, 128, 128}, {false, true, 256, 512, 512}} {
		for _, impl := range []string{"avx2", "avx512"} {
			for _, fn := range []string{"gemm", "gemm+relu", "fused"} {
				name := fmt.Sprintf("impl=%s/fn=%s/m=%d/n=%d/k=%d", impl, fn, bc.m, bc.n, bc.k)
				b.Run(name, func(b *testing.B) {
					l, _ := ParseLevel(impl)
					restore, err := SetLevel(l)
					if err != nil {
						b.Skip(err)
					}
					defer restore()
					rnd := newRand(9)
					a := make([]T, bc.m*bc.k)
					w := make([]T, bc.n*bc.k)
					c0 := make([]T, bc.m*bc.n)
					fillRandom(rnd, a)
					fillRandom(rnd, w)
					fillRandom(rnd, c0)
					c := make([]T, len(c0))
					mask := make([]T, len(c0))
					b.ReportAllocs()
					b.ResetTimer()
					t0 := gemmCPUTime()
					for i := 0; i < b.N; i++ {
						copy(c, c0)
						switch fn {
						case "gemm":
							Gemm(false, true, bc.m, bc.n, bc.k, 1, a, bc.k, w, bc.k, 1, c, bc.n)
						case "gemm+relu":
							Gemm(false, true, bc.m, bc.n, bc.k, 1, a, bc.k, w, bc.k, 1, c, bc.n)
							ReLU(c, mask, c)
						default:
							GemmReLU(false, true, bc.m, bc.n, bc.k, 1, a, bc.k, w, bc.k, 1, c, bc.n, mask)
						}
					}
					b.StopTimer()
					reportGemmFlops(b, t0, 2*float64(bc.m)*float64(bc.n)*float64(bc.k))
					gemmSink += float64(c[0] + mask[0])
				})
			}
		}
	}
}
