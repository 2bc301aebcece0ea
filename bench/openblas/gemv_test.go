package openblas

import (
	"fmt"
	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/hessrnn/hessrnn/kernels"
)

// gemvSizes are the square shapes of the recurrent matvec; the issue's
// targets are at 128 and 512.
var gemvSizes = []int{32, 128, 256, 512, 1024}

// BenchmarkSgemvN, BenchmarkSgemvT, BenchmarkDgemvN and BenchmarkDgemvT run
// cblas_?gemv on one OpenBLAS thread next to kernels.GemvN/GemvT at each
// level this CPU supports, computing y = A*x + 0.5*y (or Aᵀ) for square
// row-major A. Names: impl=<openblas|avx2|avx512>/m=../n=.., as in
// kernels/gemv_bench_test.go.
func BenchmarkSgemvN(b *testing.B) { benchGemv[float32](b, false) }
func BenchmarkSgemvT(b *testing.B) { benchGemv[float32](b, true) }
func BenchmarkDgemvN(b *testing.B) { benchGemv[float64](b, false) }
func BenchmarkDgemvT(b *testing.B) { benchGemv[float64](b, true) }

func benchGemv[T float32 | float64](b *testing.B, tA bool) {
	SetNumThreads(1)
	for _, impl := range []string{"openblas", "avx2", "avx512"} {
		b.Run("impl="+impl, func(b *testing.B) {
			if impl != "openblas" {
				useLevel(b, impl)
			}
			for _, n := range gemvSizes {
				b.Run(fmt.Sprintf("m=%d/n=%d", n, n), func(b *testing.B) {
					a, x, y := gemvData[T](n)
					f := gemvCall(impl == "openblas", tA, n, a, x, y)
					var z T
					b.SetBytes(int64(n*n+2*n) * int64(unsafe.Sizeof(z)))
					b.ReportAllocs()
					for b.Loop() {
						f()
					}
					b.ReportMetric(2*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					sink += float64(y[0])
				})
			}
		})
	}
}

func gemvData[T float32 | float64](n int) (a, x, y []T) {
	rnd := rand.New(rand.NewPCG(uint64(n), 1))
	a, x, y = make([]T, n*n), make([]T, n), make([]T, n)
	for _, s := range [][]T{a, x, y} {
		for i := range s {
			s[i] = T(2*rnd.Float64() - 1)
		}
	}
	return a, x, y
}

// gemvCall returns one y = A*x + 0.5*y (Aᵀ when tA) through OpenBLAS or
// the kernels package.
func gemvCall[T float32 | float64](useOpenBLAS, tA bool, n int, a, x, y []T) func() {
	if !useOpenBLAS {
		if tA {
			return func() { kernels.GemvT(y, 1, a, n, x, 0.5) }
		}
		return func() { kernels.GemvN(y, 1, a, n, x, 0.5) }
	}
	switch a := any(a).(type) {
	case []float32:
		x, y := any(x).([]float32), any(y).([]float32)
		return func() { Sgemv(tA, n, n, 1, a, n, x, 0.5, y) }
	default:
		a64, x, y := any(a).([]float64), any(x).([]float64), any(y).([]float64)
		return func() { Dgemv(tA, n, n, 1, a64, n, x, 0.5, y) }
	}
}

// TestGemvMatchesOpenBLAS checks that the wrappers call OpenBLAS correctly
// (so the benchmarks compare the same operation): kernels.GemvN/GemvT and
// cblas_dgemv agree within the usual error bound.
func TestGemvMatchesOpenBLAS(t *testing.T) {
	SetNumThreads(1)
	for _, tA := range []bool{false, true} {
		for _, n := range []int{1, 7, 64, 129} {
			a, x, y := gemvData[float64](n)
			want := append([]float64(nil), y...)
			Dgemv(tA, n, n, 1.5, a, n, x, 0.5, want)
			if tA {
				kernels.GemvT(y, 1.5, a, n, x, 0.5)
			} else {
				kernels.GemvN(y, 1.5, a, n, x, 0.5)
			}
			for i := range y {
				if d := math.Abs(y[i] - want[i]); d > 4*float64(n+2)*0x1p-53*float64(n+1)*2 {
					t.Fatalf("tA=%v n=%d: y[%d] = %v, OpenBLAS %v", tA, n, i, y[i], want[i])
				}
			}
		}
	}
}

// BenchmarkGemvPaired times cblas_?gemv, kernels.GemvN/GemvT at every level
// this CPU supports and gonum's ?gemv against each other in alternating
// windows (see paired.Run), for y = A*x + 0.5*y (or Aᵀ) with square A of
// size 128 and 512, the shapes of the targets. Metrics:
// <impl>-GFLOP/s (fastest window) and <impl>/openblas (median paired
// speed-up).
func BenchmarkGemvPaired(b *testing.B) {
	SetNumThreads(1)
	for _, op := range []string{"sN", "sT", "dN", "dT"} {
		for _, n := range []int{128, 512} {
			b.Run(fmt.Sprintf("op=%s/n=%d", op, n), func(b *testing.B) {
				tA := op[1] == 'T'
				if op[0] == 's' {
					pairedGemv[float32](b, tA, n)
				} else {
					pairedGemv[float64](b, tA, n)
				}
			})
		}
	}
}

func pairedGemv[T float32 | float64](b *testing.B, tA bool, n int) {
	names := []string{"openblas"}
	a, x, y := gemvData[T](n)
	fns := []func(int){paired.Repeat(gemvCall(true, tA, n, a, x, y))}
	for _, l := range kernels.Levels() {
		if l > kernels.Detected() {
			continue
		}
		names = append(names, l.String())
		f := gemvCall(false, tA, n, a, x, y)
		fns = append(fns, func(reps int) {
			restore, err := kernels.SetLevel(l)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for range reps {
				f()
			}
		})
	}
	names = append(names, "gonum")
	fns = append(fns, paired.Repeat(gonumGemv(tA, n, a, x, y)))
	// streamdot reads as many bytes as A, with kernels.Dot at the detected
	// level: the read bandwidth a gemv of this size could at best reach.
	h := n * n / 2
	names = append(names, "streamdot")
	fns = append(fns, paired.Repeat(func() { sink += float64(kernels.Dot(a[:h], a[h:2*h])) }))
	paired.Run(b, names, fns, 2*float64(n)*float64(n), "GFLOP/s")
	sink += float64(y[0])
}

// gonumGemv returns one y = A*x + 0.5*y (Aᵀ when tA) through gonum's
// pure-Go BLAS.
func gonumGemv[T float32 | float64](tA bool, n int, a, x, y []T) func() {
	var g gonum.Implementation
	t := blas.NoTrans
	if tA {
		t = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		x, y := any(x).([]float32), any(y).([]float32)
		return func() { g.Sgemv(t, n, n, 1, a, n, x, 1, 0.5, y, 1) }
	default:
		a64, x, y := any(a).([]float64), any(x).([]float64), any(y).([]float64)
		return func() { g.Dgemv(t, n, n, 1, a64, n, x, 1, 0.5, y, 1) }
	}
}
