package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

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
				l, err := kernels.ParseLevel(impl)
				if err != nil {
					b.Fatal(err)
				}
				restore, err := kernels.SetLevel(l)
				if err != nil {
					b.Skip(err)
				}
				defer restore()
			}
			for _, n := range gemvSizes {
				b.Run(fmt.Sprintf("m=%d/n=%d", n, n), func(b *testing.B) {
					a, x, y := gemvData[T](n)
					f := gemvCall(impl == "openblas", tA, n, a, x, y)
					var z T
					b.SetBytes(int64(n*n+2*n) * int64(sizeof(z)))
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

func sizeof[T float32 | float64](z T) int {
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
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
