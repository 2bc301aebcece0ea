package kernels

import (
	"fmt"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemvBenchSizes are the square shapes of the recurrent matvec.
var gemvBenchSizes = []int{32, 64, 128, 256, 512, 1024}

// gemvSink keeps benchmark results alive.
var gemvSink float64

// mvReportFlops adds a GFLOP/s metric for flops floating-point operations per
// iteration.
func mvReportFlops(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// mvBenchImpls returns the impl= names of the benchmarks: every level this
// machine supports, then gonum.
func mvBenchImpls() []string {
	var names []string
	for _, l := range Levels() {
		if l <= Detected() {
			names = append(names, l.String())
		}
	}
	return append(names, "gonum")
}

// mvBenchImpl runs f as the sub-benchmark impl=name; for a level name that
// level is active while f runs.
func mvBenchImpl(b *testing.B, name string, f func(b *testing.B)) {
	b.Run("impl="+name, func(b *testing.B) {
		if l, err := ParseLevel(name); err == nil {
			restore, err := SetLevel(l)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
		}
		f(b)
	})
}

func benchGemv[T Float](b *testing.B, trans bool) {
	for _, impl := range mvBenchImpls() {
		mvBenchImpl(b, impl, func(b *testing.B) {
			for _, n := range gemvBenchSizes {
				m := n
				a := make([]T, m*n)
				fillRandom(newRand(1), a)
				x, y := make([]T, n), make([]T, m)
				if trans {
					x, y = make([]T, m), make([]T, n)
				}
				fillRandom(newRand(2), x)
				fillRandom(newRand(3), y)
				var z T
				b.Run(fmt.Sprintf("m=%d/n=%d", m, n), func(b *testing.B) {
					b.SetBytes(int64(m*n+m+n) * int64(unsafe.Sizeof(z)))
					b.ReportAllocs()
					f := gemvBenchFunc(impl, trans, m, n, a, x, y)
					for b.Loop() {
						f()
					}
					mvReportFlops(b, 2*float64(m)*float64(n))
					gemvSink += float64(y[0])
				})
			}
		})
	}
}

// gemvBenchFunc returns y = A*x + 0.5*y (or Aᵀ) by impl.
func gemvBenchFunc[T Float](impl string, trans bool, m, n int, a, x, y []T) func() {
	if impl == "gonum" {
		g := gonum.Implementation{}
		tA := blas.NoTrans
		if trans {
			tA = blas.Trans
		}
		if is32[T]() {
			a32, x32, y32 := f32(a), f32(x), f32(y)
			return func() { g.Sgemv(tA, m, n, 1, a32, n, x32, 1, 0.5, y32, 1) }
		}
		a64, x64, y64 := f64(a), f64(x), f64(y)
		return func() { g.Dgemv(tA, m, n, 1, a64, n, x64, 1, 0.5, y64, 1) }
	}
	if trans {
		return func() { GemvT(y, 1, a, n, x, 0.5) }
	}
	return func() { GemvN(y, 1, a, n, x, 0.5) }
}

func BenchmarkSgemvN(b *testing.B) { benchGemv[float32](b, false) }
func BenchmarkDgemvN(b *testing.B) { benchGemv[float64](b, false) }
func BenchmarkSgemvT(b *testing.B) { benchGemv[float32](b, true) }
func BenchmarkDgemvT(b *testing.B) { benchGemv[float64](b, true) }
